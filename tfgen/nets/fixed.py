"""A frozen generator: real toy data plus Gaussian noise (the WGAN-GP paper's Fig. 1a set-up).

``real_plus_noise_<set>`` (one per toy set of :mod:`tfgen.data.sources.toy2d`) maps
``z ~ N(0, I)`` of ``latent_dim >= 1 + D`` to ``x + z[:, 1:1+D]`` with ``x`` the training point of
index ``floor(Phi(z[:, 0]) * N)``: its samples are distributed exactly as the training set plus
``N(0, I)`` noise. A GAN with this generator (and ``n_critic = 1``) trains only its critic, through
the library's trainer: its single trainable variable, ``anchor``, enters the output multiplied by
zero, so its gradient is identically 0, the generator optimizer's update is 0 and its step
counter (the trainer's step) still advances once per critic step.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from tfgen.data.sources import toy2d


class RealPlusNoise(keras.layers.Layer):
    """float32 ``z [B, latent_dim]`` -> float32 ``[B, D]``: a training point + N(0, I) noise."""

    def __init__(self, points: np.ndarray, **kwargs):
        super().__init__(**kwargs)
        self.points = tf.constant(np.asarray(points, np.float32))  # [N, D], not a weight
        self.dim = int(self.points.shape[1])

    def build(self, input_shape):
        if input_shape[-1] < 1 + self.dim:
            raise ValueError(f"real_plus_noise needs latent_dim >= {1 + self.dim} (one "
                             f"coordinate picks the point, {self.dim} are the noise); got "
                             f"{input_shape[-1]}")
        self.anchor = self.add_weight(shape=(), initializer="zeros", name="anchor")

    def call(self, z):
        z = tf.cast(z, tf.float32)
        count = tf.shape(self.points)[0]
        uniform = 0.5 * (1.0 + tf.math.erf(z[:, 0] / math.sqrt(2.0)))  # Phi(z0) ~ U[0, 1]
        index = tf.minimum(tf.cast(uniform * tf.cast(count, tf.float32), tf.int32), count - 1)
        noisy = tf.gather(self.points, index) + z[:, 1:1 + self.dim]
        return noisy + 0.0 * self.anchor


def real_plus_noise_generator(dataset: str, output_shape: tuple[int, ...],
                              latent_dim: int) -> keras.Model:
    """The frozen generator of toy set ``dataset`` (its 100 000 training points)."""
    if tuple(output_shape) != (2,):
        raise ValueError(f"real_plus_noise generates 2-D toy points; got shape {output_shape}")
    z = keras.Input((latent_dim,), name="z")
    points = toy2d.Toy2DSource(dataset).read("train").images
    return keras.Model(z, RealPlusNoise(points, name="real_plus_noise")(z),
                       name=f"real_plus_noise_{dataset}")
