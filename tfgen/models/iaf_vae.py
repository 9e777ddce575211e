"""IAF-VAE (Kingma et al. 2016; the thesis' CIFAR-10 normality model, §4.3.2): a ResNet VAE
whose posterior is a diagonal Gaussian pushed through ``flow_steps`` inverse autoregressive flow
steps ("two levels of autoregressive inverse transforms").

* Latent: a feature map ``[h, w, c] = [H / 2^downsamples, W / 2^downsamples, latent_channels]``
  as in openai/iaf (16 x 16 x 32 on CIFAR-10), flattened row-major to ``z`` ``[B, D]``
  (``D = h * w * c``) wherever the verbs show it (``encode``, ``decode``, signatures).
  Prior ``p(z) = N(0, I)``.
* Encoder/decoder: :class:`~tfgen.nets.resnet_vae.ResNetEncoder` / ``ResNetDecoder`` (ELU
  pre-activation residual blocks). The encoder's last map holds ``mu``, the raw scale and a
  context ``h`` (``context_channels``), all ``[h, w, .]``.
* ``q(z|x)``: ``z0 = mu + sigma * eps``, then for ``t = 1..T``: ``[m, s] = AR_t(z, h)``,
  ``sigma_t = sigmoid(s + 1)``, ``z <- sigma_t * z + (1 - sigma_t) * m`` with the flat order
  reversed between steps (:func:`tfgen.distributions.iaf.iaf_flow`: a ``tfb.Chain`` of
  :class:`~tfgen.distributions.iaf.InverseAutoregressiveStep` and ``tfb.Permute``). ``AR_t`` is
  a Keras 3 :class:`~tfgen.layers.AutoregressiveConvNet` (masked 3x3 convolutions over positions
  and channels, context added after the first layer) owned by the model, so ``save_weights``,
  checkpoints and exports carry it. ``log q(z_T|x) = log N(z0; mu, sigma) - sum_t sum_i log
  sigma_t,i``.
* Objective: the one-sample negative ELBO ``-log p(x|z_T) + log q(z_T|x) - log p(z_T)`` (KL by
  Monte Carlo, float32 nats per image), optional linear KL warm-up; ``log_prob`` is the
  importance-weighted bound with ``log_prob_samples`` draws.
* ``p(x|z)``: the discretized logistic mixture for 8-bit images (openai/iaf: one discretized
  logistic), Bernoulli for binarized data.

``encode`` returns the mean and standard deviation of ``q(z|x)`` (exact for ``flow_steps = 0``;
otherwise estimated from ``encode_samples`` draws with a fixed seed, since the flowed posterior
has no closed-form moments). :meth:`IAFVAE.posterior_distribution` is ``q(z|x)`` as a
``tfd.TransformedDistribution`` (its ``log_prob`` of an arbitrary ``z`` inverts the flow, which
takes ``D`` sequential network evaluations).

Left out of openai/iaf: its hierarchy of stochastic layers with bidirectional inference (one
latent map here, so ``encode``/``decode`` keep the VAE's meaning), free bits, weight-normalized
data-dependent initialization, Adamax and the weight average.
"""

from __future__ import annotations

import dataclasses
import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.data.spec import IMAGE
from tfgen.distributions.iaf import forward_and_log_det, iaf_flow
from tfgen.distributions.latent import stddev_from_raw
from tfgen.layers.autoregressive import AutoregressiveConvNet
from tfgen.models.base import LatentLikelihoodConfig, seed_pair
from tfgen.models.vae import VAE
from tfgen.nets.resnet_vae import ResNetDecoder, ResNetEncoder, latent_map_shape
from tfgen.utils.config import field

tfd = tfp.distributions

_ENCODE_SALT = 5


