"""Seeded carve-outs: which examples of a source go to validation (and, when a source has no test
split, to test), decided per example by a stateless hash of the example's index.

``hash_uniform(stream, seed, index)`` is splitmix64 of ``(stream, seed, index)`` mapped to
[0, 1). It is vectorized (works on one index in a tf.data ``filter`` and on ``range(n)`` for
in-memory sources alike), needs no dataset size, and gives the same answer for the same example
whatever else is in the dataset. Then:

* example i of the source's train part is in **validation** iff
  ``hash_uniform(VALIDATION, seed, i) < validation_fraction``; **train** is the complement, so the
  two are disjoint and their union is the full train part;
* for sources without their own test split (npz without ``x_test``, folders without ``test/``)
  example i of the file is in **test** iff ``hash_uniform(TEST, 0, i) < TEST_FRACTION``. This
  carve-out does not depend on ``seed``, so the test set is the same for every run.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgen.data.sources.base import ArraySplit, StreamSplit

VALIDATION = 1
TEST = 2
TEST_FRACTION = 0.1

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def _mix_py(z: int) -> int:
    z &= _MASK64
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


def _mix_tf(z: tf.Tensor) -> tf.Tensor:
    def shift_xor(v, n):
        return tf.bitwise.bitwise_xor(v, tf.bitwise.right_shift(v, tf.constant(n, tf.uint64)))

    z = shift_xor(z, 30) * tf.constant(_M1, tf.uint64)
    z = shift_xor(z, 27) * tf.constant(_M2, tf.uint64)
    return shift_xor(z, 31)


def hash_uniform(stream: int, seed: int, index) -> tf.Tensor:
    """Stateless hash of (stream, seed, index) → float64 in [0, 1), elementwise over ``index``.

    Args:
      stream: which decision this is (``VALIDATION`` or ``TEST``).
      seed: any Python int.
      index: non-negative int64 tensor/array of example indices (any shape).
    """
    base = _mix_py(_mix_py(stream * _GOLDEN) ^ (seed & _MASK64))
    index = tf.cast(tf.convert_to_tensor(index, tf.int64), tf.uint64)
    z = _mix_tf(tf.constant(base, tf.uint64) + (index + 1) * tf.constant(_GOLDEN, tf.uint64))
    return tf.cast(tf.bitwise.right_shift(z, tf.constant(11, tf.uint64)), tf.float64) * 2.0**-53


def in_validation(index, seed: int, fraction: float) -> tf.Tensor:
    """bool tensor shaped like ``index``: True where the example is in the validation carve-out."""
    return hash_uniform(VALIDATION, seed, index) < fraction


def in_test_carveout(index) -> tf.Tensor:
    """bool tensor shaped like ``index``: True where the example is in the test carve-out."""
    return hash_uniform(TEST, 0, index) < TEST_FRACTION


def carve_test_mask(n: int) -> np.ndarray:
    """bool [n]: which of the examples 0..n-1 form the test carve-out."""
    return in_test_carveout(np.arange(n, dtype=np.int64)).numpy()


def select(data: ArraySplit | StreamSplit, split: str, seed: int, fraction: float,
           exclude: tuple[int, ...]) -> tf.data.Dataset:
    """Pick ``split`` out of a source part → dataset of (int64 index, image, int64 label).

    For "train"/"validation" (``data`` is the source's train part) applies the validation
    carve-out and drops labels in ``exclude``; "test" keeps everything. ``index`` is the example's
    index in its source (what the carve-out and the frozen binarization are keyed by).
    """
    carve = split != "test"
    if isinstance(data, ArraySplit):
        n = len(data.images)
        index = (np.arange(n, dtype=np.int64) if data.indices is None
                 else np.asarray(data.indices, np.int64))
        keep = np.ones([n], bool)
        if carve:
            keep = in_validation(index, seed, fraction).numpy() == (split == "validation")
            keep &= ~np.isin(data.labels, exclude)
        rows = np.flatnonzero(keep)
        return tf.data.Dataset.from_tensor_slices(
            (index[rows], data.images[rows], np.asarray(data.labels, np.int64)[rows]))
    ds = data.dataset.enumerate().map(lambda i, el: (i, el[0], el[1]))
    if carve:
        want_validation = split == "validation"
        excluded = tf.constant(exclude if exclude else [], tf.int64)
        ds = ds.filter(lambda i, image, label: tf.logical_and(
            tf.equal(in_validation(i, seed, fraction), want_validation),
            tf.logical_not(tf.reduce_any(tf.equal(label, excluded)))))
    return ds
