"""Sample-quality metrics for implicit models (GANs): no likelihood, only samples.

* :func:`frechet_distance` — the Fréchet (2-Wasserstein) distance between two Gaussians,
  ``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)``; with Gaussian fits of feature
  sets (:func:`gaussian_fit`, :func:`frechet_distance_of_features`) it is FID when the features
  are InceptionV3's pool features (:mod:`tfgen.evaluation.inception`) and "FD" in the feature
  space of tfgen's own classifier (:mod:`tfgen.evaluation.classifier`). Units: squared feature
  units.
* :func:`classifier_score` — the Inception-style score ``exp(E_x KL(p(y|x) || p(y)))``, in
  ``[1, num_classes]``; the Inception Score when ``p(y|x)`` is InceptionV3's.
* :func:`mode_metrics` — on the toy Gaussian mixtures: modes covered and the fraction of
  high-quality samples (within ``3`` standard deviations of the nearest mode centre), as reported
  for WGAN-GP on ``25gaussians`` (24.2 of 25 modes, 28.7 % high quality).

Everything here is numpy (float64) so results do not depend on TF's float32 matrix kernels; the
matrix square root is an eigen-decomposition of symmetric positive semi-definite matrices, which
is exact up to rounding where ``scipy.linalg.sqrtm`` (not a dependency) can return complex junk.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfgen.data.sources import toy2d
from tfgen.utils.registry import lookup

# Noise std of each mixture component in the *scaled* units that tfgen.data yields: toy2d adds
# N(0, s^2) noise before dividing all coordinates by the set's scale (as gan_toy.py does).
TOY_MODE_STD = {"8gaussians": 0.02 / 1.414, "25gaussians": 0.05 / 2.828}
HIGH_QUALITY_STDS = 3.0


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix [D, D] (negative eigenvalues → 0)."""
    sym = 0.5 * (matrix + matrix.T)
    values, vectors = np.linalg.eigh(sym)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def trace_sqrt_product(cov1: np.ndarray, cov2: np.ndarray) -> float:
    """``Tr((S1 S2)^1/2)`` for symmetric PSD ``S1``, ``S2`` [D, D].

    ``S1 S2`` is similar to the symmetric PSD ``S1^1/2 S2 S1^1/2``, so the trace of its square
    root is the sum of the square roots of that matrix's (clipped) eigenvalues.
    """
    root1 = _psd_sqrt(cov1)
    middle = root1 @ cov2 @ root1
    values = np.linalg.eigvalsh(0.5 * (middle + middle.T))
    return float(np.sum(np.sqrt(np.clip(values, 0.0, None))))


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
    """Squared Fréchet distance between N(mu1, cov1) and N(mu2, cov2); means [D], covs [D, D].

    Returns a float >= 0 (tiny negative rounding is clipped to 0), in squared feature units.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    d = mu1.shape[-1]
    if mu1.shape != (d,) or mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise ValueError(f"expected means [D] and covariances [D, D] of one D; found means "
                         f"{list(mu1.shape)}, {list(mu2.shape)} and covariances "
                         f"{list(cov1.shape)}, {list(cov2.shape)}")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * trace_sqrt_product(cov1, cov2)
    return max(float(value), 0.0)


def gaussian_fit(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and unbiased covariance [D, D] (float64) of features [N, D], N >= 2."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"expected features [N, D] with N >= 2; found {list(features.shape)}")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(
        features.shape[1], features.shape[1])


def frechet_distance_of_features(features1: np.ndarray, features2: np.ndarray) -> float:
    """Fréchet distance between Gaussian fits (:func:`gaussian_fit`) of two feature sets
    [N1, D] and [N2, D].

    With fewer samples than dimensions (N1·N2 < D², e.g. a few images in InceptionV3's 2048-d
    space) it is computed in sample space, exactly: with centred, scaled rows
    ``A_i = (F_i − μ_i) / sqrt(N_i − 1)`` the covariances are ``S_i = A_iᵀ A_i``, so
    ``Tr(S_i) = ‖A_i‖²_F`` and ``Tr((S1 S2)^1/2)`` is the sum of the singular values of
    ``A1 A2ᵀ`` [N1, N2] (``S1 S2`` and ``(A1 A2ᵀ)(A1 A2ᵀ)ᵀ`` share their nonzero eigenvalues),
    instead of eigen-decompositions of [D, D] matrices.
    """
    f1, f2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    for f in (f1, f2):  # the shape checks of gaussian_fit
        if f.ndim != 2 or f.shape[0] < 2:
            raise ValueError(f"expected features [N, D] with N >= 2; found {list(f.shape)}")
    (n1, d), (n2, d2) = f1.shape, f2.shape
    if d != d2 or n1 * n2 >= d * d:
        return frechet_distance(*gaussian_fit(f1), *gaussian_fit(f2))
    mu1, mu2 = f1.mean(axis=0), f2.mean(axis=0)
    a1, a2 = (f1 - mu1) / np.sqrt(n1 - 1), (f2 - mu2) / np.sqrt(n2 - 1)
    diff = mu1 - mu2
    trace_sqrt = np.sum(np.linalg.svd(a1 @ a2.T, compute_uv=False))
    value = diff @ diff + np.sum(a1 * a1) + np.sum(a2 * a2) - 2.0 * trace_sqrt
    return max(float(value), 0.0)


def classifier_score(probabilities: np.ndarray, splits: int = 1,
                     eps: float = 1e-12) -> tuple[float, float]:
    """Inception-style score ``exp(E_x KL(p(y|x) || p(y)))`` of class probabilities [N, K].

    ``p(y)`` is the mean of the rows within each of ``splits`` equal, contiguous chunks (the
    Inception Score convention is 10 splits of 50 000 samples). Returns (mean, std) over the
    splits (std 0 for one split). 1 for identical rows; K for confident, balanced predictions.
    """
    probs = np.asarray(probabilities, np.float64)
    if probs.ndim != 2 or probs.shape[0] < splits or splits < 1:
        raise ValueError(f"expected probabilities [N, K] with N >= splits >= 1; found "
                         f"{list(probs.shape)} and splits={splits}")
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("expected rows of probabilities (non-negative, summing to 1); apply a "
                         "softmax to logits first")
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + eps) - np.log(marginal + eps)), axis=1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))


@dataclasses.dataclass(frozen=True)
class ModeMetrics:
    """Toy-mixture sample quality.

    modes_covered: modes with at least ``min_samples`` high-quality samples (of ``num_modes``).
    high_quality_fraction: fraction of samples within ``3`` stds of their nearest mode, [0, 1].
    samples_per_mode: int [K] high-quality samples assigned to each mode.
    """

    modes_covered: int
    num_modes: int
    high_quality_fraction: float
    samples_per_mode: tuple[int, ...]
    num_samples: int

    def as_dict(self) -> dict:
        return {"modes_covered": self.modes_covered, "num_modes": self.num_modes,
                "high_quality_percent": 100.0 * self.high_quality_fraction,
                "samples_per_mode": list(self.samples_per_mode),
                "num_samples": self.num_samples}


def mode_metrics(samples: np.ndarray, centers: np.ndarray, std: float, *,
                 num_stds: float = HIGH_QUALITY_STDS, min_samples: int = 1) -> ModeMetrics:
    """Modes covered and high-quality fraction of 2-D (or any-D) samples [N, D].

    Each sample is assigned to its nearest centre (centers [K, D]); it is high quality when that
    distance is <= ``num_stds * std`` (``std`` in the samples' units). A mode is covered when at
    least ``min_samples`` high-quality samples are assigned to it (the convention of the mode
    collapse literature, e.g. 2 500 samples and ``min_samples=1``).
    """
    samples = np.asarray(samples, np.float64)
    centers = np.asarray(centers, np.float64)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"expected samples [N, D] and centers [K, D]; found "
                         f"{list(samples.shape)} and {list(centers.shape)}")
    if std <= 0 or min_samples < 1:
        raise ValueError(f"expected std > 0 and min_samples >= 1; found {std}, {min_samples}")
    dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)  # [N, K]
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= num_stds * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    return ModeMetrics(modes_covered=int(np.sum(counts >= min_samples)), num_modes=len(centers),
                       high_quality_fraction=float(good.mean()) if len(samples) else 0.0,
                       samples_per_mode=tuple(int(c) for c in counts),
                       num_samples=len(samples))


def toy_mode_metrics(name: str, samples: np.ndarray, **kwargs) -> ModeMetrics:
    """:func:`mode_metrics` for a named toy mixture (``8gaussians`` or ``25gaussians``)."""
    std = lookup(TOY_MODE_STD, name, "toy mixture with mode metrics")
    return mode_metrics(samples, toy2d.centers(name), std, **kwargs)


def image_metrics(scorer, generated: np.ndarray, reference: np.ndarray | tuple,
                  splits: int = 1) -> dict:
    """Fréchet distance and classifier score of generated images against reference images.

    Args:
      scorer: anything with ``features_and_probabilities(uint8 [N, H, W, C]) -> (features
        [N, D], probabilities [N, K])``: a :class:`tfgen.evaluation.classifier.FeatureClassifier`
        or a :class:`tfgen.evaluation.inception.InceptionV3Scorer` (FID/IS).
      generated: uint8 [N, H, W, C] samples.
      reference: uint8 real images [M, H, W, C], or their precomputed Gaussian fit (mean [D],
        cov [D, D]) from :func:`gaussian_fit` (to score many models against one reference).
      splits: splits of the score.

    Returns:
      ``{"frechet_distance", "score", "score_std", "num_samples"}``.
    """
    feats, probs = scorer.features_and_probabilities(generated)
    if isinstance(reference, tuple):
        ref_mu, ref_cov = reference
    else:
        ref_mu, ref_cov = gaussian_fit(scorer.features_and_probabilities(reference)[0])
    score, score_std = classifier_score(probs, splits)
    return {"frechet_distance": frechet_distance(*gaussian_fit(feats), ref_mu, ref_cov),
            "score": score, "score_std": score_std, "num_samples": len(generated)}
