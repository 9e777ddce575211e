"""PixelVAE networks: the thesis' MNIST encoder and decoder (Appendix A.0.5).

* :class:`PixelVAEEncoder` -- x -> (mu, raw sigma): 3x3 ReLU convolutions of widths
  ``f, f(s2), f, 2f(s2)``, zero-pad odd maps to even (7x7 -> 8x8 on 28x28 images),
  ``2f, 2f(s2), 2f, 2f, 2f``, flatten, linear to ``2 * latent_dim`` (thesis: ``f = 32``).
* :class:`UpsamplingDecoder` -- z -> a ``[B, H, W, f]`` feature map: linear to ``4x4x2f``, 3x3
  convolutions and stride-2 transposed convolutions that mirror the encoder, cropping 8x8 -> 7x7
  where the encoder padded (any image size works: the sizes are derived from the encoder's).
* :class:`PixelVAEDecoder` -- p(x|z): the conditioning (``"upsample"``: the map above;
  ``"cond_bias"``: ``z`` itself, which every gated layer maps linearly into its gates, the
  thesis' "without upsampling" variant) and a :class:`tfgen.layers.GatedPixelCNNStack` of
  ``ar_layers`` gated blocks (the first ``first_kernel_size`` wide, thesis 7x7, the rest
  ``kernel_size``, thesis 5x5), two 1x1 gated convolutions and a 1x1 output convolution to the
  likelihood's raw parameters. Every gated block receives the conditioning (``condition_map`` or
  ``condition_vector``). With ``ar_layers = 0`` a :class:`FactorizedDecoder` (1x1 layers on the
  map, no autoregression) replaces the stack; with ``gated=False`` (Table 2.1's "PixelVAE") a
  :class:`tfgen.layers.PixelCNNStack` (ReLU residual blocks of masked convolutions) does.

Differences from the original code: the upsampled map enters each gated block's gates through a
1x1 map (``condition_map``) instead of being concatenated with the image at the input, so every
layer sees the map at the current pixel too (a mask-A input layer would hide it).

Shapes are NHWC; ``x`` is the likelihood's network input (float in [-1, 1]).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from tfgen.layers import GatedPixelCNNStack, PixelCNNStack, gate
from tfgen.utils.registry import check_name

UPSAMPLE, COND_BIAS = "upsample", "cond_bias"
DECODERS = (UPSAMPLE, COND_BIAS)


def encoder_sizes(size: int) -> list[int]:
    """Spatial sizes along the encoder for one image side: after each stride-2 stage.

    ``[size, ceil(size / 2), ceil(size / 4) rounded up to even, that / 2]``; e.g. 28 -> [28, 14,
    8, 4] (the 7x7 map is padded to 8x8) and 32 -> [32, 16, 8, 4].
    """
    if size < 1:
        raise ValueError(f"image side must be >= 1; got {size}")
    s1 = math.ceil(size / 2)
    s2 = math.ceil(s1 / 2)
    s2 += s2 % 2
    return [size, s1, s2, s2 // 2]


def _conv(filters: int, strides: int = 1, name: str | None = None) -> keras.layers.Layer:
    return keras.layers.Conv2D(filters, 3, strides=strides, padding="same", activation="relu",
                               name=name)


class PixelVAEEncoder(keras.Model):
    """float ``[B, H, W, C]`` in [-1, 1] -> float ``[B, output_dim]`` (the appendix table)."""

    def __init__(self, image_shape, output_dim: int, filters: int = 32, **kwargs):
        super().__init__(**kwargs)
        height, width = int(image_shape[0]), int(image_shape[1])
        self.image_shape = (height, width, int(image_shape[2]))
        self.output_dim, self.filters = int(output_dim), int(filters)
        f = self.filters
        self.stem = [_conv(f, 1, "conv0"), _conv(f, 2, "conv1"), _conv(f, 1, "conv2"),
                     _conv(2 * f, 2, "conv3")]
        # The map after two stride-2 convolutions is ceil(H / 4); pad odd sides at the bottom/right.
        quarter = (math.ceil(math.ceil(height / 2) / 2), math.ceil(math.ceil(width / 2) / 2))
        self.pad = keras.layers.ZeroPadding2D(((0, quarter[0] % 2), (0, quarter[1] % 2)),
                                              name="pad_to_even")
        self.body = [_conv(2 * f, 1, "conv4"), _conv(2 * f, 2, "conv5"), _conv(2 * f, 1, "conv6"),
                     _conv(2 * f, 1, "conv7"), _conv(2 * f, 1, "conv8")]
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(self.output_dim, name="head")

    def call(self, x):
        for layer in self.stem:
            x = layer(x)
        x = self.pad(x)
        for layer in self.body:
            x = layer(x)
        return self.head(self.flatten(x))

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "output_dim": self.output_dim, "filters": self.filters}


def _crop_to(x: tf.Tensor, height: int, width: int) -> tf.Tensor:
    """Keep the top-left ``height x width`` of a map (undoes the encoder's bottom/right pad)."""
    return x[:, :height, :width, :]


class UpsamplingDecoder(keras.Model):
    """float ``[B, D]`` -> float ``[B, H, W, filters]``: the appendix decoder before its PixelCNN
    layers (linear 4x4x2f, convs, transposed convs, crop 8 -> 7, up to ``H x W x f``; ReLU)."""

    def __init__(self, image_shape, filters: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.filters = f = int(filters)
        self.heights = encoder_sizes(self.image_shape[0])
        self.widths = encoder_sizes(self.image_shape[1])
        top = (self.heights[3], self.widths[3], 2 * f)
        self.project = keras.layers.Dense(math.prod(top), activation="relu", name="project")
        self.reshape = keras.layers.Reshape(top)

        def up(width, name):
            return keras.layers.Conv2DTranspose(width, 3, strides=2, padding="same",
                                                activation="relu", name=name)

        self.stage3 = [_conv(2 * f, 1, "conv0"), _conv(2 * f, 1, "conv1"), up(2 * f, "up2"),
                       _conv(2 * f, 1, "conv3")]
        self.stage2 = [up(f, "up4"), _conv(f, 1, "conv5")]
        self.stage1 = [up(f, "up6"), _conv(f, 1, "conv7")]

    def call(self, z):
        x = self.reshape(self.project(z))
        for layer in self.stage3:  # 4x4 -> 8x8
            x = layer(x)
        x = _crop_to(x, math.ceil(self.heights[1] / 2), math.ceil(self.widths[1] / 2))  # 8 -> 7
        for layer in self.stage2:  # 7x7 -> 14x14
            x = layer(x)
        x = _crop_to(x, self.heights[1], self.widths[1])
        for layer in self.stage1:  # 14x14 -> 28x28
            x = layer(x)
        return _crop_to(x, self.heights[0], self.widths[0])

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "filters": self.filters}


class FactorizedDecoder(keras.layers.Layer):
    """p(x|z) without autoregression (Fig. 2.4's "0 PixelCNN layers"): the conditioning map
    ``[B, H, W, K]`` -> two 1x1 gated convolutions -> 1x1 raw parameters ``[B, H, W, out]``;
    pixels are independent given z."""

    def __init__(self, output_channels: int, filters: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.output_channels, self.filters = int(output_channels), int(filters)
        self.head = [keras.layers.Conv2D(2 * self.filters, 1, name=f"head{i}") for i in range(2)]
        self.output_conv = keras.layers.Conv2D(self.output_channels, 1, name="output")

    def build(self, x_shape, condition_vector_shape=None, condition_map_shape=None):
        if condition_map_shape is None:
            raise ValueError("a decoder without PixelCNN layers (ar_layers=0) needs the "
                             "upsampling decoder's condition_map")
        shape = tuple(condition_map_shape)
        for layer in self.head:
            layer.build(shape)
            shape = shape[:-1] + (self.filters,)
        self.output_conv.build(shape)

    def call(self, x, condition_vector=None, condition_map=None):
        del x, condition_vector  # the image is not an input: p(x|z) factorizes over pixels
        h = condition_map
        for layer in self.head:
            h = gate(layer(h))
        return self.output_conv(h)

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "filters": self.filters}


class PixelVAEDecoder(keras.Model):
    """p(x | z): the conditioning network (``decoder="upsample"``: :class:`UpsamplingDecoder`;
    ``"cond_bias"``: ``z`` itself) and a :class:`~tfgen.layers.GatedPixelCNNStack` of
    ``num_layers`` gated blocks (``gated=False``: a :class:`~tfgen.layers.PixelCNNStack`, a 7x7
    mask-A convolution and ``num_layers`` residual blocks, whose convolutions take the
    conditioning; ``num_layers = 0``: a :class:`FactorizedDecoder`).

    ``conditioning(z)`` -> kwargs for the gated layers (computed once per code, reused at every
    step of autoregressive sampling); ``params(x, conditioning)`` -> raw parameters
    ``[B, H, W, output_channels]``; ``call(z, x)`` does both (teacher forcing).
    """

    def __init__(self, image_shape, output_channels: int, decoder: str = UPSAMPLE,
                 filters: int = 32, upsample_filters: int = 32, num_layers: int = 4,
                 first_kernel_size: int = 7, kernel_size: int = 5, gated: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        check_name(decoder, DECODERS, "PixelVAE decoder")
        if decoder == COND_BIAS and num_layers < 1:
            raise ValueError("decoder='cond_bias' needs ar_layers >= 1 (z only enters the gated "
                             f"PixelCNN layers); got {num_layers}")
        self.kind = decoder
        self.image_shape = tuple(int(d) for d in image_shape)
        self.output_channels, self.num_layers = int(output_channels), int(num_layers)
        self.filters, self.upsample_filters = int(filters), int(upsample_filters)
        self.first_kernel_size, self.kernel_size = int(first_kernel_size), int(kernel_size)
        self.gated = bool(gated)
        self.upsample = (UpsamplingDecoder(self.image_shape, upsample_filters, name="upsample")
                         if decoder == UPSAMPLE else None)
        if self.num_layers > 0 and not self.gated:  # Table 2.1's (ungated) PixelVAE
            self.pixel = PixelCNNStack(output_channels, self.num_layers, filters,
                                       kernel_size=kernel_size,
                                       first_kernel_size=first_kernel_size,
                                       data_channels=self.image_shape[-1], name="pixelcnn")
        elif self.num_layers > 0:
            self.pixel = GatedPixelCNNStack(output_channels, self.num_layers, filters,
                                            kernel_size=kernel_size,
                                            first_kernel_size=first_kernel_size,
                                            data_channels=self.image_shape[-1], head_layers=2,
                                            name="pixelcnn")
        else:
            self.pixel = FactorizedDecoder(output_channels, filters, name="factorized")

    @property
    def autoregressive(self) -> bool:
        """Whether p(x|z) has PixelCNN layers (else pixels are independent given z)."""
        return self.num_layers > 0

    def conditioning(self, z: tf.Tensor) -> dict[str, tf.Tensor]:
        """float ``[B, D]`` -> ``{"condition_map": [B, H, W, f]}`` or
        ``{"condition_vector": [B, D]}``."""
        if self.upsample is not None:
            return {"condition_map": self.upsample(z)}
        return {"condition_vector": z}

    def params(self, x: tf.Tensor, conditioning: dict[str, tf.Tensor]) -> tf.Tensor:
        """float ``[B, H, W, C]`` in [-1, 1] -> raw parameters ``[B, H, W, output_channels]``."""
        return self.pixel(x, **conditioning)

    def call(self, z, x):
        return self.params(x, self.conditioning(z))

    def get_config(self):
        return {**super().get_config(), "image_shape": list(self.image_shape),
                "output_channels": self.output_channels, "decoder": self.kind,
                "filters": self.filters, "upsample_filters": self.upsample_filters,
                "num_layers": self.num_layers, "first_kernel_size": self.first_kernel_size,
                "kernel_size": self.kernel_size, "gated": self.gated}
