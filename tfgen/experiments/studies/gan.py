"""What the chapter-3 (WGAN-GP) studies share: config fields, GAN run specs, curves.

Every GAN run is ``tfgen.models`` ``"gan"`` trained by :func:`tfgen.training.train` (Algorithm 1
of the thesis in the model's ``train_step``). The studies' ``batch_size`` is the thesis' m, the
examples of ONE critic minibatch: a run's TrainConfig batch is ``m x n_critic`` (one generator
iteration consumes n_critic minibatches), so losses with different n_critic compare at the same
m. ``train_steps`` counts generator iterations. Measurements along training (scores, critic
losses, n-gram statistics every ``eval_every`` iterations) are a
:class:`~tfgen.training.measurements.Measurements` callback: they persist in the run directory
and continue when an interrupted run resumes from its checkpoint.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np

from tfgen.evaluation.interface import LiveModel
from tfgen.experiments.study import RunSpec, StudyConfig, TrainedRun, n_critic, runs_field
from tfgen.training.measurements import Measurements, load_points
from tfgen.utils.config import MAX_BATCH_SIZE, MAX_SEED, field

MEASUREMENTS = "measurements.json"


def datasets_field(default: tuple[str, ...] = ()):
    return field(default, "datasets the study runs on")


def generator_dim_field():
    return field(0, "base width of the generator (0: the architecture's default)", minimum=0)


def latent_dim_field(default: int = 128):
    return field(default, "dimensionality of z", minimum=1)


def num_samples_field(default: int = 1000):
    return field(default, "samples drawn for each metric", minimum=1)


def eval_every_field(default: int = 0):
    return field(default, "generator iterations between measurements along training", minimum=0)


@dataclasses.dataclass(frozen=True)
class GanStudyConfig(StudyConfig):
    """The fields of every chapter-3 study."""

    runs: tuple[str, ...] = runs_field()
    batch_size: int = field(64, "examples per critic minibatch (the thesis' m); a run's "
                                "TrainConfig batch is m x n_critic", minimum=1,
                            maximum=MAX_BATCH_SIZE)
    losses: tuple[str, ...] = field((), "GAN objectives compared (see tfgen.losses)")
    critic_dim: int = field(0, "base width of the critic (0: the architecture's default)",
                            minimum=0)
    gp_weight: float = field(0.0, "gradient penalty coefficient lambda (0: the model's, 10)",
                             minimum=0.0)


#: Seconds-long sizes that only check the plumbing (tests, "does it run"); the study's own
#: smoke values (fewer data sets, losses, architectures) add to these.
SMOKE: Mapping[str, Any] = {"train_steps": 4, "batch_size": 8, "critic_dim": 8}


def gan_run(name: str, label: str, cfg: GanStudyConfig, dataset: str, model_config: dict,
            steps_per_epoch: int = 0, tags: Mapping[str, Any] | None = None,
            **train: Any) -> RunSpec:
    """A ``"gan"`` run on ``dataset``: ``model_config`` plus the config's widths and penalty
    weight (when set), a TrainConfig batch of ``batch_size x n_critic``."""
    config = dict(model_config)
    config.setdefault("critic_dim", cfg.critic_dim)
    for name_ in ("generator_dim", "latent_dim"):
        if hasattr(cfg, name_):
            config.setdefault(name_, getattr(cfg, name_))
    if cfg.gp_weight > 0:
        config["gp_weight"] = cfg.gp_weight
    spe = steps_per_epoch or cfg.train_steps
    return RunSpec(name, label, "gan", config,
                   train={"dataset": dataset, "batch_size": cfg.batch_size * n_critic(config),
                          "steps_per_epoch": spe, "checkpoint_every": spe, **train},
                   tags=dict(tags or {}))


def run_name(*parts: str) -> str:
    """A run directory name from labels such as ``"wgan-gp"``, ``"dcgan/dcgan"``."""
    return "__".join(p.replace("/", "_").replace(":", "_").replace(" ", "_") for p in parts if p)


def curve(measure: Callable[[LiveModel, Any], dict],
          every: Callable[[Any], int] = lambda cfg: cfg.eval_every or cfg.train_steps,
          log_keys: tuple[str, ...] = ("critic_loss", "wasserstein")):
    """A study's ``callbacks``: ``measure(live model, config)`` every ``every(config)``
    generator iterations (default ``eval_every``) and at the end of training, kept in the run's
    ``measurements.json`` with the ``log_keys`` of the training logs."""

    def callbacks(run: RunSpec, cfg, run_dir: str) -> list[keras.callbacks.Callback]:
        return [Measurements(os.path.join(run_dir, MEASUREMENTS), every(cfg),
                             lambda model: measure(LiveModel(model), cfg), log_keys)]

    return callbacks


def curve_points(trained: TrainedRun) -> list[dict[str, Any]]:
    """The run's measured points, ``step`` renamed ``generator_iterations``."""
    return [{"generator_iterations": p.pop("step"), **p}
            for p in load_points(os.path.join(trained.run_dir, MEASUREMENTS))]


def samples(model, num: int, seed: int, chunk: int = 1000) -> np.ndarray:
    """``num`` samples of a ServingModel (uint8 images, float32 points or text distributions),
    drawn ``chunk`` at a time."""
    parts = []
    for start in range(0, num, chunk):
        out = model.sample(min(chunk, num - start),
                           (seed * 100_003 + start // chunk) % MAX_SEED)
        parts.append(out["images"] if "images" in out else out["points"])
    return np.concatenate(parts)


def by_label(records: list[dict], fields: Callable[[dict], dict]) -> dict[str, dict]:
    """``{label: fields(record)}`` — the JSON layout of the chapter-3 studies' ``runs``."""
    return {r["label"]: fields(r) for r in records}
