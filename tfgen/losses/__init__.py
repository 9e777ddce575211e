"""GAN objectives: wgan-gp, wgan-clip, dcgan (non-saturating), lsgan, and the AC-GAN term."""

from tfgen.losses.adversarial import (
    LOSSES,
    GANLoss,
    auxiliary_classifier_loss,
    dcgan_critic_loss,
    dcgan_generator_loss,
    get_loss,
    loss_names,
    lsgan_critic_loss,
    lsgan_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from tfgen.losses.penalty import gradient_norm, gradient_penalty, interpolate

__all__ = ["LOSSES", "GANLoss", "auxiliary_classifier_loss", "dcgan_critic_loss",
           "dcgan_generator_loss", "get_loss", "gradient_norm", "gradient_penalty", "interpolate",
           "loss_names", "lsgan_critic_loss", "lsgan_generator_loss", "wasserstein_critic_loss",
           "wasserstein_generator_loss"]
