"""Fixtures for tfgen.data tests: small generated data sets and a fake prepared TFDS dir."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from tfds_metadata import write_tfds_metadata
from tfgen.data.sources import idx

TFDS_NAMES = {  # TFDS name → splits to declare
    "mnist": ("train", "test"),
    "fashion_mnist": ("train", "test"),
    "cifar10": ("train", "test"),
    "binarized_mnist": ("train", "validation", "test"),
    "lsun/bedroom": ("train", "validation"),
    "downsampled_imagenet/64x64": ("train", "validation"),
    "imagenet_resized/32x32": ("train", "validation"),
    "imagenet_resized/64x64": ("train", "validation"),
}


@pytest.fixture(autouse=True)
def _no_download_env(monkeypatch):
    """Tests never download and never see a user's Fashion-MNIST override."""
    monkeypatch.delenv("TFGEN_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.delenv(idx.FASHION_MNIST_ENV, raising=False)
    monkeypatch.delenv("TFGEN_DATA_DIR", raising=False)


@pytest.fixture
def empty_tfds_dir(tmp_path) -> str:
    """A TFDS data_dir with nothing prepared in it."""
    d = tmp_path / "empty_tfds"
    d.mkdir()
    return str(d)


@pytest.fixture
def fake_tfds_dir(tmp_path) -> str:
    """A TFDS data_dir where each of TFDS_NAMES looks prepared (metadata only).

    Use with ``tfds.testing.mock_data(num_examples=..., data_dir=...)``, which supplies examples.
    """
    d = tmp_path / "fake_tfds"
    for name, split_names in TFDS_NAMES.items():
        write_tfds_metadata(name, d, split_names)
    return str(d)


@pytest.fixture
def fashion_dir() -> pathlib.Path:
    """The Debian `dataset-fashion-mnist` folder; skips when the package is not installed."""
    d = pathlib.Path(idx.FASHION_MNIST_DEBIAN_DIR)
    if idx.fashion_mnist_dir() is None:
        pytest.skip(f"Fashion-MNIST IDX files not installed in {d} (apt dataset-fashion-mnist)")
    return d


@pytest.fixture
def write_npz(tmp_path):
    """Write arrays to a fresh .npz and return its path."""
    count = [0]

    def _write(**arrays) -> str:
        count[0] += 1
        path = tmp_path / f"data{count[0]}.npz"
        np.savez(path, **arrays)
        return str(path)

    return _write
