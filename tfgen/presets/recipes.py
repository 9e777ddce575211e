"""The registry of presets: each trained preset is data (model, data, config, training, seed).

``train/make_presets.py`` rebuilds a preset from its recipe alone; ``tfgen.presets.load`` reads
what it wrote. The recipes are CPU-sized versions of the experiments of the same name in
:mod:`tfgen.experiments.registry` (same architecture family and data, fewer steps, and for the
VAE and the GAN narrower networks so the committed weights stay small).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tfgen.utils.registry import lookup


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How one preset is made.

    Attributes:
      name: the preset name (``saved_models/presets/<name>/``).
      description: one line for listings and the card.
      model: a :func:`tfgen.models.model_names` name.
      dataset: a :func:`tfgen.data.dataset_names` name; its test split is what the card measures.
      model_config: overrides of the model's ``Config`` (the rest are the model's defaults).
      train_config: :class:`tfgen.training.TrainConfig` fields; ``train_steps`` is a step
        budget (never a time budget) so a rebuild is reproducible.
      seed: weight initialization, data order, binarization and model noise.
    """

    name: str
    description: str
    model: str
    dataset: str
    model_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    train_config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    seed: int = 0

    @property
    def image_size(self) -> int | None:
        """The image side the recipe trains and is measured at (``train_config["image_size"]``;
        None: the dataset's own size)."""
        return int(self.train_config.get("image_size", 0)) or None


#: The image side of the colour (photo_patches) presets.
PHOTO_SIZE = 16

_RECIPES = (
    Recipe(
        "pixelvae_fashion_mnist",
        "PixelVAE (thesis MNIST encoder and upsampling decoder conditioning a 7x7 and a 5x5 "
        "gated PixelCNN layer, 64-d z, 32 filters) on dynamically binarized Fashion-MNIST.",
        model="pixelvae", dataset="binarized_fashion_mnist",
        model_config={"latent_dim": 64, "ar_layers": 2, "decoder": "upsample",
                      "kl_warmup_steps": 50},
        train_config={"train_steps": 150, "batch_size": 64, "learning_rate": 1e-3}),
    Recipe(
        "gated_pixelcnn_fashion_mnist",
        "Gated PixelCNN (a 7x7 gated block, 5 gated 5x5 blocks, 32 filters, two gated 1x1 "
        "layers) on dynamically binarized Fashion-MNIST; exact NLL.",
        model="gated_pixelcnn", dataset="binarized_fashion_mnist",
        model_config={"ar_layers": 6, "filters": 32, "kernel_size": 5},
        train_config={"train_steps": 150, "batch_size": 64, "learning_rate": 1e-3}),
    Recipe(
        "vae_fashion_mnist",
        "Convolutional VAE (8+8 3x3 conv layers, 16 filters doubling per downsample, 32-d z) on "
        "dynamically binarized Fashion-MNIST.",
        model="vae", dataset="binarized_fashion_mnist",
        model_config={"latent_dim": 32, "filters": 16},
        train_config={"train_steps": 300, "batch_size": 64, "learning_rate": 1e-3}),
    Recipe(
        "wgan_gp_fashion_mnist",
        "WGAN-GP (lambda=10, n_critic=5, Adam(2e-4, 0, 0.9)) with 28x28 DCGAN generator "
        "(batch norm) and critic (no normalization), base width 32, on 8-bit Fashion-MNIST.",
        model="gan", dataset="fashion_mnist",
        model_config={"loss": "wgan-gp", "generator": "dcgan", "critic": "dcgan",
                      "latent_dim": 128, "generator_dim": 32, "critic_dim": 32},
        train_config={"train_steps": 100, "batch_size": 5 * 64, "learning_rate": 2e-4}),
    # Colour: 8-bit RGB patches of the offline photographs, all three at PHOTO_SIZE (the
    # recipe's image_size reaches training, measurement, config.json and tfgen.presets.load).
    Recipe(
        "pixelcnn_pp_photo_patches",
        f"PixelCNN++ (1 gated ResNet block per stage, 32 filters, 5 logistic components, dropout "
        f"0.5) on {PHOTO_SIZE}x{PHOTO_SIZE} 8-bit RGB photo patches; exact NLL.",
        model="pixelcnn_pp", dataset="photo_patches",
        model_config={"nr_resnet": 1, "nr_filters": 32, "nr_logistic_mix": 5, "dropout": 0.5},
        train_config={"image_size": PHOTO_SIZE, "train_steps": 200, "batch_size": 16,
                      "learning_rate": 1e-3}),
    Recipe(
        "iaf_vae_photo_patches",
        f"IAF-VAE (ResNet width 32, a latent map of 8 channels at half resolution, 2 IAF steps "
        f"of width 16, 3-component discretized logistic mixture) on {PHOTO_SIZE}x{PHOTO_SIZE} "
        "8-bit RGB photo patches.",
        model="iaf_vae", dataset="photo_patches",
        model_config={"latent_channels": 8, "filters": 32, "downsamples": 1, "res_blocks": 1,
                      "context_channels": 8, "flow_steps": 2, "flow_filters": 16,
                      "flow_layers": 2, "likelihood": "logistic", "mixture_components": 3,
                      "kl_warmup_steps": 100, "log_prob_samples": 16},
        train_config={"image_size": PHOTO_SIZE, "train_steps": 200, "batch_size": 32,
                      "learning_rate": 1e-3}),
    Recipe(
        "hierarchical_pixelvae_photo_patches",
        f"Two-level PixelVAE (the model's CPU defaults: z1 map of 8 channels at quarter "
        f"resolution, 32-d z2, PixelCNNs in both decoders) on {PHOTO_SIZE}x{PHOTO_SIZE} 8-bit "
        "RGB photo patches, short KL warm-ups.",
        model="hierarchical_pixelvae", dataset="photo_patches",
        model_config={"kl1_warmup_steps": 50, "kl2_warmup_steps": 100, "log_prob_samples": 16},
        train_config={"image_size": PHOTO_SIZE, "train_steps": 200, "batch_size": 32,
                      "learning_rate": 1e-3}),
)
RECIPES: dict[str, Recipe] = {r.name: r for r in _RECIPES}


def names() -> list[str]:
    """Sorted preset names."""
    return sorted(RECIPES)


def get_recipe(name: str) -> Recipe:
    """The recipe of preset ``name``; ValueError listing the valid names otherwise."""
    return lookup(RECIPES, name, "preset")
