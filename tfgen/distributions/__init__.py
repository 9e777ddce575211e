"""Pixel likelihoods over uint8 images (Bernoulli, 256-way categorical, discretized logistic,
PixelCNN++'s per-pixel RGB-coupled logistic mixture) and the diagonal Gaussian of latent maps."""

from tfgen.distributions.latent import DiagonalGaussian, split_gaussian, stddev_from_raw

from tfgen.distributions.logistic import (
    PIXEL_MAX,
    DiscretizedLogistic,
    discretized_logistic_log_prob,
)
from tfgen.distributions.logistic_rgb import (
    DiscretizedLogisticRGBMixture,
    PixelLogisticMixture,
)
from tfgen.distributions.pixel import (
    LIKELIHOODS,
    Bernoulli,
    Categorical,
    DiscretizedLogisticMixture,
    PixelLikelihood,
    bits_per_dim,
    get_likelihood,
)

__all__ = [
    "LIKELIHOODS",
    "Bernoulli",
    "Categorical",
    "DiagonalGaussian",
    "DiscretizedLogistic",
    "DiscretizedLogisticMixture",
    "DiscretizedLogisticRGBMixture",
    "PIXEL_MAX",
    "PixelLikelihood",
    "PixelLogisticMixture",
    "bits_per_dim",
    "discretized_logistic_log_prob",
    "get_likelihood",
    "split_gaussian",
    "stddev_from_raw",
]
