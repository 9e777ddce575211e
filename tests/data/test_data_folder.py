"""folder:PATH datasets: labels from subfolders, crop/resize, splits, corrupt files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import tfgen.data as data
from data_helpers import collect


def _save(path, array, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, format=fmt)


def _tree(root, classes=("cat", "dog", "emu"), per_class=12, size=(20, 30), rgb=True):
    """class i's images are filled with value 40*i+20 (so labels can be checked from pixels)."""
    for i, name in enumerate(classes):
        for j in range(per_class):
            value = np.full((*size, 3) if rgb else size, 40 * i + 20, np.uint8)
            suffix = ".png" if j % 2 else ".jpg"
            _save(root / name / f"img{j:03d}{suffix}", value)
    return root


def test_labels_from_sorted_subfolders_and_resize(tmp_path):
    root = _tree(tmp_path / "pets", classes=("emu", "cat", "dog"))  # written unsorted
    spec = data.get_spec(f"folder:{root}", image_size=16)
    assert spec == data.DatasetSpec(f"folder:{root}", (16, 16, 3), 3, "image", False)
    images, labels = collect(data.load(f"folder:{root}", "train", image_size=16,
                                       validation_fraction=0.0)[0])
    assert images.shape[1:] == (16, 16, 3) and images.dtype == np.uint8
    # sorted names: cat → 0 (value 60), dog → 1 (value 100), emu → 2 (value 20)
    expected_value = {0: 60, 1: 100, 2: 20}
    for image, label in zip(images, labels, strict=True):
        assert abs(int(np.median(image)) - expected_value[int(label)]) <= 2
    test_images, _ = collect(data.load(f"folder:{root}", "test", image_size=16)[0])
    assert len(images) + len(test_images) == 36


def test_center_crop_then_resize(tmp_path):
    # 10 x 30 image: left third 0, middle third 200, right third 0 → the center square is 200s.
    array = np.zeros((10, 30), np.uint8)
    array[:, 10:20] = 200
    _save(tmp_path / "pics" / "a.png", array)
    images, labels = collect(data.load(f"folder:{tmp_path / 'pics'}", "test", image_size=5)[0]
                             .concatenate(data.load(f"folder:{tmp_path / 'pics'}", "train",
                                                    image_size=5)[0]))
    assert images.shape == (1, 5, 5, 1)  # greyscale first image → one channel
    assert np.all(images == 200) and labels[0] == -1  # no subfolders → unlabelled


def test_default_size_and_grey_rule(tmp_path):
    _tree(tmp_path / "g", rgb=False, per_class=2)
    spec = data.get_spec(f"folder:{tmp_path / 'g'}")
    assert spec.shape == (64, 64, 1) and spec.num_classes == 3


def test_train_test_subfolders_are_the_splits(tmp_path):
    _tree(tmp_path / "ds" / "train", classes=("a", "b"), per_class=6)
    _tree(tmp_path / "ds" / "test", classes=("b",), per_class=3)
    test_images, test_labels = collect(data.load(f"folder:{tmp_path / 'ds'}", "test",
                                                 image_size=8)[0])
    assert len(test_images) == 3 and np.all(test_labels == 1)  # "b" keeps train's label 1
    train, _ = data.load(f"folder:{tmp_path / 'ds'}", "train", image_size=8)
    val, _ = data.load(f"folder:{tmp_path / 'ds'}", "validation", image_size=8)
    assert len(collect(train)[0]) + len(collect(val)[0]) == 12


def test_unknown_test_class_is_an_error(tmp_path):
    _tree(tmp_path / "ds" / "train", classes=("a",), per_class=2)
    _tree(tmp_path / "ds" / "test", classes=("zebra",), per_class=2)
    with pytest.raises(ValueError, match="zebra"):
        data.load(f"folder:{tmp_path / 'ds'}", "test")


@pytest.mark.parametrize("payload", [b"this is not a png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_corrupt_image_names_file(tmp_path, payload):
    root = _tree(tmp_path / "pets", per_class=4)
    bad = root / "dog" / "zz_broken.png"
    bad.write_bytes(payload)
    with pytest.raises(ValueError, match="cannot decode image") as info:
        for split in ("train", "test"):  # the file is in one of them
            data.load(f"folder:{root}", split, image_size=8)
    assert str(bad) in str(info.value)


def test_truncated_jpeg_names_file(tmp_path):
    root = _tree(tmp_path / "pets", per_class=2)
    good = root / "cat" / "img000.jpg"
    bad = root / "cat" / "img000_truncated.jpg"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ValueError) as info:
        for split in ("train", "test"):
            data.load(f"folder:{root}", split, image_size=8)
    assert str(bad) in str(info.value)


def test_empty_folder_and_mixed_layout_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="found none"):
        data.get_spec(f"folder:{tmp_path / 'empty'}")
    root = _tree(tmp_path / "mixed", per_class=1)
    _save(root / "loose.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="both"):
        data.get_spec(f"folder:{root}")
