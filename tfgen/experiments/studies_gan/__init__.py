"""The chapter-3 (WGAN-GP) studies as registry entries: a runner, CPU defaults, full sizes.

``train/gan_study.py --study=NAME --output_dir=DIR`` (or :func:`run_study`) resolves the entry's
:class:`StudyConfig` (profile ``cpu``/``full``, then flags), runs it and writes
``DIR/NAME.json`` — ``{"study", "description", "config", "results", "seconds", "machine"}`` —
next to the study's PNG figures (named in ``results["figures"]``).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from tfgen.experiments.studies_gan import images, text, toy
from tfgen.experiments.studies_gan.common import write_json
from tfgen.experiments.studies_gan.config import StudyConfig, resolve
from tfgen.utils.machine import machine_info
from tfgen.utils.registry import lookup

Runner = Callable[[StudyConfig, str], dict]


@dataclasses.dataclass(frozen=True)
class Study:
    """A named study: what it runs, its CPU-sized settings and its full-size overrides."""

    name: str
    description: str
    runner: Runner
    defaults: Mapping[str, Any]
    full: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def config(self, overrides: Mapping[str, Any] | None = None) -> StudyConfig:
        return resolve(self.defaults, self.full, overrides)


_TOY_SETS = ("8gaussians", "25gaussians", "swissroll")
_ALL_LOSSES = ("wgan-gp", "wgan-clip", "dcgan", "lsgan")

_ENTRIES = (
    Study(
        "toy_value_surfaces",
        "Fig. 3.1a: WGAN critics (3x512 ReLU MLP) trained to optimality against a generator "
        "fixed at real data + N(0, I), weight clipping (c=0.01) vs gradient penalty; contour "
        "plots of the critic value on 8gaussians, 25gaussians and swissroll.",
        toy.value_surfaces,
        defaults={"datasets": _TOY_SETS, "losses": ("wgan-clip", "wgan-gp"),
                  "clip_values": (0.01,), "steps": 1500, "batch_size": 256, "dim": 256,
                  "learning_rate": 1e-3},
        full={"steps": 20000, "dim": 512, "learning_rate": 1e-4}),
    Study(
        "gradient_norms",
        "Fig. 3.1b: 12-layer ReLU MLP generator and critic on swissroll, clipping c in {0.1, "
        "0.01, 0.001} vs gradient penalty: norms of the critic loss' gradient w.r.t. each "
        "layer's activations (log scale) and critic weight histograms.",
        toy.gradient_norms,
        defaults={"datasets": ("swissroll",), "losses": ("wgan-gp",),
                  "clip_values": (0.1, 0.01, 0.001), "steps": 60, "batch_size": 128,
                  "dim": 128, "depth": 12, "latent_dim": 2},
        full={"steps": 2000, "dim": 512, "batch_size": 256}),
    Study(
        "mode_coverage",
        "Modes covered and % high-quality samples (within 3 std of a mode) of 2 500 samples on "
        "8gaussians and 25gaussians for each loss (WGAN-GP anchor on 25gaussians: 24.2/25 "
        "modes, 28.7% high quality).",
        toy.mode_coverage,
        # gp_weight 0.1 as the original toy code (gan_toy.py) uses: with the thesis' 10, 1500
        # CPU steps reach 3/8 modes and 0.2% high quality on 8gaussians (8/8, 59% with 0.1).
        # Short runs need a large rate decayed linearly to 0: on 25gaussians (dim 256, 8000
        # iterations) lr 1e-3 with decay reaches ~95% high quality, without decay it can
        # collapse, and the paper's 1e-4 reaches ~20-40% (benchmarks/gan_quality.py, README).
        defaults={"datasets": ("8gaussians", "25gaussians"), "losses": _ALL_LOSSES,
                  "steps": 1500, "batch_size": 256, "dim": 256, "latent_dim": 2,
                  "num_samples": 2500, "learning_rate": 1e-3, "lr_decay": True,
                  "gp_weight": 0.1},
        full={"steps": 100000, "dim": 512, "learning_rate": 1e-4}),
    Study(
        "score_vs_time",
        "Fig. 3.3 style: FD and Inception-style score (self-trained Fashion-MNIST classifier's "
        "features) against generator iterations and wall-clock time for WGAN-GP, WGAN with "
        "clipping and DCGAN, DCGAN architecture.",
        images.score_vs_time,
        defaults={"datasets": ("fashion_mnist",), "losses": ("wgan-gp", "wgan-clip", "dcgan"),
                  "architectures": ("dcgan/dcgan",), "steps": 200, "eval_every": 50,
                  "batch_size": 32, "dim": 32, "latent_dim": 64, "num_samples": 500},
        full={"steps": 20000, "eval_every": 1000, "batch_size": 64, "dim": 64,
              "latent_dim": 128, "num_samples": 5000}),
    Study(
        "critic_overfitting",
        "WGAN-GP trained on only 1000 Fashion-MNIST images: the critic's loss on its training "
        "images vs held-out images along training (the gap shows the critic overfitting).",
        images.critic_overfitting,
        defaults={"datasets": ("fashion_mnist",), "losses": ("wgan-gp",),
                  "architectures": ("dcgan/dcgan",), "train_examples": 1000, "steps": 2000,
                  "eval_every": 200, "batch_size": 32, "dim": 32, "latent_dim": 64,
                  "num_samples": 1000},
        full={"steps": 20000, "eval_every": 500, "batch_size": 64, "dim": 64,
              "latent_dim": 128}),
    Study(
        "architecture_robustness",
        "Fig. 3.2: (generator/critic architecture x loss) on Fashion-MNIST with one default "
        "setting each; a sample grid per pair and an FD table (self-trained classifier's "
        "feature space). CPU: four architectures x (wgan-gp, dcgan); full: the thesis' seven "
        "x four losses.",
        images.architecture_robustness,
        defaults={"datasets": ("fashion_mnist",), "losses": ("wgan-gp", "dcgan"),
                  "architectures": ("dcgan/dcgan", "dcgan_const/dcgan", "mlp/dcgan",
                                    "dcgan/dcgan/none"),
                  "steps": 1000, "batch_size": 32, "dim": 32, "latent_dim": 64,
                  "num_samples": 500},
        full={"losses": _ALL_LOSSES,
              "architectures": ("dcgan/dcgan", "dcgan_const/dcgan", "mlp/dcgan",
                                "dcgan/dcgan/none", "gated/gated", "tanh/tanh",
                                "resnet/resnet"),
              "steps": 20000, "batch_size": 64, "dim": 64, "latent_dim": 128,
              "num_samples": 5000}),
    Study(
        "text_gan",
        "§3.5.4: character-level WGAN-GP with 1-D residual CNNs on 32-character sentences "
        "(lm1b via TFDS when prepared, else the Debian `fortunes` prose offline): sample table "
        "and JS divergence of character 1-4-gram distributions against held-out text.",
        text.text_gan,
        defaults={"losses": ("wgan-gp",), "text_source": "auto", "seq_len": 32, "steps": 300,
                  "eval_every": 100, "batch_size": 32, "dim": 64, "latent_dim": 128,
                  "num_samples": 500},
        full={"steps": 100000, "eval_every": 2000, "batch_size": 64, "dim": 512,
              "num_samples": 5000}),
)

STUDIES: dict[str, Study] = {s.name: s for s in _ENTRIES}


def study_names() -> list[str]:
    return sorted(STUDIES)


def get_study(name: str) -> Study:
    return lookup(STUDIES, name, "study")


def run_study(name: str, output_dir: str, overrides: Mapping[str, Any] | None = None) -> dict:
    """Run study ``name`` with ``overrides`` of its config; write and return its record."""
    study = get_study(name)
    cfg = study.config(overrides)
    os.makedirs(output_dir, exist_ok=True)
    began = time.monotonic()
    results = study.runner(cfg, output_dir)
    record = {"study": name, "description": study.description,
              "config": dataclasses.asdict(cfg), "results": results,
              "seconds": time.monotonic() - began, "machine": machine_info()}
    write_json(os.path.join(output_dir, f"{name}.json"), record)
    return record


__all__ = ["STUDIES", "Study", "StudyConfig", "get_study", "run_study", "study_names"]
