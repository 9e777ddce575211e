"""Fig. 2.5: two-dimensional latent spaces of PixelVAE and an equivalent VAE, and k-NN error.

Both models have ``latent_dim = 2`` and the thesis' encoder and upsampling decoder; the VAE has no
PixelCNN layers (a factorized output), PixelVAE has ``L`` (the first ``L >= 1`` of
``ar_layers``). The test set's posterior means are scattered coloured by class, and a k-NN
classifier that stores the training set's means is scored on the test means (thesis, MNIST:
7.2% error for PixelVAE vs 22.9% for the VAE).
"""

from __future__ import annotations

import os

import numpy as np
from matplotlib.figure import Figure

from tfgen import data
from tfgen.experiments.studies.common import save_figure
from tfgen.experiments.studies.config import StudyConfig
from tfgen.experiments.studies.knn import knn_error
from tfgen.experiments.studies.runs import RunSpec, model_config, test_batches

DESCRIPTION = " ".join(__doc__.split("\n\n")[0].split())  # the first paragraph
THESIS_MNIST_KNN_ERROR = {"vae_2d": 0.229, "pixelvae_2d": 0.072}


def pixelcnn_layers(cfg: StudyConfig) -> int:
    """The first ``ar_layers`` entry >= 1 (PixelVAE needs PixelCNN layers)."""
    positive = [n for n in cfg.ar_layers if n >= 1]
    if not positive:
        raise ValueError(f"this study needs an ar_layers entry >= 1; got {list(cfg.ar_layers)}")
    return positive[0]


def runs(cfg: StudyConfig) -> list[RunSpec]:
    layers = pixelcnn_layers(cfg)
    return [
        RunSpec("vae_2d", "VAE (no PixelCNN layers)", "pixelvae",
                model_config("pixelvae", cfg, latent_dim=2, ar_layers=0, decoder="upsample"),
                {"family": "vae", "ar_layers": 0}),
        RunSpec("pixelvae_2d", f"PixelVAE ({layers} PixelCNN layers)", "pixelvae",
                model_config("pixelvae", cfg, latent_dim=2, ar_layers=layers,
                             decoder="upsample"),
                {"family": "pixelvae", "ar_layers": layers}),
    ]


def _encode(exported, batches, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(posterior means float32 ``[N, D]``, labels int64 ``[N]``) of image/label batches."""
    means, labels, count = [], [], 0
    for images, y in batches:
        means.append(exported.encode(images)["mean"])
        labels.append(np.asarray(y))
        count += len(y)
        if limit is not None and count >= limit:
            break
    means, labels = np.concatenate(means), np.concatenate(labels)
    return (means[:limit], labels[:limit]) if limit is not None else (means, labels)


def measure(run: RunSpec, exported, cfg: StudyConfig, run_dir: str) -> dict:
    """Encode the test images and ``knn_train_examples`` training images; k-NN test error."""
    test_mean, test_label = _encode(exported, test_batches(cfg))
    train_ds, _ = data.load(cfg.dataset, "train", seed=cfg.seed)
    limit = cfg.knn_train_examples or None
    train_batches = train_ds.take(limit or -1).batch(cfg.eval_batch_size).as_numpy_iterator()
    train_mean, train_label = _encode(exported, train_batches, limit)
    path = os.path.join(run_dir, "latents.npz")
    np.savez(path, test_mean=test_mean, test_label=test_label, train_mean=train_mean,
             train_label=train_label)
    k = min(cfg.knn_neighbors, len(train_mean))
    return {"knn_error": knn_error(train_mean, train_label, test_mean, test_label, k),
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


def summarize(cfg: StudyConfig, records: list[dict], output_dir: str) -> dict:
    """``{"knn_error": {run: fraction}, "thesis_mnist_knn_error", "figures": [png]}``."""
    figure = plot(records, os.path.join(output_dir, "latent_2d.png"))
    return {"knn_error": {r["name"]: r["knn_error"] for r in records},
            "thesis_mnist_knn_error": THESIS_MNIST_KNN_ERROR,
            "figures": [os.path.basename(figure)]}
