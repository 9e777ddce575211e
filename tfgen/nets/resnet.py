"""Residual generators and critics.

``resnet_cifar`` — the thesis' CIFAR-10 ResNet (appendix B.3), pre-activation blocks of two 3x3
convolutions with ``dim`` (128) filters; the generator upsamples (nearest neighbour) inside its
blocks, the critic mean-pools:

    G: z -> Linear -> [4, 4, 128] -> Up -> [8, 8] -> Up -> [16, 16] -> Up -> [32, 32]
         -> norm, ReLU, 3x3 conv to C, tanh
    D: x [32, 32, C] -> Down -> [16, 16] -> Down -> [8, 8] -> block -> block (128 filters)
         -> ReLU, global mean pool -> Linear

(the generator uses batch norm by default, the critic none). Other sizes follow the same plan
from :func:`tfgen.nets.dcgan.resolution_plan`: k up blocks, max(1, k − 1) down blocks.

``resnet`` — the robustness study's very deep ResNets ("101-layer ResNet G and D"): pre-activation
bottleneck blocks (1x1, 3x3, 1x1 convolutions, residual branch scaled by 0.3) whose count follows
``depth``: ``(depth − 2) // 3`` blocks, counting the input/output layers, so depth 101 = 33
blocks = 99 convolutions + 2. k of the blocks resample (one per factor 2), the others are spread
evenly over the resolutions. Widths halve per upsampling from ``dim·2^(k−1)`` (mirrored in the
critic), never below ``dim // 2``.
"""

from __future__ import annotations

import keras

from tfgen.nets.dcgan import resolution_plan
from tfgen.nets.gan_blocks import activate, bottleneck_block, normalize, residual_block


def cifar_resnet_generator(output_shape: tuple[int, ...], latent_dim: int, dim: int = 128,
                           norm: str = "batch", name: str = "generator") -> keras.Model:
    """float32 ``[B, latent_dim]`` -> float32 ``[B, H, W, C]`` in [-1, 1]."""
    base, k = resolution_plan(output_shape)
    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(base * base * dim, name="project")(z)
    h = keras.layers.Reshape((base, base, dim), name="reshape")(h)
    for i in range(k):
        h = residual_block(h, dim, "up", norm, f"block{i}")
    h = activate(normalize(h, norm, "out"), "relu", "out")
    h = keras.layers.Conv2D(output_shape[-1], 3, padding="same", name="output")(h)
    out = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(h)
    return keras.Model(z, out, name=name)


def cifar_resnet_critic(input_shape: tuple[int, ...], output_dim: int = 1, dim: int = 128,
                        norm: str = "none", name: str = "critic") -> keras.Model:
    """float32 ``[B, H, W, C]`` -> float32 ``[B, output_dim]`` (raw values)."""
    _, k = resolution_plan(input_shape)
    downs = max(1, k - 1)
    x = keras.Input(tuple(input_shape), name="x")
    h = x
    for i in range(downs + 2):
        h = residual_block(h, dim, "down" if i < downs else None, norm, f"block{i}",
                           first=(i == 0))
    h = activate(h, "relu", "out")
    h = keras.layers.GlobalAveragePooling2D(name="mean_pool")(h)
    out = keras.layers.Dense(output_dim, dtype="float32", name="output")(h)
    return keras.Model(x, out, name=name)


def _stage_blocks(depth: int, k: int) -> list[int]:
    """Non-resampling blocks at each of the k + 1 resolutions (coarsest first)."""
    blocks = (depth - 2) // 3
    if blocks < k:
        raise ValueError(f"resnet depth {depth} leaves {blocks} bottleneck blocks, fewer than the "
                         f"{k} resampling ones this image size needs; use depth >= {3 * k + 2}")
    extra = blocks - k
    return [extra // (k + 1) + (1 if s < extra % (k + 1) else 0) for s in range(k + 1)]


def _widths(dim: int, k: int) -> list[int]:
    """Filters at each resolution, coarsest first: dim·2^(k−1) halving, at least dim // 2."""
    return [max(max(1, dim // 2), dim * 2 ** (k - 1 - s)) if s < k else max(1, dim // 2)
            for s in range(k + 1)]


def deep_resnet_generator(output_shape: tuple[int, ...], latent_dim: int, dim: int = 64,
                          norm: str = "batch", depth: int = 101,
                          name: str = "generator") -> keras.Model:
    """float32 ``[B, latent_dim]`` -> float32 ``[B, H, W, C]`` in [-1, 1]; ``depth`` layers."""
    base, k = resolution_plan(output_shape)
    stages, widths = _stage_blocks(depth, k), _widths(dim, k)
    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(base * base * widths[0], name="project")(z)
    h = keras.layers.Reshape((base, base, widths[0]), name="reshape")(h)
    for s in range(k + 1):
        for j in range(stages[s]):
            h = bottleneck_block(h, widths[s], None, norm, f"s{s}_block{j}")
        if s < k:
            h = bottleneck_block(h, widths[s + 1], "up", norm, f"s{s}_up")
    h = activate(normalize(h, norm, "out"), "relu", "out")
    h = keras.layers.Conv2D(output_shape[-1], 3, padding="same", name="output")(h)
    out = keras.layers.Activation("tanh", dtype="float32", name="output_tanh")(h)
    return keras.Model(z, out, name=name)


def deep_resnet_critic(input_shape: tuple[int, ...], output_dim: int = 1, dim: int = 64,
                       norm: str = "none", depth: int = 101,
                       name: str = "critic") -> keras.Model:
    """float32 ``[B, H, W, C]`` -> float32 ``[B, output_dim]``; ``depth`` layers."""
    _, k = resolution_plan(input_shape)
    stages, widths = _stage_blocks(depth, k)[::-1], _widths(dim, k)[::-1]  # finest first
    x = keras.Input(tuple(input_shape), name="x")
    h = keras.layers.Conv2D(widths[0], 3, padding="same", name="input_conv")(x)
    for s in range(k + 1):
        for j in range(stages[s]):
            h = bottleneck_block(h, widths[s], None, norm, f"s{s}_block{j}")
        if s < k:
            h = bottleneck_block(h, widths[s + 1], "down", norm, f"s{s}_down")
    h = activate(normalize(h, norm, "out"), "relu", "out")
    h = keras.layers.Flatten(name="flatten")(h)
    out = keras.layers.Dense(output_dim, dtype="float32", name="output")(h)
    return keras.Model(x, out, name=name)
