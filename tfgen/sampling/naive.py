"""The reference sampler: recompute the whole network for every position.

``H * W * C`` full forward passes, each ``O(H * W)``: slow, obviously correct, and the oracle the
cached sampler is tested against (same seed -> identical images).
"""

from __future__ import annotations

import functools

import tensorflow as tf

from tfgen.sampling.draws import (
    channels_per_draw,
    check_params_width,
    draw_params,
    draw_values,
    sampling_uniforms,
)
from tfgen.sampling.protocol import (
    compiled,
    likelihood_key,
    model_sampling_parts,
    owned_function,
)


def naive_sample_network(network, likelihood, image_shape, num_samples, seed,
                         condition_vector=None, condition_map=None) -> tf.Tensor:
    """Sample ``num_samples`` images ``[N, H, W, C]`` (``likelihood.value_dtype``) from an
    autoregressive ``network`` (a ``joint_channels`` likelihood: a position's channels at once).

    ``network(x, condition_vector=..., condition_map=...)`` maps network inputs
    ``[N, H, W, C]`` (``likelihood.network_input`` of uint8 images) to parameters
    ``[N, H, W, C * P]``; conditions are per image (``[N, K]``, ``[N, H, W, K']``).
    ``seed``: int32 scalar; see :mod:`tfgen.sampling.draws` for how positions are drawn.
    Eager calls run a ``tf.function`` traced once per network (and image shape, likelihood).
    """
    if tf.executing_eagerly():
        shape = tuple(int(d) for d in image_shape)
        key = ("naive", likelihood_key(likelihood), shape)
        fn = owned_function(network, key, functools.partial(_naive, likelihood=likelihood,
                                                            image_shape=shape))
        return fn(tf.convert_to_tensor(num_samples, tf.int32),
                  tf.convert_to_tensor(seed, tf.int32), condition_vector, condition_map)
    return _naive(network, num_samples, seed, condition_vector, condition_map,
                  likelihood=likelihood, image_shape=image_shape)


def _naive(network, num_samples, seed, condition_vector, condition_map, *, likelihood,
           image_shape):
    height, width, channels = (int(d) for d in image_shape)
    per_draw = channels_per_draw(likelihood, channels)
    draws_per_pixel = channels // per_draw
    batch = tf.cast(num_samples, tf.int32)
    conditions = {k: v for k, v in (("condition_vector", condition_vector),
                                     ("condition_map", condition_map)) if v is not None}
    uniforms = sampling_uniforms(seed, batch, height * width * channels)

    def body(i, images):  # draw i: position i // draws_per_pixel, its channels from `first`
        position, first = i // draws_per_pixel, (i % draws_per_pixel) * per_draw
        row, col = position // width, position % width
        params = network(likelihood.network_input(images), **conditions)
        check_params_width(params, likelihood, channels)
        at = draw_params(likelihood, tf.cast(params[:, row, col], tf.float32), channels, first,
                         per_draw)  # [N, P'] of the channels drawn now
        start = position * channels + first
        values = draw_values(likelihood, at, tf.gather(uniforms, start + tf.range(per_draw)))
        index = tf.stack(tf.meshgrid(tf.range(batch), row, col, first + tf.range(per_draw),
                                     indexing="ij"), axis=-1)  # [N, 1, 1, k, 4]
        return i + 1, tf.tensor_scatter_nd_update(images, index,
                                                  tf.reshape(values, [-1, 1, 1, per_draw]))

    images = tf.zeros(tf.stack([batch, height, width, channels]), likelihood.value_dtype)
    _, images = tf.while_loop(lambda i, _: i < height * width * draws_per_pixel, body,
                              (tf.constant(0), images))
    return images


def naive_sample(model, num_samples, seed, labels=None) -> tf.Tensor:
    """:func:`naive_sample_network` for a tfgen PixelCNN-family model (see
    :func:`tfgen.sampling.protocol.model_sampling_parts`); ``labels`` int ``[N]`` for
    class-conditional models. Compiled with ``tf.function`` when called eagerly."""
    fn = compiled(model, "naive", _naive_model_sample)
    return fn(model, num_samples, seed, labels)


def _naive_model_sample(model, num_samples, seed, labels):
    network, likelihood, shape, conditions = model_sampling_parts(model, num_samples, labels)
    return naive_sample_network(network, likelihood, shape, num_samples, seed, **conditions)
