"""Measure a model along training, resumably: the hook studies give :func:`tfgen.training.train`.

:class:`Measurements` calls ``measure(model) -> dict`` every ``every`` optimizer steps and once
more at the end of training (when a budget or the NaN guard stopped it between two measurements),
and keeps the points in a JSON file, so a run killed and resumed from its checkpoint continues the
same curve: points after the restored step are dropped (they will be measured again) and
``train_seconds`` continues from the last point kept.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import keras

from tfgen.utils.records import to_json, write_json


class Measurements(keras.callbacks.Callback):
    """Points ``{"step", "train_seconds", <log_keys>, **measure(model)}`` in ``path``.

    Attributes:
      points: the measured points so far (the file's content), in step order.

    ``train_seconds`` is wall-clock time inside ``fit`` without the time spent measuring, summed
    over every resumed part of the run; the trainer keeps measuring time off its
    ``max_train_seconds`` budget too (``not_charged``). ``log_keys`` copies those Keras logs of
    the step (running means over the current epoch, e.g. ``critic_loss``) into each point.
    """

    def __init__(self, path: str, every: int, measure: Callable[[keras.Model], dict[str, Any]],
                 log_keys: Sequence[str] = ()):
        super().__init__()
        self.path, self.every, self.measure = path, max(1, int(every)), measure
        self.log_keys = tuple(log_keys)
        self.points: list[dict[str, Any]] = []
        #: Set by :func:`tfgen.training.train`: keeps seconds off the wall-clock budget.
        self.not_charged: Callable[[float], None] = lambda seconds: None
        self._offset = self._began = self._excluded = 0.0

    def _step(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def on_train_begin(self, logs=None):
        start = self._step()  # the restored checkpoint's step (0 for a fresh run)
        points = []
        if os.path.exists(self.path):
            with open(self.path) as f:
                points = [p for p in json.load(f) if p["step"] <= start]
        self.points = points
        self._offset = points[-1]["train_seconds"] if points else 0.0
        self._began, self._excluded = time.monotonic(), 0.0

    def _take(self, logs) -> None:
        step = self._step()
        if self.points and self.points[-1]["step"] == step:
            return
        if not math.isfinite(float((logs or {}).get("loss", 0.0))):
            return  # a diverged step: the NaN guard stops the run, nothing to measure
        began = time.monotonic()
        point = {"step": step,
                 "train_seconds": self._offset + began - self._began - self._excluded,
                 **{k: float(logs[k]) for k in self.log_keys if k in (logs or {})},
                 **self.measure(self.model)}
        self.points.append(to_json(point))
        write_json(self.path, self.points)
        spent = time.monotonic() - began
        self._excluded += spent
        self.not_charged(spent)

    def on_train_batch_end(self, batch, logs=None):
        if self._step() % self.every == 0:
            self._take(logs)

    def on_train_end(self, logs=None):
        if self._step() > 0:
            self._take(logs)


def load_points(path: str) -> list[dict[str, Any]]:
    """The points a :class:`Measurements` wrote to ``path`` (``[]`` when there are none)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)
