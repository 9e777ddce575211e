"""Named experiments: each thesis setting is data (model, model config, training config).

``train/run.py --experiment=NAME`` starts from an entry; flags given on the command line
override its fields. ``DEFAULT_EXPERIMENT`` is what ``python train/run.py`` runs with no flags.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from tfgen.utils.registry import lookup


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    description: str
    model: str
    model_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    train_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)


_ENTRIES = (
    Experiment(
        "vae_fashion_mnist",
        "Convolutional VAE (8+8 3x3 conv layers) on dynamically binarized Fashion-MNIST; a "
        "few minutes on 2 CPU cores.",
        model="vae", model_config={"latent_dim": 32},
        train_config={"dataset": "binarized_fashion_mnist", "train_steps": 1200,
                      "batch_size": 64, "learning_rate": 1e-3}),
    Experiment(
        "vae_mnist_ood",
        "The thesis' normality-model VAE (chapter 4): encoder and decoder of 8 layers with 3x3 "
        "filters on dynamically binarized MNIST (needs TFDS mnist).",
        model="vae", model_config={"conv_layers": 8, "latent_dim": 32},
        train_config={"dataset": "mnist", "binarize": True, "train_steps": 20000}),
    Experiment(
        "vae_cifar10",
        "Convolutional VAE with a discretized logistic mixture likelihood on CIFAR-10 "
        "(needs TFDS cifar10).",
        model="vae", model_config={"likelihood": "logistic", "latent_dim": 128, "filters": 64},
        train_config={"dataset": "cifar10", "train_steps": 50000}),
    Experiment(
        "pixelcnn_fashion_mnist",
        "PixelCNN (7x7 mask-A conv, 6 residual blocks of 3x3 mask-B convs, 64 filters) on "
        "dynamically binarized Fashion-MNIST; exact NLL; samples with the cached sampler.",
        model="pixelcnn", model_config={"ar_layers": 6, "filters": 64, "kernel_size": 3},
        train_config={"dataset": "binarized_fashion_mnist", "train_steps": 2000,
                      "batch_size": 64, "learning_rate": 1e-3}),
    Experiment(
        "gated_pixelcnn_fashion_mnist",
        "Gated PixelCNN (a 7x7 gated block then 5 gated 5x5 blocks, 32 filters, two gated 1x1 "
        "layers: the thesis' MNIST PixelVAE decoder stack without z) on dynamically binarized "
        "Fashion-MNIST.",
        model="gated_pixelcnn", model_config={"ar_layers": 6, "filters": 32, "kernel_size": 5},
        train_config={"dataset": "binarized_fashion_mnist", "train_steps": 2000,
                      "batch_size": 64, "learning_rate": 1e-3}),
    # -- GANs (thesis chapter 3). --batch_size is what one generator iteration consumes:
    # n_critic real minibatches of batch_size / n_critic (the thesis' m = 64 with n_critic = 5
    # is batch_size 320); --train_steps counts generator iterations.
    Experiment(
        "wgan_gp_8gaussians",
        "WGAN-GP on the 8 Gaussians toy set with gan_toy.py's networks (3x512 ReLU MLPs, z in "
        "R^2), n_critic=5 minibatches of 256, lambda=0.1 as in gan_toy.py, Adam(beta1=0.5, "
        "beta2=0.9); a faster linearly decayed rate so it converges on 2 CPU cores.",
        model="gan", model_config={"loss": "wgan-gp", "generator": "toy_mlp", "critic": "toy_mlp",
                                   "latent_dim": 2, "gp_weight": 0.1, "beta1": 0.5,
                                   "lr_decay_steps": 2000},
        train_config={"dataset": "8gaussians", "batch_size": 5 * 256, "train_steps": 2000,
                      "learning_rate": 1e-3, "sample_images": 1000, "eval_batches": 2}),
    Experiment(
        "wgan_gp_fashion_mnist",
        "WGAN-GP (Algorithm 1: lambda=10, n_critic=5, Adam(1e-4, 0, 0.9)) with the 28x28 DCGAN "
        "generator (batch norm) and critic (no normalization) on Fashion-MNIST.",
        model="gan", model_config={"loss": "wgan-gp", "generator": "dcgan", "critic": "dcgan",
                                   "latent_dim": 128},
        train_config={"dataset": "fashion_mnist", "batch_size": 5 * 64, "train_steps": 20000}),
    Experiment(
        "dcgan_fashion_mnist",
        "The DCGAN baseline: non-saturating GAN loss, n_critic=1, Adam(2e-4, 0.5), batch norm in "
        "both DCGAN networks, on Fashion-MNIST.",
        model="gan", model_config={"loss": "dcgan", "generator": "dcgan", "critic": "dcgan",
                                   "critic_norm": "batch", "latent_dim": 128},
        train_config={"dataset": "fashion_mnist", "batch_size": 64, "train_steps": 20000}),
    Experiment(
        "wgan_gp_cifar10_resnet",
        "The thesis' CIFAR-10 ResNet (appendix B.3: 128 filters, pre-activation blocks, batch "
        "norm in the generator only), WGAN-GP lambda=10, n_critic=5, Adam(2e-4, 0, 0.9) decayed "
        "linearly to 0 over 100K generator iterations, minibatch 64 (needs TFDS cifar10).",
        model="gan", model_config={"loss": "wgan-gp", "generator": "resnet_cifar",
                                   "critic": "resnet_cifar", "latent_dim": 128,
                                   "lr_decay_steps": 100000},
        train_config={"dataset": "cifar10", "batch_size": 5 * 64, "train_steps": 100000,
                      "learning_rate": 2e-4}),
    Experiment(
        "wgan_gp_cifar10_resnet_acgan",
        "wgan_gp_cifar10_resnet with AC-GAN conditioning (an auxiliary classifier head on the "
        "critic, class-conditional generator; labels from CIFAR-10), as in Fig. 3.4/3.5 right.",
        model="gan", model_config={"loss": "wgan-gp", "generator": "resnet_cifar",
                                   "critic": "resnet_cifar", "latent_dim": 128,
                                   "lr_decay_steps": 100000, "conditional": True},
        train_config={"dataset": "cifar10", "batch_size": 5 * 64, "train_steps": 100000,
                      "learning_rate": 2e-4}),
    Experiment(
        "pixelvae_fashion_mnist",
        "PixelVAE (the thesis' MNIST encoder and upsampling decoder, whose map conditions a 7x7 "
        "and a 5x5 gated PixelCNN layer; 64-d z, 32 filters) on dynamically binarized "
        "Fashion-MNIST, with a KL warm-up; IW log_prob (K=128), cached-sampler decode.",
        model="pixelvae", model_config={"latent_dim": 64, "ar_layers": 2, "decoder": "upsample",
                                        "kl_warmup_steps": 300},
        train_config={"dataset": "binarized_fashion_mnist", "train_steps": 1200,
                      "batch_size": 64, "learning_rate": 1e-3}),
    Experiment(
        "pixelvae_mnist",
        "Table 2.1's Gated PixelVAE on statically binarized MNIST (needs TFDS binarized_mnist): "
        "appendix encoder/upsampling decoder, a 7x7 and 5 5x5 gated layers, batch 100, KL "
        "warm-up over 10k steps as in the original code; evaluate with K=5000.",
        model="pixelvae", model_config={"latent_dim": 64, "ar_layers": 6, "decoder": "upsample",
                                        "kl_warmup_steps": 10000},
        train_config={"dataset": "binarized_mnist", "train_steps": 200000, "batch_size": 100,
                      "learning_rate": 1e-3}),
    Experiment(
        "pixelvae_cond_bias_mnist",
        "Table 2.1's Gated PixelVAE without upsampling on binarized MNIST (needs TFDS "
        "binarized_mnist): every gated layer adds a linear map of z to its gates.",
        model="pixelvae", model_config={"latent_dim": 64, "ar_layers": 6, "decoder": "cond_bias",
                                        "kl_warmup_steps": 10000},
        train_config={"dataset": "binarized_mnist", "train_steps": 200000, "batch_size": 100,
                      "learning_rate": 1e-3}),
)
# -- Hierarchical PixelVAE (thesis §2.4.2-2.4.3): the original code's settings. Its staircase LR
# decay is the model's lr_decay_steps/lr_decay_factor; warm-ups are kl1/kl2_warmup_steps.
_HPVAE_32PX_SMALL = {"latent_channels": 64, "latent_dim": 512, "embedding_dim": 16, "dim_0": 64,
                     "dim_1": 128, "dim_2": 256, "dim_top": 512, "res_blocks": 2,
                     "pixel_filters": 128, "pixel_blocks": 2, "latent_filters": 512,
                     "latent_blocks": 2, "kl1_warmup_steps": 2000, "kl2_warmup_steps": 5000,
                     "lr_decay_steps": 180000, "lr_decay_factor": 0.1}
_HPVAE_64PX_BIG = {"latent_channels": 64, "latent_dim": 512, "embedding_dim": 16, "dim_0": 192,
                   "dim_1": 256, "dim_2": 512, "dim_top": 512, "res_blocks": 2,
                   "pixel_filters": 384, "pixel_blocks": 3, "latent_filters": 512,
                   "latent_blocks": 2, "kl1_warmup_steps": 1000, "kl2_warmup_steps": 10000,
                   "lr_decay_steps": 180000, "lr_decay_factor": 0.5}
_ENTRIES += (
    Experiment(
        "hierarchical_pixelvae_lsun64",
        "Two-level PixelVAE on 64x64 LSUN bedrooms (Fig. 2.6; the appendix tables = the original "
        "code's 64px_big): z1 16x16x64, z2 512, widths 192/256/512, pixel PixelCNN 3 gated "
        "blocks of 384, Adam 1e-3 halved every 180K steps, batch 48, 400K steps.",
        model="hierarchical_pixelvae", model_config=_HPVAE_64PX_BIG,
        train_config={"dataset": "lsun_bedroom", "image_size": 64, "train_steps": 400000,
                      "batch_size": 48, "learning_rate": 1e-3}),
    Experiment(
        "hierarchical_pixelvae_imagenet64",
        "Two-level PixelVAE on 64x64 ImageNet (Table 2.2: <= 3.62 bits/dim validation); the "
        "same architecture and training as hierarchical_pixelvae_lsun64.",
        model="hierarchical_pixelvae", model_config=_HPVAE_64PX_BIG,
        train_config={"dataset": "imagenet64", "train_steps": 400000, "batch_size": 48,
                      "learning_rate": 1e-3}),
    Experiment(
        "hierarchical_pixelvae_lsun32",
        "Two-level PixelVAE on 32x32 LSUN bedrooms (§2.4.2's quantitative model; the original "
        "code's 32px_small): z1 8x8x64, z2 512, widths 64/128/256/512, Adam 1e-3 decayed x0.1 "
        "after 180K steps, batch 64, 200K steps.",
        model="hierarchical_pixelvae", model_config=_HPVAE_32PX_SMALL,
        train_config={"dataset": "lsun_bedroom", "image_size": 32, "train_steps": 200000,
                      "batch_size": 64, "learning_rate": 1e-3}),
    Experiment(
        "hierarchical_pixelvae_cifar10",
        "Two-level PixelVAE with the original code's 32px_small setting on CIFAR-10.",
        model="hierarchical_pixelvae", model_config=_HPVAE_32PX_SMALL,
        train_config={"dataset": "cifar10", "train_steps": 200000, "batch_size": 64,
                      "learning_rate": 1e-3}),
    Experiment(
        "hierarchical_pixelvae_cpu",
        "A CPU-sized two-level PixelVAE on 32x32 colour patches of photographs (the offline "
        "photo_patches; the model's defaults: z1 8x8x8, z2 32) with short KL warm-ups; minutes "
        "on 2 CPU cores.",
        model="hierarchical_pixelvae",
        model_config={"kl1_warmup_steps": 200, "kl2_warmup_steps": 500},
        train_config={"dataset": "photo_patches", "image_size": 32, "train_steps": 2000,
                      "batch_size": 32, "learning_rate": 1e-3}),
)
_ENTRIES += (
    Experiment(
        "wgan_gp_text",
        "§3.5.4's character-level WGAN-GP language model as in the paper's gan_language.py: 1-D "
        "residual CNN generator (softmax over characters, no sampling step) and critic, dim 512, "
        "32 characters, lambda=10, n_critic=10 minibatches of 64, Adam(1e-4, 0.5, 0.9); on the "
        "offline Debian `fortunes` prose (the thesis' Billion Word: --dataset=lm1b once TFDS has "
        "it prepared). Samples are decoded to images/samples-<step>.txt.",
        model="gan", model_config={"loss": "wgan-gp", "generator": "text_cnn",
                                   "critic": "text_cnn", "latent_dim": 128, "n_critic": 10,
                                   "beta1": 0.5, "beta2": 0.9},
        train_config={"dataset": "fortunes", "batch_size": 10 * 64, "train_steps": 200000,
                      "learning_rate": 1e-4, "sample_images": 64}),
)
# -- PixelCNN++ (Salimans et al. 2017): the paper's CIFAR-10 model and a CPU-sized one.
_ENTRIES += (
    Experiment(
        "pixelcnn_pp_cifar10",
        "PixelCNN++ as in the paper (openai/pixel-cnn train.py defaults): 6 stages of 5 gated "
        "ResNet blocks, 160 filters, 10 logistic components per pixel, dropout 0.5, Adam 1e-3 "
        "decayed x0.999995 per step; batch 96 (train.py's 12 per GPU on 8 GPUs). Paper: 2.92 "
        "bits/dim on the test set (needs TFDS cifar10).",
        model="pixelcnn_pp", model_config={"nr_resnet": 5, "nr_filters": 160,
                                           "nr_logistic_mix": 10, "dropout": 0.5},
        train_config={"dataset": "cifar10", "train_steps": 500000, "batch_size": 96,
                      "learning_rate": 1e-3}),
    Experiment(
        "pixelcnn_pp_cpu",
        "A CPU-sized PixelCNN++ (1 block per stage, 32 filters, 5 components) on 16x16 colour "
        "patches of photographs (the offline photo_patches): a few hundred steps in minutes on "
        "2 CPU cores.",
        model="pixelcnn_pp", model_config={"nr_resnet": 1, "nr_filters": 32,
                                           "nr_logistic_mix": 5, "dropout": 0.5},
        train_config={"dataset": "photo_patches", "image_size": 16, "train_steps": 300,
                      "batch_size": 16, "learning_rate": 1e-3, "sample_images": 4}),
)

# -- IAF-VAE (thesis §4.3.2: "an IAF model with two levels of autoregressive inverse
# transforms", ~3.5 bits/dim on CIFAR-10 after 50 epochs). openai/iaf's sizes: z maps of 32
# channels at 16x16, ResNet width 160, 3x3 autoregressive convs of width 160.
_ENTRIES += (
    Experiment(
        "iaf_vae_cifar10",
        "IAF-VAE on CIFAR-10 (needs TFDS cifar10): ResNet encoder/decoder of width 160 (2 blocks "
        "per resolution), a 16x16x32 latent map, 2 IAF steps of masked 3x3 convs (width 160) "
        "conditioned on a 32-channel context, discretized logistic mixture p(x|z); 50 epochs of "
        "batch 64 as in the thesis' footnote.",
        model="iaf_vae", model_config={"latent_channels": 32, "filters": 160, "downsamples": 1,
                                       "res_blocks": 2, "context_channels": 32,
                                       "flow_steps": 2, "flow_filters": 160, "flow_layers": 2,
                                       "likelihood": "logistic", "mixture_components": 5,
                                       "kl_warmup_steps": 5000},
        train_config={"dataset": "cifar10", "train_steps": 40000, "batch_size": 64,
                      "learning_rate": 1e-3}),
    Experiment(
        "iaf_vae_cpu",
        "A CPU-sized IAF-VAE on 16x16 colour patches of photographs (the offline photo_patches): "
        "width 32, an 8x8x8 latent map, 2 IAF steps (width 16), logistic mixture; a few hundred "
        "steps in minutes on 2 CPU cores.",
        model="iaf_vae", model_config={"latent_channels": 8, "filters": 32, "downsamples": 1,
                                       "res_blocks": 1, "context_channels": 8, "flow_steps": 2,
                                       "flow_filters": 16, "flow_layers": 2,
                                       "likelihood": "logistic", "mixture_components": 3,
                                       "kl_warmup_steps": 100, "log_prob_samples": 16},
        train_config={"dataset": "photo_patches", "image_size": 16, "train_steps": 400,
                      "batch_size": 32, "learning_rate": 1e-3}),
)
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in _ENTRIES}
DEFAULT_EXPERIMENT = "pixelvae_fashion_mnist"


def experiment_names() -> list[str]:
    return sorted(EXPERIMENTS)


def get_experiment(name: str) -> Experiment:
    return lookup(EXPERIMENTS, name, "experiment")
