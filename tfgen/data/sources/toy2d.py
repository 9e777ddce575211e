"""Toy 2-D point sets for GANs, as in improved_wgan_training's ``gan_toy.py``.

* ``8gaussians``: centers (±1, 0), (0, ±1), (±1/√2, ±1/√2) times 2; noise std 0.02; all ÷ 1.414.
* ``25gaussians``: centers (2i, 2j) for i, j in -2..2; noise std 0.05; all ÷ 2.828.
* ``swissroll``: t = 1.5π(1 + 2u), point (t cos t, t sin t) + 0.25·N(0, I) (sklearn's
  ``make_swiss_roll`` with noise 0.25, coordinates x and z); all ÷ 7.5.

Each set is finite and fixed (independent of the ``load`` seed): 100 000 train and 10 000 test
points, float32 [2], label 0.
"""

from __future__ import annotations

import zlib

import numpy as np

from tfgen.data.sources.base import ArraySplit, SourceInfo

NAMES = ("8gaussians", "25gaussians", "swissroll")
SIZES = {"train": 100_000, "test": 10_000}
_DATA_SEED = 20170331  # fixed: the toy sets are data, not a function of the run's seed


def centers(name: str) -> np.ndarray:
    """float32 [K, 2]: mode centers of a Gaussian-mixture set, in the returned (scaled) units."""
    if name == "8gaussians":
        d = 1.0 / np.sqrt(2.0)
        c = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (d, d), (d, -d), (-d, d), (-d, -d)])
        return (2.0 * c / 1.414).astype(np.float32)
    if name == "25gaussians":
        grid = np.array([(2.0 * i, 2.0 * j) for i in range(-2, 3) for j in range(-2, 3)])
        return (grid / 2.828).astype(np.float32)
    raise ValueError(f"{name!r} has no mode centers; expected one of ('8gaussians', '25gaussians')")


def sample(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` points → float32 [n, 2]."""
    if name == "8gaussians":
        c = centers(name) * 1.414
        points = c[rng.integers(len(c), size=n)] + 0.02 * rng.standard_normal((n, 2))
        return (points / 1.414).astype(np.float32)
    if name == "25gaussians":
        c = centers(name) * 2.828
        points = c[rng.integers(len(c), size=n)] + 0.05 * rng.standard_normal((n, 2))
        return (points / 2.828).astype(np.float32)
    if name == "swissroll":
        t = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
        points = np.stack([t * np.cos(t), t * np.sin(t)], axis=1)
        points += 0.25 * rng.standard_normal((n, 2))
        return (points / 7.5).astype(np.float32)
    raise ValueError(f"unknown toy set {name!r}; expected one of {NAMES}")


INFO = SourceInfo(shape=(2,), num_classes=0, kind="points")


class Toy2DSource:
    """A toy set's fixed train (100 000) and test (10 000) points."""

    def __init__(self, name: str):
        if name not in NAMES:
            raise ValueError(f"unknown toy set {name!r}; expected one of {NAMES}")
        self.name = name

    def read(self, part: str) -> ArraySplit:
        rng = np.random.default_rng([_DATA_SEED, zlib.crc32(self.name.encode()),
                                     0 if part == "train" else 1])
        n = SIZES[part]
        return ArraySplit(sample(self.name, n, rng), np.zeros([n], np.int64))
