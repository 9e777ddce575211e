"""What every GAN study shares: training tfgen's GAN in chunks, data as arrays, figures, JSON.

Studies train the library's own model (``tfgen.models.build_model("gan", ...)`` and its
``train_step``: Algorithm 1 of the thesis) through :class:`GanTrainer`, which stops between chunks
of generator iterations so a study can measure along the way (scores, critic losses, wall-clock).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from tfgen import data
from tfgen.utils.records import atomic_write, to_json, write_json  # noqa: F401 (re-exported)
from tfgen.models import build_model


def penalty_weight(cfg) -> dict:
    """``{"gp_weight": λ}`` when a study config sets one (``gp_weight`` > 0), else ``{}``."""
    return {"gp_weight": cfg.gp_weight} if cfg.gp_weight > 0 else {}


def build_gan(spec, seed: int, model_config: dict[str, Any], learning_rate: float = 0.0):
    """``build_model("gan", ...)``, variables and both optimizers built.

    Keras' initializers draw from its global seed generator, so it is reset to ``seed`` first:
    every study run is reproducible on its own, whatever ran before it in the process.
    """
    keras.utils.set_random_seed(seed)
    model = build_model("gan", spec, seed=seed, **model_config)
    model.build_for()
    model.compile_for_training(learning_rate)
    return model


def save_figure(fig: Figure, path: str, dpi: int = 100) -> str:
    """Save a matplotlib figure as PNG atomically; returns the file name (for the JSON)."""
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight"))
    return os.path.basename(path)


def load_array(dataset: str, split: str = "train", limit: int = 0,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A split as numpy: (uint8 [N, H, W, C] images or float32 [N, 2] points, int64 [N])."""
    ds, _ = data.load(dataset, split, seed=seed)
    if limit:
        ds = ds.take(limit)
    xs, ys = [], []
    for x, y in ds.batch(8192).as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if not xs:
        raise ValueError(f"dataset {dataset!r} split {split!r} is empty")
    return np.concatenate(xs), np.concatenate(ys)


class GanTrainer:
    """tfgen's GAN on a dataset, trained ``steps`` generator iterations at a time.

    Each generator iteration consumes ``n_critic`` real minibatches of ``batch_size`` examples
    (the model's batch convention). ``train_seconds`` counts only time inside training steps.
    """

    def __init__(self, dataset, model_config: dict[str, Any], *, batch_size: int,
                 seed: int = 0, learning_rate: float = 0.0, train_examples: int = 0):
        """``dataset``: a :func:`tfgen.data.load` name (its train split), or an unbatched
        ``(tf.data.Dataset, DatasetSpec)`` pair for data tfgen.data does not serve."""
        if isinstance(dataset, str):
            ds, self.spec = data.load(dataset, "train", seed=seed)
        else:
            ds, self.spec = dataset
        if train_examples:
            ds = ds.take(train_examples)
        self.dataset = self.spec.name
        self.model = build_gan(self.spec, seed, model_config, learning_rate)
        self.batch_size = batch_size
        pipe = data.make_pipeline(ds, batch_size * self.model.n_critic, training=True, seed=seed)
        self._batches = iter(pipe)
        self._step = tf.function(self.model.train_step)
        self.steps = 0
        self.train_seconds = 0.0

    def train(self, steps: int, max_seconds: float = 0.0) -> dict[str, float]:
        """Run up to ``steps`` generator iterations (fewer once ``train_seconds`` reaches
        ``max_seconds`` > 0, or right after a step whose metrics are NaN/Inf); returns the mean
        metrics over them (critic_loss, wasserstein, ...), ``{}`` when no step ran."""
        for metric in self.model.metrics:
            metric.reset_state()
        logs: dict = {}
        for _ in range(steps):
            if max_seconds and self.train_seconds >= max_seconds:
                break
            batch = next(self._batches)
            began = time.perf_counter()
            logs = self._step(batch)
            logs = {k: float(v) for k, v in logs.items()}  # waits for the step to finish
            self.train_seconds += time.perf_counter() - began
            self.steps += 1
            if not all(math.isfinite(v) for v in logs.values()):
                break
        return logs

    def sample(self, num: int, seed: int = 0, chunk: int = 1000) -> np.ndarray:
        """``num`` samples (uint8 images or float32 points) in chunks of ``chunk``."""
        parts = [self.model.sample(tf.constant(min(chunk, num - start)),
                                   tf.constant(seed * 100_003 + start // chunk)).numpy()
                 for start in range(0, num, chunk)]
        return np.concatenate(parts)

    def critic_loss(self, examples: np.ndarray, seed: int = 0, batch: int = 500) -> float:
        """Mean critic loss (the objective the critic minimizes, penalty included) on real
        ``examples`` against fresh generator samples, without training."""
        total, count = 0.0, 0
        for start in range(0, len(examples), batch):
            chunk = tf.constant(examples[start:start + batch])
            loss, _ = self.model.compute_objective(
                chunk, tf.constant([seed, start], tf.int32), False)
            total += float(tf.reduce_sum(loss))
            count += int(chunk.shape[0])
        return total / count
