"""Helpers shared by the tfgen.data tests (a uniquely named module: tests/ has no packages)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def collect(ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """All elements of a finite unbatched (x, y) dataset → stacked numpy arrays."""
    xs, ys = [], []
    for x, y in ds.batch(4096):
        xs.append(x.numpy())
        ys.append(y.numpy())
    if not xs:
        x_spec, y_spec = ds.element_spec
        return (np.zeros([0, *x_spec.shape], x_spec.dtype.as_numpy_dtype),
                np.zeros([0], y_spec.dtype.as_numpy_dtype))
    return np.concatenate(xs), np.concatenate(ys)


def indexed_images(n: int, shape=(8, 8), seed: int = 0) -> np.ndarray:
    """uint8 [n, *shape] random images whose first two pixels encode the index (unique rows)."""
    x = np.random.default_rng(seed).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    flat = x.reshape(n, -1)
    flat[:, 0] = np.arange(n) % 256
    flat[:, 1] = np.arange(n) // 256
    return x


def decode_index(images: np.ndarray) -> np.ndarray:
    """Inverse of :func:`indexed_images` on a batch [N, ...] → int [N]."""
    flat = images.reshape(len(images), -1).astype(np.int64)
    return flat[:, 0] + 256 * flat[:, 1]
