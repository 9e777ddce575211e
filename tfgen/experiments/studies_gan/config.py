"""The one configuration every GAN study reads (one flag per field) and its size profiles.

A study entry gives CPU-sized defaults and the overrides of its full (thesis-sized, GPU) run;
``profile`` picks between them (``auto``: ``full`` when TensorFlow sees a GPU; ``smoke``: tiny
sizes that only check the plumbing) and flags given on the command line override every
profile. Each study documents which fields it reads; the rest are ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tfgen.experiments.profiles import resolve_profile_config
from tfgen.utils.config import field

#: Seconds-long sizes that only check the plumbing (tests, "does it run"); over the CPU defaults.
SMOKE: Mapping[str, Any] = {
    "steps": 4, "batch_size": 8, "eval_every": 2, "num_samples": 64, "dim": 8, "depth": 3,
    "latent_dim": 8, "train_examples": 64, "classifier_steps": 20}


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Sizes and choices of a GAN study (fields a study does not use are ignored)."""

    profile: str = field("auto", "cpu | full | smoke | auto (full when a GPU is visible)")
    datasets: tuple[str, ...] = field((), "datasets the study runs on")
    losses: tuple[str, ...] = field((), "GAN objectives compared (see tfgen.losses)")
    architectures: tuple[str, ...] = field(
        (), "generator/critic pairs 'G/D' or 'G/D/generator_norm' (see tfgen.nets)")
    clip_values: tuple[float, ...] = field((), "weight-clipping thresholds c compared")
    steps: int = field(0, "training iterations (generator iterations; critic iterations for "
                          "critic-only studies)")
    batch_size: int = field(64, "examples per critic minibatch (m)")
    eval_every: int = field(0, "iterations between measurements along training")
    num_samples: int = field(1000, "samples drawn for each metric")
    dim: int = field(0, "base width of generator and critic (0: the architecture's default)")
    depth: int = field(0, "hidden layers of the deep MLP nets (gradient_norms)")
    latent_dim: int = field(128, "dimensionality of z")
    learning_rate: float = field(0.0, "learning rate of both players (0: the loss' default)")
    lr_decay: bool = field(False, "decay both learning rates linearly to 0 over `steps` "
                                  "(mode_coverage)")
    gp_weight: float = field(0.0, "gradient penalty coefficient lambda (0: the model's, 10)")
    train_examples: int = field(0, "use only the first N training examples (0: all)")
    classifier_steps: int = field(1500, "training steps of the feature classifier (FD/score)")
    max_seconds: float = field(0.0, "if > 0, wall-clock budget of each training run")
    text_source: str = field("auto", "text corpus: auto | lm1b | fortunes | file:PATH")
    seq_len: int = field(32, "characters per text sample")
    seed: int = field(0, "seed of data order, initialization and noise")


def resolve(defaults: Mapping[str, Any], full: Mapping[str, Any],
            overrides: Mapping[str, Any] | None = None) -> StudyConfig:
    """StudyConfig from a study's CPU ``defaults``, its ``full`` overrides and ``overrides``."""
    return resolve_profile_config(StudyConfig, defaults, full, SMOKE, overrides)
