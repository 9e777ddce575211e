"""Fast autoregressive sampling with per-layer caches (Ramachandran et al. 2017, "Fast Generation
for Convolutional Autoregressive Models").

Instead of recomputing the network at every position, every layer keeps the inputs it has
already seen (:mod:`tfgen.layers.incremental`): once per row the contributions of the complete
rows above are computed with one convolution per layer (the gated stacks' vertical stacks, the
upper half of every masked convolution), and per pixel only the current row's ``p + 1`` columns
go through each layer (a matrix product per layer). Work per image drops from ``O((HW)^2)`` to
``O(HW)``; the loops are ``tf.while_loop`` inside one ``tf.function``.

Draws use the same per-position uniforms as :mod:`tfgen.sampling.naive`, so for the same seed
both samplers produce identical images (up to parameters that differ by float rounding and land
within ~1e-6 of a CDF boundary, which the tests never meet).
"""

from __future__ import annotations

import functools
import math

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

#: Columns drawn per iteration of the column loop (the largest divisor of W up to this).
MAX_UNROLL = 4


def cached_sample_network(network, likelihood, image_shape, num_samples, seed,
                          condition_vector=None, condition_map=None,
                          jit_compile: bool | None = None) -> tf.Tensor:
    """Sample ``num_samples`` images ``[N, H, W, C]`` (``likelihood.value_dtype``: uint8 pixels,
    float32 latents) through ``network``'s incremental
    protocol (``start``/``begin_row``/``pixel``/``commit_pixel``, see
    :mod:`tfgen.layers.stacks`). Arguments as :func:`tfgen.sampling.naive_sample_network`.

    ``jit_compile=True`` compiles the loops with XLA (on CPU 5-20x less per-pixel overhead at
    batch 1); ``None`` means XLA when called eagerly and plain graph ops inside another trace
    (e.g. a SavedModel export, so that any TensorFlow runtime serves it). The uniforms are drawn
    outside the compiled part, so the images are the same with and without XLA up to
    floating-point rounding of the parameters. Eager calls trace once per network (and image
    shape and likelihood); inside a trace the loops are inlined.
    """
    if jit_compile is None:
        jit_compile = tf.executing_eagerly()
    shape = tuple(int(d) for d in image_shape)
    uniforms = sampling_uniforms(seed, num_samples, math.prod(shape))
    if tf.executing_eagerly() or jit_compile:
        key = ("cached", likelihood_key(likelihood), shape, jit_compile)
        generate = owned_function(network, key, functools.partial(_generate, likelihood=likelihood,
                                                                  image_shape=shape),
                                  jit_compile=jit_compile)
    else:
        generate = functools.partial(_generate, network, likelihood=likelihood, image_shape=shape)
    return generate(uniforms, condition_vector, condition_map)


def _generate(network, uniforms, condition_vector, condition_map, *, likelihood, image_shape):
    """The sampling loops; ``uniforms`` ``[H*W*C, N]`` (see :mod:`tfgen.sampling.draws`)."""
    height, width, channels = image_shape
    per_draw = channels_per_draw(likelihood, channels)
    dtype = likelihood.value_dtype
    batch = tf.shape(uniforms)[1]
    state = network.start(batch, height, width, condition_vector=condition_vector,
                          condition_map=condition_map)
    unset = likelihood.network_input(tf.zeros([batch, channels], dtype))
    unroll = max(u for u in range(1, MAX_UNROLL + 1) if width % u == 0)

    def draw(state, row, col):
        """Draw pixel ``(row, col)``: (state advanced past it, its values ``[N, C]``)."""
        pixel = tf.zeros([batch, channels], dtype)
        values, advanced = [], state
        for first in range(0, channels, per_draw):  # channels < `first` drawn, the rest masked
            x = unset if first == 0 else likelihood.network_input(pixel)
            params, advanced = network.pixel(state, row, col, x)
            check_params_width(params, likelihood, channels)
            params = draw_params(likelihood, tf.cast(params, tf.float32), channels, first,
                                 per_draw)
            position = (row * width + col) * channels + first
            values.append(draw_values(likelihood, params,
                                      tf.gather(uniforms, position + tf.range(per_draw))))
            rest = tf.zeros([batch, channels - first - per_draw], dtype)  # static width
            pixel = tf.concat(values + [rest], 1)
        return network.commit_pixel(advanced, col, likelihood.network_input(pixel)), pixel

    def columns_body(row, row_state, col, pixel_state, image_row):
        # `unroll` columns per iteration: fewer control-flow ops per pixel.
        state, pixels = {**row_state, "pixel": pixel_state}, []
        for k in range(unroll):
            state, pixel = draw(state, row, col + k)
            pixels.append(pixel)
        image_row = tf.tensor_scatter_nd_update(
            image_row, tf.reshape(col + tf.range(unroll), [unroll, 1]), tf.stack(pixels))
        return col + unroll, state["pixel"], image_row

    def row_body(row, row_part, pixel_part, images):
        # Loop variables are only what changes: the "const" part is captured, not carried.
        state = network.begin_row({"const": const, "row": row_part, "pixel": pixel_part}, row)
        row_state = {"const": const, "row": state["row"]}
        image_row = tf.zeros(tf.stack([width, batch, channels]), dtype)
        _, pixel_part, image_row = tf.while_loop(
            lambda col, *_: col < width,
            lambda col, pixel_part, image_row: columns_body(row, row_state, col, pixel_part,
                                                            image_row),
            (tf.constant(0), state["pixel"], image_row))
        images = tf.tensor_scatter_nd_update(images, tf.reshape(row, [1, 1]),
                                             tf.transpose(image_row, [1, 0, 2])[None])
        return row + 1, state["row"], pixel_part, images

    const = state["const"]
    images = tf.zeros(tf.stack([height, batch, width, channels]), dtype)
    _, _, _, images = tf.while_loop(lambda row, *_: row < height, row_body,
                                    (tf.constant(0), state["row"], state["pixel"], images))
    return tf.transpose(images, [1, 0, 2, 3])


def cached_sample(model, num_samples, seed, labels=None, jit_compile: bool | None = None
                  ) -> tf.Tensor:
    """:func:`cached_sample_network` for a tfgen PixelCNN-family model; ``labels`` int ``[N]``
    for class-conditional models.

    Called eagerly, the sampler is compiled once per model with ``tf.function`` and, by default
    (``jit_compile=None``), its loops with XLA: the fastest on CPU, after a compilation of a
    second or two per new batch size. Called inside another trace (e.g. the ``sample``
    signature of a SavedModel export) it defaults to plain graph ops, which any TensorFlow
    runtime (TF Serving) executes. Both give the same images for the same seed.
    """
    if jit_compile is None:
        jit_compile = tf.executing_eagerly()
    fn = compiled(model, "cached_xla" if jit_compile else "cached",
                  functools.partial(_cached_model_sample, jit_compile=jit_compile))
    return fn(model, num_samples, seed, labels)


def _cached_model_sample(model, num_samples, seed, labels, jit_compile=False):
    network, likelihood, shape, conditions = model_sampling_parts(model, num_samples, labels)
    return cached_sample_network(network, likelihood, shape, num_samples, seed, **conditions,
                                 jit_compile=jit_compile)
