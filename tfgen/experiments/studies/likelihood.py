"""What the chapter-2 (PixelVAE) studies share: their config fields, profiles and measurement.

Every run is evaluated on the test split through :func:`tfgen.evaluation.evaluate` (the same
metrics as ``train/evaluate.py``), on the run's export or, with ``export=False``, on the live model
restored from its checkpoint (both through ``ServingModel``):

  nll_nats      test -log p(x), nats per image: exact for PixelCNNs, the importance-weighted bound
                with ``importance_samples`` samples for latent-variable models (an upper bound)
  bits_per_dim  the same per dimension, in bits
  elbo_nats     one-sample ELBO (negative) with kl_nats + recon_nats = -elbo_nats; None for
                models without a latent variable
  samples_png   a grid of ``sample_images`` samples (None when 0)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from tfgen import data
from tfgen.evaluation.saved_model import evaluate
from tfgen.experiments.study import (
    LatentModelSizes,
    LikelihoodEvaluation,
    RunSpec,
    StudyConfig,
    TrainedRun,
    runs_field,
    sized_config,
)
from tfgen.utils.config import field
from tfgen.utils.images import image_grid, save_png


@dataclasses.dataclass(frozen=True)
class LikelihoodStudyConfig(StudyConfig, LatentModelSizes, LikelihoodEvaluation):
    """The fields of every chapter-2 study. Model-size fields equal to 0 keep each model's own
    default and apply only to the models whose config has that field."""

    runs: tuple[str, ...] = runs_field()
    dataset: str = field("binarized_fashion_mnist", "dataset every run trains and evaluates on")
    image_size: int = field(0, "resize/crop images to this size (0: the dataset's own size)",
                            minimum=0)
    binarize: bool = field(False, "dynamically binarize a grayscale dataset (e.g. mnist)")
    steps_per_epoch: int = field(200, "steps between the trainer's validation passes and "
                                      "checkpoints", minimum=1)
    ar_layers: tuple[int, ...] = field((0, 1, 2, 4), "PixelCNN layer counts: the sweep of "
                                       "nll_vs_layers; other studies use the first >= 1",
                                       minimum=0)
    kernel_size: int = field(0, "kernel of the PixelCNN layers after the first (0: default)",
                             minimum=0)
    first_kernel_size: int = field(0, "kernel of the first PixelCNN layer (0: default, 7)",
                                   minimum=0)
    sample_images: int = field(16, "samples drawn from each trained model for a PNG grid (0: "
                                   "none)", minimum=0, maximum=1024)
    export: bool = field(True, "export each trained model as a SavedModel and evaluate that "
                               "(else evaluate the model restored from its checkpoint)")


#: Thesis sizes (Appendix A.0.5 and the original code): batch 100, Adam 1e-3, KL warm-up over 10k
#: steps, K = 5000, the whole test set, binarized MNIST; latent_dim 64 and 32 gated filters are
#: the model defaults.
FULL: Mapping[str, Any] = {
    "dataset": "binarized_mnist", "train_steps": 100000, "batch_size": 100,
    "kl_warmup_steps": 10000, "importance_samples": 5000, "eval_examples": 0,
    "sample_images": 64, "steps_per_epoch": 1000}
#: CPU sizes: tens of minutes on 2 cores, binarized Fashion-MNIST (offline).
CPU: Mapping[str, Any] = {
    "train_steps": 2000, "batch_size": 32, "filters": 16, "encoder_filters": 16,
    "latent_dim": 16, "kl_warmup_steps": 200, "importance_samples": 100, "eval_examples": 500,
    "sample_images": 16}
#: Tiny sizes for tests and "does it run" checks.
SMOKE: Mapping[str, Any] = {
    "train_steps": 4, "batch_size": 16, "steps_per_epoch": 4, "filters": 4,
    "encoder_filters": 4, "kernel_size": 3, "first_kernel_size": 3, "importance_samples": 3,
    "eval_examples": 24, "eval_batch_size": 12, "sample_images": 0, "kl_warmup_steps": 0,
    "export": False}

#: Config size fields copied into a run's model config when non-zero and the model has them.
SIZE_FIELDS = ("latent_dim", "filters", "encoder_filters", "kernel_size", "first_kernel_size",
               "kl_warmup_steps")


def model_config(model: str, cfg: LikelihoodStudyConfig, **fixed: Any) -> dict[str, Any]:
    """The config's non-zero :data:`SIZE_FIELDS` that ``model``'s config has, then ``fixed``."""
    return sized_config(model, cfg, SIZE_FIELDS, **fixed)


def pixelcnn_layers(cfg: LikelihoodStudyConfig) -> int:
    """The first ``ar_layers`` entry >= 1 (PixelVAE needs PixelCNN layers)."""
    positive = [n for n in cfg.ar_layers if n >= 1]
    if not positive:
        raise ValueError(f"this study needs an ar_layers entry >= 1; got {list(cfg.ar_layers)}")
    return positive[0]


def split_batches(cfg: LikelihoodStudyConfig, split: str = "test", examples: int | None = None):
    """Iterator of numpy (uint8 images ``[B, H, W, C]``, int64 labels ``[B]``) batches of the
    first ``examples`` (default ``eval_examples``; all when <= 0) images of ``split``
    (binarization frozen by the seed, so every model sees the same pixels)."""
    ds, _ = data.load(cfg.dataset, split, binarize=cfg.binarize, seed=cfg.seed,
                      image_size=cfg.image_size or None)
    examples = cfg.eval_examples if examples is None else examples
    if examples > 0:
        ds = ds.take(examples)
    return data.make_pipeline(ds, cfg.eval_batch_size, training=False,
                              cache=False).as_numpy_iterator()


def measure(run: RunSpec, trained: TrainedRun, cfg: LikelihoodStudyConfig) -> dict:
    """The run's test metrics (module docstring) and its sample grid."""
    model = trained.model
    metrics = evaluate(model, split_batches(cfg), importance_samples=cfg.importance_samples,
                       seed=cfg.seed)
    samples_png = None
    if cfg.sample_images > 0 and "sample" in model.methods:
        images = model.sample(cfg.sample_images, cfg.seed)["images"]
        samples_png = os.path.join(trained.run_dir, "samples.png")
        save_png(samples_png, image_grid(images, pad=1, pad_value=128))
    return {**metrics, "samples_png": samples_png}
