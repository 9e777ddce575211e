"""Unmasked residual blocks of the hierarchical PixelVAE's encoders and decoders (thesis
Appendix A.0.5, "LSUN bedrooms and 64x64 ImageNet").

:class:`ResidualBlock` is a pre-activation block with ELU: ``shortcut(x) + BN(conv2(elu(conv1(
elu(x)))))``. ``resample="down"`` halves the map (rounding up) with stride 2 in the second
convolution; ``"up"`` doubles it with a subpixel convolution (:class:`SubpixelConv2D`) in the
first. The shortcut is the identity when the shape is kept, else a ``1 x 1`` convolution that
resamples alike. Shapes: ``[B, H, W, C_in]`` -> ``[B, H', W', filters]``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.utils.registry import check_name

RESAMPLES = ("down", "up")


@keras.saving.register_keras_serializable(package="tfgen")
class SubpixelConv2D(keras.layers.Layer):
    """Subpixel convolution (Shi et al. 2016): a ``k x k`` convolution to ``4 * filters`` then
    ``depth_to_space(2)``: ``[B, H, W, C]`` -> ``[B, 2H, 2W, filters]``."""

    def __init__(self, filters: int, kernel_size: int, use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.use_bias = int(filters), int(kernel_size), use_bias
        self.conv = keras.layers.Conv2D(4 * self.filters, self.kernel_size, padding="same",
                                        use_bias=use_bias, name="conv")

    def build(self, input_shape):
        self.conv.build(input_shape)

    def call(self, x):
        return tf.nn.depth_to_space(self.conv(x), 2)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="tfgen")
class ResidualBlock(keras.layers.Layer):
    """ELU pre-activation residual block of two ``kernel_size`` convolutions.

    Args:
      filters: output channels.
      resample: ``None``, ``"down"`` (stride 2 in the second conv: ``ceil(H / 2)``) or ``"up"``
        (subpixel first conv: ``2H``).
      batch_norm: batch normalization after the second convolution (the thesis' non-masked
        layers); off: a bias instead.
    """

    def __init__(self, filters: int, resample: str | None = None, kernel_size: int = 3,
                 batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        if resample is not None:
            check_name(resample, RESAMPLES, "resample")
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.resample, self.batch_norm = resample, bool(batch_norm)

    def build(self, input_shape):
        in_channels, k, f = int(input_shape[-1]), self.kernel_size, self.filters
        bias = not self.batch_norm
        if self.resample == "up":
            self.conv1 = SubpixelConv2D(f, k, name="conv1")
            self.conv2 = keras.layers.Conv2D(f, k, padding="same", use_bias=bias, name="conv2")
            self.shortcut = SubpixelConv2D(f, 1, name="shortcut")
        else:
            stride = 2 if self.resample == "down" else 1
            width1 = in_channels if self.resample == "down" else f
            self.conv1 = keras.layers.Conv2D(width1, k, padding="same", name="conv1")
            self.conv2 = keras.layers.Conv2D(f, k, strides=stride, padding="same",
                                             use_bias=bias, name="conv2")
            self.shortcut = (None if stride == 1 and in_channels == f else
                             keras.layers.Conv2D(f, 1, strides=stride, name="shortcut"))
        self.norm = keras.layers.BatchNormalization(name="norm") if self.batch_norm else None

    def call(self, x, training=None):
        h = self.conv2(tf.nn.elu(self.conv1(tf.nn.elu(x))))
        if self.norm is not None:
            h = self.norm(h, training=training)
        return (x if self.shortcut is None else self.shortcut(x)) + h

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "resample": self.resample,
                "kernel_size": self.kernel_size, "batch_norm": self.batch_norm}
