"""make_pipeline: batching, shuffling, repetition and exact resume."""

from __future__ import annotations

import numpy as np
import pytest

import tfgen.data as data
from data_helpers import decode_index, indexed_images


@pytest.fixture
def name(write_npz):
    return f"npz:{write_npz(x=indexed_images(100), y=np.arange(100) % 10)}"


def _load(name, **kwargs):
    return data.load(name, "test", **kwargs)[0].concatenate(
        data.load(name, "train", validation_fraction=0.0, **kwargs)[0])  # all 100, in order


def test_eval_pipeline_keeps_order_and_remainder(name):
    batches = list(data.make_pipeline(_load(name), 32, training=False))
    assert [len(b[0]) for b in batches] == [32, 32, 32, 4]
    assert batches[0][0].shape[1:] == (8, 8, 1) and batches[0][0].dtype.name == "uint8"
    assert batches[0][1].dtype.name == "int64"
    ids = np.concatenate([decode_index(b[0].numpy()) for b in batches])
    assert sorted(ids) == list(range(100))
    again = np.concatenate([decode_index(b[0].numpy())
                            for b in data.make_pipeline(_load(name), 32, training=False)])
    np.testing.assert_array_equal(ids, again)


def test_training_pipeline_shuffles_repeats_and_drops_remainder(name):
    pipe = data.make_pipeline(_load(name), 30, training=True, seed=1)
    batches = [decode_index(b[0].numpy()) for b in pipe.take(10)]  # 300 examples = 3 epochs
    assert all(len(b) == 30 for b in batches)
    stream = np.concatenate(batches)
    first_epoch, second_epoch = stream[:100], stream[100:200]
    assert sorted(first_epoch) == list(range(100)) == sorted(second_epoch)
    assert not np.array_equal(first_epoch, np.arange(100))  # shuffled
    assert not np.array_equal(first_epoch, second_epoch)  # reshuffled each epoch


def test_training_pipeline_is_deterministic_and_resumable(write_npz):
    x = np.random.default_rng(1).integers(0, 256, size=(50, 6, 6), dtype=np.uint8)
    name = f"npz:{write_npz(x=x, y=np.arange(50))}"

    def pipeline(seed):
        ds, _ = data.load(name, "train", binarize=True, seed=11)
        return data.make_pipeline(ds, 8, training=True, seed=seed, shuffle_buffer=20)

    full = [(b[0].numpy(), b[1].numpy()) for b in pipeline(3).take(12)]
    resumed = [(b[0].numpy(), b[1].numpy()) for b in pipeline(3).skip(7).take(5)]
    for (xa, ya), (xb, yb) in zip(full[7:], resumed, strict=True):
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_array_equal(xa, xb)
    other = [b[1].numpy() for b in pipeline(4).take(3)]
    assert not all(np.array_equal(a[1], b) for a, b in zip(full[:3], other, strict=True))


def test_overrides_and_points(name):
    no_drop = list(data.make_pipeline(_load(name), 32, training=True, repeat=False,
                                      drop_remainder=False))
    assert sorted(len(b[0]) for b in no_drop) == [4, 32, 32, 32]
    pts, spec = data.load("8gaussians", "test")
    batch = next(iter(data.make_pipeline(pts, 256, training=True, cache=False)))
    assert batch[0].shape == (256, 2) and batch[0].dtype.name == "float32"
    with pytest.raises(ValueError, match="batch_size"):
        data.make_pipeline(pts, 0, training=False)
