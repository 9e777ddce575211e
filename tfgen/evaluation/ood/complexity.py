"""Input complexity (Serrà et al. 2020): a likelihood corrected by how compressible the input is.

``S(x) = -log2 p(x) - L(x)``: the model's negative log-likelihood in **bits per image** minus
the length in **bits** of ``x`` under a generic lossless compressor. Simple inputs (a blank
background, a sparse sandal) get high likelihood from any model *and* compress well, so the
difference isolates what the model finds unusual. Higher = more out-of-distribution.

Compressors (``L(x)`` in bits per image, container overhead included):

  png   ``tf.io.encode_png`` at compression level 9
  webp  WebP lossless (Pillow, effort ``method=6``), a stronger lossless coder

``S`` is one-sided: it flags inputs *simpler* than the data but scores inputs *more complex*
than the data (high NLL and long codes) as in-distribution or below. The two-sided
*complexity typicality* applies the typicality idea (Nalisnick et al. 2019) to ``S``:
``|S(x) - mu_S| / sigma_S``, with ``mu_S``/``sigma_S`` the mean/standard deviation of ``S`` on
held-out in-distribution images (:func:`reference_statistics`): a distance in reference standard
deviations (dimensionless) that is large on either side.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from tfgen.evaluation import codecs
from tfgen.evaluation.ood import typicality


def png_bits(images) -> np.ndarray:
    """uint8 ``[B, H, W, C]`` -> float64 ``[B]``: bytes of each PNG (level 9) times 8."""
    images = codecs.checked_images(images)
    return np.array([8.0 * len(tf.io.encode_png(image, compression=9).numpy())
                     for image in images], np.float64)


def webp_bits(images) -> np.ndarray:
    """uint8 ``[B, H, W, C]`` -> float64 ``[B]``: bytes of each lossless WebP
    (:func:`tfgen.evaluation.codecs.encode`) times 8."""
    images = codecs.checked_images(images)
    return np.array([8.0 * len(codecs.encode(image, "webp")) for image in images], np.float64)


COMPRESSORS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"png": png_bits,
                                                              "webp": webp_bits}


#: Lengths of image batches already compressed, by (compressor, shape, digest of the bytes): the
#: protocol scores one test set with several models and held-out classes (WebP: ~4 ms/image).
_LENGTHS: dict[tuple[str, tuple[int, ...], bytes], np.ndarray] = {}
_MAX_CACHED = 1024


def compressed_bits(images, compressor: str) -> np.ndarray:
    """``L(x)`` in bits per image under ``compressor`` (one of :data:`COMPRESSORS`); a batch
    compressed before is looked up, not compressed again."""
    if compressor not in COMPRESSORS:
        raise ValueError(f"unknown compressor {compressor!r}; valid: {sorted(COMPRESSORS)}")
    images = np.ascontiguousarray(codecs.checked_images(images))
    key = (compressor, images.shape, hashlib.blake2b(images.tobytes(), digest_size=16).digest())
    if key not in _LENGTHS:
        if len(_LENGTHS) >= _MAX_CACHED:
            _LENGTHS.pop(next(iter(_LENGTHS)))  # the oldest
        _LENGTHS[key] = COMPRESSORS[compressor](images)
    return _LENGTHS[key].copy()


def input_complexity_score(nll_nats, complexity_bits) -> np.ndarray:
    """``S(x) = NLL(x) / ln 2 - L(x)``, bits per image, from the NLL in nats per image ``[B]``
    and the compressed length in bits per image ``[B]``."""
    return (np.asarray(nll_nats, np.float64) / math.log(2.0)
            - np.asarray(complexity_bits, np.float64))


def reference_statistics(nll_nats, complexity_bits) -> tuple[float, float]:
    """``(mu_S, sigma_S)``, bits per image: the mean and standard deviation (ddof 1) of
    :func:`input_complexity_score` over held-out in-distribution images (``[N]`` each, N >= 2)."""
    values = input_complexity_score(nll_nats, complexity_bits).reshape(-1)
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"need >= 2 finite reference scores; got {values.size}")
    scale = float(np.std(values, ddof=1))
    if scale <= 0.0:
        raise ValueError("the reference complexity scores are all equal: no scale")
    return float(np.mean(values)), scale


def complexity_typicality_score(nll_nats, complexity_bits, centre_bits: float,
                                scale_bits: float) -> np.ndarray:
    """``|S(x) - centre| / scale`` per image, float64 ``[B]``, dimensionless (reference standard
    deviations), from the NLL in nats ``[B]``, the compressed length in bits ``[B]`` and the
    reference ``centre``/``scale`` in bits (:func:`reference_statistics`)."""
    if not scale_bits > 0.0:
        raise ValueError(f"scale must be > 0 bits; got {scale_bits}")
    values = input_complexity_score(nll_nats, complexity_bits)
    return typicality.single_image_score(values, centre_bits) / float(scale_bits)
