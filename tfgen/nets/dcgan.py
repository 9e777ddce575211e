"""DCGAN generator and critic (Radford et al. 2016) at 28, 32, 64 (any 4·2^k or 7·2^k) pixels,
and the robustness-study variants built from them.

Generator: Dense(z) -> ``[b, b, F₀]`` (b = 4, or 7 for 28 px) -> norm -> act, then k stride-2 5x5
transposed convolutions halving the filters (``F₀ = dim·2^(k−1)``) with norm -> act between them;
the last one produces the image channels, then tanh. ``constant_filters`` keeps every layer at
``dim`` (the WGAN paper's "no BN and a constant number of filters" generator, with norm="none").

Critic: k stride-2 5x5 convolutions with ``dim·2^j`` filters (no norm on the first), then a linear
layer to ``output_dim`` raw values. ``activation`` is leaky ReLU (0.2) by default; ``"tanh"`` and
``"gated"`` (``tanh(a)·σ(b)``) give the "tanh everywhere" and "gated multiplicative
nonlinearities" variants when used in both networks.

Shapes: 28 -> 7·2², k=2 (7x7x2·dim -> 14x14xdim -> 28x28xC); 32 -> 4·2³, k=3 (4x4x4·dim ->
8x8x2·dim -> 16x16xdim -> 32x32xC); 64 -> 4·2⁴, k=4 (4x4x8·dim -> ... -> 64x64xC).
"""

from __future__ import annotations

import keras

from tfgen.data.spec import IMAGE
from tfgen.nets.gan_blocks import activate, dense_block, normalize, output_activation, width


def resolution_plan(shape: tuple[int, ...]) -> tuple[int, int]:
    """(base size b, number of 2x resamplings k) with ``H = W = b·2^k``, b in (4, 7), k >= 1."""
    if len(shape) != 3 or shape[0] != shape[1]:
        raise ValueError(f"convolutional GAN nets need square images (H, W, C); got {shape}")
    size = int(shape[0])
    for base in (4, 7):
        k, s = 0, size
        while s > base and s % 2 == 0:
            s //= 2
            k += 1
        if s == base and k >= 1:
            return base, k
    raise ValueError(f"image size {size} is not 4·2^k or 7·2^k (k >= 1), e.g. 28, 32 or 64")


def dcgan_generator(output_shape: tuple[int, ...], latent_dim: int, dim: int = 64,
                    norm: str = "batch", activation: str = "relu",
                    constant_filters: bool = False, name: str = "generator") -> keras.Model:
    """float32 ``[B, latent_dim]`` -> float32 ``[B, H, W, C]`` in [-1, 1]."""
    base, k = resolution_plan(output_shape)
    filters = [dim if constant_filters else dim * 2 ** (k - 1 - i) for i in range(k)]
    z = keras.Input((latent_dim,), name="z")
    h = dense_block(z, base * base * filters[0], norm, activation, "project")
    h = keras.layers.Reshape((base, base, filters[0]), name="reshape")(h)
    for i in range(1, k):
        h = keras.layers.Conv2DTranspose(width(filters[i], activation), 5, strides=2,
                                         padding="same", name=f"deconv{i}")(h)
        h = activate(normalize(h, norm, f"deconv{i}"), activation, f"deconv{i}")
    h = keras.layers.Conv2DTranspose(output_shape[-1], 5, strides=2, padding="same",
                                     name="output")(h)
    return keras.Model(z, output_activation(h, IMAGE, "output"), name=name)


def dcgan_critic(input_shape: tuple[int, ...], output_dim: int = 1, dim: int = 64,
                 norm: str = "none", activation: str = "leaky_relu",
                 name: str = "critic") -> keras.Model:
    """float32 ``[B, H, W, C]`` in [-1, 1] -> float32 ``[B, output_dim]`` (raw values)."""
    _, k = resolution_plan(input_shape)
    x = keras.Input(tuple(input_shape), name="x")
    h = x
    for j in range(k):
        h = keras.layers.Conv2D(width(dim * 2 ** j, activation), 5, strides=2, padding="same",
                                name=f"conv{j}")(h)
        if j > 0:
            h = normalize(h, norm, f"conv{j}")
        h = activate(h, activation, f"conv{j}")
    h = keras.layers.Flatten(name="flatten")(h)
    out = keras.layers.Dense(output_dim, dtype="float32", name="output")(h)
    return keras.Model(x, out, name=name)
