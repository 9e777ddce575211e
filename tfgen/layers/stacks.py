"""Whole PixelCNN networks: ``x [B, H, W, C] (network input floats) -> params [B, H, W, C*P]``.

Both stacks also run **incrementally**, the protocol :func:`tfgen.sampling.cached_sample` drives.
The state is a dict of three nested structures of tensors, split by how often they change so
that a sampler's loops carry as few loop variables as possible: ``"const"`` (per-pixel weights,
condition terms: fixed for the whole image), ``"row"`` (changed by ``begin_row``) and ``"pixel"``
(changed by ``pixel``/``commit_pixel``, reset by ``begin_row``).

- ``start(batch, height, width, condition_vector=None, condition_map=None) -> state``
- ``begin_row(state, row) -> state``: once per row, before its first pixel; uses only complete
  rows (the vertical stacks, or the rows-above half of every masked convolution).
- ``pixel(state, row, col, value) -> (params [B, C*P], state)``: ``value`` ``[B, C]`` is the
  network input at ``(row, col)`` (channels not drawn yet may hold anything: they are masked);
  ``params`` are the output at ``(row, col)`` and the state is advanced past it (only its
  ``"pixel"`` part changes).
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
from tfgen.layers.incremental import (caches_begin_row, condition_rows, conv_cache_commit,
                                      conv_cache_pixel, conv_cache_start,
                                      pad_columns, push_row, replace_last, slide_window,
                                      write_column)
from tfgen.layers.masked import MaskedConv2D


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

    def _head_pixel(self, h, weights):
        for layer, w in zip(self.head, weights["head"]):
            h = gate(layer.pixel_output(h, weights=w))
        return self.output_conv.pixel_output(h, weights=weights["output"])

    # -- incremental protocol --------------------------------------------------------------
    def start(self, batch, height: int, width: int, condition_vector=None, condition_map=None,
              dtype=tf.float32) -> dict:
        const = {"cond_v": [], "cond_h": [],
                 "weights": {"blocks": [b.pixel_weights(dtype) for b in self.blocks],
                             "head": [layer.pixel_weights(dtype) for layer in self.head],
                             "output": self.output_conv.pixel_weights(dtype)}}
        row_part = {"v_rows": [], "h_add": []}
        pixel_part = {"image_row": tf.zeros(tf.stack([width, batch, self.data_channels]), dtype),
                      "h_window": []}
        in_channels = self.data_channels
        for block in self.blocks:
            p, f2 = block.pad, 2 * self.filters
            row_part["v_rows"].append(
                tf.zeros(tf.stack([batch, p + 1, width + 2 * p, in_channels]), dtype))
            row_part["h_add"].append(tf.zeros(tf.stack([width, batch, f2]), dtype))
            pixel_part["h_window"].append(tf.zeros(tf.stack([batch, p * in_channels]), dtype))
            cond_v, cond_h = block.condition_terms(condition_vector, condition_map)
            const["cond_v"].append(condition_rows(cond_v, batch, height, width, f2, dtype))
            const["cond_h"].append(condition_rows(cond_h, batch, height, width, f2, dtype))
            in_channels = self.filters
        return {"const": const, "row": row_part, "pixel": pixel_part}

    def begin_row(self, state: dict, row) -> dict:
        const, pixel_part = state["const"], state["pixel"]
        # The vertical input of block 0 is the image shifted down: push image row `row - 1`.
        v_in = tf.transpose(pixel_part["image_row"], [1, 0, 2])
        row_part = {"v_rows": [], "h_add": []}
        for i, block in enumerate(self.blocks):
            rows = push_row(state["row"]["v_rows"][i], pad_columns(v_in, block.pad))
            v_in, h_add = block.vertical_row(rows, tf.gather(const["cond_v"][i], row),
                                             tf.gather(const["cond_h"][i], row))
            row_part["v_rows"].append(rows)
            row_part["h_add"].append(tf.transpose(h_add, [1, 0, 2]))
        pixel_part = tf.nest.map_structure(tf.zeros_like, pixel_part)
        return {"const": const, "row": row_part, "pixel": pixel_part}

    def pixel(self, state: dict, row, col, value) -> tuple[tf.Tensor, dict]:
        del row  # everything row-specific was prepared by begin_row
        weights, h_add = state["const"]["weights"], state["row"]["h_add"]
        windows = []
        h = value
        for i, block in enumerate(self.blocks):
            window, next_window = slide_window(state["pixel"]["h_window"][i], h)
            h = block.horizontal_pixel(window, tf.gather(h_add[i], col), weights["blocks"][i])
            windows.append(next_window)
        pixel_part = {"image_row": write_column(state["pixel"]["image_row"], col, value),
                      "h_window": windows}
        return self._head_pixel(h, weights), {**state, "pixel": pixel_part}

    def commit_pixel(self, state: dict, col, value) -> dict:
        windows = state["pixel"]["h_window"]
        pixel_part = {"image_row": write_column(state["pixel"]["image_row"], col, value),
                      "h_window": [replace_last(windows[0], value)] + windows[1:]}
        return {**state, "pixel": pixel_part}

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

    def pixel_weights(self, dtype=tf.float32) -> dict:
        """Per-pixel weights of the three convolutions (see ``MaskedConv2D.pixel_weights``)."""
        return {name: getattr(self, name).pixel_weights(dtype)
                for name in ("reduce", "conv", "expand")}

    def pixel(self, row_part: dict, pixel_part: dict, col, x, weights: dict | None = None
              ) -> tuple[tf.Tensor, dict]:
        """Incremental: ``x`` ``[B, F]`` at ``col`` -> (output ``[B, F]``, the advanced pixel part
        of ``conv``'s cache). The row part's ``context`` must already include the condition
        (see :class:`PixelCNNStack`); ``weights``: :meth:`pixel_weights`."""
        weights = weights or self.pixel_weights(x.dtype)
        a = self.reduce.pixel_output(tf.nn.relu(x), weights=weights["reduce"])
        b, pixel_part = conv_cache_pixel(self.conv, row_part, pixel_part, col, tf.nn.relu(a),
                                         weights["conv"])
        return x + self.expand.pixel_output(tf.nn.relu(b), weights=weights["expand"]), pixel_part

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
        row_parts, pixel_parts = zip(
            conv_cache_start(self.input_conv, batch, width, self.data_channels, dtype),
            *[conv_cache_start(block.conv, batch, width, block.conv.filters, dtype)
              for block in self.blocks])
        conds = [tf.zeros(tf.stack([height, batch, width, self.filters]), dtype)]
        for block in self.blocks:
            term = block.condition_term(condition_vector, condition_map)
            conds.append(condition_rows(term, batch, height, width, block.conv.filters, dtype))
        weights = {"input": self.input_conv.pixel_weights(dtype),
                   "blocks": [block.pixel_weights(dtype) for block in self.blocks],
                   "output": self.output_conv.pixel_weights(dtype)}
        return {"const": {"cond": conds, "weights": weights}, "row": list(row_parts),
                "pixel": list(pixel_parts)}

    def begin_row(self, state: dict, row) -> dict:
        row_parts, pixel_parts = caches_begin_row(self._convs(), state["row"], state["pixel"],
                                                  state["const"]["cond"], row)
        return {"const": state["const"], "row": row_parts, "pixel": pixel_parts}

    def pixel(self, state: dict, row, col, value) -> tuple[tf.Tensor, dict]:
        del row
        weights, row_parts = state["const"]["weights"], state["row"]
        h, pixel_part = conv_cache_pixel(self.input_conv, row_parts[0], state["pixel"][0], col,
                                         value, weights["input"])
        pixel_parts = [pixel_part]
        for block, row_part, pixel_part, w in zip(self.blocks, row_parts[1:],
                                                  state["pixel"][1:], weights["blocks"]):
            h, pixel_part = block.pixel(row_part, pixel_part, col, h, w)
            pixel_parts.append(pixel_part)
        params = self.output_conv.pixel_output(tf.nn.relu(h), weights=weights["output"])
        return params, {**state, "pixel": pixel_parts}

    def commit_pixel(self, state: dict, col, value) -> dict:
        pixel_parts = [conv_cache_commit(state["pixel"][0], col, value)] + state["pixel"][1:]
        return {**state, "pixel": pixel_parts}

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "num_blocks": self.num_blocks, "filters": self.filters,
                "kernel_size": self.kernel_size, "first_kernel_size": self.first_kernel_size,
                "data_channels": self.data_channels}
