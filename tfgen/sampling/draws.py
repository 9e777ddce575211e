"""Drawing one pixel channel from likelihood parameters with a per-position stateless seed.

Both samplers draw position ``i`` (raster order: row, column, channel) of image ``b`` by
inverting the CDF of that position's distribution at the uniform ``u[b, i]`` of
:func:`sampling_uniforms` (one stateless draw of ``[B, H*W*C]`` from ``[seed, 0]``, made once
before the loop). So for a given seed an image depends only on the parameters the network outputs
— two samplers that compute the same parameters produce the same images — and image ``b`` does
not depend on the batch size (the uniforms are batch-major).

A likelihood with ``joint_channels`` (the latent :class:`~tfgen.distributions.DiagonalGaussian`)
is drawn one *position* at a time: all ``C`` channels of position ``(r, c)`` in one step from the
uniforms ``u[b, (r * W + c) * C + l]`` (:func:`draw_values`).
"""

from __future__ import annotations

import tensorflow as tf

from tfgen.distributions import PixelLikelihood

_PIXEL_VALUES = 256


def sampling_uniforms(seed, batch, num_positions: int) -> tf.Tensor:
    """float32 ``[num_positions, batch]`` in [0, 1): row ``i`` holds the uniforms of raster
    position ``i`` for every image (``seed``, ``batch``: int32 scalars)."""
    pair = tf.stack([tf.cast(seed, tf.int32), tf.constant(0, tf.int32)])
    shape = tf.stack([tf.cast(batch, tf.int32), num_positions])
    return tf.transpose(tf.random.stateless_uniform(shape, seed=pair))


def _inverse_cdf(logits: tf.Tensor, uniform: tf.Tensor) -> tf.Tensor:
    """Index ``k`` with ``cdf[k - 1] <= u * total < cdf[k]``: int32 ``[B]`` from ``[B, K]``."""
    cdf = tf.cumsum(tf.nn.softmax(logits, axis=-1), axis=-1)
    threshold = uniform[:, None] * cdf[:, -1:]  # total mass, ~1; keeps k < K under rounding
    return tf.reduce_sum(tf.cast(cdf <= threshold, tf.int32), axis=-1)


def _all_values_log_prob(likelihood: PixelLikelihood, params: tf.Tensor) -> tf.Tensor:
    """``[B, P]`` params of one channel -> ``[B, 256]`` log p(value) for every uint8 value."""
    values = tf.range(_PIXEL_VALUES, dtype=tf.int32)
    images = tf.cast(tf.reshape(values, [_PIXEL_VALUES, 1, 1, 1, 1]), tf.uint8)
    dist = likelihood.distribution(params[:, None, None, :])  # event [1, 1, 1], batch [B]
    return tf.transpose(dist.log_prob(likelihood.targets(images)))  # [256, B] -> [B, 256]


def params_width(likelihood, channels: int) -> int:
    """Parameters per pixel: ``likelihood.params_per_pixel(channels)`` where the likelihood
    shares parameters across a pixel's channels (PixelCNN++'s RGB mixture), else ``channels``
    x ``params_per_channel``."""
    per_pixel = getattr(likelihood, "params_per_pixel", None)
    if callable(per_pixel):
        return int(per_pixel(channels))
    return channels * likelihood.params_per_channel


def draw_params(likelihood, params: tf.Tensor, channels: int, first: int, per_draw: int
                ) -> tf.Tensor:
    """The slice of one position's params ``[B, width]`` that draws channels ``first`` ..
    ``first + per_draw - 1``: the whole pixel's for a ``joint_channels`` likelihood, else the
    channel's ``params_per_channel``."""
    if getattr(likelihood, "joint_channels", False):
        return params[:, :params_width(likelihood, channels)]
    per_channel = likelihood.params_per_channel
    return params[:, first * per_channel:][:, :per_draw * per_channel]


def check_params_width(params: tf.Tensor, likelihood: PixelLikelihood, channels: int) -> None:
    """Refuse a network whose output (last axis) is not the likelihood's parameters per pixel
    (``channels`` x ``params_per_channel``, or its ``params_per_pixel``): slicing it would draw
    from misaligned parameters (e.g. a network trained for a 5-component logistic sampled with a
    3-component one)."""
    width = params.shape[-1]
    want = params_width(likelihood, channels)
    if width is not None and width != want:
        per = (f"{channels} channel(s) x {likelihood.params_per_channel} = {want}"
               if likelihood.params_per_channel else f"{want} per pixel")
        raise ValueError(f"the network outputs {width} parameters per pixel, but the "
                         f"{likelihood.name} likelihood ({likelihood.get_config()}) needs {per}")


def channels_per_draw(likelihood, channels: int) -> int:
    """Channels drawn per autoregressive step: all ``channels`` for a ``joint_channels``
    likelihood, else 1 (a pixel's colour channels in turn)."""
    return channels if getattr(likelihood, "joint_channels", False) else 1


def draw_values(likelihood, params: tf.Tensor, uniforms: tf.Tensor) -> tf.Tensor:
    """``k`` channels of one position per batch row: ``params`` ``[B, k * P]``, ``uniforms``
    ``[k, B]`` -> ``[B, k]`` in ``likelihood.value_dtype``."""
    if getattr(likelihood, "joint_channels", False):
        return likelihood.draw(params, tf.transpose(uniforms))
    return draw_pixel(likelihood, params, uniforms[0])[:, None]


def draw_pixel(likelihood: PixelLikelihood, params: tf.Tensor, uniform: tf.Tensor) -> tf.Tensor:
    """One channel of one pixel per batch row: uint8 ``[B]`` in [0, 255].

    ``params``: float32 ``[B, P]``, the channel's ``P = likelihood.params_per_channel`` raw
    parameters; ``uniform``: float32 ``[B]`` in [0, 1). Bernoulli pixels are 0 or 255.
    """
    params = tf.cast(params, tf.float32)
    if likelihood.name == "bernoulli":
        on = uniform < tf.sigmoid(params[:, 0])
        return likelihood.to_images(tf.cast(on, tf.float32))
    if likelihood.name == "categorical":
        return tf.cast(_inverse_cdf(params, uniform), tf.uint8)
    return tf.cast(_inverse_cdf(_all_values_log_prob(likelihood, params), uniform), tf.uint8)