@dataclasses.dataclass
class IAFVAEConfig(LatentLikelihoodConfig):
    """Hyperparameters of :class:`IAFVAE` (each is also a ``train/run.py`` flag). Defaults are
    CPU-sized; openai/iaf's CIFAR-10 values are in the help texts (experiment
    ``iaf_vae_cifar10``)."""

    latent_channels: int = field(16, "channels c of the latent map [H/2^d, W/2^d, c] "
                                     "(openai/iaf z_size: 32)", minimum=1)
    filters: int = field(64, "width of every ResNet block (openai/iaf h_size: 160)", minimum=1)
    downsamples: int = field(1, "halvings d from the image to the latent map (openai/iaf: 1, "
                                "16x16 on CIFAR-10)", minimum=0)
    res_blocks: int = field(1, "ResNet blocks at each resolution of encoder and decoder",
                            minimum=0)
    context_channels: int = field(16, "channels of the encoder's context h that conditions "
                                      "every IAF step", minimum=1)
    flow_steps: int = field(2, "IAF steps of q(z|x) (thesis: two; 0 = diagonal Gaussian)",
                            minimum=0)
    flow_filters: int = field(32, "hidden width of each step's autoregressive network (>= "
                                  "latent_channels)", minimum=1)
    flow_layers: int = field(2, "masked hidden layers of each step's autoregressive network",
                             minimum=1)
    flow_kernel_size: int = field(3, "odd kernel of the masked convolutions (1: autoregressive "
                                     "over channels only)", minimum=1)
    kl_warmup_steps: int = field(0, "KL weight rises linearly from 0 to 1 over these steps",
                                 minimum=0)
    encode_samples: int = field(32, "posterior draws behind encode's mean/stddev (flow_steps "
                                    "> 0)", minimum=2)

    def __post_init__(self):
        super().__post_init__()
        if self.flow_kernel_size % 2 == 0:
            raise ValueError(f"IAFVAEConfig.flow_kernel_size (--flow_kernel_size) must be odd; "
                             f"got {self.flow_kernel_size}")
        if self.flow_steps and self.flow_filters < self.latent_channels:
            raise ValueError(f"IAFVAEConfig: flow_filters = {self.flow_filters} is fewer than "
                             f"latent_channels = {self.latent_channels}; each IAF network needs "
                             f"a hidden channel per latent channel (raise --flow_filters or "
                             f"lower --latent_channels)")


@dataclasses.dataclass(frozen=True)
class IAFPosterior:
    """The encoder's output for a batch: the base Gaussian ``N(loc, scale)`` (float32 ``[B, D]``)
    and the context (float32 ``[B, h, w, context_channels]``) the flow is conditioned on."""

    loc: tf.Tensor
    scale: tf.Tensor
    context: tf.Tensor


