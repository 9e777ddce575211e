"""Networks of the two-level PixelVAE (thesis §2.4.2-2.4.3, Appendix A.0.5 "LSUN bedrooms and
64x64 ImageNet"): ELU pre-activation residual networks with batch norm, and gated masked
residual PixelCNNs (:class:`~tfgen.layers.GatedResidualPixelCNN`) at both levels.

============================  ===============================================================
network                       layers (``n`` = ``blocks`` residual blocks per resolution)
============================  ===============================================================
:class:`BottomEncoder` x->h1  pixel embedding, 1x1 conv ``d0``; ``n`` x ``d0``; down ``d1``,
                              ``n`` x ``d1``; down ``d2``, ``n`` x ``d2`` = h1; q(z1|x): 1x1 conv
                              to ``2 L1`` (mean, raw scale per latent channel; zero init)
:class:`TopEncoder` h1->h2    ``n`` x ``d2``; per down: down ``dt``, ``n`` x ``dt``; flatten,
                              linear to ``2 L2`` (zero init)
:class:`TopDecoder` z2->map   linear to ``s x s x dt``; ``n`` x ``dt``; per up: up, crop,
                              ``n`` blocks (the last at ``d2``): the map that conditions the
                              latent PixelCNN p(z1 | z2)
:class:`BottomDecoder` z1->   1x1 conv ``d2``, ``n`` x ``d2``; up ``d1``, crop, ``n`` x ``d1``;
map                           up ``d0``, crop, ``n`` x ``d0``: the map that conditions the pixel
                              PixelCNN p(x | z1)
============================  ===============================================================

Sizes (:func:`level_sizes`): the image side ``s`` is ceil-halved twice to z1's side (32 -> 8,
64 -> 16, 28 -> 7); the top encoder keeps ceil-halving while a side exceeds 4 (8 -> 4,
16 -> 8 -> 4, 7 -> 4, 2 -> no downsampling). Decoders upsample by 2 and crop back to the
encoder's sizes, so any image side works. Downsampling is a stride-2 "same" convolution;
upsampling a subpixel convolution (:class:`~tfgen.layers.ResidualBlock`).
"""

from __future__ import annotations

import math

import keras

from tfgen.layers import PixelEmbedding, ResidualBlock

Size = tuple[int, int]
TOP_SIDE = 4  # the top encoder downsamples until both sides are at most this


def _half(size: Size) -> Size:
    return (math.ceil(size[0] / 2), math.ceil(size[1] / 2))


def level_sizes(height: int, width: int) -> dict[str, list[Size]]:
    """``{"bottom": [image, half, z1], "top": [z1, ..., h2 map]}`` spatial sizes ``(h, w)``."""
    if min(height, width) < 1:
        raise ValueError(f"image sides must be >= 1; got {height} x {width}")
    bottom = [(height, width)]
    for _ in range(2):
        bottom.append(_half(bottom[-1]))
    top = [bottom[-1]]
    while max(top[-1]) > TOP_SIDE:
        top.append(_half(top[-1]))
    return {"bottom": bottom, "top": top}


