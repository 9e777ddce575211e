"""A diagonal Gaussian per position of a latent map: the likelihood of the hierarchical
PixelVAE's autoregressive prior p(z1 | z2) (and the form of its posteriors).

Parameters are ``[..., L * 2]``: for each latent channel ``l`` a mean and a raw scale, grouped by
channel (``[mean_l, raw_l]`` at ``2l, 2l + 1``), the layout :mod:`tfgen.sampling` slices.
``stddev = softplus(raw) + 1e-5``. All log-densities are float32 nats (summed over the map).

For autoregressive sampling the likelihood declares ``joint_channels = True``: the samplers draw
**all channels of a position at once** (the latent PixelCNN masks positions, not channels), each
channel ``l`` of position ``i`` as ``mean + stddev * ndtri(u)`` from the same per-position
uniforms the pixel samplers use, so cached and naive sampling give identical latents.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

_MIN_STDDEV = 1e-5
_TINY = 2.0 ** -24  # uniforms are in [0, 1): keep ndtri(u) finite


def stddev_from_raw(raw: tf.Tensor) -> tf.Tensor:
    """Raw scale -> standard deviation ``softplus(raw) + 1e-5`` (float32)."""
    return tf.nn.softplus(tf.cast(raw, tf.float32)) + _MIN_STDDEV


def split_gaussian(params: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``[..., L * 2]`` grouped by channel -> (mean, stddev), float32 ``[..., L]``."""
    params = tf.cast(params, tf.float32)
    shape = tf.shape(params)
    pairs = tf.reshape(params, tf.concat([shape[:-1], [-1, 2]], 0))
    return pairs[..., 0], stddev_from_raw(pairs[..., 1])


class DiagonalGaussian:
    """Diagonal Gaussian over a latent map ``[H, W, L]`` (or any event) given per-channel params.

    Shares the sampler-facing interface of :class:`tfgen.distributions.PixelLikelihood`
    (``params_per_channel``, ``network_input``, ``value_dtype``, ``get_config``).
    """

    name = "gaussian"
    params_per_channel = 2
    value_dtype = tf.float32
    joint_channels = True  # a position's channels are drawn together

    def network_input(self, values: tf.Tensor) -> tf.Tensor:
        """Latent values are the network's input as they are (float32)."""
        return tf.cast(values, tf.float32)

    def distribution(self, params: tf.Tensor, event_rank: int = 3) -> tfd.Distribution:
        """``[B, ..., L * 2]`` -> Normal with the last ``event_rank`` axes as its event."""
        mean, stddev = split_gaussian(params)
        return tfd.Independent(tfd.Normal(mean, stddev), event_rank)

    def log_prob(self, params: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
        """log p(values | params): float32 ``[B]`` nats, summed over ``[H, W, L]``."""
        return self.distribution(params).log_prob(tf.cast(values, tf.float32))

    def draw(self, params: tf.Tensor, uniforms: tf.Tensor) -> tf.Tensor:
        """One position's channels: params ``[B, k * 2]``, uniforms ``[B, k]`` in [0, 1) ->
        float32 ``[B, k]`` by inverting each channel's CDF."""
        mean, stddev = split_gaussian(params)
        return mean + stddev * tf.math.ndtri(tf.maximum(uniforms, _TINY))

    def get_config(self) -> dict:
        return {"name": self.name}
