"""Chapter-3 studies on a real image set (Fashion-MNIST at the cpu profile), scored offline.

Scores are the Fréchet distance ("FD", lower is better) and the Inception-style score in the
feature space of :mod:`tfgen.evaluation.classifier` — a small CNN tfgen trains on the same data
set once and caches — so nothing needs downloaded weights. The reference is ``num_samples``
images of the test split; ``fd_real_train`` (train vs test images) is the floor a perfect
generator would reach with that many samples.

* ``score_vs_time`` (Fig. 3.3 style): FD and score against generator iterations and wall-clock
  seconds for each loss (``full``: CIFAR-10).
* ``critic_overfitting``: the critic's loss on its training images vs held-out (validation)
  images while training on only ``train_examples`` images; ``losses[0]`` is the loss.
* ``architecture_robustness`` (Fig. 3.2): every (architecture, loss) pair with one default
  setting; a sample grid per pair and an FD/score table (``full``: LSUN bedrooms 64x64).
"""

from __future__ import annotations

import dataclasses
import functools
import os

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from tfgen.evaluation import gan_metrics
from tfgen.evaluation.classifier import ClassifierConfig, load_or_train_classifier
from tfgen.experiments.studies import gan
from tfgen.experiments.studies.gan import GanStudyConfig, gan_run, run_name, samples
from tfgen.experiments.study import RunSpec, Study, TrainedRun, load_arrays, save_figure
from tfgen.utils.config import field
from tfgen.utils.images import image_grid, save_png

ALL_LOSSES = ("wgan-gp", "wgan-clip", "dcgan", "lsgan")


@dataclasses.dataclass(frozen=True)
class ImageGanConfig(GanStudyConfig):
    """The fields of the image studies (``datasets[0]`` is the data)."""

    datasets: tuple[str, ...] = gan.datasets_field(("fashion_mnist",))
    image_size: int = field(0, "resize/crop images to this size (0: the dataset's own size)",
                            minimum=0)
    architectures: tuple[str, ...] = field(
        ("dcgan/dcgan",), "generator/critic pairs 'G/D' or 'G/D/generator_norm' (see tfgen.nets)")
    generator_dim: int = gan.generator_dim_field()
    latent_dim: int = gan.latent_dim_field(64)
    num_samples: int = gan.num_samples_field(500)


