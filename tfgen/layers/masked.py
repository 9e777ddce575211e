"""Masked (causal) convolutions of PixelCNN and the shifts the gated stacks use.

Every layer here computes its full-image output in one call **and** the output at a single
position from cached inputs (``row_context`` once per row from the rows above, ``pixel_output``
per pixel from the current row), which is what :mod:`tfgen.sampling`'s cached sampler runs.
Shapes: images and feature maps are ``[B, H, W, C]``; ``p = kernel_size // 2``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgen.layers.masks import causal_mask, centre_mask, channel_groups, check_mask_type


def shift_down(x: tf.Tensor, rows: int = 1) -> tf.Tensor:
    """``[B, H, W, C]`` -> the same shape, moved down by ``rows`` (zeros enter at the top)."""
    return tf.pad(x, [[0, 0], [rows, 0], [0, 0], [0, 0]])[:, :tf.shape(x)[1]]


def shift_right(x: tf.Tensor, cols: int = 1) -> tf.Tensor:
    """``[B, H, W, C]`` -> the same shape, moved right by ``cols`` (zeros enter on the left)."""
    return tf.pad(x, [[0, 0], [0, 0], [cols, 0], [0, 0]])[:, :, :tf.shape(x)[2]]


def _activation(name):
    return keras.activations.get(name)


@keras.saving.register_keras_serializable(package="tfgen")
class MaskedConv2D(keras.layers.Layer):
    """A ``k x k`` PixelCNN convolution: output ``(r, c)`` sees inputs above row ``r`` and left
    of column ``c`` in row ``r``; at ``(r, c)`` itself, colour group ``g`` of the output sees input
    groups ``< g`` (mask ``"A"``, the first layer, which reads the image) or ``<= g`` (``"B"``).

    Args:
      filters: output channels.
      kernel_size: odd ``k``; a ``1 x 1`` mask-B conv is a group-respecting pointwise layer.
      mask_type: ``"A"`` or ``"B"``.
      data_channels: image channels ``C`` (3 for RGB, ordered R -> G -> B); input and output
        channels are split into ``C`` contiguous groups (see :mod:`tfgen.layers.masks`).
      activation: applied after the bias.
      output_group_splits: the output is this many chunks grouped alike (2 for a gate's
        ``[tanh half, sigmoid half]`` pre-activation).
      weight_norm: weight normalization (Salimans & Kingma 2016) of the *masked* kernel: output
        channel ``j`` uses ``g_j * v_j / ||v_j||`` with ``v`` the masked kernel, so the mask
        stays exact (``g`` starts at ``scale_initializer``, default 1; no data-dependent init).
    Shapes: ``[B, H, W, C_in]`` -> ``[B, H, W, filters]`` ("same" size, zero padding).
    The kernel variable is the full ``[k, k, C_in, filters]``; rows below the centre are always
    masked, so the convolution runs on the upper ``p + 1`` rows only.
    """

    def __init__(self, filters: int, kernel_size: int, mask_type: str, data_channels: int = 1,
                 activation=None, output_group_splits: int = 1, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", weight_norm: bool = False,
                 scale_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.mask_type = check_mask_type(mask_type)
        self.data_channels = int(data_channels)
        self.activation = _activation(activation)
        self.output_group_splits = int(output_group_splits)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.weight_norm = bool(weight_norm)
        self.scale_initializer = keras.initializers.get(scale_initializer)
        self.pad = self.kernel_size // 2
        channel_groups(self.filters, self.data_channels, self.output_group_splits)  # validate
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}")

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        k = self.kernel_size
        in_groups = channel_groups(in_channels, self.data_channels)
        out_groups = channel_groups(self.filters, self.data_channels, self.output_group_splits)
        self.mask = causal_mask(k, in_groups, out_groups, self.mask_type)
        self.kernel = self.add_weight(name="kernel", shape=(k, k, in_channels, self.filters),
                                      initializer=self.kernel_initializer)
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)
        self.scale = (self.add_weight(name="scale", shape=(self.filters,),
                                      initializer=self.scale_initializer)
                      if self.weight_norm else None)

    def masked_kernel(self, dtype=tf.float32) -> tf.Tensor:
        """The causal part of the kernel: ``[p + 1, k, C_in, filters]`` (mask applied, then
        weight-normalized per output channel when ``weight_norm``)."""
        p = self.pad
        kernel = tf.cast(self.kernel, tf.float32)[:p + 1] * self.mask[:p + 1]
        if self.scale is not None:  # an all-masked output channel stays exactly zero
            norm_sq = tf.reduce_sum(tf.square(kernel), axis=[0, 1, 2])
            kernel = kernel * (self.scale * tf.math.rsqrt(tf.maximum(norm_sq, 1e-12)))
        return tf.cast(kernel, dtype)

    def _finish(self, y):
        if self.bias is not None:
            y = y + tf.cast(self.bias, y.dtype)
        return self.activation(y)

    def call(self, x):
        p = self.pad
        x = tf.pad(x, [[0, 0], [p, 0], [p, p], [0, 0]])
        return self._finish(tf.nn.conv2d(x, self.masked_kernel(x.dtype), 1, "VALID"))

    # -- one position at a time (cached sampling) -----------------------------------------
    def row_context(self, rows_above: tf.Tensor) -> tf.Tensor | None:
        """Contribution of the ``p`` rows above to a whole output row, bias excluded.

        ``rows_above``: ``[B, p, W + 2p, C_in]`` (zero padded left and right by ``p``) ->
        ``[B, W, filters]``; ``None`` for a ``1 x 1`` kernel.
        """
        p = self.pad
        if p == 0:
            return None
        kernel = self.masked_kernel(rows_above.dtype)[:p]
        return tf.nn.conv2d(rows_above, kernel, 1, "VALID")[:, 0]

    def pixel_weights(self, dtype=tf.float32) -> dict[str, tf.Tensor]:
        """The current-row taps as a matrix, computed once before a sampling loop:
        ``{"kernel": [(p + 1) * C_in, filters], "bias": [filters]}``."""
        p = self.pad
        kernel = self.masked_kernel(dtype)[p, :p + 1]  # [p + 1, C_in, F]
        bias = (tf.cast(self.bias, dtype) if self.bias is not None
                else tf.zeros([self.filters], dtype))
        return {"kernel": tf.reshape(kernel, [-1, self.filters]), "bias": bias}

    def pixel_output(self, window: tf.Tensor, context: tf.Tensor | None = None,
                     weights: dict | None = None) -> tf.Tensor:
        """The output at one position ``(r, c)``.

        ``window``: the input at columns ``c - p .. c`` of row ``r`` (zeros left of the image),
        ``[B, p + 1, C_in]`` or flattened column by column to ``[B, (p + 1) * C_in]``;
        ``context``: ``[B, filters]`` from :meth:`row_context` at column ``c``; ``weights``:
        :meth:`pixel_weights` (computed here when omitted) -> ``[B, filters]``.
        """
        weights = weights or self.pixel_weights(window.dtype)
        if window.shape.rank == 3:
            window = tf.reshape(window, [-1, window.shape[1] * window.shape[2]])
        y = tf.matmul(window, weights["kernel"])
        if context is not None:
            y = y + context
        return self.activation(y + weights["bias"])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "mask_type": self.mask_type, "data_channels": self.data_channels,
                "activation": keras.activations.serialize(self.activation),
                "output_group_splits": self.output_group_splits, "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "weight_norm": self.weight_norm,
                "scale_initializer": keras.initializers.serialize(self.scale_initializer)}


@keras.saving.register_keras_serializable(package="tfgen")
class MaskedRowConv2D(keras.layers.Layer):
    """The horizontal stack's ``1 x (p + 1)`` convolution: output ``(r, c)`` sees row ``r`` at
    columns ``c - p .. c``, the centre tap masked by colour group (``"A"``: ``<``; ``"B"``:
    ``<=``).

    Shapes: ``[B, H, W, C_in]`` -> ``[B, H, W, filters]``. Args as :class:`MaskedConv2D`, with
    ``kernel_size`` the odd ``k`` of the ``k x k`` layer this is the current-row half of.
    """

    def __init__(self, filters: int, kernel_size: int, mask_type: str, data_channels: int = 1,
                 output_group_splits: int = 1, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number; got {kernel_size}")
        self.mask_type = check_mask_type(mask_type)
        self.data_channels = int(data_channels)
        self.output_group_splits = int(output_group_splits)
        self.use_bias = bool(use_bias)
        self.pad = self.kernel_size // 2
        channel_groups(self.filters, self.data_channels, self.output_group_splits)

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        p = self.pad
        in_groups = channel_groups(in_channels, self.data_channels)
        out_groups = channel_groups(self.filters, self.data_channels, self.output_group_splits)
        mask = np.ones((p + 1, in_channels, self.filters), np.float32)
        mask[p] = centre_mask(in_groups, out_groups, self.mask_type)
        self.mask = mask
        self.kernel = self.add_weight(name="kernel", shape=(p + 1, in_channels, self.filters),
                                      initializer="glorot_uniform")
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def masked_kernel(self, dtype=tf.float32) -> tf.Tensor:
        """``[p + 1, C_in, filters]``: taps for columns ``c - p .. c`` (mask applied)."""
        return tf.cast(self.kernel, dtype) * tf.constant(self.mask, dtype)

    def call(self, x):
        x = tf.pad(x, [[0, 0], [0, 0], [self.pad, 0], [0, 0]])
        y = tf.nn.conv2d(x, self.masked_kernel(x.dtype)[None], 1, "VALID")
        return y + tf.cast(self.bias, y.dtype) if self.bias is not None else y

    def pixel_weights(self, dtype=tf.float32) -> dict[str, tf.Tensor]:
        """``{"kernel": [(p + 1) * C_in, filters], "bias": [filters]}`` for :meth:`pixel_output`."""
        bias = (tf.cast(self.bias, dtype) if self.bias is not None
                else tf.zeros([self.filters], dtype))
        return {"kernel": tf.reshape(self.masked_kernel(dtype), [-1, self.filters]),
                "bias": bias}

    def pixel_output(self, window: tf.Tensor, weights: dict | None = None,
                     with_bias: bool = True) -> tf.Tensor:
        """``window``: columns ``c - p .. c``, ``[B, p + 1, C_in]`` or flattened to
        ``[B, (p + 1) * C_in]`` -> ``[B, filters]`` (``with_bias=False``: the caller has folded
        the bias into a per-row addition)."""
        weights = weights or self.pixel_weights(window.dtype)
        if window.shape.rank == 3:
            window = tf.reshape(window, [-1, window.shape[1] * window.shape[2]])
        y = tf.matmul(window, weights["kernel"])
        return y + weights["bias"] if with_bias else y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "mask_type": self.mask_type, "data_channels": self.data_channels,
                "output_group_splits": self.output_group_splits, "use_bias": self.use_bias}
