"""Step-numbered checkpoints of a Keras model and its optimizer, written atomically.

Layout: ``DIR/ckpt-<step>.weights.h5`` (model weights and optimizer state, step counter included)
and ``DIR/checkpoint.json`` naming the latest one. Each file is written under a temporary name and
renamed into place, so a kill at any moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
import re

import keras

from tfgen.utils.records import write_json

_PATTERN = re.compile(r"^ckpt-(\d+)\.weights\.h5$")


class CheckpointStore:
    """Save, find and restore checkpoints of ``model`` (built, with a built optimizer)."""

    def __init__(self, directory: str, keep: int = 3):
        self.directory = directory
        self.keep = max(1, int(keep))

    def _path(self, step: int) -> str:
        return os.path.join(self.directory, f"ckpt-{step}.weights.h5")

    def steps(self) -> list[int]:
        """Steps of the complete checkpoints on disk, ascending."""
        if not os.path.isdir(self.directory):
            return []
        found = (_PATTERN.match(name) for name in os.listdir(self.directory))
        return sorted(int(m.group(1)) for m in found if m)

    def latest(self) -> tuple[int, str] | None:
        """(step, path) of the newest checkpoint, or None."""
        steps = self.steps()
        return (steps[-1], self._path(steps[-1])) if steps else None

    def save(self, model: keras.Model, step: int) -> str:
        os.makedirs(self.directory, exist_ok=True)
        path = self._path(step)
        tmp = os.path.join(self.directory, f".tmp-{step}-{os.getpid()}.weights.h5")
        model.save_weights(tmp)
        os.replace(tmp, path)
        write_json(os.path.join(self.directory, "checkpoint.json"),
                   {"step": step, "path": os.path.basename(path)})
        for old in self.steps()[:-self.keep]:
            os.remove(self._path(old))
        return path

    def restore(self, model: keras.Model) -> int:
        """Load the newest checkpoint into ``model``; returns its step (0 when there is none)."""
        latest = self.latest()
        if latest is None:
            return 0
        step, path = latest
        model.load_weights(path)
        return step



