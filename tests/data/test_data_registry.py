"""Names, specs and errors of the registry."""

from __future__ import annotations

import pytest

import tfgen.data as data

EXPECTED = {"mnist", "fashion_mnist", "binarized_fashion_mnist", "binarized_mnist", "cifar10",
            "lsun_bedroom", "lsun", "imagenet32", "imagenet64", "downsampled_imagenet32",
            "downsampled_imagenet64", "photo_patches", "8gaussians", "25gaussians", "swissroll", "fortunes",
            "lm1b"}


def test_dataset_names():
    assert set(data.dataset_names()) == EXPECTED
    assert data.dataset_names() == sorted(data.dataset_names())


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        data.load("mnsit")
    message = str(info.value)
    assert "'mnsit'" in message and "npz:PATH" in message and "folder:PATH" in message
    for name in EXPECTED:
        assert f"'{name}'" in message
    with pytest.raises(ValueError, match="unknown dataset"):
        data.get_spec("celeba")


@pytest.mark.parametrize("name, kwargs, expected", [
    ("mnist", {}, ((28, 28, 1), 10, "image", False)),
    ("mnist", dict(binarize=True, image_size=32), ((32, 32, 1), 10, "image", True)),
    ("binarized_fashion_mnist", {}, ((28, 28, 1), 10, "image", True)),
    ("binarized_mnist", {}, ((28, 28, 1), 0, "image", True)),
    ("cifar10", {}, ((32, 32, 3), 10, "image", False)),
    ("lsun_bedroom", {}, ((64, 64, 3), 0, "image", False)),
    ("lsun_bedroom", dict(image_size=128), ((128, 128, 3), 0, "image", False)),
    ("lsun", {}, ((64, 64, 3), 0, "image", False)),
    ("lsun", dict(image_size=32), ((32, 32, 3), 0, "image", False)),
    ("imagenet32", {}, ((32, 32, 3), 1000, "image", False)),
    ("imagenet64", {}, ((64, 64, 3), 1000, "image", False)),
    ("downsampled_imagenet64", {}, ((64, 64, 3), 0, "image", False)),
    ("photo_patches", {}, ((32, 32, 3), 7, "image", False)),
    ("photo_patches", dict(image_size=16), ((16, 16, 3), 7, "image", False)),
    ("25gaussians", {}, ((2,), 0, "points", False)),
])
def test_get_spec_needs_no_data(name, kwargs, expected):
    spec = data.get_spec(name, **kwargs)
    assert (spec.shape, spec.num_classes, spec.kind, spec.binarized) == expected
    assert spec.name == name


@pytest.mark.parametrize("kwargs", [dict(image_size=0), dict(image_size=2.5),
                                    dict(image_size=True)])
def test_bad_image_size(kwargs):
    with pytest.raises(ValueError, match="image_size"):
        data.get_spec("cifar10", **kwargs)


def test_huge_image_size_and_sequence_length_are_refused_before_any_data():
    from tfgen.utils.config import MAX_IMAGE_SIZE, MAX_SEQUENCE_LENGTH

    assert data.get_spec("cifar10", image_size=MAX_IMAGE_SIZE).shape == (1024, 1024, 3)
    with pytest.raises(ValueError, match=r"image_size=1025 for 'cifar10' is over the largest "
                                         r"an image side tfgen accepts, 1024"):
        data.get_spec("cifar10", image_size=MAX_IMAGE_SIZE + 1)
    with pytest.raises(ValueError, match="over the largest a text sequence length"):
        data.get_spec("fortunes", image_size=MAX_SEQUENCE_LENGTH + 1)


def test_prefix_without_path():
    with pytest.raises(ValueError, match="needs a path"):
        data.get_spec("npz:")


def test_spec_is_frozen():
    spec = data.get_spec("mnist")
    with pytest.raises(AttributeError):
        spec.shape = (1, 1, 1)
    assert spec.num_dims == 784
