"""TFDS-backed names through tfds.testing.mock_data, and the no-data / no-network paths."""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest

import tfgen.data as data
from data_helpers import collect

tfds = pytest.importorskip("tensorflow_datasets")


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection attempt fails the test immediately."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name, split, image_size, shape, labelled", [
    ("mnist", "train", None, (28, 28, 1), True),
    ("fashion_mnist", "test", None, (28, 28, 1), True),
    ("cifar10", "validation", None, (32, 32, 3), True),
    ("cifar10", "test", 16, (16, 16, 3), True),
    ("lsun_bedroom", "train", None, (64, 64, 3), False),
    ("lsun_bedroom", "test", 32, (32, 32, 3), False),
    ("lsun_bedroom", "train", 128, (128, 128, 3), False),
    ("lsun", "train", None, (64, 64, 3), False),
    ("lsun", "validation", 32, (32, 32, 3), False),
    ("imagenet32", "train", None, (32, 32, 3), True),
    ("imagenet64", "test", None, (64, 64, 3), True),
    ("downsampled_imagenet64", "test", None, (64, 64, 3), False),
])
def test_mocked_tfds_shapes_and_dtypes(fake_tfds_dir, no_network, name, split, image_size,
                                       shape, labelled):
    with tfds.testing.mock_data(num_examples=12, data_dir=fake_tfds_dir):
        ds, spec = data.load(name, split, image_size=image_size, data_dir=fake_tfds_dir)
        images, labels = collect(ds)
    assert spec.shape == shape and tuple(ds.element_spec[0].shape) == shape
    assert images.shape[1:] == shape and images.dtype == np.uint8 and len(images) > 0
    assert labels.dtype == np.int64
    if labelled:
        classes = 1000 if name.startswith("imagenet") else 10
        assert spec.num_classes == classes and labels.min() >= 0 and labels.max() < classes
    else:
        assert spec.num_classes == 0 and np.all(labels == -1)


def test_lsun_is_center_cropped_then_resized(fake_tfds_dir):
    """A 10x30 bedroom whose center square is 200 and sides 0 → an all-200 square."""
    import tensorflow as tf

    stripes = np.zeros([10, 30, 3], np.uint8)
    stripes[:, 10:20] = 200

    def fake_as_dataset(self, *args, **kwargs):
        return tf.data.Dataset.from_tensors({"id": "x", "image": stripes}).repeat(3)

    with tfds.testing.mock_data(as_dataset_fn=fake_as_dataset, data_dir=fake_tfds_dir):
        for size in (5, 32):
            images, _ = collect(data.load("lsun_bedroom", "test", image_size=size,
                                          data_dir=fake_tfds_dir)[0])
            assert images.shape == (3, size, size, 3) and np.all(images == 200)


def test_mocked_binarized_mnist_is_zero_or_255(fake_tfds_dir):
    # max_value=2: the mock draws pixels from {0, 1}, like the real binarized_mnist.
    with tfds.testing.mock_data(num_examples=6, max_value=2, data_dir=fake_tfds_dir):
        ds, spec = data.load("binarized_mnist", "test", data_dir=fake_tfds_dir)
        images, labels = collect(ds)
    assert spec.binarized and spec.num_classes == 0
    assert set(np.unique(images)) == {0, 255} and np.all(labels == -1)
    with pytest.raises(ValueError, match="statically binarized"):
        data.get_spec("binarized_mnist", image_size=32)


def test_mnist_binarize_flag(fake_tfds_dir):
    with tfds.testing.mock_data(num_examples=6, data_dir=fake_tfds_dir):
        ds, spec = data.load("mnist", "test", binarize=True, data_dir=fake_tfds_dir)
        images, _ = collect(ds)
    assert spec.binarized and set(np.unique(images)) <= {0, 255}


@pytest.mark.parametrize("name", ["mnist", "cifar10", "lsun_bedroom", "lsun", "imagenet32",
                                  "imagenet64", "binarized_mnist"])
def test_not_prepared_raises_fast_without_network(empty_tfds_dir, no_network, name):
    start = time.monotonic()
    with pytest.raises(data.DataNotFoundError) as info:
        data.load(name, "train", data_dir=empty_tfds_dir)
    assert time.monotonic() - start < 20
    message = str(info.value)
    assert "tfds build" in message and "TFGEN_ALLOW_DOWNLOAD=1" in message
    assert "train/prepare_data.py" in message
    assert isinstance(info.value, FileNotFoundError)
    if name.startswith("lsun"):
        assert "--source=lmdb:DIR" in message and "lsun_bedroom_64" in message


def test_fashion_mnist_without_any_copy(empty_tfds_dir, no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("TFGEN_FASHION_MNIST_DIR", str(tmp_path))  # exists, but no files
    with pytest.raises(data.DataNotFoundError, match="dataset-fashion-mnist"):
        data.load("binarized_fashion_mnist", "test", data_dir=empty_tfds_dir)


def test_prepared_tfds_copy_wins_over_local_files(fake_tfds_dir, fashion_dir):
    with tfds.testing.mock_data(num_examples=5, data_dir=fake_tfds_dir):
        ds, _ = data.load("fashion_mnist", "test", data_dir=fake_tfds_dir)
        assert len(collect(ds)[0]) == 5  # the mock's 5 examples, not the 10000 local ones


@pytest.mark.parametrize("how", ["env", "arg"])
def test_download_only_when_allowed(empty_tfds_dir, monkeypatch, how):
    calls = []
    with tfds.testing.mock_data(num_examples=4, data_dir=empty_tfds_dir):
        monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare",
                            lambda self, *a, **k: calls.append(self.name))
        with pytest.raises(data.DataNotFoundError):
            data.load("cifar10", "test", data_dir=empty_tfds_dir)
        assert calls == []
        if how == "env":
            monkeypatch.setenv("TFGEN_ALLOW_DOWNLOAD", "1")
            ds, _ = data.load("cifar10", "test", data_dir=empty_tfds_dir)
        else:
            ds, _ = data.load("cifar10", "test", data_dir=empty_tfds_dir, download=True)
        assert calls == ["cifar10"] and len(collect(ds)[0]) == 4


@pytest.mark.slow
def test_the_users_lsun_command_trains_the_hierarchical_pixelvae_where_lsun_is_prepared(
        fake_tfds_dir, no_network, tmp_path, capsys):
    """``train/run.py --model=hierarchical_pixelvae --dataset=lsun`` on a prepared (here: mocked)
    LSUN: it trains, evaluates and reports on bedrooms at the requested size."""
    import json
    import os
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "train"))
    import run

    with tfds.testing.mock_data(num_examples=24, data_dir=fake_tfds_dir):
        status = run.run_in_process([
            "run.py", "--model=hierarchical_pixelvae", "--dataset=lsun", "--image_size=16",
            f"--data_dir={fake_tfds_dir}", "--train_steps=2", "--batch_size=4",
            "--steps_per_epoch=2", "--eval_batches=1", "--sample_images=0", "--export=false",
            "--verbose=0", f"--output_dir={tmp_path}/run"])
    out = capsys.readouterr()
    assert status == 0, out.err[-2000:]
    summary = json.loads(out.out)
    assert summary["step"] == 2 and summary["train_config"]["dataset"] == "lsun"
    assert all(np.isfinite(v) for v in summary["test"].values())
