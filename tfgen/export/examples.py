"""Small valid inputs for a signature, built from its input specs alone.

Shared by the TF Serving warm-up requests written with every export (:mod:`tfgen.export.warmup`)
and the REST example bodies in the docs (:mod:`tfgen.export.rest`), so both send what the
signatures accept: ``batch`` examples of the data (image ``i`` uint8 filled with ``0`` for even
``i`` and ``255`` for odd ``i``; float inputs such as ``z`` zeros), ``labels`` ``i % 2``
(every conditional model has at least two classes), ``num_samples = batch`` and ``seed = 0``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import tensorflow as tf


def is_batched(spec: tf.TensorSpec) -> bool:
    """Whether ``spec`` has a ``None`` batch (0-th) dimension."""
    return bool(spec.shape.rank) and spec.shape[0] is None


def all_batched(specs: Iterable[tf.TensorSpec]) -> bool:
    """Whether every input shares the batch dimension: the signatures TF Serving's REST row
    format (``"instances"``) and server-side batching can carry (``log_prob``, ``encode``,
    ``critic``; not ``sample``, whose inputs are scalars)."""
    specs = list(specs)
    return bool(specs) and all(is_batched(s) for s in specs)


def example_inputs(specs: Iterable[tf.TensorSpec], batch: int = 1) -> dict[str, np.ndarray]:
    """``{input name: array}`` matching ``specs`` with a batch of ``batch`` (see module doc)."""
    out = {}
    for spec in specs:
        dtype = spec.dtype.as_numpy_dtype
        if spec.shape.rank == 0:
            value = batch if spec.name == "num_samples" else 0
            out[spec.name] = np.asarray(value, dtype)
            continue
        if not is_batched(spec) or not spec.shape[1:].is_fully_defined():
            raise ValueError(f"cannot build an example for input {spec.name} {spec.dtype.name} "
                             f"{spec.shape.as_list()}: expected a scalar or [None, known dims]")
        rows = [np.full(spec.shape[1:].as_list(), 255 * (i % 2) if spec.dtype == tf.uint8 else 0,
                        dtype) for i in range(batch)]
        if spec.name == "labels":
            rows = [np.asarray(i % 2, dtype) for i in range(batch)]
        out[spec.name] = np.stack(rows) if rows else np.zeros([0, *spec.shape[1:]], dtype)
    return out
