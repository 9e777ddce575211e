"""Hierarchical (two-level) PixelVAE (thesis §2.4.2-2.4.3, Appendix A.0.5; Gulrajani et al.
2017): latent maps at two scales, each level's decoder an autoregressive PixelCNN.

* ``q(z1|x)``: diagonal Gaussian over a latent map ``[h, w, L1]`` (``h = ceil(H / 4)``) from the
  bottom encoder's features h1; ``q(z2|x)``: diagonal Gaussian over a vector ``[L2]`` from h1 by
  the top encoder. ``p(z2) = N(0, I)``.
* ``p(z1|z2) = prod_i N(z1_i | mu_i(z1_<i, z2), sigma_i)``: a gated masked PixelCNN over z1's
  positions (all ``L1`` channels of a position together) conditioned on the top decoder's map.
* ``p(x|z1) = prod_i p(x_i | x_<i, z1)``: a gated masked PixelCNN over pixels (R -> G -> B) of
  the embedded image conditioned on the bottom decoder's map; 256-way softmax per subpixel
  (or a discretized logistic mixture / Bernoulli).

Training minimises ``-log p(x|z1) + a1 E_q[log q(z1|x) - log p(z1|z2)] + a2 KL(q(z2|x) || N(0, I))``
(z1's KL a one-sample Monte Carlo estimate, z2's in closed form; warm-up weights ``a1``, ``a2``
as the original code), all float32 nats per image. ``log_prob`` is the two-level
importance-weighted bound. See ``docs/pixelvae.md`` for sizes and verbs.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.data.spec import IMAGE
from tfgen.distributions import DiagonalGaussian, get_likelihood
from tfgen.evaluation.likelihood import importance_weighted_bound
from tfgen.layers import GatedResidualPixelCNN
from tfgen.models.base import (GenerativeModel, LatentLikelihoodConfig, global_batch_normal,
                               seed_pair)
from tfgen.models.pixelvae import SAMPLERS
from tfgen.models.signatures import (Signature, SignatureTable, checked, data_out, data_spec,
                                     scalar, unless_empty, verb_signatures)
from tfgen.nets.hierarchical_pixelvae import (BottomDecoder, BottomEncoder, TopDecoder,
                                              TopEncoder, level_sizes)
from tfgen.utils.config import field
from tfgen.utils.registry import check_name, lookup

tfd = tfp.distributions

LEVELS = ("z1", "z2")
#: The factorized pixel head's parameters are ``B * tanh(raw / B)``: a discretized logistic's
#: log-scale grew past 37 within 40 steps of Adam 1e-3 on photo_patches and overflowed (NaN);
#: |params| <= 10 keeps scales <= 127.5 e^10 pixel units and logits within a 20-nat range.
FACTORIZED_BOUND = 10.0


@dataclasses.dataclass
class HierarchicalPixelVAEConfig(LatentLikelihoodConfig):
    """Hyperparameters of :class:`HierarchicalPixelVAE` (each is also a ``train/run.py`` flag).

    Defaults are a CPU-sized version of the original code's ``32px_small`` setting; the thesis
    sizes are the ``hierarchical_pixelvae_*`` experiments.
    """

    latent_channels: int = field(8, "channels L1 of the z1 map (original: 64)", minimum=1)
    latent_dim: int = field(32, "dimensionality L2 of the top code z2 (original: 512)", minimum=1)
    embedding_dim: int = field(4, "learned vector per pixel value and channel (original: 16)",
                               minimum=1)
    dim_0: int = field(16, "width at image resolution (original 32px_small: 64; 64px_big: 192)",
                       minimum=1)
    dim_1: int = field(16, "width at half resolution (original: 128; 64px_big: 256)", minimum=1)
    dim_2: int = field(32, "width at z1's resolution, h1 (original: 256; 64px_big: 512)",
                       minimum=1)
    dim_top: int = field(32, "width of the top encoder/decoder below z1's size (original: 512)",
                         minimum=1)
    res_blocks: int = field(1, "residual blocks per resolution (original: 2-3)", minimum=0)
    pixel_filters: int = field(32, "width of the pixel-level PixelCNN (original: 128; 64px: 384)",
                               minimum=1)
    pixel_blocks: int = field(2, "gated residual blocks of p(x|z1) (original: 2; 64px: 3)",
                              minimum=0)
    latent_filters: int = field(32, "width of the latent PixelCNN p(z1|z2) (original: 512)",
                                minimum=1)
    latent_blocks: int = field(2, "gated residual blocks of p(z1|z2) (original: 2 3x3 + one 1x1)",
                               minimum=0)
    first_kernel_size: int = field(5, "mask-A input convolution of both PixelCNNs (thesis: 5)",
                                   minimum=1)
    autoregressive: bool = field(True, "PixelCNNs in both decoders; False: a two-level VAE "
                                       "whose p(x|z1) and p(z1|z2) are factorized (a 1x1 "
                                       "conv head on each decoder's map, no masked layers)")
    batch_norm: bool = field(True, "batch norm in the (unmasked) residual blocks (thesis: on)")
    weight_norm: bool = field(True, "weight normalization of masked convolutions (thesis: on)")
    kl1_warmup_steps: int = field(0, "z1's KL weight rises linearly to 1 over these steps "
                                     "(original ALPHA1_ITERS: 2000; 64px_big: 1000)", minimum=0)
    kl2_warmup_steps: int = field(0, "z2's KL weight: this linear ramp times z1's weight "
                                     "(original ALPHA2_ITERS: 5000; 64px: 10000)", minimum=0)
    lr_decay_steps: int = field(0, "if > 0, multiply the learning rate by lr_decay_factor every "
                                   "this many steps (original LR_DECAY_AFTER: 180000)", minimum=0)
    lr_decay_factor: float = field(0.1, "the staircase learning-rate decay factor",
                                   minimum=0.0, maximum=1.0)


def level_seed(seed: tf.Tensor, level: int) -> tf.Tensor:
    """An int32 scalar seed for one level's noise, derived statelessly from ``seed``."""
    return tf.random.stateless_uniform([], seed_pair(seed, 100 + level), minval=0,
                                       maxval=2 ** 31 - 1, dtype=tf.int32)


