"""Fig. 2.5: two-dimensional latent spaces of PixelVAE and an equivalent VAE, and k-NN error.

Both models have ``latent_dim = 2`` and the thesis' encoder and upsampling decoder; the VAE has no
PixelCNN layers (a factorized output), PixelVAE has ``L`` (the first ``L >= 1`` of
``ar_layers``). The test set's posterior means are scattered coloured by class, and a k-NN
classifier (scikit-learn's ``KNeighborsClassifier``, Euclidean, uniform votes) that stores the
training set's means is scored on the test means (thesis, MNIST: 7.2% error for PixelVAE vs
22.9% for the VAE). The data set must be labelled: ``binarized_mnist`` is not (use ``mnist``
with ``binarize``, as the ``full`` profile does).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from matplotlib.figure import Figure
from sklearn.neighbors import KNeighborsClassifier

from tfgen.experiments.studies import likelihood
from tfgen.experiments.studies.likelihood import (
    LikelihoodStudyConfig,
    model_config,
    pixelcnn_layers,
    split_batches,
)
from tfgen.experiments.study import RunSpec, Study, TrainedRun, require_labels, save_figure
from tfgen.utils.config import field

THESIS_MNIST_KNN_ERROR = {"vae_2d": 0.229, "pixelvae_2d": 0.072}


@dataclasses.dataclass(frozen=True)
class Latent2DConfig(LikelihoodStudyConfig):
    """The settings of ``latent_2d`` (``latent_dim`` is always 2)."""

    knn_neighbors: int = field(5, "k of the k-nearest-neighbour classifier", minimum=1)
    knn_train_examples: int = field(10000, "training images whose latent means the k-NN "
                                           "classifier stores (0: the whole split)", minimum=0)


def runs(cfg: Latent2DConfig) -> list[RunSpec]:
    """The VAE and the PixelVAE; refuses an unlabelled data set before training anything."""
    require_labels(cfg.dataset, cfg.binarize, "latent_2d's k-NN error")
    layers = pixelcnn_layers(cfg)
    return [
        RunSpec("vae_2d", "VAE (no PixelCNN layers)", "pixelvae",
                model_config("pixelvae", cfg, latent_dim=2, ar_layers=0, decoder="upsample"),
                tags={"family": "vae", "ar_layers": 0}),
        RunSpec("pixelvae_2d", f"PixelVAE ({layers} PixelCNN layers)", "pixelvae",
                model_config("pixelvae", cfg, latent_dim=2, ar_layers=layers,
                             decoder="upsample"),
                tags={"family": "pixelvae", "ar_layers": layers}),
    ]


def _encode(model, batches) -> tuple[np.ndarray, np.ndarray]:
    """(posterior means float32 ``[N, D]``, labels int64 ``[N]``) of image/label batches."""
    means, labels = [], []
    for images, y in batches:
        means.append(model.encode(images)["mean"])
        labels.append(np.asarray(y))
    return np.concatenate(means), np.concatenate(labels)


def knn_error(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
              test_y: np.ndarray, k: int) -> float:
    """Fraction of ``test_y`` that a k-NN classifier fit on ``(train_x [N, D], train_y [N])``
    gets wrong; labels must be class indices (>= 0), not the -1 of an unlabelled set."""
    if np.any(np.asarray(train_y) < 0) or np.any(np.asarray(test_y) < 0):
        raise ValueError("k-NN error needs labelled points; got label -1 (unlabelled data)")
    classifier = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(train_x, train_y)
    return float(np.mean(classifier.predict(test_x) != np.asarray(test_y)))


def measure(run: RunSpec, trained: TrainedRun, cfg: Latent2DConfig) -> dict:
    """The likelihood metrics; the test and ``knn_train_examples`` training means; k-NN error."""
    out = likelihood.measure(run, trained, cfg)
    test_mean, test_label = _encode(trained.model, split_batches(cfg))
    train_mean, train_label = _encode(trained.model,
                                      split_batches(cfg, "train", cfg.knn_train_examples))
    path = os.path.join(trained.run_dir, "latents.npz")
    np.savez(path, test_mean=test_mean, test_label=test_label, train_mean=train_mean,
             train_label=train_label)
    k = min(cfg.knn_neighbors, len(train_mean))
    return {**out, "knn_error": knn_error(train_mean, train_label, test_mean, test_label, k),
            "knn_neighbors": k, "knn_train_examples": len(train_mean),
            "knn_test_examples": len(test_mean), "latents_npz": path}


def plot(records: list[dict], path: str) -> str:
    fig = Figure(figsize=(5 * len(records), 4.6))
    axes = np.atleast_1d(fig.subplots(1, len(records)))
    for ax, record in zip(axes, records):
        latents = np.load(record["latents_npz"])
        points, labels = latents["test_mean"], latents["test_label"]
        scatter = ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=4,
                             vmin=-0.5, vmax=9.5)
        ax.set(title=f"{record['label']}\n{record['knn_neighbors']}-NN test error "
                     f"{100 * record['knn_error']:.1f}%", xlabel="z1", ylabel="z2")
    fig.colorbar(scatter, ax=list(axes), ticks=range(10), label="class")
    return save_figure(fig, path)


def report(cfg: Latent2DConfig, records: list[dict], output_dir: str) -> dict:
    """``{"knn_error": {run: fraction}, "thesis_mnist_knn_error", "figures": [png]}``."""
    figure = plot(records, os.path.join(output_dir, "latent_2d.png"))
    return {"knn_error": {r["name"]: r["knn_error"] for r in records},
            "thesis_mnist_knn_error": THESIS_MNIST_KNN_ERROR,
            "figures": [os.path.basename(figure)]}


STUDY = Study(
    "latent_2d", " ".join(__doc__.split("\n\n")[0].split()), Latent2DConfig, runs, report,
    cpu={**likelihood.CPU, "ar_layers": (2,), "train_steps": 3000, "eval_examples": 2000},
    full={**likelihood.FULL, "dataset": "mnist", "binarize": True, "ar_layers": (4,),
          "importance_samples": 100, "knn_train_examples": 0},
    smoke={**likelihood.SMOKE, "knn_train_examples": 120}, measure=measure)
