"""IDX parsing and the local Fashion-MNIST source."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import tfgen.data as data
from tfgen.data.sources import idx


def _write_idx(path, array: np.ndarray, *, magic: bytes | None = None, extra: bytes = b"",
               compress: bool = False) -> None:
    header = magic or bytes([0, 0, 0x08, array.ndim])
    raw = header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()
    raw += extra
    path.write_bytes(gzip.compress(raw) if compress else raw)


def test_real_fashion_mnist_files(fashion_dir):
    train = idx.FashionMnistIdx(fashion_dir).read("train")
    test = idx.FashionMnistIdx(fashion_dir).read("test")
    assert train.images.shape == (60000, 28, 28, 1) and test.images.shape == (10000, 28, 28, 1)
    assert train.images.dtype == np.uint8 and train.labels.dtype == np.int64
    assert np.array_equal(np.unique(train.labels), np.arange(10))
    assert np.array_equal(np.bincount(train.labels), np.full(10, 6000))
    assert np.array_equal(np.bincount(test.labels), np.full(10, 1000))
    assert train.images.max() == 255 and train.images.min() == 0


def test_read_idx_plain_and_gzip(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a", a)
    _write_idx(tmp_path / "a.gz", a, compress=True)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a"), a)
    np.testing.assert_array_equal(idx.read_idx(tmp_path / "a.gz", ndim=3), a)


@pytest.mark.parametrize("magic, extra, ndim, message", [
    (bytes([0x12, 0x34, 0x08, 3]), b"", None, "not an IDX file"),
    (bytes([0, 0, 0x42, 3]), b"", None, "not an IDX file"),
    (None, b"\x00", None, "bytes"),       # one byte too many
    (None, b"", 1, "expected an IDX file with 1 dimensions, found 3"),
])
def test_malformed_idx_names_file(tmp_path, magic, extra, ndim, message):
    path = tmp_path / "broken-images-idx3-ubyte.gz"
    _write_idx(path, np.zeros([2, 3, 4], np.uint8), magic=magic, extra=extra, compress=True)
    with pytest.raises(ValueError, match=message) as info:
        idx.read_idx(path, ndim=ndim)
    assert str(path) in str(info.value)


def test_truncated_idx_names_file(tmp_path):
    path = tmp_path / "short"
    _write_idx(path, np.zeros([4, 5], np.uint8))
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="header says shape") as info:
        idx.read_idx(path)
    assert str(path) in str(info.value)


def _fake_fashion(directory, n_train=30, n_test=10):
    directory.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        _write_idx(directory / f"{prefix}-images-idx3-ubyte.gz",
                   rng.integers(0, 256, [n, 28, 28]).astype(np.uint8), compress=True)
        _write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10, compress=True)


def test_env_var_directory_is_used(tmp_path, monkeypatch, empty_tfds_dir):
    _fake_fashion(tmp_path / "fm")
    monkeypatch.setenv(idx.FASHION_MNIST_ENV, str(tmp_path / "fm"))
    test, spec = data.load("fashion_mnist", "test", data_dir=empty_tfds_dir)
    assert spec == data.DatasetSpec("fashion_mnist", (28, 28, 1), 10, "image", False)
    assert int(test.cardinality()) == 10
    train, _ = data.load("fashion_mnist", "train", data_dir=empty_tfds_dir)
    val, _ = data.load("fashion_mnist", "validation", data_dir=empty_tfds_dir)
    assert int(train.cardinality()) + int(val.cardinality()) == 30


def test_load_fashion_mnist_falls_back_to_debian_files(fashion_dir, empty_tfds_dir):
    ds, spec = data.load("fashion_mnist", "test", data_dir=empty_tfds_dir)
    assert spec.shape == (28, 28, 1) and spec.num_classes == 10
    images, labels = next(iter(ds.batch(10_000)))
    assert images.shape == (10000, 28, 28, 1) and images.dtype.name == "uint8"
    assert labels.dtype.name == "int64"
    np.testing.assert_array_equal(np.bincount(labels.numpy()), np.full(10, 1000))