@keras.saving.register_keras_serializable(package="tfgen")
class HierarchicalPixelVAE(GenerativeModel):
    """Two-level PixelVAE over uint8 images ``[H, W, C]``; log-densities in nats per image.

    Verbs: ``encode`` (both posteriors), ``decode(z1, seed)``, ``decode_top(z2, seed)``,
    ``sample(num, seed)``, ``sample_levels(num, seed_z2, seed_z1, seed_x)`` (noise per level,
    Fig. 2.6), ``reconstruct(images, seed, level)`` (Fig. A.1), ``elbo``,
    ``importance_weighted_log_prob``, ``log_prob``. ``sampler="naive"`` is the reference.
    """

    metric_names = ("elbo", "recon", "kl_z1", "kl_z2")
    Config = HierarchicalPixelVAEConfig

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind)
        self.config = cfg = self.Config(**config)
        if cfg.likelihood == "auto":
            raise ValueError("resolve likelihood='auto' before building (tfgen.models.build_model "
                             "does it from the dataset spec)")
        self.likelihood = get_likelihood(cfg.likelihood, **(
            {"num_components": cfg.mixture_components} if cfg.likelihood == "logistic" else {}))
        self.latent_likelihood = DiagonalGaussian()
        height, width, channels = self.image_shape
        self.latent_shape = level_sizes(height, width)["bottom"][-1] + (cfg.latent_channels,)
        self.latent_dim = cfg.latent_dim
        widths, bn = (cfg.dim_0, cfg.dim_1, cfg.dim_2), cfg.batch_norm
        self.encoder1 = BottomEncoder(self.image_shape, widths, cfg.latent_channels,
                                      cfg.embedding_dim, cfg.res_blocks, bn, name="encoder1")
        self.encoder2 = TopEncoder(self.image_shape, cfg.dim_2, cfg.dim_top, cfg.latent_dim,
                                   cfg.res_blocks, bn, name="encoder2")
        self.decoder2 = TopDecoder(self.image_shape, cfg.dim_2, cfg.dim_top, cfg.res_blocks, bn,
                                   name="decoder2")
        self.decoder1 = BottomDecoder(self.image_shape, widths, cfg.res_blocks, bn,
                                      name="decoder1")
        pixel_params = channels * self.likelihood.params_per_channel
        if cfg.autoregressive:
            self.prior1 = GatedResidualPixelCNN(
                2 * cfg.latent_channels, cfg.latent_blocks, cfg.latent_filters,
                first_kernel_size=cfg.first_kernel_size, data_channels=1,
                weight_norm=cfg.weight_norm, zero_output=True, name="latent_pixelcnn")
            self.pixel = GatedResidualPixelCNN(
                pixel_params, cfg.pixel_blocks, cfg.pixel_filters,
                first_kernel_size=cfg.first_kernel_size, data_channels=channels,
                embedding_dim=cfg.embedding_dim, weight_norm=cfg.weight_norm, name="pixelcnn")
        else:  # factorized heads: parameters from the decoders' maps alone
            self.prior1 = keras.layers.Conv2D(2 * cfg.latent_channels, 1,
                                              kernel_initializer="zeros", name="latent_head")
            self.pixel = keras.layers.Conv2D(pixel_params, 1, name="pixel_head")
        self.prior2 = tfd.Independent(tfd.Normal(tf.zeros(cfg.latent_dim), 1.0), 1)

    # -- distributions (float32) -----------------------------------------------------------
    def posteriors(self, images: tf.Tensor, training: bool = False
                   ) -> tuple[tfd.Distribution, tfd.Distribution]:
        """(q(z1|x): event ``[h, w, L1]``, q(z2|x): event ``[L2]``), batch ``[B]``."""
        h1, params1 = self.encoder1(self.likelihood.network_input(images), training=training)
        params2 = self.encoder2(h1, training=training)
        return (self.latent_likelihood.distribution(params1),
                self.latent_likelihood.distribution(params2, event_rank=1))

    def pixel_params(self, condition: tf.Tensor, images: tf.Tensor | None) -> tf.Tensor:
        """p(x|z1)'s parameters, float32 ``[B, H, W, C * P]``, from decoder1's map: the PixelCNN
        teacher forced on uint8 ``images``, or (``autoregressive=False``) the factorized head on
        the map alone (``images`` unused, may be None)."""
        if not self.config.autoregressive:  # soft-bounded: an unbounded log-scale overflowed
            return FACTORIZED_BOUND * tf.tanh(tf.cast(self.pixel(condition), tf.float32)
                                              / FACTORIZED_BOUND)
        return tf.cast(self.pixel(self.likelihood.network_input(images),
                                  condition_map=condition), tf.float32)

    def latent_params(self, condition: tf.Tensor, z1: tf.Tensor | None) -> tf.Tensor:
        """p(z1|z2)'s parameters, float32 ``[B, h, w, 2 L1]``, from decoder2's map: the latent
        PixelCNN teacher forced on ``z1``, or the factorized head on the map alone."""
        if not self.config.autoregressive:
            return tf.cast(self.prior1(condition), tf.float32)
        return tf.cast(self.prior1(tf.cast(z1, tf.float32), condition_map=condition),
                       tf.float32)

    def reconstruction_log_prob(self, z1: tf.Tensor, images: tf.Tensor,
                                training: bool = False) -> tf.Tensor:
        """log p(x|z1), teacher forced: z1 ``[B, h, w, L1]``, uint8 images -> float32 ``[B]``."""
        condition = self.decoder1(tf.cast(z1, tf.float32), training=training)
        return self.likelihood.log_prob(self.pixel_params(condition, images), images)

    def latent_log_prob(self, z1: tf.Tensor, z2: tf.Tensor, training: bool = False
                        ) -> tf.Tensor:
        """log p(z1|z2), teacher forced: float32 ``[B]`` nats."""
        condition = self.decoder2(tf.cast(z2, tf.float32), training=training)
        return self.latent_likelihood.log_prob(self.latent_params(condition, z1), z1)

    def kl_weights(self, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """(z1's, z2's) KL weights: the original code's warm-ups (z2's ramp times z1's)."""
        if not training or self.optimizer is None:
            return tf.constant(1.0), tf.constant(1.0)
        step = tf.cast(self.optimizer.iterations, tf.float32) + 1.0

        def ramp(steps):
            return tf.constant(1.0) if steps <= 0 else tf.minimum(1.0, step / steps)

        alpha1 = ramp(self.config.kl1_warmup_steps)
        return alpha1, ramp(self.config.kl2_warmup_steps) * alpha1

    # -- objective -------------------------------------------------------------------------
    def _elbo_terms(self, images, noise1, noise2, training=False) -> dict[str, tf.Tensor]:
        """One-sample terms, float32 ``[B]`` nats: recon = -log p(x|z1), kl_z1 = log q(z1|x) -
        log p(z1|z2), kl_z2 = KL(q(z2|x) || N(0, I)) (closed form)."""
        q1, q2 = self.posteriors(images, training)
        z1 = q1.distribution.loc + q1.distribution.scale * noise1
        z2 = q2.distribution.loc + q2.distribution.scale * noise2
        recon = -self.reconstruction_log_prob(z1, images, training)
        kl_z1 = q1.log_prob(z1) - self.latent_log_prob(z1, z2, training)
        kl_z2 = tfd.kl_divergence(q2, self.prior2)
        return {"elbo": -(recon + kl_z1 + kl_z2), "recon": recon, "kl_z1": kl_z1,
                "kl_z2": kl_z2}

    def _noise_shapes(self, batch) -> tuple[tf.Tensor, tf.Tensor]:
        return tf.stack([batch, *self.latent_shape]), tf.stack([batch, self.latent_dim])

    def compute_objective(self, images, seed, training, labels=None):
        shape1, shape2 = self._noise_shapes(tf.shape(images)[0])
        fold = tf.random.experimental.stateless_fold_in
        terms = self._elbo_terms(images, global_batch_normal(shape1, fold(seed, 1)),
                                 global_batch_normal(shape2, fold(seed, 2)), training)
        alpha1, alpha2 = self.kl_weights(training)
        loss = terms["recon"] + alpha1 * terms["kl_z1"] + alpha2 * terms["kl_z2"]
        return loss, terms

    def learning_rate_schedule(self, learning_rate: float):
        """The original code's staircase decay (``lr_decay_steps`` > 0), else constant."""
        if self.config.lr_decay_steps <= 0:
            return learning_rate
        return keras.optimizers.schedules.ExponentialDecay(
            learning_rate, self.config.lr_decay_steps, self.config.lr_decay_factor,
            staircase=True)

    # -- public verbs ----------------------------------------------------------------------
    def encode(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """uint8 ``[B, H, W, C]`` -> {"mean", "stddev"}: q(z2|x) float32 ``[B, L2]``;
        {"z1_mean", "z1_stddev"}: q(z1|x) float32 ``[B, h, w, L1]``."""
        q1, q2 = self.posteriors(images)
        return {"mean": q2.distribution.loc, "stddev": q2.distribution.scale,
                "z1_mean": q1.distribution.loc, "z1_stddev": q1.distribution.scale}

    def decode(self, z1: tf.Tensor, seed: tf.Tensor, sampler: str = "cached") -> tf.Tensor:
        """float32 ``[B, h, w, L1]`` -> uint8 ``[B, H, W, C]`` drawn pixel by pixel from
        p(x|z1) with the stateless int32 ``seed`` (``sampler``: ``cached`` | ``naive``)."""
        z1 = tf.cast(z1, tf.float32)
        condition = self.decoder1(z1, training=False)
        if not self.config.autoregressive:  # pixels independent given z1: one draw
            return self.likelihood.sample(self.pixel_params(condition, None), seed_pair(seed, 1))
        return lookup(SAMPLERS, sampler, "sampler")(
            self.pixel, self.likelihood, self.image_shape, tf.shape(z1)[0], seed,
            condition_map=condition)

    def sample_latents(self, z2: tf.Tensor, seed: tf.Tensor, sampler: str = "cached"
                       ) -> tf.Tensor:
        """float32 ``[B, L2]`` -> z1 ~ p(z1|z2), float32 ``[B, h, w, L1]``, drawn a position
        (all channels) at a time."""
        z2 = tf.cast(z2, tf.float32)
        condition = self.decoder2(z2, training=False)
        if not self.config.autoregressive:
            params = self.latent_params(condition, None)
            return self.latent_likelihood.distribution(params).sample(seed=seed_pair(seed, 1))
        return lookup(SAMPLERS, sampler, "sampler")(
            self.prior1, self.latent_likelihood, self.latent_shape, tf.shape(z2)[0], seed,
            condition_map=condition)

    def decode_top(self, z2: tf.Tensor, seed: tf.Tensor, sampler: str = "cached") -> tf.Tensor:
        """float32 ``[B, L2]`` -> uint8 images: z1 ~ p(z1|z2), then x ~ p(x|z1)."""
        z1 = self.sample_latents(z2, level_seed(seed, 1), sampler)
        return self.decode(z1, level_seed(seed, 2), sampler)

    def sample_levels(self, num_samples, seed_z2, seed_z1, seed_x, sampler: str = "cached"
                      ) -> tf.Tensor:
        """Ancestral sampling with one seed per level (hold some fixed, vary another: Fig. 2.6):
        z2 ~ N(0, I) from ``seed_z2``, z1 ~ p(z1|z2) from ``seed_z1``, x ~ p(x|z1) from
        ``seed_x`` -> uint8 ``[num_samples, H, W, C]``."""
        z2 = tf.random.stateless_normal(tf.stack([num_samples, self.latent_dim]),
                                        seed=seed_pair(seed_z2, 0))
        return self.decode(self.sample_latents(z2, seed_z1, sampler), seed_x, sampler)

    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor, sampler: str = "cached"
               ) -> tf.Tensor:
        """uint8 ``[num_samples, H, W, C]`` from the model (per-level seeds derived from
        ``seed``)."""
        return self.sample_levels(num_samples, level_seed(seed, 0), level_seed(seed, 1),
                                  level_seed(seed, 2), sampler)

    def reconstruct(self, images: tf.Tensor, seed: tf.Tensor, level: str = "z1",
                    sampler: str = "cached", sample_posterior: bool = False) -> tf.Tensor:
        """Fig. A.1: decode a code of ``level`` (``z1``: x ~ p(x | z1); ``z2``: z1 ~ p(z1 | z2),
        then x) -> uint8 ``[B, H, W, C]``. The code is the posterior mean, or with
        ``sample_posterior`` a draw from q(level|x) (noise from ``seed`` too)."""
        code = self.encode(images)
        top = check_name(level, LEVELS, "reconstruction level") == "z2"
        mean, stddev = ((code["mean"], code["stddev"]) if top
                        else (code["z1_mean"], code["z1_stddev"]))
        if sample_posterior:
            mean += stddev * tf.random.stateless_normal(tf.shape(mean), seed_pair(seed, 4))
        return (self.decode_top if top else self.decode)(mean, seed, sampler)

    def elbo(self, images: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        """One-sample ELBO: {"elbo", "recon", "kl", "kl_z1", "kl_z2"} float32 ``[B]`` nats;
        kl = kl_z1 + kl_z2, elbo = -(recon + kl)."""
        shape1, shape2 = self._noise_shapes(tf.shape(images)[0])
        terms = self._elbo_terms(
            images, tf.random.stateless_normal(shape1, seed=seed_pair(seed, 2)),
            tf.random.stateless_normal(shape2, seed=seed_pair(seed, 3)))
        return {**terms, "kl": terms["kl_z1"] + terms["kl_z2"]}

    def iw_elements_per_image(self) -> int:
        """float32 activations per (image, importance sample) bounding an IW chunk's memory."""
        cfg = self.config
        height, width, channels = self.image_shape
        pixel = (channels * (self.likelihood.params_per_channel + cfg.embedding_dim)
                 + 4 * cfg.pixel_filters * (cfg.pixel_blocks + 1)
                 + 4 * cfg.dim_0 * (cfg.res_blocks + 1))
        latent = 4 * (cfg.latent_filters + cfg.dim_2) * (cfg.latent_blocks + cfg.res_blocks + 1)
        return height * width * pixel + math.prod(self.latent_shape[:2]) * latent

    def importance_weighted_log_prob(self, images: tf.Tensor, num_samples: tf.Tensor,
                                     seed: tf.Tensor) -> tf.Tensor:
        """log p(x) >= log (1/K) sum_k p(x|z1_k) p(z1_k|z2_k) p(z2_k) / (q(z1_k|x) q(z2_k|x)),
        K = ``num_samples``: float32 ``[B]`` nats."""
        q1, q2 = self.posteriors(images)
        batch = tf.shape(images)[0]
        per_sample = tf.maximum(self.iw_elements_per_image() * batch, 1)
        chunk = tf.maximum(1, self.config.iw_chunk_elements // per_sample)

        def log_weights(num, index):
            z1 = q1.sample(num, seed=tf.stack([tf.cast(seed, tf.int32), 3 + 2 * index]))
            z2 = q2.sample(num, seed=tf.stack([tf.cast(seed, tf.int32), 4 + 2 * index]))
            flat1 = tf.reshape(z1, [-1, *self.latent_shape])  # row i*B + b: image b
            flat2 = tf.reshape(z2, [-1, self.latent_dim])
            tiled = tf.tile(images, [num, 1, 1, 1])
            joint = (self.reconstruction_log_prob(flat1, tiled)
                     + self.latent_log_prob(flat1, flat2))
            return (tf.reshape(joint, [num, batch]) + self.prior2.log_prob(z2)
                    - q1.log_prob(z1) - q2.log_prob(z2))

        return importance_weighted_bound(log_weights, batch, num_samples, chunk)

    def log_prob(self, images: tf.Tensor) -> tf.Tensor:
        """log p(x) estimated with ``config.log_prob_samples`` importance samples (seed 0)."""
        return self.importance_weighted_log_prob(images, self.config.log_prob_samples, 0)

    def serving_signatures(self) -> SignatureTable:
        """``log_prob`` (serving_default), ``sample``, ``encode``, ``decode`` (z1 map),
        ``decode_top`` (z2), ``elbo``, ``importance_weighted_log_prob``."""
        shared = verb_signatures(self, ("log_prob", "sample", "importance_weighted_log_prob"))
        z1 = tf.TensorSpec([None, *self.latent_shape], tf.float32, name="z")
        z2 = tf.TensorSpec([None, self.latent_dim], tf.float32, name="z")

        def encode(x):
            out = self.encode(x)
            return {k: checked("encode", k, v, tf.float32, 2 if k in ("mean", "stddev") else 4)
                    for k, v in out.items()}

        def elbo(x, seed):
            return {k: checked("elbo", k, v, tf.float32, 1)
                    for k, v in self.elbo(x, seed).items()}

        return {
            "log_prob": shared["log_prob"], "sample": shared["sample"],
            "encode": Signature((data_spec(self),), encode),
            "decode": Signature((z1, scalar("seed")), lambda z, seed: data_out(
                self, "decode", unless_empty(self, tf.shape(z)[0],
                                             lambda: self.decode(z, seed)))),
            "decode_top": Signature((z2, scalar("seed")), lambda z, seed: data_out(
                self, "decode_top", unless_empty(self, tf.shape(z)[0],
                                                 lambda: self.decode_top(z, seed)))),
            "elbo": Signature((data_spec(self), scalar("seed")), elbo),
            "importance_weighted_log_prob": shared["importance_weighted_log_prob"],
        }

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}
