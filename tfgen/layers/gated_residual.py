"""The hierarchical PixelVAE's autoregressive stacks (thesis Appendix A.0.5; the original code's
masked residual blocks): a ``k0 x k0`` mask-A convolution of the (embedded) input plus a ``1 x 1``
map of the conditioning, gated residual blocks of mask-B convolutions, and a ``1 x 1`` mask-B
output convolution. Every masked convolution is weight-normalized (optional).

The same stack models the pixels (``data_channels = C``: R -> G -> B masks, 256-value embedding
of the input) and the latent map ``z1`` (``data_channels = 1``: all latent channels form one
group, so the masks are over positions only and a position's channels are drawn together).

It runs the incremental protocol of :mod:`tfgen.layers.stacks` (``start``, ``begin_row``,
``pixel``, ``commit_pixel``) with one :mod:`tfgen.layers.incremental` cache per ``k x k``
convolution, so :mod:`tfgen.sampling`'s cached sampler draws from it. Like
:class:`~tfgen.layers.PixelCNNStack` it has the masked-convolution blind spot.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.gated import gate
from tfgen.layers.incremental import (caches_begin_row, condition_rows, conv_cache_commit,
                                      conv_cache_pixel, conv_cache_start)
from tfgen.layers.masked import MaskedConv2D

PIXEL_VALUES = 256


@keras.saving.register_keras_serializable(package="tfgen")
class PixelEmbedding(keras.layers.Layer):
    """A learned ``dim``-vector per pixel value (one table of 256 shared by the channels).

    Input: network inputs ``v / 127.5 - 1`` of uint8 values ``v`` (what the categorical,
    logistic and Bernoulli likelihoods' ``network_input`` give), ``[..., C]``; output
    ``[..., C * dim]`` with channel ``c``'s vector in the ``c``-th block (its colour group).
    Not differentiable in its input (the value is rounded back to an index).
    """

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=(PIXEL_VALUES, self.dim),
                                     initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, x):
        index = tf.cast(tf.clip_by_value(tf.round((tf.cast(x, tf.float32) + 1.0) * 127.5), 0.0,
                                         PIXEL_VALUES - 1.0), tf.int32)
        vectors = tf.gather(tf.cast(self.table, self.compute_dtype), index)  # [..., C, dim]
        shape = tf.shape(index)
        return tf.reshape(vectors, tf.concat([shape[:-1], [x.shape[-1] * self.dim]], 0))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


@keras.saving.register_keras_serializable(package="tfgen")
class GatedMaskedResidualBlock(keras.layers.Layer):
    """``x + conv2(gate(conv1(elu(x)) + W condition_map))``, both ``k x k`` mask-B convolutions
    (``conv1``: ``F -> 2F`` gate pre-activations). ``[B, H, W, F]`` -> ``[B, H, W, F]``."""

    def __init__(self, filters: int, kernel_size: int = 3, data_channels: int = 1,
                 weight_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.data_channels, self.weight_norm = int(data_channels), bool(weight_norm)
        f = self.filters
        self.conv1 = MaskedConv2D(2 * f, self.kernel_size, "B", self.data_channels,
                                  output_group_splits=2, weight_norm=self.weight_norm,
                                  name="conv1")
        self.conv2 = MaskedConv2D(f, self.kernel_size, "B", self.data_channels,
                                  weight_norm=self.weight_norm, name="conv2")
        self.condition_map_dense = keras.layers.Dense(2 * f, use_bias=False,
                                                      name="condition_map")

    def build(self, x_shape, condition_map_shape=None):
        self.conv1.build((None, None, None, self.filters))
        self.conv2.build((None, None, None, self.filters))
        if condition_map_shape is not None:
            self.condition_map_dense.build(tuple(condition_map_shape))

    def condition_term(self, condition_map=None):
        """``0.0`` or ``[B, H, W, 2F]``: added to ``conv1``'s output."""
        return 0.0 if condition_map is None else self.condition_map_dense(condition_map)

    def call(self, x, condition_map=None):
        a = self.conv1(tf.nn.elu(x)) + self.condition_term(condition_map)
        return x + self.conv2(gate(a))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "data_channels": self.data_channels,
                "weight_norm": self.weight_norm}


