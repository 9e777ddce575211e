"""The configuration every chapter-2 study reads (one ``train/study.py`` flag per field).

A study entry gives CPU-sized ``defaults`` and the overrides of its ``full`` (thesis-sized, GPU)
run; ``profile`` picks between them (``auto``: ``full`` when TensorFlow sees a GPU; ``smoke``:
seconds-long runs of tiny models that only check the plumbing) and fields given explicitly
override every profile. Model-size fields equal to 0 keep each model's own default, and apply
only to the models whose config has that field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tfgen.experiments.profiles import resolve_profile_config
from tfgen.utils.config import field

#: Tiny sizes for tests and "does it run" checks; applied over the study's CPU defaults.
SMOKE: Mapping[str, Any] = {
    "train_steps": 4, "batch_size": 16, "steps_per_epoch": 4, "filters": 4,
    "encoder_filters": 4, "kernel_size": 3, "first_kernel_size": 3, "importance_samples": 3,
    "eval_examples": 24, "eval_batch_size": 12, "knn_train_examples": 120, "sample_images": 0,
    "kl_warmup_steps": 0, "pixelcnn_layers": 1, "export": False}


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Sizes and choices of a chapter-2 study (fields a study does not use are ignored)."""

    profile: str = field("auto", "cpu | full | smoke | auto (full when a GPU is visible)")
    dataset: str = field("binarized_fashion_mnist", "dataset every run trains and evaluates on")
    train_steps: int = field(1000, "optimizer steps per trained model")
    batch_size: int = field(64, "training batch size")
    learning_rate: float = field(0.0, "Adam learning rate (0: each model's default, 1e-3)")
    max_train_seconds: float = field(0.0, "if > 0, also stop each run after this much time")
    steps_per_epoch: int = field(200, "steps between the trainer's validation passes")
    ar_layers: tuple[int, ...] = field((0, 1, 2, 4), "PixelCNN layer counts: the sweep of "
                                       "nll_vs_layers; other studies use the first >= 1")
    pixelcnn_layers: int = field(6, "depth (ar_layers) of the PixelCNN baselines of nll_table")
    latent_dim: int = field(0, "z dimensionality of the latent models (0: model default; "
                               "latent_2d always uses 2)")
    filters: int = field(0, "width of the PixelCNN layers (and the conv VAE's first layer); "
                            "0: model default")
    encoder_filters: int = field(0, "PixelVAE encoder/upsampling width (0: default, 32)")
    kernel_size: int = field(0, "kernel of the PixelCNN layers after the first (0: default)")
    first_kernel_size: int = field(0, "kernel of the first PixelCNN layer (0: default, 7)")
    kl_warmup_steps: int = field(0, "linear KL warm-up of the latent models (steps)")
    importance_samples: int = field(100, "K of the importance-weighted NLL bound (thesis: 5000)")
    eval_examples: int = field(1000, "test images evaluated (0: the whole test split)")
    eval_batch_size: int = field(100, "test images per evaluation batch")
    knn_neighbors: int = field(5, "k of the k-nearest-neighbour classifier (latent_2d)")
    knn_train_examples: int = field(10000, "training images whose latent means the k-NN "
                                           "classifier stores (0: the whole split)")
    sample_images: int = field(16, "samples drawn from each trained model for a PNG grid (0: "
                                   "none)")
    export: bool = field(True, "export each trained model as a SavedModel and evaluate that "
                               "(else restore its checkpoint and evaluate it in memory)")
    runs: tuple[str, ...] = field((), "names of the runs to do (empty: all of the study's)")
    resume: bool = field(False, "reuse runs whose result.json matches their settings")
    seed: int = field(0, "seed of data order, initialization and evaluation noise")
    verbose: int = field(0, "Keras verbosity of training (0 silent, 1 progress bar, 2 epochs)")


def resolve(defaults: Mapping[str, Any], full: Mapping[str, Any],
            overrides: Mapping[str, Any] | None = None) -> StudyConfig:
    """StudyConfig from a study's CPU ``defaults``, its ``full`` overrides and ``overrides``."""
    return resolve_profile_config(StudyConfig, defaults, full, SMOKE, overrides)
