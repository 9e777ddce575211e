"""Keras callbacks of the trainer: step/time budget, NaN guard, checkpoints, sample grids (and
decoded text samples)."""

from __future__ import annotations

import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from tfgen.data.sources.text import CharCodec
from tfgen.data.spec import POINTS, TEXT
from tfgen.training.checkpoints import CheckpointStore
from tfgen.utils.images import image_grid, save_png
from tfgen.utils.records import atomic_write


def _step(model: keras.Model) -> int:
    return int(model.optimizer.iterations.numpy())


class TrainingBudget(keras.callbacks.Callback):
    """Stop once the optimizer has taken ``total_steps`` steps or ``max_seconds`` (> 0) of
    wall-clock time have passed since the end of the first train batch of this ``fit``.

    The clock starts after the first batch so that graph tracing and compilation (seconds to
    tens of seconds on a loaded CPU, independent of the budget) are not charged to training: a
    model given a few seconds still takes steps. ``started`` is None until that batch ends.
    """

    def __init__(self, total_steps: int, max_seconds: float = 0.0):
        super().__init__()
        self.total_steps, self.max_seconds = int(total_steps), float(max_seconds)
        self.started: float | None = None

    def on_train_begin(self, logs=None):
        self.started = None

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        if self.started is None:  # the first batch (tracing included) is free
            self.started = now
        out_of_time = self.max_seconds > 0 and now - self.started >= self.max_seconds
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


def scatter_image(points: np.ndarray, reference: np.ndarray | None = None, size: int = 256,
                  extent: float | None = None) -> np.ndarray:
    """A scatter plot of 2-D points as a uint8 RGB image ``[size, size, 3]``.

    ``points`` float ``[N, 2]`` are drawn as blue 3x3 dots, ``reference`` (e.g. real data) as red
    ones underneath, on white with grey axes; x grows rightwards, y upwards. The plot spans
    ``[-extent, extent]`` in both coordinates (default: 1.1 x the largest coordinate among the
    reference points and the 99th percentile of the samples, at least 1); points outside are
    left out.
    """
    points = np.asarray(points, np.float32).reshape(-1, 2)
    if extent is None:
        spread = [np.percentile(np.abs(points), 99)] if len(points) else []
        if reference is not None and len(reference):
            spread.append(np.max(np.abs(reference)))
        extent = max([1.0] + [1.1 * float(v) for v in spread if np.isfinite(v)])
    canvas = np.full((size, size, 3), 255, np.uint8)
    centre = size // 2
    canvas[centre, :] = canvas[:, centre] = 200

    def draw(xy, color):
        xy = np.asarray(xy, np.float32).reshape(-1, 2)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        cols = np.round((xy[:, 0] / extent + 1.0) * 0.5 * (size - 1)).astype(np.int64)
        rows = np.round((1.0 - xy[:, 1] / extent) * 0.5 * (size - 1)).astype(np.int64)
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = rows + dr, cols + dc
                keep = (r >= 0) & (r < size) & (c >= 0) & (c < size)
                canvas[r[keep], c[keep]] = color

    if reference is not None:
        draw(reference, (220, 60, 60))
    draw(points, (30, 70, 200))
    return canvas


class ImageGrids(keras.callbacks.Callback):
    """At each epoch end write sample (and reconstruction) grids as PNGs and TensorBoard images.

    Samples use a fixed seed so grids of successive epochs are comparable. Reconstructions (the
    model's ``reconstruct``) are drawn for models that can ``encode`` and ``decode``, from
    ``reference_images`` (uint8 NHWC).
    What is drawn follows the model's ``data_kind`` (the dataset spec's): models of 2-D points
    (toy GANs, whose ``sample`` returns float32 ``[N, 2]``) get a scatter plot of the samples
    (blue) over ``reference_images`` (real points, red) instead of a grid. Models of text
    (``sample`` returns float32 ``[N, L, V]`` character distributions) get their samples decoded
    (argmax over V with ``vocabulary``, the dataset spec's) into ``samples-<step>.txt``, one per
    line, and a TensorBoard text summary.
    """

    def __init__(self, image_dir: str, log_dir: str, num_samples: int = 64, seed: int = 0,
                 reference_images: np.ndarray | None = None,
                 vocabulary: tuple[str, ...] = ()):
        super().__init__()
        self.image_dir, self.num_samples, self.seed = image_dir, int(num_samples), int(seed)
        self.reference = reference_images
        self.codec = CharCodec(tuple(vocabulary)) if vocabulary else None
        self.writer = tf.summary.create_file_writer(log_dir)
        self._sample = self._reconstruct = None

    def on_train_begin(self, logs=None):
        model = self.model
        self._sample = tf.function(model.sample)
        if self.reference is not None and {"encode", "decode"} <= set(model.serving_methods):
            self._reconstruct = tf.function(model.reconstruct)

    def _write(self, name: str, images: np.ndarray, step: int, rows: int | None = None) -> None:
        grid = image_grid(images, rows=rows, pad=2, pad_value=128)  # grey frames show on black
        self._write_image(name, grid, step)

    def _write_image(self, name: str, grid: np.ndarray, step: int) -> None:
        os.makedirs(self.image_dir, exist_ok=True)
        save_png(os.path.join(self.image_dir, f"{name}-{step:07d}.png"), grid)
        with self.writer.as_default():
            tf.summary.image(name, grid[None], step=step)

    def _write_text(self, name: str, samples: np.ndarray, step: int) -> None:
        if self.codec is None:
            raise ValueError(f"the model samples text {list(samples.shape)}, but ImageGrids was "
                             "given no vocabulary to decode it (pass the dataset spec's)")
        lines = self.codec.decode(samples)
        text = ("\n".join(lines) + "\n").encode("utf-8")
        atomic_write(os.path.join(self.image_dir, f"{name}-{step:07d}.txt"),
                     lambda f: f.write(text))
        with self.writer.as_default():
            tf.summary.text(name, "\n\n".join(lines), step=step)

    def on_epoch_end(self, epoch, logs=None):
        if self.num_samples <= 0:
            return
        step = _step(self.model)
        samples = self._sample(tf.constant(self.num_samples), tf.constant(self.seed)).numpy()
        kind = self.model.data_kind
        if kind == POINTS:  # a scatter plot, not an image grid
            self._write_image("samples", scatter_image(samples, self.reference), step)
            self.writer.flush()
            return
        if kind == TEXT:  # [N, L, V]: decoded lines, not an image grid
            self._write_text("samples", samples, step)
            self.writer.flush()
            return
        self._write("samples", samples, step)
        if self._reconstruct is not None:
            recon = self._reconstruct(tf.constant(self.reference), tf.constant(self.seed)).numpy()
            pairs = np.stack([self.reference, recon], axis=1).reshape((-1,) + recon.shape[1:])
            self._write("reconstructions", pairs, step, rows=max(1, len(pairs) // 8))  # 4 pairs/row
        self.writer.flush()
