"""Keras callbacks of the trainer: step/time budget, NaN guard, checkpoints, image grids."""

from __future__ import annotations

import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tfgen.training.checkpoints import CheckpointStore
from tfgen.utils.images import image_grid, save_png


def _step(model: keras.Model) -> int:
    return int(model.optimizer.iterations.numpy())


class TrainingBudget(keras.callbacks.Callback):
    """Stop once the optimizer has taken ``total_steps`` steps or ``max_seconds`` (> 0) of
    wall-clock time have passed since training began."""

    def __init__(self, total_steps: int, max_seconds: float = 0.0):
        super().__init__()
        self.total_steps, self.max_seconds = int(total_steps), float(max_seconds)
        self.started = None

    def on_train_begin(self, logs=None):
        self.started = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        out_of_time = self.max_seconds > 0 and time.monotonic() - self.started >= self.max_seconds
        if out_of_time or _step(self.model) >= self.total_steps:
            self.model.stop_training = True


class NaNGuard(keras.callbacks.Callback):
    """Stop at the first batch whose loss is NaN/Inf and remember where (``diverged_at``)."""

    def __init__(self):
        super().__init__()
        self.diverged_at: int | None = None
        self.bad_loss = None

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            self.diverged_at = _step(self.model)
            self.bad_loss = loss
            self.model.stop_training = True


class Checkpointer(keras.callbacks.Callback):
    """Save every ``every`` steps and at the end of training, only while the loss is finite."""

    def __init__(self, store: CheckpointStore, every: int, guard: NaNGuard):
        super().__init__()
        self.store, self.every, self.guard = store, max(1, int(every)), guard
        self.last_saved: int | None = None

    def _save(self):
        step = _step(self.model)
        if self.guard.diverged_at is None and step != self.last_saved:
            self.store.save(self.model, step)
            self.last_saved = step

    def on_train_batch_end(self, batch, logs=None):
        if _step(self.model) % self.every == 0:
            self._save()

    def on_train_end(self, logs=None):
        self._save()


class ImageGrids(keras.callbacks.Callback):
    """At each epoch end write sample (and reconstruction) grids as PNGs and TensorBoard images.

    Samples use a fixed seed so grids of successive epochs are comparable. Reconstructions are
    drawn for models that can ``encode`` and ``decode``, from ``reference_images`` (uint8 NHWC).
    """

    def __init__(self, image_dir: str, log_dir: str, num_samples: int = 64, seed: int = 0,
                 reference_images: np.ndarray | None = None):
        super().__init__()
        self.image_dir, self.num_samples, self.seed = image_dir, int(num_samples), int(seed)
        self.reference = reference_images
        self.writer = tf.summary.create_file_writer(log_dir)
        self._sample = self._reconstruct = None

    def on_train_begin(self, logs=None):
        model = self.model
        self._sample = tf.function(model.sample)
        if self.reference is not None and {"encode", "decode"} <= set(model.serving_methods):
            self._reconstruct = tf.function(
                lambda x, seed: model.decode(model.encode(x)["mean"], seed))

    def _write(self, name: str, images: np.ndarray, step: int, rows: int | None = None) -> None:
        grid = image_grid(images, rows=rows, pad=2, pad_value=128)  # grey frames show on black
        os.makedirs(self.image_dir, exist_ok=True)
        save_png(os.path.join(self.image_dir, f"{name}-{step:07d}.png"), grid)
        with self.writer.as_default():
            tf.summary.image(name, grid[None], step=step)

    def on_epoch_end(self, epoch, logs=None):
        if self.num_samples <= 0:
            return
        step = _step(self.model)
        self._write("samples", self._sample(tf.constant(self.num_samples), tf.constant(self.seed))
                    .numpy(), step)
        if self._reconstruct is not None:
            recon = self._reconstruct(tf.constant(self.reference), tf.constant(self.seed)).numpy()
            pairs = np.stack([self.reference, recon], axis=1).reshape((-1,) + recon.shape[1:])
            self._write("reconstructions", pairs, step, rows=max(1, len(pairs) // 8))  # 4 pairs/row
        self.writer.flush()