def parse_architecture(text: str) -> dict:
    """``"G/D"`` or ``"G/D/generator_norm"`` -> GAN config fields."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"architecture {text!r}: expected 'generator/critic' or "
                         f"'generator/critic/generator_norm'")
    config = {"generator": parts[0], "critic": parts[1]}
    if len(parts) == 3:
        config["generator_norm"] = parts[2]
    return config


class FeatureScores:
    """FD and score of uint8 images against a fixed reference set of real test images."""

    def __init__(self, dataset: str, image_size: int, classifier_steps: int, num_samples: int,
                 seed: int):
        size = image_size or None
        self.classifier = load_or_train_classifier(
            ClassifierConfig(dataset=dataset, train_steps=classifier_steps))
        test, _ = load_arrays(dataset, "test", limit=num_samples, image_size=size)
        train, _ = load_arrays(dataset, "train", limit=num_samples, seed=seed, image_size=size)
        self.reference = gan_metrics.gaussian_fit(self.classifier.features(test))
        self.floor = gan_metrics.image_metrics(self.classifier, train, self.reference)

    def __call__(self, images: np.ndarray) -> dict:
        return gan_metrics.image_metrics(self.classifier, images, self.reference)

    def describe(self) -> dict:
        return {"feature_space": "tfgen.evaluation.classifier (penultimate layer)",
                "classifier_test_accuracy": self.classifier.test_accuracy,
                "classifier_path": self.classifier.info.get("path"),
                "fd_real_train": self.floor["frechet_distance"],
                "score_real_train": self.floor["score"]}


@functools.lru_cache(maxsize=4)
def feature_scores(dataset: str, image_size: int, classifier_steps: int, num_samples: int,
                   seed: int) -> FeatureScores:
    return FeatureScores(dataset, image_size, classifier_steps, num_samples, seed)


def _scores_of(cfg) -> FeatureScores:
    return feature_scores(cfg.datasets[0], cfg.image_size, cfg.classifier_steps,
                          cfg.num_samples, cfg.seed)


def _image_run(cfg: ImageGanConfig, loss: str, architecture: str, name: str, label: str,
               **train) -> RunSpec:
    return gan_run(name, label, cfg, cfg.datasets[0],
                   {"loss": loss, **parse_architecture(architecture)},
                   tags={"loss": loss, "architecture": architecture},
                   image_size=cfg.image_size, **train)


# -- score vs time -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ScoreVsTimeConfig(ImageGanConfig):
    """The settings of ``score_vs_time`` (``architectures[0]`` is the architecture)."""

    eval_every: int = gan.eval_every_field(50)
    classifier_steps: int = field(1500, "training steps of the feature classifier (FD/score)",
                                  minimum=1)


def _score_runs(cfg: ScoreVsTimeConfig) -> list[RunSpec]:
    return [_image_run(cfg, loss, cfg.architectures[0], run_name(loss), loss,
                       steps_per_epoch=cfg.eval_every) for loss in cfg.losses]


def _score_now(model, cfg: ScoreVsTimeConfig) -> dict:
    return _scores_of(cfg)(samples(model, cfg.num_samples, cfg.seed))


def _curve_measure(run: RunSpec, trained: TrainedRun, cfg) -> dict:
    return {"curve": gan.curve_points(trained)}


def _score_report(cfg: ScoreVsTimeConfig, records: list[dict], output_dir: str) -> dict:
    dataset, architecture = cfg.datasets[0], cfg.architectures[0]
    curves = {r["label"]: r["curve"] for r in records}
    fig = Figure(figsize=(10, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    for loss, points in curves.items():
        for row, key in enumerate(("frechet_distance", "score")):
            values = [p[key] for p in points]
            axes[row, 0].plot([p["generator_iterations"] for p in points], values, marker=".",
                              label=loss)
            axes[row, 1].plot([p["train_seconds"] for p in points], values, marker=".",
                              label=loss)
    for row, key in enumerate(("FD (lower is better)", "score (higher is better)")):
        axes[row, 0].set(ylabel=key, xlabel="generator iterations")
        axes[row, 1].set_xlabel("wall-clock training seconds")
    axes[0, 0].set_yscale("log")
    axes[0, 1].set_yscale("log")
    axes[0, 0].legend()
    fig.suptitle(f"{dataset}, {architecture}: classifier-feature FD and score")
    path = save_figure(fig, os.path.join(output_dir, "score_vs_time.png"))
    return {"runs": gan.by_label(records, lambda r: {k: r[k] for k in ("step", "train_seconds",
                                                                        "final_logs")}),
            "dataset": dataset, "architecture": architecture, **_scores_of(cfg).describe(),
            "curves": curves, "final": {loss: pts[-1] if pts else None
                                        for loss, pts in curves.items()},
            "figures": [os.path.basename(path)]}


# -- critic overfitting ------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class CriticOverfittingConfig(ImageGanConfig):
    """The settings of ``critic_overfitting`` (``losses[0]``, ``architectures[0]``)."""

    eval_every: int = gan.eval_every_field(200)
    train_examples: int = field(1000, "train on only the first N training images", minimum=0)


@functools.lru_cache(maxsize=2)
def _overfitting_sets(cfg: CriticOverfittingConfig) -> tuple[np.ndarray, np.ndarray]:
    size = cfg.image_size or None
    train_x, _ = load_arrays(cfg.datasets[0], "train", limit=cfg.train_examples, seed=cfg.seed,
                             image_size=size)
    held_out, _ = load_arrays(cfg.datasets[0], "validation", limit=len(train_x), seed=cfg.seed,
                              image_size=size)
    count = min(len(train_x), len(held_out), cfg.num_samples)
    return train_x[:count], held_out[:count]


def _critic_loss(model, examples: np.ndarray, seed: int = 7, batch: int = 500) -> float:
    """Mean critic loss (the objective the critic minimizes, penalty included) of the live GAN on
    real ``examples`` against fresh generator samples (seeded: the same against every set)."""
    total = 0.0
    for start in range(0, len(examples), batch):
        loss, _ = model.compute_objective(tf.constant(examples[start:start + batch]),
                                          tf.constant([seed, start], tf.int32), False)
        total += float(tf.reduce_sum(loss))
    return total / len(examples)


def _overfitting_now(model, cfg: CriticOverfittingConfig) -> dict:
    train_x, held_out = _overfitting_sets(cfg)
    return {"critic_loss_train": _critic_loss(model.model, train_x),
            "critic_loss_held_out": _critic_loss(model.model, held_out)}


def _overfitting_report(cfg: CriticOverfittingConfig, records: list[dict],
                        output_dir: str) -> dict:
    (record,) = records
    points, loss = record["curve"], record["label"]
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    steps = [p["generator_iterations"] for p in points]
    # Plotted as negative critic loss (the critic's estimate of W + -penalty), as in the paper.
    ax.plot(steps, [-p["critic_loss_train"] for p in points], marker=".", label="training")
    ax.plot(steps, [-p["critic_loss_held_out"] for p in points], marker=".", label="held-out")
    ax.set(xlabel="generator iterations", ylabel="negative critic loss",
           title=f"{loss} on {cfg.train_examples} {cfg.datasets[0]} images")
    ax.legend()
    path = save_figure(fig, os.path.join(output_dir, "critic_overfitting.png"))
    gap = (points[-1]["critic_loss_held_out"] - points[-1]["critic_loss_train"]
           if points else None)
    train_x, _ = _overfitting_sets(cfg)
    return {"dataset": cfg.datasets[0], "loss": loss, "architecture": cfg.architectures[0],
            "train_examples": cfg.train_examples, "evaluated_examples": len(train_x),
            "curve": points, "final_gap_held_out_minus_train": gap,
            "figures": [os.path.basename(path)]}


# -- architecture robustness -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ArchitectureRobustnessConfig(ImageGanConfig):
    """The settings of ``architecture_robustness``."""

    classifier_steps: int = field(1500, "training steps of the feature classifier (FD/score)",
                                  minimum=1)


def _robustness_runs(cfg: ArchitectureRobustnessConfig) -> list[RunSpec]:
    return [_image_run(cfg, loss, architecture, run_name(architecture, loss),
                       f"{architecture}|{loss}")
            for architecture in cfg.architectures for loss in cfg.losses]


def _robustness_measure(run: RunSpec, trained: TrainedRun,
                        cfg: ArchitectureRobustnessConfig) -> dict:
    images = samples(trained.model, max(cfg.num_samples, 64), cfg.seed)
    name = f"{run.tags['architecture'].replace('/', '_')}__{run.tags['loss']}.png"
    grid = os.path.join("architecture_robustness", name)
    save_png(os.path.join(os.path.dirname(os.path.dirname(trained.run_dir)), grid),
             image_grid(images[:64], rows=8))
    return {**_scores_of(cfg)(images), "diverged": False, "grid": grid}


def _robustness_report(cfg: ArchitectureRobustnessConfig, records: list[dict],
                       output_dir: str) -> dict:
    table = {r["label"]: ({"error": r["error"]} if "error" in r and not r["diverged"] else
                          {k: v for k, v in r.items() if k not in ("name", "label", "tags")})
             for r in records}
    rows, cols = len(cfg.architectures), len(cfg.losses)
    fig = Figure(figsize=(2.6 * cols, 2.8 * rows), layout="constrained")
    axes = np.array(fig.subplots(rows, cols, squeeze=False))
    lines = ["| architecture | " + " | ".join(cfg.losses) + " |", "|" + "---|" * (cols + 1)]
    for i, architecture in enumerate(cfg.architectures):
        cells = []
        for j, loss in enumerate(cfg.losses):
            entry, ax = table[f"{architecture}|{loss}"], axes[i, j]
            fd = entry.get("frechet_distance")
            cell = ("diverged" if entry.get("diverged") else "n/a" if "error" in entry
                    else f"{fd:.2f}")
            cells.append(cell)
            ax.axis("off")
            if "grid" in entry:
                grid = np.asarray(tf.io.decode_png(tf.io.read_file(
                    os.path.join(output_dir, entry["grid"]))))
                ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0,
                          vmax=255)
            ax.set_title(f"{loss}\n{architecture}\n" + (f"FD {cell}" if fd is not None else
                                                         "not trainable" if cell == "n/a"
                                                         else cell), fontsize=7)
        lines.append(f"| {architecture} | " + " | ".join(cells) + " |")
    path = save_figure(fig, os.path.join(output_dir, "architecture_robustness.png"))
    return {"runs": table, "dataset": cfg.datasets[0], **_scores_of(cfg).describe(),
            "table": table, "fd_table_markdown": "\n".join(lines),
            "figures": [os.path.basename(path)]}


_WIDE = {"batch_size": 64, "generator_dim": 64, "critic_dim": 64, "latent_dim": 128}
_SMOKE = {**gan.SMOKE, "eval_every": 2, "num_samples": 64, "generator_dim": 8, "latent_dim": 8,
          "classifier_steps": 20}

STUDIES = (
    Study("score_vs_time",
          "Fig. 3.3 style: FD and Inception-style score (self-trained classifier's features) "
          "against generator iterations and wall-clock time for WGAN-GP, WGAN with clipping and "
          "DCGAN, DCGAN architecture (cpu: Fashion-MNIST; full: CIFAR-10).",
          ScoreVsTimeConfig, _score_runs, _score_report,
          cpu={"losses": ("wgan-gp", "wgan-clip", "dcgan"), "train_steps": 200,
               "batch_size": 32, "generator_dim": 32, "critic_dim": 32},
          full={**_WIDE, "datasets": ("cifar10",), "train_steps": 20000, "eval_every": 1000,
                "num_samples": 5000},
          smoke={**_SMOKE, "losses": ("wgan-gp", "dcgan")}, measure=_curve_measure,
          callbacks=gan.curve(_score_now)),
    Study("critic_overfitting",
          "WGAN-GP trained on only 1000 training images (cpu: Fashion-MNIST; full: MNIST): the "
          "critic's loss on its training images vs held-out images along training (the gap "
          "shows the critic overfitting).",
          CriticOverfittingConfig, lambda cfg: [_image_run(
              cfg, cfg.losses[0], cfg.architectures[0], run_name(cfg.losses[0]), cfg.losses[0],
              steps_per_epoch=cfg.eval_every, train_examples=cfg.train_examples)],
          _overfitting_report,
          cpu={"losses": ("wgan-gp",), "train_steps": 2000, "batch_size": 32,
               "generator_dim": 32, "critic_dim": 32, "num_samples": 1000},
          full={**_WIDE, "datasets": ("mnist",), "train_steps": 20000, "eval_every": 500},
          smoke={**{k: v for k, v in _SMOKE.items() if k != "classifier_steps"},
                 "train_examples": 64}, measure=_curve_measure,
          callbacks=gan.curve(_overfitting_now, log_keys=())),
    Study("architecture_robustness",
          "Fig. 3.2: (generator/critic architecture x loss) with one default setting each; a "
          "sample grid per pair and an FD table (self-trained classifier's feature space). CPU: "
          "four architectures x (wgan-gp, dcgan) on Fashion-MNIST; full: the thesis' seven x "
          "four losses on LSUN bedrooms 64x64.",
          ArchitectureRobustnessConfig, _robustness_runs, _robustness_report,
          cpu={"losses": ("wgan-gp", "dcgan"),
               "architectures": ("dcgan/dcgan", "dcgan_const/dcgan", "mlp/dcgan",
                                 "dcgan/dcgan/none"),
               "train_steps": 1000, "batch_size": 32, "generator_dim": 32, "critic_dim": 32},
          full={**_WIDE, "datasets": ("lsun_bedroom",), "image_size": 64, "losses": ALL_LOSSES,
                "architectures": ("dcgan/dcgan", "dcgan_const/dcgan", "mlp/dcgan",
                                  "dcgan/dcgan/none", "gated/gated", "tanh/tanh",
                                  "resnet/resnet"),
                "train_steps": 20000, "num_samples": 5000},
          smoke={**{k: v for k, v in _SMOKE.items() if k != "eval_every"},
                 "architectures": ("dcgan/dcgan", "mlp/dcgan")},
          measure=_robustness_measure, keep_failed=True),
)
