"""photo_patches: patches of packaged photographs, train/test from disjoint regions."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import tfgen.data as data
from data_helpers import collect
from tfgen.data.sources import photos

pytest.importorskip("skimage")


def _split(split, size=32):
    return collect(data.load("photo_patches", split, image_size=size)[0])


def test_shapes_dtypes_labels_and_counts():
    train_x, train_y = _split("train")
    val_x, _ = _split("validation")
    test_x, test_y = _split("test")
    spec = data.get_spec("photo_patches")
    assert spec.shape == (32, 32, 3) and spec.num_classes == len(photos.PHOTOS) == 7
    assert train_x.dtype == np.uint8 and train_x.shape[1:] == (32, 32, 3)
    assert train_y.dtype == np.int64 and len(test_x) == 315
    assert len(train_x) + len(val_x) == 1365
    assert set(test_y) == set(train_y) == set(range(7))  # every photo in both splits
    assert train_x.std() > 30  # real photographs, not blank frames


def test_train_and_test_regions_are_disjoint():
    for size in (8, 32, 91):
        train = photos.patch_corners(size, "train")
        test = photos.patch_corners(size, "test")
        for label, top, left in train:
            width = photos.PHOTOS[label].shape[1]
            assert left + size <= photos.split_column(width)
        for label, top, left in test:
            photo = photos.PHOTOS[label]
            assert photos.split_column(photo.shape[1]) <= left and left + size <= photo.shape[1]
            assert top + size <= photo.shape[0]
        assert len(set(train)) == len(train) and len(set(test)) == len(test)
    for size in (8, 16):  # sizes where the raw tiles had flat or repeated patches
        source = photos.PhotoPatches(size)
        train_bytes = {x.tobytes() for x in source.read("train").images}
        assert not any(x.tobytes() in train_bytes for x in source.read("test").images)


def test_patches_are_the_photo_pixels_and_deterministic():
    source = photos.PhotoPatches(64)  # no flat patch dropped at 64 px: corners line up
    part = source.read("test")
    assert len(part.images) == len(photos.patch_corners(64, "test"))
    label, top, left = photos.patch_corners(64, "test")[5]
    photo = photos.load_photo(photos.PHOTOS[label].name)
    assert np.array_equal(part.images[5], photo[top:top + 64, left:left + 64])
    assert part.labels[5] == label
    again = photos.PhotoPatches(64).read("test")
    assert np.array_equal(part.images, again.images) and np.array_equal(part.labels, again.labels)
    first, _ = _split("validation")
    assert np.array_equal(first, _split("validation")[0])


def test_too_large_patch_and_missing_package(monkeypatch):
    with pytest.raises(ValueError, match="image_size <= 91"):
        data.load("photo_patches", "test", image_size=92)
    photos.load_photo.cache_clear()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skimage" else real(name, *a))
    try:
        with pytest.raises(data.DataNotFoundError, match="pip install scikit-image"):
            photos.PhotoPatches(32).read("train")
    finally:
        monkeypatch.undo()
        photos.load_photo.cache_clear()


def test_train_pipeline():
    ds, spec = data.load("photo_patches", "train", image_size=16)
    images, labels = next(iter(data.make_pipeline(ds, 32, training=True, seed=3)))
    assert images.shape == (32, 16, 16, 3) and images.dtype.name == "uint8"
    assert labels.shape == (32,) and 0 <= int(labels.numpy().min())
    assert int(labels.numpy().max()) < spec.num_classes