@keras.saving.register_keras_serializable(package="tfgen")
class GatedResidualPixelCNN(keras.layers.Layer):
    """``x [B, H, W, C]`` (+ ``condition_map [B, H, W, K]``) -> ``[B, H, W, output_channels]``.

    Args:
      output_channels: ``C * P`` (the likelihood's parameters per channel, grouped by channel).
      num_blocks: :class:`GatedMaskedResidualBlock` of ``kernel_size`` (thesis: 3 at the pixel
        level, 2 + a 1x1 one at the latent level).
      filters: width ``F`` (thesis: 384 pixel level, 512 latent level).
      first_kernel_size: the mask-A input convolution (thesis: 5).
      data_channels: colour groups (3 for RGB; 1 for a latent map drawn a position at a time).
      embedding_dim: > 0 embeds the input's 256 pixel values (:class:`PixelEmbedding`); 0 takes
        real-valued inputs (latents).
      weight_norm: weight-normalize every masked convolution.
      zero_output: start the output convolution at zero, so the parameters start at the
        likelihood's neutral point (the latent prior: N(0, softplus(0)^2) everywhere).
    """

    def __init__(self, output_channels: int, num_blocks: int, filters: int,
                 kernel_size: int = 3, first_kernel_size: int = 5, data_channels: int = 1,
                 embedding_dim: int = 0, weight_norm: bool = True, zero_output: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        self.output_channels, self.num_blocks = int(output_channels), int(num_blocks)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.first_kernel_size, self.data_channels = int(first_kernel_size), int(data_channels)
        self.embedding_dim, self.weight_norm = int(embedding_dim), bool(weight_norm)
        self.zero_output = bool(zero_output)
        self.embedding = (PixelEmbedding(self.embedding_dim, name="embedding")
                          if self.embedding_dim else None)
        self.input_conv = MaskedConv2D(self.filters, self.first_kernel_size, "A",
                                       self.data_channels, weight_norm=self.weight_norm,
                                       name="input_conv")
        self.input_condition = keras.layers.Dense(self.filters, use_bias=False,
                                                  name="input_condition")
        self.blocks = [GatedMaskedResidualBlock(self.filters, self.kernel_size,
                                                self.data_channels, self.weight_norm,
                                                name=f"block{i}")
                       for i in range(self.num_blocks)]
        zero = "zeros" if self.zero_output else None
        self.output_conv = MaskedConv2D(
            self.output_channels, 1, "B", self.data_channels, weight_norm=self.weight_norm,
            kernel_initializer=(zero if not self.weight_norm else None) or "glorot_uniform",
            scale_initializer=(zero if self.weight_norm else None) or "ones", name="output")

    def build(self, x_shape, condition_vector_shape=None, condition_map_shape=None):
        if condition_vector_shape is not None:
            raise ValueError("GatedResidualPixelCNN takes a condition_map, not a condition_vector")
        channels = int(x_shape[-1])
        if self.embedding is not None:
            self.embedding.build(x_shape)
            channels *= self.embedding_dim
        self.input_conv.build((None, None, None, channels))
        if condition_map_shape is not None:
            self.input_condition.build(tuple(condition_map_shape))
        for block in self.blocks:
            block.build((None, None, None, self.filters), condition_map_shape)
        self.output_conv.build((None, None, None, self.filters))

    def embed(self, x: tf.Tensor) -> tf.Tensor:
        """The input conv's input: ``[..., C]`` -> ``[..., C * embedding_dim]`` (or ``x``)."""
        return x if self.embedding is None else self.embedding(x)

    def _input_term(self, condition_map):
        return 0.0 if condition_map is None else self.input_condition(condition_map)

    def from_embedded(self, e: tf.Tensor, condition_map=None) -> tf.Tensor:
        """The stack after the embedding: ``[B, H, W, C * E]`` -> ``[B, H, W, out]``."""
        h = self.input_conv(e) + self._input_term(condition_map)
        for block in self.blocks:
            h = block(h, condition_map)
        return self.output_conv(h)

    def call(self, x, condition_vector=None, condition_map=None):
        if condition_vector is not None:
            raise ValueError("GatedResidualPixelCNN takes a condition_map, not a condition_vector")
        return self.from_embedded(self.embed(x), condition_map)

    # -- incremental protocol (see tfgen.layers.stacks) -------------------------------------
    def _convs(self) -> list[MaskedConv2D]:
        """The ``k x k`` convolutions with caches: input, then conv1 and conv2 of each block."""
        return [self.input_conv] + [c for b in self.blocks for c in (b.conv1, b.conv2)]

    def start(self, batch, height: int, width: int, condition_vector=None, condition_map=None,
              dtype=tf.float32) -> dict:
        if condition_vector is not None:
            raise ValueError("GatedResidualPixelCNN takes a condition_map, not a condition_vector")
        widths = [int(self.input_conv.kernel.shape[2])] + [self.filters] * (2 * self.num_blocks)
        row_parts, pixel_parts = zip(*[conv_cache_start(conv, batch, width, c, dtype)
                                       for conv, c in zip(self._convs(), widths)])
        # Condition rows [H, B, W, F'] for the input conv and every block's conv1.
        terms = [(self._input_term(condition_map), self.filters)] + [
            (b.condition_term(condition_map), 2 * self.filters) for b in self.blocks]
        conds = [condition_rows(t, batch, height, width, c, dtype) for t, c in terms]
        weights = {"convs": [conv.pixel_weights(dtype) for conv in self._convs()],
                   "output": self.output_conv.pixel_weights(dtype)}
        return {"const": {"cond": conds, "weights": weights}, "row": list(row_parts),
                "pixel": list(pixel_parts)}

    def begin_row(self, state: dict, row) -> dict:
        conds = state["const"]["cond"]  # the input conv's, then each block's conv1's (not conv2)
        per_conv = conds[:1] + [c for cond in conds[1:] for c in (cond, None)]
        row_parts, pixel_parts = caches_begin_row(self._convs(), state["row"], state["pixel"],
                                                  per_conv, row)
        return {"const": state["const"], "row": row_parts, "pixel": pixel_parts}

    def pixel(self, state: dict, row, col, value) -> tuple[tf.Tensor, dict]:
        del row
        weights, rows, pixels = state["const"]["weights"]["convs"], state["row"], state["pixel"]
        h, part = conv_cache_pixel(self.input_conv, rows[0], pixels[0], col, self.embed(value),
                                   weights[0])
        new_pixels = [part]
        for i, block in enumerate(self.blocks):
            j = 1 + 2 * i
            a, part1 = conv_cache_pixel(block.conv1, rows[j], pixels[j], col, tf.nn.elu(h),
                                        weights[j])
            b, part2 = conv_cache_pixel(block.conv2, rows[j + 1], pixels[j + 1], col, gate(a),
                                        weights[j + 1])
            h = h + b
            new_pixels += [part1, part2]
        params = self.output_conv.pixel_output(h, weights=state["const"]["weights"]["output"])
        return params, {**state, "pixel": new_pixels}

    def commit_pixel(self, state: dict, col, value) -> dict:
        first = conv_cache_commit(state["pixel"][0], col, self.embed(value))
        return {**state, "pixel": [first] + state["pixel"][1:]}

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "num_blocks": self.num_blocks, "filters": self.filters,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "data_channels": self.data_channels, "embedding_dim": self.embedding_dim,
                "weight_norm": self.weight_norm, "zero_output": self.zero_output}
