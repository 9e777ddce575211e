"""Whole PixelCNN networks: ``x [B, H, W, C] (network input floats) -> params [B, H, W, C*P]``.

Both stacks also run **incrementally**, the protocol :func:`tfgen.sampling.cached_sample` drives
(state is a nested structure of tensors, so it can be a ``tf.while_loop`` variable):

- ``start(batch, height, width, condition_vector=None, condition_map=None) -> state``
- ``begin_row(state, row) -> state``: once per row, before its first pixel; uses only complete
  rows (the vertical stacks, or the rows-above half of every masked convolution).
- ``pixel(state, row, col, value) -> (params [B, C*P], state)``: ``value`` ``[B, C]`` is the
  network input at ``(row, col)`` (channels not drawn yet may hold anything: they are masked);
  ``params`` are the output at ``(row, col)`` and the state is advanced past it.
- ``commit_pixel(state, col, value) -> state``: replace the image input at ``col`` of the
  advanced state by the finished pixel ``value`` ``[B, C]``. Hidden features at ``(row, col)``
  never depend on the last colour channel, so only the image itself has to be replaced.

A sampler calls ``pixel`` once per colour channel (each time with the same incoming state and the
channels drawn so far), keeps the last returned state and commits the drawn pixel. Absent
conditions are stored as zeros so that the state holds tensors only.

The results equal the full call at that position up to floating-point summation order.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.gated import GatedPixelCNNBlock, gate
from tfgen.layers.incremental import (conv_cache_begin_row, conv_cache_commit,
                                      conv_cache_pixel, conv_cache_start,
                                      pad_columns, push_row, replace_last, slide_window,
                                      write_column)
from tfgen.layers.masked import MaskedConv2D


def _condition_rows(term, batch, height, width, channels, dtype):
    """A condition term (``0.0`` or broadcastable to ``[B, H, W, K]``) as ``[H, B, W, K]``
    (indexed by row inside the sampling loop)."""
    full = tf.broadcast_to(tf.cast(term, dtype), tf.stack([batch, height, width, channels]))
    return tf.transpose(full, [1, 0, 2, 3])


@keras.saving.register_keras_serializable(package="tfgen")
class GatedPixelCNNStack(keras.layers.Layer):
    """Gated PixelCNN: a first ``first_kernel_size`` block (mask A), ``num_blocks - 1`` blocks of
    ``kernel_size``, then ``head_layers`` gated ``1 x 1`` mask-B convolutions and a ``1 x 1``
    mask-B output convolution to ``output_channels`` (= ``C * params_per_channel``).

    The thesis' PixelVAE MNIST decoder is ``num_blocks = N + 1``, ``filters = 32``,
    ``kernel_size = 5``, ``first_kernel_size = 7``, ``head_layers = 2``.
    ``call(x, condition_vector=None, condition_map=None)``: ``x`` ``[B, H, W, C]`` in [-1, 1],
    ``condition_vector`` ``[B, K]``, ``condition_map`` ``[B, H, W, K']`` -> ``[B, H, W, out]``.
    """

    def __init__(self, output_channels: int, num_blocks: int, filters: int,
                 kernel_size: int = 5, first_kernel_size: int = 7, data_channels: int = 1,
                 head_layers: int = 2, **kwargs):
        super().__init__(**kwargs)
        if num_blocks < 1:
            raise ValueError(f"num_blocks must be >= 1; got {num_blocks}")
        self.output_channels = int(output_channels)
        self.num_blocks = int(num_blocks)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.first_kernel_size = int(first_kernel_size)
        self.data_channels = int(data_channels)
        self.head_layers = int(head_layers)
        self.blocks = [GatedPixelCNNBlock(self.filters, self.first_kernel_size if i == 0
                                          else self.kernel_size, first=i == 0,
                                          data_channels=self.data_channels, name=f"block{i}")
                       for i in range(self.num_blocks)]
        self.head = [MaskedConv2D(2 * self.filters, 1, "B", self.data_channels,
                                  output_group_splits=2, name=f"head{i}")
                     for i in range(self.head_layers)]
        self.output_conv = MaskedConv2D(self.output_channels, 1, "B", self.data_channels,
                                        name="output")

    def build(self, x_shape, condition_vector_shape=None, condition_map_shape=None):
        shape = (None, None, None, int(x_shape[-1]))
        for block in self.blocks:
            block.build(shape, shape, condition_vector_shape, condition_map_shape)
            shape = (None, None, None, self.filters)
        for layer in self.head:
            layer.build(shape)  # a gated 1x1: F -> 2F -> gate -> F
        self.output_conv.build(shape)

    def call(self, x, condition_vector=None, condition_map=None):
        vertical, horizontal = x, x
        for block in self.blocks:
            vertical, horizontal = block(vertical, horizontal, condition_vector, condition_map)
        for layer in self.head:
            horizontal = gate(layer(horizontal))
        return self.output_conv(horizontal)

    def _head_pixel(self, h):
        for layer in self.head:
            h = gate(layer.pixel_output(h[:, None]))
        return self.output_conv.pixel_output(h[:, None])

    # -- incremental protocol --------------------------------------------------------------
    def start(self, batch, height: int, width: int, condition_vector=None, condition_map=None,
              dtype=tf.float32) -> dict:
        state = {"image_row": tf.zeros(tf.stack([width, batch, self.data_channels]), dtype),
                 "v_rows": [], "h_window": [], "h_add": [], "cond_v": [], "cond_h": []}
        in_channels = self.data_channels
        for block in self.blocks:
            p = block.pad
            state["v_rows"].append(tf.zeros(tf.stack([batch, p + 1, width + 2 * p, in_channels]),
                                            dtype))
            state["h_window"].append(tf.zeros(tf.stack([batch, p, in_channels]), dtype))
            state["h_add"].append(tf.zeros(tf.stack([width, batch, 2 * self.filters]), dtype))
            cond_v, cond_h = block.condition_terms(condition_vector, condition_map)
            state["cond_v"].append(_condition_rows(cond_v, batch, height, width,
                                                   2 * self.filters, dtype))
            state["cond_h"].append(_condition_rows(cond_h, batch, height, width,
                                                   2 * self.filters, dtype))
            in_channels = self.filters
        return state

    def begin_row(self, state: dict, row) -> dict:
        # The vertical input of block 0 is the image shifted down: push image row `row - 1`.
        v_in = tf.transpose(state["image_row"], [1, 0, 2])
        new = {**state, "image_row": tf.zeros_like(state["image_row"]), "v_rows": [],
               "h_window": [], "h_add": []}
        for i, block in enumerate(self.blocks):
            rows = push_row(state["v_rows"][i], pad_columns(v_in, block.pad))
            v_in, h_add = block.vertical_row(rows, tf.gather(state["cond_v"][i], row),
                                             tf.gather(state["cond_h"][i], row))
            new["v_rows"].append(rows)
            new["h_window"].append(tf.zeros_like(state["h_window"][i]))
            new["h_add"].append(tf.transpose(h_add, [1, 0, 2]))
        return new

    def pixel(self, state: dict, row, col, value) -> tuple[tf.Tensor, dict]:
        del row  # everything row-specific was prepared by begin_row
        new = {**state, "image_row": write_column(state["image_row"], col, value),
               "h_window": []}
        h = value
        for i, block in enumerate(self.blocks):
            window, next_window = slide_window(state["h_window"][i], h)
            h = block.horizontal_pixel(window, tf.gather(state["h_add"][i], col))
            new["h_window"].append(next_window)
        return self._head_pixel(h), new

    def commit_pixel(self, state: dict, col, value) -> dict:
        h_window = [replace_last(state["h_window"][0], value)] + state["h_window"][1:]
        return {**state, "image_row": write_column(state["image_row"], col, value),
                "h_window": h_window}

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "num_blocks": self.num_blocks, "filters": self.filters,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "data_channels": self.data_channels, "head_layers": self.head_layers}


@keras.saving.register_keras_serializable(package="tfgen")
class MaskedResidualBlock(keras.layers.Layer):
    """PixelRNN paper's PixelCNN residual block: ``x + 1x1(relu(kxk(relu(1x1(relu(x))))))`` with
    mask-B convolutions (``F -> F/2 -> F/2 -> F``). ``[B, H, W, F]`` -> ``[B, H, W, F]``.

    An optional condition (``condition_vector`` ``[B, K]`` / ``condition_map`` ``[B, H, W, K]``)
    is added linearly to the ``k x k`` convolution's pre-activation.
    """

    def __init__(self, filters: int, kernel_size: int = 3, data_channels: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.data_channels = int(data_channels)
        half = max(self.filters // 2, self.data_channels)
        self.reduce = MaskedConv2D(half, 1, "B", self.data_channels, name="reduce")
        self.conv = MaskedConv2D(half, self.kernel_size, "B", self.data_channels, name="conv")
        self.expand = MaskedConv2D(self.filters, 1, "B", self.data_channels, name="expand")
        self.condition_vector_dense = keras.layers.Dense(half, use_bias=False,
                                                         name="condition_vector")
        self.condition_map_dense = keras.layers.Dense(half, use_bias=False, name="condition_map")

    def build(self, x_shape, condition_vector_shape=None, condition_map_shape=None):
        self.reduce.build((None, None, None, self.filters))
        self.conv.build((None, None, None, self.reduce.filters))
        self.expand.build((None, None, None, self.reduce.filters))
        if condition_vector_shape is not None:
            self.condition_vector_dense.build(tuple(condition_vector_shape))
        if condition_map_shape is not None:
            self.condition_map_dense.build(tuple(condition_map_shape))

    def condition_term(self, condition_vector=None, condition_map=None):
        """``0.0`` or a tensor broadcastable to ``[B, H, W, F/2]``."""
        total = 0.0
        if condition_vector is not None:
            total = self.condition_vector_dense(condition_vector)[:, None, None, :]
        if condition_map is not None:
            total = total + self.condition_map_dense(condition_map)
        return total

    def call(self, x, condition_vector=None, condition_map=None):
        a = self.reduce(tf.nn.relu(x))
        b = self.conv(tf.nn.relu(a)) + self.condition_term(condition_vector, condition_map)
        return x + self.expand(tf.nn.relu(b))

    def pixel(self, cache: dict, col, x) -> tuple[tf.Tensor, dict]:
        """Incremental: ``x`` ``[B, F]`` at ``col`` -> (output ``[B, F]``, cache of ``conv``;
        its ``context`` must already include the condition, see :class:`PixelCNNStack`)."""
        a = self.reduce.pixel_output(tf.nn.relu(x)[:, None])
        b, cache = conv_cache_pixel(self.conv, cache, col, tf.nn.relu(a))
        return x + self.expand.pixel_output(tf.nn.relu(b)[:, None]), cache

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "data_channels": self.data_channels}


@keras.saving.register_keras_serializable(package="tfgen")
class PixelCNNStack(keras.layers.Layer):
    """PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks"): a
    ``first_kernel_size`` mask-A convolution, ``num_blocks`` :class:`MaskedResidualBlock`, ReLU
    and a ``1 x 1`` mask-B output convolution to ``output_channels``.

    ``call(x, condition_vector=None, condition_map=None)`` as :class:`GatedPixelCNNStack`.
    Its receptive field has the masked-convolution blind spot (pixels up and to the right).
    """

    def __init__(self, output_channels: int, num_blocks: int, filters: int,
                 kernel_size: int = 3, first_kernel_size: int = 7, data_channels: int = 1,
                 **kwargs):
        super().__init__(**kwargs)
        self.output_channels = int(output_channels)
        self.num_blocks = int(num_blocks)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.first_kernel_size = int(first_kernel_size)
        self.data_channels = int(data_channels)
        self.input_conv = MaskedConv2D(self.filters, self.first_kernel_size, "A",
                                       self.data_channels, name="input_conv")
        self.blocks = [MaskedResidualBlock(self.filters, self.kernel_size, self.data_channels,
                                           name=f"block{i}") for i in range(self.num_blocks)]
        self.output_conv = MaskedConv2D(self.output_channels, 1, "B", self.data_channels,
                                        name="output")

    def build(self, x_shape, condition_vector_shape=None, condition_map_shape=None):
        self.input_conv.build((None, None, None, int(x_shape[-1])))
        for block in self.blocks:
            block.build((None, None, None, self.filters), condition_vector_shape,
                        condition_map_shape)
        self.output_conv.build((None, None, None, self.filters))

    def call(self, x, condition_vector=None, condition_map=None):
        h = self.input_conv(x)
        for block in self.blocks:
            h = block(h, condition_vector, condition_map)
        return self.output_conv(tf.nn.relu(h))

    # -- incremental protocol --------------------------------------------------------------
    def _convs(self):
        return [self.input_conv] + [block.conv for block in self.blocks]

    def start(self, batch, height: int, width: int, condition_vector=None, condition_map=None,
              dtype=tf.float32) -> dict:
        caches = [conv_cache_start(self.input_conv, batch, width, self.data_channels, dtype)]
        conds = [tf.zeros(tf.stack([height, batch, width, self.filters]), dtype)]
        for block in self.blocks:
            caches.append(conv_cache_start(block.conv, batch, width, block.conv.filters, dtype))
            term = block.condition_term(condition_vector, condition_map)
            conds.append(_condition_rows(term, batch, height, width, block.conv.filters, dtype))
        return {"caches": caches, "cond": conds}

    def begin_row(self, state: dict, row) -> dict:
        caches = []
        for conv, cache, cond in zip(self._convs(), state["caches"], state["cond"]):
            cache = conv_cache_begin_row(conv, cache)  # condition row [B, W, F] -> [W, B, F]
            cache["context"] += tf.transpose(tf.gather(cond, row), [1, 0, 2])
            caches.append(cache)
        return {**state, "caches": caches}

    def pixel(self, state: dict, row, col, value) -> tuple[tf.Tensor, dict]:
        del row
        h, cache = conv_cache_pixel(self.input_conv, state["caches"][0], col, value)
        caches = [cache]
        for block, cache in zip(self.blocks, state["caches"][1:]):
            h, cache = block.pixel(cache, col, h)
            caches.append(cache)
        params = self.output_conv.pixel_output(tf.nn.relu(h)[:, None])
        return params, {**state, "caches": caches}

    def commit_pixel(self, state: dict, col, value) -> dict:
        caches = [conv_cache_commit(state["caches"][0], col, value)] + state["caches"][1:]
        return {**state, "caches": caches}

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "num_blocks": self.num_blocks, "filters": self.filters,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "data_channels": self.data_channels}