@keras.saving.register_keras_serializable(package="tfgen")
class IAFVAE(VAE):
    """IAF-VAE over uint8 images ``[H, W, C]``; all log-densities in nats per image.

    Verbs (as the VAE's): ``encode`` (q(z|x) mean/stddev ``[B, D]``), ``decode(z, seed)``,
    ``sample``, ``elbo``, ``importance_weighted_log_prob``, ``log_prob``.
    """

    Config = IAFVAEConfig
    #: The likelihood ``likelihood="auto"`` resolves to for 8-bit data.
    eight_bit_likelihood = "logistic"

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind, **config)
        cfg = self.config
        # float32 whatever the precision policy: the log-determinants sum D terms.
        self.flow_networks = [
            AutoregressiveConvNet(cfg.flow_filters, cfg.flow_layers, cfg.flow_kernel_size,
                                  num_outputs=2, dtype="float32", name=f"iaf_step{t}")
            for t in range(cfg.flow_steps)]

    @property
    def latent_shape(self) -> tuple[int, int, int]:
        """``(h, w, c)`` of the latent map."""
        cfg = self.config
        return latent_map_shape(self.image_shape, cfg.latent_channels, cfg.downsamples)

    def flat_latent_dim(self) -> int:
        return math.prod(self.latent_shape)

    def build_networks(self):
        cfg = self.config
        out_channels = 2 * cfg.latent_channels + cfg.context_channels
        encoder = ResNetEncoder(out_channels, cfg.filters, cfg.downsamples, cfg.res_blocks,
                                name="encoder")
        decoder = ResNetDecoder(self.latent_shape,
                                self.image_shape[-1] * self.likelihood.params_per_channel,
                                cfg.filters, cfg.downsamples, cfg.res_blocks, name="decoder")
        return encoder, decoder

    def iw_elements_per_image(self) -> int:
        height, width, _ = self.image_shape
        h, w, c = self.latent_shape
        cfg = self.config
        flow = h * w * cfg.flow_steps * (cfg.flow_filters * cfg.flow_layers + 4 * c)
        decoder = height * width * 3 * cfg.filters
        return super().iw_elements_per_image() + decoder + flow

    # -- q(z|x) ------------------------------------------------------------------------------
    def posterior(self, images: tf.Tensor) -> IAFPosterior:
        """The encoder's base Gaussian and context for uint8 ``[B, H, W, C]``."""
        c = self.config.latent_channels
        out = tf.cast(self.encoder(self.likelihood.network_input(images)), tf.float32)
        mean, raw_scale, context = tf.split(out, [c, c, self.config.context_channels], axis=-1)
        flat = [-1, self.latent_dim]
        return IAFPosterior(tf.reshape(mean, flat), stddev_from_raw(tf.reshape(raw_scale, flat)),
                            context)

    def flow(self, context: tf.Tensor) -> tfp.bijectors.Bijector:
        """The IAF chain on flat ``[N, D]`` latents, conditioned on ``context`` ``[N, h, w, .]``."""
        return iaf_flow(self.flow_networks, self.latent_shape, context)

    def push_forward(self, q: IAFPosterior, noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Standard normal ``noise`` float32 ``[n, B, D]`` -> (z_T ``[n, B, D]``, log q(z_T|x)
        ``[n, B]`` nats): ``z0 = loc + scale * noise`` through the flow."""
        noise = tf.cast(noise, tf.float32)
        num, batch = tf.shape(noise)[0], tf.shape(q.loc)[0]
        z0 = q.loc + q.scale * noise
        base_log_prob = tfd.Independent(tfd.Normal(q.loc, q.scale), 1).log_prob(z0)
        context = tf.tile(q.context, [num, 1, 1, 1])  # row i*B + b is image b
        z, log_det = forward_and_log_det(self.flow(context), tf.reshape(z0, [-1, self.latent_dim]))
        return (tf.reshape(z, [num, batch, self.latent_dim]),
                base_log_prob - tf.reshape(log_det, [num, batch]))

    def posterior_sample_and_log_prob(self, q, num, seed):
        noise = tf.random.stateless_normal(tf.stack([num, tf.shape(q.loc)[0], self.latent_dim]),
                                           seed=seed)
        return self.push_forward(q, noise)

    def posterior_distribution(self, images: tf.Tensor) -> tfd.Distribution:
        """q(z|x) as a ``tfd.TransformedDistribution``, batch ``[B]``, event ``[D]``: ``sample()``
        draws one z per image (``sample(n)`` would need n-tiled contexts; use
        :meth:`posterior_sample_and_log_prob`); ``log_prob(z)`` of any ``[B, D]`` inverts the
        flow (D sequential network evaluations)."""
        q = self.posterior(images)
        return tfd.TransformedDistribution(tfd.Independent(tfd.Normal(q.loc, q.scale), 1),
                                           self.flow(q.context))

    # -- objective ---------------------------------------------------------------------------
    def _elbo_terms(self, images, noise):
        z, log_q = self.push_forward(self.posterior(images), noise[None])
        z, log_q = z[0], log_q[0]
        recon = -self.reconstruction_log_prob(z, images)
        kl = log_q - self.prior.log_prob(z)  # one-sample Monte Carlo KL
        return recon, kl

    # -- verbs -------------------------------------------------------------------------------
    def encode(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        """uint8 ``[B, H, W, C]`` -> {"mean", "stddev"}: float32 ``[B, D]``, the moments of
        q(z|x): exact without flow steps, else from ``encode_samples`` draws (fixed seed)."""
        q = self.posterior(images)
        if not self.flow_networks:
            return {"mean": q.loc, "stddev": q.scale}
        z, _ = self.posterior_sample_and_log_prob(q, self.config.encode_samples,
                                                  seed_pair(0, _ENCODE_SALT))
        return {"mean": tf.reduce_mean(z, axis=0), "stddev": tf.math.reduce_std(z, axis=0)}
