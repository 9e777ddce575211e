"""Tiny Keras models implementing the tfgen serving protocol, for export and evaluation tests.

``FactorizedModel``: independent 256-way categorical per subpixel (exact ``log_prob``, ``sample``).
``LatentModel``: a Gaussian-latent model over it with every latent verb (``encode``, ``decode``,
``elbo``, ``importance_weighted_log_prob``). Both are small enough to trace and save in a second.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from tfgen.models.signatures import verb_signatures


class FactorizedModel(keras.Model):
    """Serves the verbs ``serving_methods`` names (serving_default first) through the shared
    signature builders, as library models do."""

    serving_methods = ("log_prob", "sample")
    data_kind = "image"

    def __init__(self, image_shape=(4, 4, 1), seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(image_shape)
        self.seed = seed
        self.num_pixels = math.prod(self.image_shape)
        self.logits = self.add_weight(
            shape=(self.num_pixels, 256), name="logits",
            initializer=keras.initializers.RandomNormal(stddev=2.0, seed=seed))
        self.built = True

    def _flat(self, images):
        return tf.reshape(tf.cast(images, tf.int32), [-1, self.num_pixels])

    def _log_lik(self, images, logits):
        """log p(images) under per-subpixel logits [B or 1, num_pixels, 256] -> [B] nats."""
        one_hot = tf.one_hot(self._flat(images), 256)
        return tf.reduce_sum(one_hot * tf.nn.log_softmax(logits), axis=[1, 2])

    def log_prob(self, images):
        return self._log_lik(images, self.logits[None])

    def sample(self, num_samples, seed):
        draws = tf.random.stateless_categorical(self.logits, num_samples, tf.stack([seed, 0]))
        return tf.cast(tf.reshape(tf.transpose(draws), (-1,) + self.image_shape), tf.uint8)

    def serving_signatures(self):
        return verb_signatures(self, self.serving_methods)

    def get_config(self):
        return {"image_shape": list(self.image_shape), "seed": self.seed}


class LatentModel(FactorizedModel):
    serving_methods = ("log_prob", "sample", "encode", "decode", "elbo",
                       "importance_weighted_log_prob")

    def __init__(self, image_shape=(4, 4, 1), latent_dim: int = 2, seed: int = 0, **kwargs):
        super().__init__(image_shape, seed, **kwargs)
        self.latent_dim = latent_dim
        self.w_enc = self.add_weight(
            shape=(self.num_pixels, 2 * latent_dim), name="w_enc",
            initializer=keras.initializers.RandomNormal(stddev=0.3, seed=seed + 1))
        self.w_dec = self.add_weight(
            shape=(latent_dim, self.num_pixels * 256), name="w_dec",
            initializer=keras.initializers.RandomNormal(stddev=0.5, seed=seed + 2))

    def _decoder_logits(self, z):
        return self.logits[None] + tf.reshape(z @ self.w_dec, [-1, self.num_pixels, 256])

    def encode(self, images):
        h = tf.cast(self._flat(images), tf.float32) / 255.0 @ self.w_enc
        return {"mean": h[:, :self.latent_dim],
                "stddev": tf.nn.softplus(h[:, self.latent_dim:]) + 0.1}

    def decode(self, z, seed):
        logits = tf.reshape(self._decoder_logits(z), [-1, 256])
        draws = tf.random.stateless_categorical(logits, 1, tf.stack([seed, 1]))
        return tf.cast(tf.reshape(draws, (-1,) + self.image_shape), tf.uint8)

    def elbo(self, images, seed):
        q = self.encode(images)
        eps = tf.random.stateless_normal(tf.shape(q["mean"]), tf.stack([seed, 2]))
        z = q["mean"] + q["stddev"] * eps
        recon = -self._log_lik(images, self._decoder_logits(z))
        kl = tf.reduce_sum(0.5 * (q["mean"] ** 2 + q["stddev"] ** 2 - 1.0)
                           - tf.math.log(q["stddev"]), axis=1)
        return {"elbo": -(recon + kl), "kl": kl, "recon": recon}

    def importance_weighted_log_prob(self, images, num_samples, seed):
        q = self.encode(images)
        batch = tf.shape(images)[0]
        eps = tf.random.stateless_normal(
            tf.stack([num_samples, batch, self.latent_dim]), tf.stack([seed, 3]))
        z = q["mean"] + q["stddev"] * eps  # [K, B, D]
        tiled = tf.tile(images, [num_samples, 1, 1, 1])  # [K*B, H, W, C], k-major like z
        log_px = tf.reshape(
            self._log_lik(tiled, self._decoder_logits(tf.reshape(z, [-1, self.latent_dim]))),
            [num_samples, batch])
        log_pz = tf.reduce_sum(-0.5 * (z ** 2 + math.log(2 * math.pi)), axis=2)
        log_qz = tf.reduce_sum(-0.5 * (eps ** 2 + math.log(2 * math.pi))
                               - tf.math.log(q["stddev"]), axis=2)
        log_w = log_px + log_pz - log_qz
        return tf.reduce_logsumexp(log_w, 0) - tf.math.log(tf.cast(num_samples, tf.float32))

    def log_prob(self, images):
        return self.importance_weighted_log_prob(images, 16, 0)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim}


def random_images(n: int, image_shape=(4, 4, 1), seed: int = 0):
    """uint8 [n, H, W, C] test images."""
    return tf.random.stateless_uniform((n,) + tuple(image_shape), (seed, 7), 0, 256,
                                       tf.int32).numpy().astype("uint8")
