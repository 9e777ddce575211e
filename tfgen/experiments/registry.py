"""Named experiments: each thesis setting is data (model, model config, training config).

``train/run.py --experiment=NAME`` starts from an entry; flags given on the command line
override its fields. ``DEFAULT_EXPERIMENT`` is what ``python train/run.py`` runs with no flags.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping


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
        "Convolutional VAE (8+8 3x3 conv layers) on dynamically binarized Fashion-MNIST; the "
        "default main job, a few minutes on 2 CPU cores.",
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
)

EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in _ENTRIES}
DEFAULT_EXPERIMENT = "vae_fashion_mnist"


def experiment_names() -> list[str]:
    return sorted(EXPERIMENTS)


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {name!r}; valid names: {experiment_names()}")
    return EXPERIMENTS[name]
