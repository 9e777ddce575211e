"""Pixel likelihoods over uint8 images (Bernoulli, 256-way categorical, discretized logistic)."""

from tfgen.distributions.logistic import (
    PIXEL_MAX,
    DiscretizedLogistic,
    discretized_logistic_log_prob,
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
    "DiscretizedLogistic",
    "DiscretizedLogisticMixture",
    "PIXEL_MAX",
    "PixelLikelihood",
    "bits_per_dim",
    "discretized_logistic_log_prob",
    "get_likelihood",
]
