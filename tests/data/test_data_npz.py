"""npz:PATH datasets: layouts, splits and malformed archives."""

from __future__ import annotations

import numpy as np
import pytest

import tfgen.data as data
from data_helpers import collect, decode_index, indexed_images
from tfgen.data import splits


def test_nhw_with_labels(write_npz):
    x, y = indexed_images(200, (6, 5)), np.arange(200) % 4
    path = write_npz(x=x, y=y)
    spec = data.get_spec(f"npz:{path}")
    assert spec == data.DatasetSpec(f"npz:{path}", (6, 5, 1), 4, "image", False)  # native
    train, spec = data.load(f"npz:{path}", "train", image_size=6)
    images, labels = collect(train)
    assert images.shape[1:] == (6, 6, 1) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and set(labels) <= {0, 1, 2, 3}


def test_nhwc_without_labels_native_size(write_npz):
    x = indexed_images(50, (4, 4, 3))
    path = write_npz(x=x)
    ds, spec = data.load(f"npz:{path}", "train", validation_fraction=0.0)
    assert spec.shape == (4, 4, 3) and spec.num_classes == 0
    images, labels = collect(ds)
    assert np.all(labels == -1)
    # Train without validation is exactly x minus the seed-free test carve-out, in order.
    keep = ~splits.carve_test_mask(50)
    np.testing.assert_array_equal(images, x[keep])


def test_carved_test_split_is_disjoint_fixed_and_complete(write_npz):
    x = indexed_images(400)
    path = write_npz(x=x, y=np.zeros(400, np.int64))
    parts = {s: decode_index(collect(data.load(f"npz:{path}", s, seed=3)[0])[0])
             for s in ("train", "validation", "test")}
    test_other_seed = decode_index(collect(data.load(f"npz:{path}", "test", seed=9)[0])[0])
    np.testing.assert_array_equal(parts["test"], test_other_seed)  # test ignores seed
    all_ids = np.concatenate(list(parts.values()))
    assert len(all_ids) == 400 and set(all_ids) == set(range(400))
    assert 15 <= len(parts["test"]) <= 70


def test_explicit_test_arrays(write_npz):
    path = write_npz(x=indexed_images(30), y=np.arange(30) % 3,
                     x_test=indexed_images(7, seed=1), y_test=np.array([0, 1, 2, 0, 1, 2, 5]))
    test, spec = data.load(f"npz:{path}", "test")
    assert spec.num_classes == 6  # max over y and y_test, + 1
    images, labels = collect(test)
    assert len(images) == 7 and list(labels) == [0, 1, 2, 0, 1, 2, 5]
    train, _ = data.load(f"npz:{path}", "train", validation_fraction=0.0)
    assert len(collect(train)[0]) == 30


@pytest.mark.parametrize("arrays, expected, found", [
    (dict(images=np.zeros([3, 4, 4], np.uint8)), "an array named 'x'", "arrays ['images']"),
    (dict(x=np.zeros([3, 4, 4], np.float32)), "'x' of dtype uint8", "float32"),
    (dict(x=np.zeros([3, 16], np.uint8)), "'x' of shape [N, H, W] or [N, H, W, C]",
     "shape (3, 16)"),
    (dict(x=np.zeros([3, 4, 4, 2], np.uint8)), "with C in (1, 3)", "shape (3, 4, 4, 2)"),
    (dict(x=np.zeros([3, 4, 4], np.uint8), y=np.zeros([4], np.int64)),
     "'y' of shape [3] (one label per image)", "shape (4,)"),
    (dict(x=np.zeros([3, 4, 4], np.uint8), y=np.zeros([3], np.float32)),
     "'y' of an integer dtype", "float32"),
    (dict(x=np.zeros([3, 4, 4], np.uint8), y=np.array([0, -1, 2])), "labels >= 0", "minimum -1"),
    (dict(x=np.zeros([3, 4, 4], np.uint8), x_test=np.zeros([2, 5, 5], np.uint8)),
     "'x_test' images shaped like 'x'", "(5, 5)"),
])
def test_malformed_npz_errors(write_npz, arrays, expected, found):
    path = write_npz(**arrays)
    with pytest.raises(ValueError) as info:
        data.load(f"npz:{path}", "train")
    message = str(info.value)
    assert path in message and expected in message and found in message, message


def test_not_an_npz_file(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip archive")
    with pytest.raises(ValueError, match="a .npz archive") as info:
        data.get_spec(f"npz:{path}")
    assert str(path) in str(info.value)


def test_missing_npz_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load(f"npz:{tmp_path / 'nope.npz'}")
