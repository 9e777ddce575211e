"""What every source hands to the registry: static :class:`SourceInfo` and per-part data."""

from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class SourceInfo:
    """What a source knows without reading pixels.

    Attributes:
      shape: ``(H, W, C)`` of its images (H, W None when they vary) or ``(2,)`` for points.
      num_classes: labels are 0..num_classes-1; 0 when unlabelled (labels -1).
      kind: ``"image"`` or ``"points"``.
      binary: pixels are already {0, 255} (a static binarization).
      default_size: image side used when ``image_size`` is None (required when H, W are None).
      force_binarize: the name always binarizes dynamically (``binarized_fashion_mnist``).
    """

    shape: tuple[int | None, ...]
    num_classes: int
    kind: str = "image"
    binary: bool = False
    default_size: int | None = None
    force_binarize: bool = False


@dataclasses.dataclass(frozen=True)
class ArraySplit:
    """One part of an in-memory source.

    Attributes:
      images: uint8 [N, H, W, C] in [0, 255], or float32 [N, 2] points.
      labels: int64 [N] (-1 when unlabelled).
      indices: int64 [N], each example's index in its file (what the carve-out hashes); None
        means 0..N-1.
    """

    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class StreamSplit:
    """One part of a streamed source: a finite ``(image uint8 HWC, label int64)`` dataset whose
    order is fixed (example i is the i-th element on every iteration)."""

    dataset: tf.data.Dataset


class Source(Protocol):
    """A resolved source of data. ``part`` is ``"train"`` or ``"test"`` (validation is carved out
    of ``"train"`` by the registry)."""

    def read(self, part: str) -> ArraySplit | StreamSplit: ...


def unlabelled(n: int) -> np.ndarray:
    """int64 [n] of -1: the labels of an unlabelled source."""
    return np.full([n], -1, np.int64)
