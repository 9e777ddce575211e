"""GAN objectives as per-example functions of raw critic outputs, and their paper defaults.

Every critic output here is a **raw** value (a Wasserstein critic value or a logit), float32
``[B]``; sigmoids live inside the losses (``softplus``) so nothing saturates numerically.
Each loss returns per-example terms; the model sums them and divides by the global batch.

| name | critic loss per pair (x, x̃) | generator loss per z | defaults (thesis ch. 3) |
|---|---|---|---|
| ``wgan-gp`` | D(x̃) − D(x) + λ·GP | −D(G(z)) | Adam(1e-4, β1=0, β2=0.9), n_critic=5, λ=10 |
| ``wgan-clip`` | D(x̃) − D(x), weights clipped to ±c | −D(G(z)) | RMSProp(5e-5), n_critic=5, c=0.01 |
| ``dcgan`` | softplus(−D(x)) + softplus(D(x̃)) | softplus(−D(G(z))) (non-saturating) | Adam(2e-4, β1=0.5), n_critic=1 |
| ``lsgan`` | ½(D(x) − 1)² + ½D(x̃)² | ½(D(G(z)) − 1)² | RMSProp(1e-4), n_critic=1 |

AC-GAN (Odena et al. 2017) adds a cross-entropy of an auxiliary class head to either player:
:func:`auxiliary_classifier_loss`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import keras
import tensorflow as tf

from tfgen.utils.registry import lookup

Pair = tuple[tf.Tensor, tf.Tensor]


def wasserstein_critic_loss(d_real: tf.Tensor, d_fake: tf.Tensor) -> tf.Tensor:
    """``D(x̃) − D(x)``: float32 ``[B]`` (its negative mean estimates W(P_r, P_g))."""
    return d_fake - d_real


def wasserstein_generator_loss(d_fake: tf.Tensor) -> tf.Tensor:
    """``−D(G(z))``: float32 ``[B]``."""
    return -d_fake


def dcgan_critic_loss(d_real: tf.Tensor, d_fake: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy of logits, real = 1, fake = 0: ``softplus(−D(x)) + softplus(D(x̃))``
    = ``−log σ(D(x)) − log(1 − σ(D(x̃)))`` in nats, float32 ``[B]``."""
    return tf.nn.softplus(-d_real) + tf.nn.softplus(d_fake)


def dcgan_generator_loss(d_fake: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss ``−log σ(D(G(z)))`` = ``softplus(−D(G(z)))``, ``[B]``."""
    return tf.nn.softplus(-d_fake)


def lsgan_critic_loss(d_real: tf.Tensor, d_fake: tf.Tensor) -> tf.Tensor:
    """Least squares (Mao et al. 2017, a=0, b=c=1): ``½(D(x) − 1)² + ½D(x̃)²``, ``[B]``."""
    return 0.5 * tf.square(d_real - 1.0) + 0.5 * tf.square(d_fake)


def lsgan_generator_loss(d_fake: tf.Tensor) -> tf.Tensor:
    """``½(D(G(z)) − 1)²``, float32 ``[B]``."""
    return 0.5 * tf.square(d_fake - 1.0)


def auxiliary_classifier_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """AC-GAN class cross-entropy in nats: int ``[B]`` labels, float ``[B, K]`` logits -> ``[B]``."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(labels, tf.int32), logits=tf.cast(logits, tf.float32))


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """One GAN objective and the thesis' default training settings for it.

    Attributes:
      name: registry name (``--loss``).
      critic_loss: (D(x) ``[B]``, D(x̃) ``[B]``) -> per-example critic loss ``[B]``.
      generator_loss: D(G(z)) ``[B]`` -> per-example generator loss ``[B]``.
      gradient_penalty: add λ·GP to the critic loss.
      weight_clipping: clip every critic weight to ±c after each critic update.
      optimizer: ``"adam"`` or ``"rmsprop"``.
      learning_rate, beta_1, beta_2: optimizer defaults (betas for Adam only).
      n_critic: critic updates per generator update.
    """

    name: str
    critic_loss: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
    generator_loss: Callable[[tf.Tensor], tf.Tensor]
    gradient_penalty: bool = False
    weight_clipping: bool = False
    optimizer: str = "adam"
    learning_rate: float = 1e-4
    beta_1: float = 0.0
    beta_2: float = 0.9
    n_critic: int = 5

    def make_optimizer(self, learning_rate=None, beta_1: float | None = None,
                       beta_2: float | None = None, name: str | None = None
                       ) -> keras.optimizers.Optimizer:
        """A fresh optimizer with this loss' defaults; ``None`` arguments take the default.
        ``learning_rate`` may be a float or a Keras learning-rate schedule."""
        lr = self.learning_rate if learning_rate is None else learning_rate
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(lr, name=name)
        return keras.optimizers.Adam(lr, beta_1=self.beta_1 if beta_1 is None else beta_1,
                                     beta_2=self.beta_2 if beta_2 is None else beta_2, name=name)


LOSSES: dict[str, GANLoss] = {
    "wgan-gp": GANLoss("wgan-gp", wasserstein_critic_loss, wasserstein_generator_loss,
                       gradient_penalty=True, optimizer="adam", learning_rate=1e-4, beta_1=0.0,
                       beta_2=0.9, n_critic=5),
    "wgan-clip": GANLoss("wgan-clip", wasserstein_critic_loss, wasserstein_generator_loss,
                         weight_clipping=True, optimizer="rmsprop", learning_rate=5e-5,
                         n_critic=5),
    "dcgan": GANLoss("dcgan", dcgan_critic_loss, dcgan_generator_loss, optimizer="adam",
                     learning_rate=2e-4, beta_1=0.5, beta_2=0.999, n_critic=1),
    "lsgan": GANLoss("lsgan", lsgan_critic_loss, lsgan_generator_loss, optimizer="rmsprop",
                     learning_rate=1e-4, n_critic=1),
}


def loss_names() -> list[str]:
    return sorted(LOSSES)


def get_loss(name: str) -> GANLoss:
    """The :class:`GANLoss` called ``name``; ValueError listing the valid names otherwise."""
    return lookup(LOSSES, name, "GAN loss")
