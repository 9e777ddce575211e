"""CheckpointStore on its own: rotation keeps exactly the newest ``keep``, a save that dies
half-way leaves the previous checkpoint the latest, restore loads the newest weights."""

import json
import os

import keras
import numpy as np
import pytest

from tfgen.training.checkpoints import CheckpointStore


def tiny_model(value: float) -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.set_weights([np.full(w.shape, value, np.float32) for w in model.get_weights()])
    return model


def test_rotation_keeps_exactly_the_newest_checkpoints(tmp_path):
    store = CheckpointStore(str(tmp_path), keep=2)
    for step in range(1, 6):
        store.save(tiny_model(step), step)
    assert store.steps() == [4, 5]
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith("ckpt-")) == [
        "ckpt-4.weights.h5", "ckpt-5.weights.h5"]
    with open(tmp_path / "checkpoint.json") as f:
        assert json.load(f) == {"step": 5, "path": "ckpt-5.weights.h5"}


def test_restore_loads_the_newest_weights(tmp_path):
    store = CheckpointStore(str(tmp_path), keep=3)
    for step in (10, 20):
        store.save(tiny_model(step), step)
    model = tiny_model(0.0)
    assert store.restore(model) == 20
    assert all(np.all(w == 20.0) for w in model.get_weights())
    assert CheckpointStore(str(tmp_path / "none")).restore(model) == 0


def test_a_save_that_dies_half_way_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    store = CheckpointStore(str(tmp_path), keep=3)
    store.save(tiny_model(1.0), 1)
    model = tiny_model(2.0)

    def dies_half_way(path, *args, **kwargs):
        with open(path, "wb") as f:  # a truncated file, then the process "crashes"
            f.write(b"\x89HDF\r\n")
        raise KeyboardInterrupt("killed while writing")

    monkeypatch.setattr(model, "save_weights", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        store.save(model, 2)
    assert store.steps() == [1] and store.latest()[0] == 1
    restored = tiny_model(0.0)
    assert store.restore(restored) == 1
    assert all(np.all(w == 1.0) for w in restored.get_weights())
