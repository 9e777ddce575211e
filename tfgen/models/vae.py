"""Convolutional variational autoencoder (Kingma & Welling 2014) with tfp distributions.

``q(z|x)`` is a diagonal Gaussian from a :class:`~tfgen.nets.ConvEncoder`, ``p(z) = N(0, I)``, and
``p(x|z)`` a pixel likelihood (Bernoulli for binarized data, 256-way categorical or discretized
logistic mixture for 8-bit data) on the output of a :class:`~tfgen.nets.ConvDecoder`. Trained on
the negative ELBO (nats per image) with an optional linear KL warm-up; evaluated with the
importance-weighted bound.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.distributions import get_likelihood
from tfgen.evaluation.likelihood import importance_weighted_bound
from tfgen.data.spec import IMAGE
from tfgen.models.base import (GenerativeModel, LatentLikelihoodConfig, global_batch_normal,
                               seed_pair)
from tfgen.models.signatures import SignatureTable, verb_signatures
from tfgen.nets import ConvDecoder, ConvEncoder
from tfgen.utils.config import field

tfd = tfp.distributions


@dataclasses.dataclass
class VAEConfig(LatentLikelihoodConfig):
    """Hyperparameters of :class:`VAE` (each is also a ``train/run.py`` flag)."""

    latent_dim: int = field(32, "dimensionality of z", minimum=1)
    filters: int = field(32, "filters of the first conv layer (doubles per downsample)", minimum=1)
    conv_layers: int = field(8, "3x3 conv layers in each of encoder and decoder (thesis: 8)",
                             minimum=1)
    downsamples: int = field(2, "stride-2 layers in the encoder (mirrored in the decoder)",
                             minimum=0)
    kl_warmup_steps: int = field(0, "KL weight rises linearly from 0 to 1 over these steps",
                                 minimum=0)


@keras.saving.register_keras_serializable(package="tfgen")
class VAE(GenerativeModel):
    """Convolutional VAE over uint8 images ``[H, W, C]``; all log-densities in nats per image."""

    metric_names = ("elbo", "recon", "kl")
    Config = VAEConfig

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind)
        self.config = self.Config(**config)
        cfg = self.config
        if cfg.likelihood == "auto":
            raise ValueError("resolve likelihood='auto' before building (tfgen.models.build_model "
                             "does it from the dataset spec)")
        self.likelihood = get_likelihood(cfg.likelihood, **(
            {"num_components": cfg.mixture_components} if cfg.likelihood == "logistic" else {}))
        self.latent_dim = self.flat_latent_dim()
        self.encoder, self.decoder = self.build_networks()
        self.prior = tfd.Independent(tfd.Normal(tf.zeros(self.latent_dim), 1.0), 1)

    def flat_latent_dim(self) -> int:
        """D, the size of z as the verbs see it (``[B, D]``); a subclass with a latent feature
        map (IAF-VAE) returns its flattened size."""
        return self.config.latent_dim

    def build_networks(self) -> tuple[keras.Model, keras.Model]:
        """(encoder: images in [-1, 1] -> ``[B, 2 * latent_dim]``, decoder); subclasses with
        other networks (PixelVAE) override this."""
        cfg = self.config
        encoder = ConvEncoder(2 * cfg.latent_dim, cfg.filters, cfg.conv_layers, cfg.downsamples,
                              name="encoder")
        decoder = ConvDecoder(
            self.image_shape, self.image_shape[-1] * self.likelihood.params_per_channel,
            cfg.filters, cfg.conv_layers, cfg.downsamples, name="decoder")
        return encoder, decoder

    # -- distributions -------------------------------------------------------------------
    def posterior(self, images: tf.Tensor) -> tfd.Distribution:
        """q(z|x): diagonal Gaussian, batch ``[B]``, event ``[latent_dim]`` (float32)."""
        out = tf.cast(self.encoder(self.likelihood.network_input(images)), tf.float32)
        mean, raw_scale = tf.split(out, 2, axis=-1)
        return tfd.Independent(tfd.Normal(mean, tf.nn.softplus(raw_scale) + 1e-5), 1)

    def _decode_params(self, z: tf.Tensor) -> tf.Tensor:
        return tf.cast(self.decoder(z), tf.float32)

    def reconstruction_log_prob(self, z: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """log p(x|z): float32 ``[B, latent_dim]`` and uint8 ``[B, H, W, C]`` -> float32 ``[B]``
        nats. Autoregressive decoders (PixelVAE) override it with a teacher-forced pass."""
        return self.likelihood.log_prob(self._decode_params(z), images)

    def iw_elements_per_image(self) -> int:
        """float32 activations per (image, importance sample) that bound an IW chunk's memory."""
        return math.prod(self.image_shape) * self.likelihood.params_per_channel

    def kl_weight(self, training: bool) -> tf.Tensor:
        steps = self.config.kl_warmup_steps
        if not training or steps <= 0 or self.optimizer is None:
            return tf.constant(1.0)
        return tf.minimum(1.0, tf.cast(self.optimizer.iterations, tf.float32) / steps)

    # -- objective -------------------------------------------------------------------------
    def _elbo_terms(self, images, noise):
        q = self.posterior(images)
        z = q.distribution.loc + q.distribution.scale * noise
        recon = -self.reconstruction_log_prob(z, images)
        kl = tfd.kl_divergence(q, self.prior)
        return recon, kl

    def compute_objective(self, images, seed, training, labels=None):
        noise = global_batch_normal(tf.stack([tf.shape(images)[0], self.latent_dim]), seed)
        recon, kl = self._elbo_terms(images, noise)
        loss = recon + self.kl_weight(training) * kl
        return loss, {"elbo": -(recon + kl), "recon": recon, "kl": kl}

    # -- public verbs ----------------------------------------------------------------------
    def serving_signatures(self) -> SignatureTable:
        """``log_prob`` (serving_default), ``sample``, ``encode``, ``decode``, ``elbo``,
        ``importance_weighted_log_prob``."""
        return verb_signatures(self, ("log_prob", "sample", "encode", "decode", "elbo",
                                      "importance_weighted_log_prob"))

    def encode(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """uint8 ``[B, H, W, C]`` -> {"mean", "stddev"}: float32 ``[B, latent_dim]`` of q(z|x)."""
        q = self.posterior(images)
        return {"mean": q.distribution.loc, "stddev": q.distribution.scale}

    def decode(self, z: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """float32 ``[B, latent_dim]`` -> uint8 ``[B, H, W, C]`` sampled from p(x|z)."""
        return self.likelihood.sample(self._decode_params(tf.cast(z, tf.float32)),
                                      seed_pair(seed, 1))

    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """z ~ p(z), x ~ p(x|z): uint8 ``[num_samples, H, W, C]``."""
        z = tf.random.stateless_normal(tf.stack([num_samples, self.latent_dim]),
                                       seed=seed_pair(seed, 0))
        return self.decode(z, seed)

    def elbo(self, images: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        """One-sample ELBO: {"elbo", "kl", "recon"} float32 ``[B]`` nats; elbo = -(recon + kl)."""
        noise = tf.random.stateless_normal(tf.stack([tf.shape(images)[0], self.latent_dim]),
                                           seed=seed_pair(seed, 2))
        recon, kl = self._elbo_terms(images, noise)
        return {"elbo": -(recon + kl), "kl": kl, "recon": recon}

    def importance_weighted_log_prob(self, images: tf.Tensor, num_samples: tf.Tensor,
                                     seed: tf.Tensor) -> tf.Tensor:
        """Importance-weighted lower bound on log p(x) with K = ``num_samples``: float32 ``[B]``."""
        q = self.posterior(images)
        batch = tf.shape(images)[0]
        per_chunk_sample = tf.maximum(self.iw_elements_per_image() * batch, 1)  # batch may be 0
        chunk = tf.maximum(1, self.config.iw_chunk_elements // per_chunk_sample)

        def log_weights(num, index):
            z, log_q = self.posterior_sample_and_log_prob(
                q, num, tf.stack([tf.cast(seed, tf.int32), 3 + index]))  # [n, B, D], [n, B]
            flat_z = tf.reshape(z, [-1, self.latent_dim])
            tiled = tf.tile(images, [num, 1, 1, 1])  # row i*B + b is image b
            log_px = tf.reshape(self.reconstruction_log_prob(flat_z, tiled), [num, batch])
            return log_px + self.prior.log_prob(z) - log_q

        return importance_weighted_bound(log_weights, batch, num_samples, chunk)

    def posterior_sample_and_log_prob(self, q, num: tf.Tensor, seed: tf.Tensor
                                      ) -> tuple[tf.Tensor, tf.Tensor]:
        """``num`` draws z ~ q(z|x) from :meth:`posterior`'s ``q`` with a stateless ``seed``:
        (z float32 ``[num, B, D]``, log q(z|x) float32 ``[num, B]`` nats)."""
        z = q.sample(num, seed=seed)
        return z, q.log_prob(z)

    def log_prob(self, images: tf.Tensor) -> tf.Tensor:
        """log p(x) estimated with ``config.log_prob_samples`` importance samples (seed 0)."""
        return self.importance_weighted_log_prob(images, self.config.log_prob_samples, 0)

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}
