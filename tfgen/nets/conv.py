"""Plain convolutional encoder and decoder (VGG-style 3x3 stacks) used by the VAE.

The thesis' normality-model VAE (chapter 4) uses an encoder and a decoder of 8 layers each with
3x3 filters; ``num_layers``, ``filters`` and ``num_downsamples`` make that configurable. Every
``num_downsamples`` stride-2 layer halves the resolution and doubles the filter count.
"""

from __future__ import annotations

import keras


def _resample_layers(num_layers: int, num_downsamples: int) -> set[int]:
    """Indices (0-based) of the layers that change resolution: the odd ones, earliest first."""
    if num_downsamples < 0 or 2 * num_downsamples > num_layers:
        raise ValueError(f"need 0 <= num_downsamples <= num_layers / 2; got num_layers="
                         f"{num_layers}, num_downsamples={num_downsamples}")
    return {2 * i + 1 for i in range(num_downsamples)}


class ConvEncoder(keras.Model):
    """float ``[B, H, W, C]`` in [-1, 1] -> float ``[B, output_dim]``.

    ``num_layers`` 3x3 ReLU convolutions (stride 2 at ``num_downsamples`` of them), flatten, and a
    linear layer.
    """

    def __init__(self, output_dim: int, filters: int = 32, num_layers: int = 8,
                 num_downsamples: int = 2, **kwargs):
        super().__init__(**kwargs)
        strided = _resample_layers(num_layers, num_downsamples)
        self.convs = []
        width = filters
        for i in range(num_layers):
            if i in strided:
                width *= 2
            self.convs.append(keras.layers.Conv2D(
                width, 3, strides=2 if i in strided else 1, padding="same", activation="relu",
                name=f"conv{i}"))
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(output_dim, name="head")

    def call(self, x):
        for conv in self.convs:
            x = conv(x)
        return self.head(self.flatten(x))


class ConvDecoder(keras.Model):
    """float ``[B, D]`` -> float ``[B, H, W, output_channels]`` (raw likelihood parameters).

    A linear layer to a ``[H / 2^n, W / 2^n, F * 2^n]`` map, ``num_layers - 1`` 3x3 ReLU layers
    (transposed convolutions of stride 2 at ``num_downsamples`` of them, mirroring the encoder),
    and a final 3x3 convolution to ``output_channels``.
    """

    def __init__(self, image_shape, output_channels: int, filters: int = 32, num_layers: int = 8,
                 num_downsamples: int = 2, **kwargs):
        super().__init__(**kwargs)
        height, width, _ = image_shape
        factor = 2 ** num_downsamples
        if height % factor or width % factor:
            raise ValueError(f"image size {height}x{width} must be divisible by 2^num_downsamples"
                             f" = {factor}; choose num_downsamples accordingly")
        # Mirror the encoder: upsampling at the last (not first) odd positions of the stack.
        strided = {num_layers - 1 - i for i in _resample_layers(num_layers, num_downsamples)}
        top_width = filters * factor
        self.initial_shape = (height // factor, width // factor, top_width)
        self.project = keras.layers.Dense(
            self.initial_shape[0] * self.initial_shape[1] * top_width, activation="relu",
            name="project")
        self.reshape = keras.layers.Reshape(self.initial_shape)
        self.convs = []
        channels = top_width
        for i in range(num_layers - 1):
            if i in strided:
                channels //= 2
                layer = keras.layers.Conv2DTranspose(channels, 3, strides=2, padding="same",
                                                     activation="relu", name=f"upconv{i}")
            else:
                layer = keras.layers.Conv2D(channels, 3, padding="same", activation="relu",
                                            name=f"conv{i}")
            self.convs.append(layer)
        self.output_conv = keras.layers.Conv2D(output_channels, 3, padding="same", name="output")

    def call(self, z):
        x = self.reshape(self.project(z))
        for conv in self.convs:
            x = conv(x)
        return self.output_conv(x)
