"""ResNet encoder and decoder of the IAF-VAE (after openai/iaf's ResNet VAE), from tfgen's ELU
pre-activation :class:`~tfgen.layers.ResidualBlock` (no batch norm: the bounds of one image must
not depend on its batch).

The latent is a feature map ``[h, w, latent_channels]`` with ``h = H / 2^downsamples`` (openai/iaf:
one stride-2 stem to 16 x 16 x 32 on CIFAR-10). All blocks have ``filters`` channels (openai/iaf:
``h_size`` = 160); ``res_blocks`` plain blocks sit at every resolution:

    encoder: x [H, W, C] -> 3x3 conv -> (res_blocks, down block) x downsamples -> res_blocks
             -> ELU -> 3x3 conv -> [h, w, out_channels]
    decoder: z [h * w * c] -> reshape [h, w, c] -> 3x3 conv -> res_blocks
             -> (up block, res_blocks) x downsamples -> ELU -> 3x3 conv -> [H, W, out_channels]
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.residual import ResidualBlock


def latent_map_shape(image_shape, latent_channels: int, downsamples: int) -> tuple[int, int, int]:
    """``(H / 2^downsamples, W / 2^downsamples, latent_channels)``; ValueError when the image
    does not halve evenly."""
    height, width = int(image_shape[0]), int(image_shape[1])
    factor = 2 ** int(downsamples)
    if height % factor or width % factor:
        raise ValueError(f"image size {height}x{width} must be divisible by 2^downsamples = "
                         f"{factor}; choose downsamples accordingly")
    return height // factor, width // factor, int(latent_channels)


def _plain(filters: int, count: int, prefix: str) -> list[ResidualBlock]:
    return [ResidualBlock(filters, batch_norm=False, name=f"{prefix}{i}") for i in range(count)]


class ResNetEncoder(keras.Model):
    """float ``[B, H, W, C]`` in [-1, 1] -> float ``[B, H / 2^d, W / 2^d, out_channels]``."""

    def __init__(self, out_channels: int, filters: int = 64, downsamples: int = 1,
                 res_blocks: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.stem = keras.layers.Conv2D(filters, 3, padding="same", name="stem")
        self.blocks = []
        for s in range(downsamples):
            self.blocks += _plain(filters, res_blocks, f"res{s}_")
            self.blocks.append(ResidualBlock(filters, "down", batch_norm=False, name=f"down{s}"))
        self.blocks += _plain(filters, res_blocks, f"res{downsamples}_")
        self.head = keras.layers.Conv2D(out_channels, 3, padding="same", name="head")

    def call(self, x, training=None):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h, training=training)
        return self.head(tf.nn.elu(h))


class ResNetDecoder(keras.Model):
    """float ``[B, h * w * c]`` (a flat latent map) -> float ``[B, H, W, out_channels]``."""

    def __init__(self, latent_shape, out_channels: int, filters: int = 64, downsamples: int = 1,
                 res_blocks: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.reshape = keras.layers.Reshape(tuple(int(d) for d in latent_shape), name="to_map")
        self.stem = keras.layers.Conv2D(filters, 3, padding="same", name="stem")
        self.blocks = _plain(filters, res_blocks, f"res{downsamples}_")
        for s in reversed(range(downsamples)):
            self.blocks.append(ResidualBlock(filters, "up", batch_norm=False, name=f"up{s}"))
            self.blocks += _plain(filters, res_blocks, f"res{s}_")
        self.output_conv = keras.layers.Conv2D(out_channels, 3, padding="same", name="output")

    def call(self, z, training=None):
        h = self.stem(self.reshape(z))
        for block in self.blocks:
            h = block(h, training=training)
        return self.output_conv(tf.nn.elu(h))
