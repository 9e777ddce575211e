"""1-D convolutional generator and critic for the character-level language model (thesis §3.5.4).

Text is ``[L, V]``: ``L`` positions (32) of one-hot characters over a vocabulary of ``V``.

    G: z -> Linear -> [L, dim] -> 5 residual blocks (ReLU, conv5, ReLU, conv5; x + 0.3·branch)
         -> 1x1 conv to V -> softmax over V
    D: [L, V] -> 1x1 conv to dim -> 5 residual blocks -> flatten -> Linear

The generator's softmax output goes straight into the critic during training (no sampling step);
decode samples with an argmax over V. Real text enters the critic as one-hot vectors.
"""

from __future__ import annotations

import keras

from tfgen.nets.gan_blocks import residual_block_1d


def _check(shape) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"text nets take (positions, vocabulary) shapes; got {tuple(shape)}")
    return int(shape[0]), int(shape[1])


def text_generator(output_shape: tuple[int, ...], latent_dim: int, dim: int = 512,
                   num_blocks: int = 5, name: str = "generator") -> keras.Model:
    """float32 ``[B, latent_dim]`` -> float32 ``[B, L, V]``, a softmax over V per position."""
    length, vocab = _check(output_shape)
    z = keras.Input((latent_dim,), name="z")
    h = keras.layers.Dense(length * dim, name="project")(z)
    h = keras.layers.Reshape((length, dim), name="reshape")(h)
    for i in range(num_blocks):
        h = residual_block_1d(h, dim, 5, f"block{i}")
    h = keras.layers.Conv1D(vocab, 1, name="output")(h)
    out = keras.layers.Softmax(axis=-1, dtype="float32", name="output_softmax")(h)
    return keras.Model(z, out, name=name)


def text_critic(input_shape: tuple[int, ...], output_dim: int = 1, dim: int = 512,
                num_blocks: int = 5, name: str = "critic") -> keras.Model:
    """float32 ``[B, L, V]`` (one-hot or softmax) -> float32 ``[B, output_dim]``."""
    _check(input_shape)
    x = keras.Input(tuple(input_shape), name="x")
    h = keras.layers.Conv1D(dim, 1, name="input_conv")(x)
    for i in range(num_blocks):
        h = residual_block_1d(h, dim, 5, f"block{i}")
    h = keras.layers.Flatten(name="flatten")(h)
    out = keras.layers.Dense(output_dim, dtype="float32", name="output")(h)
    return keras.Model(x, out, name=name)
