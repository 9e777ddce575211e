"""PixelVAE (Gulrajani et al. 2017; thesis chapter 2): a VAE whose p(x|z) is a gated PixelCNN.

``q(z|x)`` is a diagonal Gaussian from the thesis' MNIST encoder, ``p(z) = N(0, I)``, and
``p(x|z) = prod_i p(x_i | x_<i, z)`` an autoregressive pixel likelihood (Bernoulli for binarized
data, 256-way categorical or discretized logistic mixture for 8-bit data) computed by gated
PixelCNN layers conditioned on ``z``:

* ``decoder="upsample"`` (the appendix decoder): ``z`` is upsampled by (transposed) convolutions
  to an ``H x W x f`` map that conditions every gated layer (``condition_map``);
* ``decoder="cond_bias"`` ("Gated PixelVAE without upsampling"): every gated layer adds its own
  linear map of ``z`` to its gates (``condition_vector``).

Training maximizes the ELBO with teacher forcing (one parallel pass over the true image), with an
optional linear KL warm-up; evaluation uses the importance-weighted bound (nats per image).
``decode``/``sample`` generate pixel by pixel given ``z``. Everything else (posterior, bounds,
verbs, export signatures) is inherited from :class:`tfgen.models.vae.VAE` through its
``build_networks``/``reconstruction_log_prob`` hooks.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfgen.data.spec import IMAGE
from tfgen.models.base import LatentLikelihoodConfig, seed_pair
from tfgen.models.vae import VAE
from tfgen.nets.pixelvae import DECODERS, UPSAMPLE, PixelVAEDecoder, PixelVAEEncoder
from tfgen.sampling import cached_sample_network, naive_sample_network
from tfgen.utils.config import field
from tfgen.utils.registry import check_name, lookup


SAMPLERS = {"cached": cached_sample_network, "naive": naive_sample_network}


@dataclasses.dataclass
class PixelVAEConfig(LatentLikelihoodConfig):
    """Hyperparameters of :class:`PixelVAE` (each is also a ``train/run.py`` flag).

    Defaults follow the thesis' MNIST model (Appendix A.0.5 and the original code) except
    ``ar_layers``, which is CPU-sized; Fig. 2.4 sweeps it.
    """

    latent_dim: int = field(64, "dimensionality of z (thesis MNIST code: 64; Fig. 2.5: 2)",
                            minimum=1)
    decoder: str = field(UPSAMPLE, "upsample (appendix decoder; its map conditions the gated "
                                   "layers) | cond_bias (a linear map of z in every gated layer)")
    ar_layers: int = field(2, "gated PixelCNN layers in p(x|z): the first first_kernel_size "
                              "wide, the rest kernel_size (appendix: 1 + N); 0 = no "
                              "autoregression (upsample only)", minimum=0)
    filters: int = field(32, "width of the gated PixelCNN layers (thesis: 32)", minimum=1)
    gated: bool = field(True, "gated PixelCNN layers (Gated PixelVAE); false: ReLU residual "
                              "blocks after a mask-A conv (Table 2.1's PixelVAE; ar_layers = "
                              "blocks)")
    encoder_filters: int = field(32, "width f of the encoder/upsampling decoder: f, 2f (thesis: "
                                     "32)", minimum=1)
    first_kernel_size: int = field(7, "kernel of the first gated layer (thesis: 7)", minimum=1)
    kernel_size: int = field(5, "kernel of the other gated layers (thesis: 5)", minimum=1)
    kl_warmup_steps: int = field(0, "KL weight rises linearly from 0 to 1 over these steps "
                                    "(original code: 10000)", minimum=0)


@keras.saving.register_keras_serializable(package="tfgen")
class PixelVAE(VAE):
    """PixelVAE over uint8 images ``[H, W, C]``; all log-densities in nats per image.

    Verbs (as the VAE's): ``encode`` (q(z|x) mean/stddev ``[B, D]``), ``decode(z, seed)``
    (autoregressive sampling given z -> uint8 ``[B, H, W, C]``), ``sample``, ``elbo``,
    ``importance_weighted_log_prob``, ``log_prob`` (IW bound with ``log_prob_samples``).
    """

    Config = PixelVAEConfig

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        check_name(config.get("decoder", UPSAMPLE), DECODERS, "PixelVAE decoder")
        super().__init__(image_shape, seed=seed, data_kind=data_kind, **config)

    def build_networks(self):
        cfg = self.config
        encoder = PixelVAEEncoder(self.image_shape, 2 * cfg.latent_dim, cfg.encoder_filters,
                                  name="encoder")
        decoder = PixelVAEDecoder(
            self.image_shape, self.image_shape[-1] * self.likelihood.params_per_channel,
            decoder=cfg.decoder, filters=cfg.filters, upsample_filters=cfg.encoder_filters,
            num_layers=cfg.ar_layers, first_kernel_size=cfg.first_kernel_size,
            kernel_size=cfg.kernel_size, gated=cfg.gated, name="decoder")
        return encoder, decoder

    # -- p(x|z) ------------------------------------------------------------------------------
    def decoder_params(self, z: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
        """Teacher-forced raw likelihood parameters: z float32 ``[B, D]``, x the network input
        float32 ``[B, H, W, C]`` in [-1, 1] -> float32 ``[B, H, W, C * P]``. The parameters at
        pixel i depend on x only through the pixels before i (raster order)."""
        return tf.cast(self.decoder(tf.cast(z, tf.float32), x), tf.float32)

    def reconstruction_log_prob(self, z, images):
        """log p(x|z) = sum_i log p(x_i | x_<i, z) in one teacher-forced pass: float32 ``[B]``."""
        return self.likelihood.log_prob(
            self.decoder_params(z, self.likelihood.network_input(images)), images)

    def iw_elements_per_image(self) -> int:
        height, width, channels = self.image_shape
        hidden = 2 * self.config.filters * (6 * self.config.ar_layers + 4)
        return height * width * (hidden + channels * self.likelihood.params_per_channel)

    def decode(self, z: tf.Tensor, seed: tf.Tensor, sampler: str = "cached") -> tf.Tensor:
        """float32 ``[B, latent_dim]`` -> uint8 ``[B, H, W, C]`` drawn pixel by pixel from
        p(x|z) (raster order, channels in order) with a stateless ``seed`` (int32 scalar).

        ``sampler``: ``"cached"`` (:func:`tfgen.sampling.cached_sample_network`, O(HW) per
        image) or ``"naive"`` (the full-network reference); both give identical images.
        """
        sample_network = lookup(SAMPLERS, sampler, "sampler")
        z = tf.cast(z, tf.float32)
        conditioning = self.decoder.conditioning(z)
        batch = tf.shape(z)[0]
        if not self.decoder.autoregressive:  # pixels are independent given z: one draw
            shape = tf.concat([[batch], self.image_shape], 0)
            params = tf.cast(self.decoder.params(tf.zeros(shape), conditioning), tf.float32)
            return self.likelihood.sample(params, seed_pair(seed, 1))
        return sample_network(self.decoder.pixel, self.likelihood, self.image_shape, batch,
                                 seed, **conditioning)
