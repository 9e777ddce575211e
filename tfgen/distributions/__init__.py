"""Pixel likelihoods over uint8 images (Bernoulli, 256-way categorical, discretized logistic)."""

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
    "DiscretizedLogisticMixture",
    "PixelLikelihood",
    "bits_per_dim",
    "get_likelihood",
]