@keras.saving.register_keras_serializable(package="tfgen")
class ResidualPath(keras.layers.Layer):
    """Residual blocks over resolutions ``sizes[0] -> sizes[1] -> ...``: ``blocks`` blocks of
    ``widths[0]``, then per later stage ``i`` a ``direction`` ("down"/"up") block to
    ``widths[i]`` (an "up" output cropped to ``sizes[i]``) and ``blocks`` blocks of it.
    ``[B, *sizes[0], C]`` -> ``[B, *sizes[-1], widths[-1]]``."""

    def __init__(self, widths, sizes, blocks: int, direction: str, batch_norm: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.widths = [int(w) for w in widths]
        self.sizes = [tuple(int(d) for d in s) for s in sizes]
        self.blocks, self.direction, self.batch_norm = int(blocks), direction, bool(batch_norm)
        self.stages = []
        for i, width in enumerate(self.widths):
            stage = ([ResidualBlock(width, direction, batch_norm=batch_norm, name=f"resample{i}")]
                     if i else [])
            stage += [ResidualBlock(width, batch_norm=batch_norm, name=f"block{i}_{j}")
                      for j in range(self.blocks)]
            self.stages.append(stage)

    def call(self, x, training=None):
        for i, stage in enumerate(self.stages):
            for j, block in enumerate(stage):
                x = block(x, training=training)
                if i and j == 0 and self.direction == "up":
                    x = x[:, :self.sizes[i][0], :self.sizes[i][1]]
        return x

    def get_config(self):
        return {**super().get_config(), "widths": self.widths,
                "sizes": [list(s) for s in self.sizes], "blocks": self.blocks,
                "direction": self.direction, "batch_norm": self.batch_norm}


class BottomEncoder(keras.Model):
    """Network input ``[B, H, W, C]`` in [-1, 1] -> (h1 ``[B, h, w, d2]``, q(z1|x) params
    ``[B, h, w, 2 * latent_channels]``)."""

    def __init__(self, image_shape, widths, latent_channels: int, embedding_dim: int,
                 blocks: int, batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        sizes = level_sizes(*image_shape[:2])["bottom"]
        self.embedding = PixelEmbedding(embedding_dim, name="embedding")
        self.stem = keras.layers.Conv2D(widths[0], 1, name="stem")
        self.resnet = ResidualPath(widths, sizes, blocks, "down", batch_norm, name="resnet")
        self.head = keras.layers.Conv2D(2 * latent_channels, 1, kernel_initializer="zeros",
                                        name="q_z1")

    def call(self, x, training=None):
        h1 = self.resnet(self.stem(self.embedding(x)), training=training)
        return h1, self.head(h1)


class TopEncoder(keras.Model):
    """h1 ``[B, h, w, d2]`` -> q(z2|x) params ``[B, 2 * latent_dim]``."""

    def __init__(self, image_shape, h1_width: int, width: int, latent_dim: int, blocks: int,
                 batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        sizes = level_sizes(*image_shape[:2])["top"]
        widths = [h1_width] + [width] * (len(sizes) - 1)
        self.resnet = ResidualPath(widths, sizes, blocks, "down", batch_norm, name="resnet")
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(2 * latent_dim, kernel_initializer="zeros", name="q_z2")

    def call(self, h1, training=None):
        return self.head(self.flatten(self.resnet(h1, training=training)))


class TopDecoder(keras.Model):
    """z2 ``[B, latent_dim]`` -> the map ``[B, h, w, d2]`` at z1's size conditioning p(z1|z2)."""

    def __init__(self, image_shape, h1_width: int, width: int, blocks: int,
                 batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        sizes = level_sizes(*image_shape[:2])["top"][::-1]
        widths = [width] * (len(sizes) - 1) + [h1_width]
        shape = sizes[0] + (widths[0],)
        self.project = keras.layers.Dense(math.prod(shape), name="project")
        self.reshape = keras.layers.Reshape(shape)
        self.resnet = ResidualPath(widths, sizes, blocks, "up", batch_norm, name="resnet")

    def call(self, z2, training=None):
        return self.resnet(self.reshape(self.project(z2)), training=training)


class BottomDecoder(keras.Model):
    """z1 ``[B, h, w, L1]`` -> the map ``[B, H, W, d0]`` conditioning p(x|z1)."""

    def __init__(self, image_shape, widths, blocks: int, batch_norm: bool = True, **kwargs):
        super().__init__(**kwargs)
        sizes = level_sizes(*image_shape[:2])["bottom"][::-1]
        widths = list(widths)[::-1]
        self.stem = keras.layers.Conv2D(widths[0], 1, name="stem")
        self.resnet = ResidualPath(widths, sizes, blocks, "up", batch_norm, name="resnet")

    def call(self, z1, training=None):
        return self.resnet(self.stem(z1), training=training)

