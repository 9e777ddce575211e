"""Toy 2-D point sets."""

from __future__ import annotations

import numpy as np
import pytest

import tfgen.data as data
from data_helpers import collect
from tfgen.data.sources import toy2d


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians", "swissroll"])
def test_shapes_sizes_and_determinism(name):
    spec = data.get_spec(name)
    assert spec == data.DatasetSpec(name, (2,), 0, "points", False)
    test, _ = data.load(name, "test")
    points, labels = collect(test)
    assert points.shape == (10_000, 2) and points.dtype == np.float32
    assert labels.dtype == np.int64 and np.all(labels == 0)
    np.testing.assert_array_equal(points, collect(data.load(name, "test", seed=9)[0])[0])
    train, _ = data.load(name, "train", validation_fraction=0.0)
    assert int(train.cardinality()) == 100_000


@pytest.mark.parametrize("name, count, std", [("8gaussians", 8, 0.02 / 1.414),
                                              ("25gaussians", 25, 0.05 / 2.828)])
def test_gaussian_mixtures_sit_on_their_centers(name, count, std):
    points, _ = collect(data.load(name, "test")[0])
    centers = toy2d.centers(name)
    assert centers.shape == (count, 2)
    distance = np.linalg.norm(points[:, None] - centers[None], axis=-1)
    nearest = distance.argmin(1)
    residual = points - centers[nearest]
    np.testing.assert_allclose(residual.std(0), [std, std], rtol=0.1)
    counts = np.bincount(nearest, minlength=count)
    assert counts.min() > 0.7 * len(points) / count  # every mode populated, roughly evenly
    if name == "8gaussians":
        np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2 / 1.414, rtol=1e-6)


def test_swissroll_geometry():
    points, _ = collect(data.load("swissroll", "test")[0])
    radius = np.linalg.norm(points, axis=1) * 7.5  # t plus noise, t in [1.5π, 4.5π]
    assert 1.5 * np.pi - 1.5 < radius.min() and radius.max() < 4.5 * np.pi + 1.5
    assert 0.5 < points.std() < 1.5


def test_points_refuse_image_options():
    with pytest.raises(ValueError, match="2-D point set"):
        data.load("swissroll", image_size=32)
    with pytest.raises(ValueError, match="2-D point set"):
        data.get_spec("8gaussians", binarize=True)
