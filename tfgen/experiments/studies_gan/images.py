"""Chapter-3 studies on a real image set (Fashion-MNIST by default), scored offline.

Scores are the Fréchet distance ("FD", lower is better) and the Inception-style score in the
feature space of :mod:`tfgen.evaluation.classifier` — a small CNN tfgen trains on the same data
set once and caches — so nothing needs downloaded weights. The reference is ``num_samples``
images of the test split; ``fd_real_train`` (train vs test images) is the floor a perfect
generator would reach with that many samples.

* :func:`score_vs_time` (Fig. 3.3 style): FD and score against generator iterations and
  wall-clock seconds for each loss. Reads ``datasets[0], losses, architectures[0], steps,
  eval_every, batch_size, dim, latent_dim, num_samples, learning_rate, gp_weight, max_seconds,
  classifier_steps, seed``.
* :func:`critic_overfitting`: the critic's loss on its training images vs held-out
  (validation) images while training on only ``train_examples`` images. Reads the same (no
  classifier) plus ``train_examples``; ``losses[0]`` is the loss.
* :func:`architecture_robustness` (Fig. 3.2): every (architecture, loss) pair with one default
  setting; a sample grid per pair and an FD/score table. Reads ``datasets[0], architectures,
  losses, steps, batch_size, dim, latent_dim, num_samples, gp_weight, max_seconds,
  classifier_steps, seed`` (no learning_rate: each loss' default, the point of the study).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
from matplotlib.figure import Figure

from tfgen.evaluation import gan_metrics
from tfgen.evaluation.classifier import ClassifierConfig, load_or_train_classifier
from tfgen.experiments.studies_gan.common import (
    GanTrainer,
    load_array,
    penalty_weight,
    save_figure,
)
from tfgen.experiments.studies_gan.config import StudyConfig
from tfgen.utils.images import image_grid, save_png


class Scorer:
    """FD and score of uint8 images against a fixed reference set of real test images."""

    def __init__(self, cfg: StudyConfig, dataset: str):
        self.classifier = load_or_train_classifier(
            ClassifierConfig(dataset=dataset, train_steps=cfg.classifier_steps))
        test, _ = load_array(dataset, "test", limit=cfg.num_samples)
        train, _ = load_array(dataset, "train", limit=cfg.num_samples, seed=cfg.seed)
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


def _model_config(cfg: StudyConfig, loss: str, architecture: str) -> dict:
    return {"loss": loss, **parse_architecture(architecture), "latent_dim": cfg.latent_dim,
            "generator_dim": cfg.dim, "critic_dim": cfg.dim, **penalty_weight(cfg)}


def _finite(logs: dict) -> bool:
    return all(math.isfinite(v) for v in logs.values())


def score_vs_time(cfg: StudyConfig, output_dir: str) -> dict:
    """FD/score along training for each loss (see module doc)."""
    dataset, architecture = cfg.datasets[0], cfg.architectures[0]
    scorer = Scorer(cfg, dataset)
    curves = {}
    for loss in cfg.losses:
        trainer = GanTrainer(dataset, _model_config(cfg, loss, architecture),
                             batch_size=cfg.batch_size, seed=cfg.seed,
                             learning_rate=cfg.learning_rate)
        points = []
        while trainer.steps < cfg.steps:
            logs = trainer.train(min(cfg.eval_every, cfg.steps - trainer.steps), cfg.max_seconds)
            if not logs:  # time budget spent
                break
            metrics = scorer(trainer.sample(cfg.num_samples, seed=cfg.seed))
            points.append({"generator_iterations": trainer.steps,
                           "train_seconds": trainer.train_seconds, **metrics,
                           "critic_loss": logs.get("critic_loss"),
                           "wasserstein": logs.get("wasserstein")})
            if not _finite(logs):
                break
        curves[loss] = points

    fig = Figure(figsize=(10, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    for loss, points in curves.items():
        steps = [p["generator_iterations"] for p in points]
        secs = [p["train_seconds"] for p in points]
        for row, key in enumerate(("frechet_distance", "score")):
            values = [p[key] for p in points]
            axes[row, 0].plot(steps, values, marker=".", label=loss)
            axes[row, 1].plot(secs, values, marker=".", label=loss)
    for row, key in enumerate(("FD (lower is better)", "score (higher is better)")):
        axes[row, 0].set_ylabel(key)
        axes[row, 0].set_xlabel("generator iterations")
        axes[row, 1].set_xlabel("wall-clock training seconds")
    axes[0, 0].set_yscale("log")
    axes[0, 1].set_yscale("log")
    axes[0, 0].legend()
    fig.suptitle(f"{dataset}, {architecture}: classifier-feature FD and score")
    final = {loss: pts[-1] if pts else None for loss, pts in curves.items()}
    return {"dataset": dataset, "architecture": architecture, **scorer.describe(),
            "curves": curves, "final": final,
            "figures": [save_figure(fig, os.path.join(output_dir, "score_vs_time.png"))]}


def critic_overfitting(cfg: StudyConfig, output_dir: str) -> dict:
    """Critic loss on its training images vs held-out images (see module doc)."""
    dataset, architecture, loss = cfg.datasets[0], cfg.architectures[0], cfg.losses[0]
    train_x, _ = load_array(dataset, "train", limit=cfg.train_examples, seed=cfg.seed)
    held_out, _ = load_array(dataset, "validation", limit=len(train_x), seed=cfg.seed)
    count = min(len(train_x), len(held_out), cfg.num_samples)
    trainer = GanTrainer(dataset, _model_config(cfg, loss, architecture),
                         batch_size=cfg.batch_size, seed=cfg.seed,
                         learning_rate=cfg.learning_rate, train_examples=cfg.train_examples)
    points = []
    while trainer.steps < cfg.steps:
        logs = trainer.train(min(cfg.eval_every, cfg.steps - trainer.steps), cfg.max_seconds)
        if not logs:
            break
        # The same generator samples (seed) against both real sets.
        points.append({"generator_iterations": trainer.steps,
                       "train_seconds": trainer.train_seconds,
                       "critic_loss_train": trainer.critic_loss(train_x[:count], seed=7),
                       "critic_loss_held_out": trainer.critic_loss(held_out[:count], seed=7)})
        if not _finite(logs):
            break
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    steps = [p["generator_iterations"] for p in points]
    # Plotted as negative critic loss (the critic's estimate of W + -penalty), as in the paper.
    ax.plot(steps, [-p["critic_loss_train"] for p in points], marker=".", label="training")
    ax.plot(steps, [-p["critic_loss_held_out"] for p in points], marker=".", label="held-out")
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("negative critic loss")
    ax.set_title(f"{loss} on {len(train_x)} {dataset} images")
    ax.legend()
    gap = (points[-1]["critic_loss_held_out"] - points[-1]["critic_loss_train"]
           if points else None)
    return {"dataset": dataset, "loss": loss, "architecture": architecture,
            "train_examples": len(train_x), "evaluated_examples": count, "curve": points,
            "final_gap_held_out_minus_train": gap,
            "figures": [save_figure(fig, os.path.join(output_dir, "critic_overfitting.png"))]}


def architecture_robustness(cfg: StudyConfig, output_dir: str) -> dict:
    """(architecture x loss) with default settings: sample grids and an FD/score table."""
    dataset = cfg.datasets[0]
    scorer = Scorer(cfg, dataset)
    table, grids = {}, {}
    grid_dir = os.path.join(output_dir, "architecture_robustness")
    for architecture in cfg.architectures:
        for loss in cfg.losses:
            key = f"{architecture}|{loss}"
            began = time.monotonic()
            try:
                trainer = GanTrainer(dataset, _model_config(cfg, loss, architecture),
                                     batch_size=cfg.batch_size, seed=cfg.seed)
            except ValueError as err:  # e.g. a gradient penalty with a batch-normed critic
                table[key] = {"error": str(err)}
                continue
            logs = trainer.train(cfg.steps, cfg.max_seconds)
            samples = trainer.sample(max(cfg.num_samples, 64), seed=cfg.seed)
            entry = {"steps": trainer.steps, "train_seconds": trainer.train_seconds,
                     "diverged": not _finite(logs), "final_logs": logs,
                     "seconds": time.monotonic() - began}
            entry.update(scorer(samples) if not entry["diverged"] else {})
            name = f"{architecture.replace('/', '_')}__{loss}.png"
            grids[key] = image_grid(samples[:64], rows=8)
            save_png(os.path.join(grid_dir, name), grids[key])
            entry["grid"] = os.path.join("architecture_robustness", name)
            table[key] = entry

    rows, cols = len(cfg.architectures), len(cfg.losses)
    fig = Figure(figsize=(2.6 * cols, 2.8 * rows), layout="constrained")
    axes = np.array(fig.subplots(rows, cols, squeeze=False))
    for i, architecture in enumerate(cfg.architectures):
        for j, loss in enumerate(cfg.losses):
            key, ax = f"{architecture}|{loss}", axes[i, j]
            ax.axis("off")
            entry = table[key]
            if key in grids:
                ax.imshow(grids[key][..., 0] if grids[key].shape[-1] == 1 else grids[key],
                          cmap="gray", vmin=0, vmax=255)
                fd = entry.get("frechet_distance")
                ax.set_title(f"{loss}\n{architecture}\nFD {fd:.2f}" if fd is not None
                             else f"{loss}\n{architecture}\ndiverged", fontsize=7)
            else:
                ax.set_title(f"{loss}\n{architecture}\nnot trainable", fontsize=7)
    header = "| architecture | " + " | ".join(cfg.losses) + " |"
    lines = [header, "|" + "---|" * (cols + 1)]
    for architecture in cfg.architectures:
        cells = []
        for loss in cfg.losses:
            entry = table[f"{architecture}|{loss}"]
            fd = entry.get("frechet_distance")
            cells.append("n/a" if "error" in entry else "diverged" if fd is None
                         else f"{fd:.2f}")
        lines.append(f"| {architecture} | " + " | ".join(cells) + " |")
    return {"dataset": dataset, **scorer.describe(), "table": table,
            "fd_table_markdown": "\n".join(lines),
            "figures": [save_figure(fig, os.path.join(output_dir,
                                                      "architecture_robustness.png"))]}
