"""Fully connected generators and critics: the toy 2-D MLPs and the paper's MLP generator.

* ``toy_mlp`` (``gan_toy.py`` of the WGAN-GP paper): 3 hidden ReLU layers of 512 units.
* ``mlp`` (the robustness study's "4-layer 512-dim ReLU MLP generator"): 4 hidden layers.

Both map to any data shape: outputs are reshaped to it (tanh for images, a softmax per position
for text ``[L, V]``, linear for points: the data kind says which).
"""

from __future__ import annotations

import math

import keras

from tfgen.nets.gan_blocks import dense_block, output_activation


def mlp_generator(output_shape: tuple[int, ...], latent_dim: int, data_kind: str,
                  dim: int = 512, hidden_layers: int = 3, norm: str = "none",
                  activation: str = "relu", name: str = "generator") -> keras.Model:
    """float32 ``[B, latent_dim]`` -> float32 ``[B, *output_shape]`` of ``data_kind`` data.

    ``hidden_layers`` Dense(``dim``) -> norm -> ``activation`` layers, then a linear layer to
    ``prod(output_shape)`` units reshaped to ``output_shape`` and the kind's output nonlinearity
    (:func:`tfgen.nets.gan_blocks.output_activation`).
    """
    z = keras.Input((latent_dim,), name="z")
    h = z
    for i in range(hidden_layers):
        h = dense_block(h, dim, norm, activation, f"dense{i}")
    h = keras.layers.Dense(math.prod(output_shape), name="output")(h)
    h = keras.layers.Reshape(tuple(output_shape), name="reshape")(h)
    return keras.Model(z, output_activation(h, data_kind, "output"), name=name)


def mlp_critic(input_shape: tuple[int, ...], output_dim: int = 1, dim: int = 512,
               hidden_layers: int = 3, norm: str = "none", activation: str = "relu",
               name: str = "critic") -> keras.Model:
    """float32 ``[B, *input_shape]`` -> float32 ``[B, output_dim]`` (raw values, no sigmoid).

    Flatten, ``hidden_layers`` Dense(``dim``) -> norm -> ``activation``, and a linear output.
    """
    x = keras.Input(tuple(input_shape), name="x")
    h = keras.layers.Flatten(name="flatten")(x) if len(input_shape) > 1 else x
    for i in range(hidden_layers):
        h = dense_block(h, dim, norm, activation, f"dense{i}")
    out = keras.layers.Dense(output_dim, dtype="float32", name="output")(h)
    return keras.Model(x, out, name=name)
