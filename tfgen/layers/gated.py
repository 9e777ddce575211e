"""The gated PixelCNN block (van den Oord et al. 2016, "Conditional Image Generation with PixelCNN
Decoders"): a vertical stack over the rows above and a horizontal stack over the current row,
combined so the receptive field has no blind spot.

Shapes: ``vertical``/``horizontal`` ``[B, H, W, F]`` (the first block takes the image twice,
``[B, H, W, C]``); ``p = kernel_size // 2``.

- **Vertical stack.** A ``(p + 1) x k`` convolution over rows ``r - p .. r`` (all columns
  ``c - p .. c + p``). The first block shifts its input down by one row, so the vertical stack of
  every block at row ``r`` sees only rows ``< r`` of the image ("never sees the current row").
  Output ``tanh(a) * sigmoid(b)`` of its ``2F`` pre-activations.
- **Horizontal stack.** A ``1 x (p + 1)`` convolution over columns ``c - p .. c`` of row ``r``
  (mask ``A`` in the first block excludes the current pixel; ``B`` later), plus a ``1 x 1`` link
  from the vertical pre-activation at ``(r, c)``, gated, a ``1 x 1`` mask-``B`` convolution and a
  residual connection (not in the first block).
- **Conditioning.** ``condition_vector`` ``[B, K]`` (e.g. a one-hot class) and ``condition_map``
  ``[B, H, W, K]`` (e.g. a PixelVAE decoder's features) go through linear maps to ``2F`` and are
  added to both stacks' gate pre-activations.
- **Colour.** With ``data_channels = 3`` every horizontal feature map is split into R, G, B groups
  (:mod:`tfgen.layers.masks`); the vertical stack and the link see only rows above and need no
  colour mask.

Besides the full call, :meth:`GatedPixelCNNBlock.vertical_row` and
:meth:`GatedPixelCNNBlock.horizontal_pixel` compute one row of the vertical stack and one pixel of
the horizontal stack from cached inputs, for :mod:`tfgen.sampling`.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.masked import MaskedConv2D, MaskedRowConv2D, shift_down


def gate(x: tf.Tensor) -> tf.Tensor:
    """``[..., 2F]`` -> ``[..., F]``: ``tanh(x[..., :F]) * sigmoid(x[..., F:])``."""
    a, b = tf.split(x, 2, axis=-1)
    return tf.tanh(a) * tf.sigmoid(b)


def pad_for_vertical(x: tf.Tensor, pad: int) -> tf.Tensor:
    """``[B, H, W, C]`` -> ``[B, H + p, W + 2p, C]``: zeros above and on both sides."""
    return tf.pad(x, [[0, 0], [pad, 0], [pad, pad], [0, 0]])


@keras.saving.register_keras_serializable(package="tfgen")
class GatedPixelCNNBlock(keras.layers.Layer):
    """One gated block: ``(vertical, horizontal) -> (vertical, horizontal)``, each ``[B,H,W,F]``.

    Args:
      filters: ``F``, channels of both output stacks.
      kernel_size: odd ``k``: the vertical stack sees a ``(p + 1) x k`` window of the rows above,
        the horizontal stack ``p`` pixels to the left.
      first: the block reading the image: mask ``A`` (the horizontal stack excludes the current
        pixel), the vertical input is shifted down one row, no horizontal residual.
      data_channels: image channels ``C`` (R -> G -> B order when 3).
      residual: add the horizontal input to the horizontal output (ignored when ``first``).
    """

    def __init__(self, filters: int, kernel_size: int, first: bool = False,
                 data_channels: int = 1, residual: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number; got {kernel_size}")
        self.first = bool(first)
        self.data_channels = int(data_channels)
        self.residual = bool(residual)
        self.pad = self.kernel_size // 2
        f2 = 2 * self.filters
        self.vertical_conv = keras.layers.Conv2D(f2, (self.pad + 1, self.kernel_size),
                                                 padding="valid", name="vertical_conv")
        self.horizontal_conv = MaskedRowConv2D(f2, self.kernel_size, "A" if self.first else "B",
                                               self.data_channels, output_group_splits=2,
                                               name="horizontal_conv")
        self.link = keras.layers.Dense(f2, use_bias=False, name="vertical_to_horizontal")
        self.horizontal_out = MaskedConv2D(self.filters, 1, "B", self.data_channels,
                                           name="horizontal_out")
        # Linear maps of the conditions to [vertical 2F | horizontal 2F]; built on first use.
        self.condition_vector_dense = keras.layers.Dense(2 * f2, use_bias=False,
                                                         name="condition_vector")
        self.condition_map_dense = keras.layers.Dense(2 * f2, use_bias=False,
                                                      name="condition_map")

    def build(self, vertical_shape, horizontal_shape, condition_vector_shape=None,
              condition_map_shape=None):
        f2 = 2 * self.filters
        self.vertical_conv.build((None, None, None, int(vertical_shape[-1])))
        self.horizontal_conv.build((None, None, None, int(horizontal_shape[-1])))
        self.link.build((None, f2))
        self.horizontal_out.build((None, None, None, self.filters))
        if condition_vector_shape is not None:
            self.condition_vector_dense.build(tuple(condition_vector_shape))
        if condition_map_shape is not None:
            self.condition_map_dense.build(tuple(condition_map_shape))

    # -- conditioning ----------------------------------------------------------------------
    def condition_terms(self, condition_vector: tf.Tensor | None = None,
                        condition_map: tf.Tensor | None = None
                        ) -> tuple[tf.Tensor | float, tf.Tensor | float]:
        """(vertical, horizontal) additions to the gate pre-activations, each ``0.0`` or a
        tensor broadcastable to ``[B, H, W, 2F]`` (``[B, 1, 1, 2F]`` from a vector)."""
        total = 0.0
        if condition_vector is not None:
            total = self.condition_vector_dense(condition_vector)[:, None, None, :]
        if condition_map is not None:
            total = total + self.condition_map_dense(condition_map)
        if isinstance(total, float):
            return 0.0, 0.0
        vertical, horizontal = tf.split(total, 2, axis=-1)
        return vertical, horizontal

    # -- the full image --------------------------------------------------------------------
    def call(self, vertical, horizontal, condition_vector=None, condition_map=None):
        if self.first:
            vertical = shift_down(vertical)
        cond_v, cond_h = self.condition_terms(condition_vector, condition_map)
        v_pre = self.vertical_conv(pad_for_vertical(vertical, self.pad))
        v_out = gate(v_pre + cond_v)
        h_pre = self.horizontal_conv(horizontal) + self.link(v_pre) + cond_h
        h_out = self.horizontal_out(gate(h_pre))
        if self.residual and not self.first:
            h_out = h_out + horizontal
        return v_out, h_out

    # -- one row / one pixel at a time (cached sampling) ------------------------------------
    def pixel_weights(self, dtype=tf.float32) -> dict:
        """Per-pixel weights of the horizontal stack, computed once before a sampling loop."""
        return {"conv": self.horizontal_conv.pixel_weights(dtype),
                "out": self.horizontal_out.pixel_weights(dtype)}

    def vertical_row(self, rows: tf.Tensor, cond_v_row: tf.Tensor | float = 0.0,
                     cond_h_row: tf.Tensor | float = 0.0) -> tuple[tf.Tensor, tf.Tensor]:
        """Row ``r`` of the vertical stack and the horizontal stack's per-row additions.

        ``rows``: ``[B, p + 1, W + 2p, C_in]``, the vertical input's rows ``r - p .. r`` zero
        padded by ``p`` on both sides (for the first block: the *shifted* input, i.e. image rows
        ``r - p - 1 .. r - 1``); ``cond_*_row``: ``[B, W, 2F]`` (or broadcastable) rows of
        :meth:`condition_terms`. Returns ``(vertical output [B, W, F], horizontal addition
        [B, W, 2F])``: the link, the horizontal condition and the horizontal conv's bias for
        every column of row ``r``.
        """
        v_pre = tf.cast(self.vertical_conv(rows)[:, 0], rows.dtype)
        link = tf.cast(self.link(v_pre), rows.dtype)
        bias = tf.cast(self.horizontal_conv.bias, rows.dtype)
        return gate(v_pre + cond_v_row), link + cond_h_row + bias

    def horizontal_pixel(self, window: tf.Tensor, addition: tf.Tensor,
                         weights: dict | None = None) -> tf.Tensor:
        """The horizontal output at ``(r, c)``.

        ``window``: the horizontal input at columns ``c - p .. c``, ``[B, p + 1, C_in]`` or
        flattened to ``[B, (p + 1) * C_in]``; ``addition`` ``[B, 2F]``: column ``c`` of
        :meth:`vertical_row`'s second output; ``weights``: :meth:`pixel_weights`.
        Returns ``[B, F]``.
        """
        weights = weights or self.pixel_weights(window.dtype)
        if window.shape.rank == 3:
            window = tf.reshape(window, [-1, window.shape[1] * window.shape[2]])
        h_pre = self.horizontal_conv.pixel_output(window, weights["conv"], with_bias=False)
        h_out = self.horizontal_out.pixel_output(gate(h_pre + addition), weights=weights["out"])
        if self.residual and not self.first:
            h_out = h_out + window[:, -self.filters:]
        return h_out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "first": self.first, "data_channels": self.data_channels,
                "residual": self.residual}
