"""Seeded validation carve-out and class exclusion, for in-memory and streamed sources."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import tensorflow as tf

import tfgen.data as data
from data_helpers import collect, decode_index, indexed_images
from tfgen.data import splits


def _hashes(images: np.ndarray) -> list[str]:
    return sorted(hashlib.sha1(im.tobytes()).hexdigest() for im in images)


def test_hash_is_vectorized_consistently_and_uniform():
    index = np.arange(20_000, dtype=np.int64)
    vector = splits.hash_uniform(splits.VALIDATION, 5, index).numpy()
    scalar = [float(splits.hash_uniform(splits.VALIDATION, 5, tf.constant(i, tf.int64)))
              for i in (0, 17, 19_999)]
    np.testing.assert_array_equal(vector[[0, 17, 19_999]], scalar)
    assert 0.0 <= vector.min() and vector.max() < 1.0
    assert abs(vector.mean() - 0.5) < 0.01
    other_seed = splits.hash_uniform(splits.VALIDATION, 6, index).numpy()
    assert abs(np.corrcoef(vector, other_seed)[0, 1]) < 0.03


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_in_memory_train_validation_disjoint_and_complete(write_npz, seed):
    path = write_npz(x=indexed_images(1000), y=np.arange(1000) % 10)
    full = decode_index(collect(data.load(f"npz:{path}", "train", validation_fraction=0.0)[0])[0])
    train = decode_index(collect(data.load(f"npz:{path}", "train", seed=seed,
                                           validation_fraction=0.25)[0])[0])
    val = decode_index(collect(data.load(f"npz:{path}", "validation", seed=seed,
                                         validation_fraction=0.25)[0])[0])
    assert not set(train) & set(val)
    assert sorted(np.concatenate([train, val])) == sorted(full)
    assert 0.18 < len(val) / len(full) < 0.32


def test_validation_depends_on_seed(write_npz):
    path = write_npz(x=indexed_images(500))
    a = decode_index(collect(data.load(f"npz:{path}", "validation", seed=1)[0])[0])
    b = decode_index(collect(data.load(f"npz:{path}", "validation", seed=2)[0])[0])
    again = decode_index(collect(data.load(f"npz:{path}", "validation", seed=1)[0])[0])
    np.testing.assert_array_equal(a, again)
    assert set(a) != set(b)


def test_streamed_train_validation_disjoint_and_complete(fake_tfds_dir):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=300, data_dir=fake_tfds_dir):
        full, _ = collect(data.load("mnist", "train", validation_fraction=0.0,
                                    data_dir=fake_tfds_dir)[0])
        train, _ = collect(data.load("mnist", "train", seed=4, validation_fraction=0.3,
                                     data_dir=fake_tfds_dir)[0])
        val, _ = collect(data.load("mnist", "validation", seed=4, validation_fraction=0.3,
                                   data_dir=fake_tfds_dir)[0])
    assert len(full) == 300 and len(set(_hashes(full))) == 300
    assert not set(_hashes(train)) & set(_hashes(val))
    assert _hashes(np.concatenate([train, val])) == _hashes(full)
    # The streamed carve-out is the same rule as the in-memory one: index i → validation.
    expected = splits.in_validation(np.arange(300), 4, 0.3).numpy()
    assert len(val) == expected.sum()


def test_exclude_classes_in_memory(write_npz):
    y = np.arange(2000) % 10
    path = write_npz(x=indexed_images(2000), y=y)
    name = f"npz:{path}"
    for split in ("train", "validation"):
        _, all_labels = collect(data.load(name, split, seed=2)[0])
        _, kept = collect(data.load(name, split, seed=2, exclude_classes=(3, 7))[0])
        assert not np.isin(kept, [3, 7]).any()
        for c in set(range(10)) - {3, 7}:  # nothing else removed
            assert (kept == c).sum() == (all_labels == c).sum() > 0
    _, test_labels = collect(data.load(name, "test", exclude_classes=(3, 7))[0])
    assert set(test_labels) == set(range(10))  # test keeps every class
    for split in ("train", "validation"):  # excluding every class leaves nothing to train on
        with pytest.raises(ValueError, match=r"removes every class of .*no " + split):
            data.load(name, split, exclude_classes=tuple(range(10)))
    assert len(collect(data.load(name, "test", exclude_classes=tuple(range(10)))[0])[1]) > 0


def test_exclude_classes_streamed(fake_tfds_dir):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=200, data_dir=fake_tfds_dir):
        _, all_labels = collect(data.load("mnist", "train", data_dir=fake_tfds_dir)[0])
        _, kept = collect(data.load("mnist", "train", exclude_classes=[0, 9],
                                    data_dir=fake_tfds_dir)[0])
        _, test_labels = collect(data.load("mnist", "test", exclude_classes=[0, 9],
                                           data_dir=fake_tfds_dir)[0])
    assert np.isin(all_labels, [0, 9]).any() and not np.isin(kept, [0, 9]).any()
    np.testing.assert_array_equal(kept, all_labels[~np.isin(all_labels, [0, 9])])
    assert np.isin(test_labels, [0, 9]).any()


def test_exclude_classes_real_fashion_mnist(fashion_dir, empty_tfds_dir):
    _, labels = collect(data.load("fashion_mnist", "train", exclude_classes=(3, 7),
                                  data_dir=empty_tfds_dir)[0])
    _, val_labels = collect(data.load("fashion_mnist", "validation", exclude_classes=(3, 7),
                                      data_dir=empty_tfds_dir)[0])
    counts = np.bincount(np.concatenate([labels, val_labels]), minlength=10)
    assert counts[3] == counts[7] == 0
    assert np.all(np.delete(counts, [3, 7]) == 6000)


@pytest.mark.parametrize("kwargs, message", [
    (dict(exclude_classes=(10,)), r"\[0, 10\)"),
    (dict(validation_fraction=1.0), "validation_fraction"),
    (dict(split="valid"), "unknown split"),
])
def test_bad_split_arguments(write_npz, kwargs, message):
    path = write_npz(x=indexed_images(20), y=np.arange(20) % 10)
    with pytest.raises(ValueError, match=message):
        data.load(f"npz:{path}", **kwargs)


def test_exclude_on_unlabelled_is_an_error(write_npz):
    path = write_npz(x=indexed_images(20))
    with pytest.raises(ValueError, match="unlabelled"):
        data.load(f"npz:{path}", exclude_classes=(0,))
