"""Autoregressive samplers: the naive reference and the fast cached sampler (identical images for
the same seed)."""

from tfgen.sampling.cached import cached_sample, cached_sample_network
from tfgen.sampling.draws import draw_pixel, sampling_uniforms
from tfgen.sampling.naive import naive_sample, naive_sample_network

__all__ = ["cached_sample", "cached_sample_network", "draw_pixel", "naive_sample",
           "naive_sample_network", "sampling_uniforms"]
