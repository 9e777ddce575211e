"""Detection metrics of an out-of-distribution score (higher score = more out-of-distribution).

The out-of-distribution images are the **positive** class (thesis §4.2.3: the rarer population,
the one of interest). Every metric sweeps the threshold over the distinct score values, so tied
scores move together (a tie is never broken by input order):

  average_precision  sum_n (R_n - R_{n-1}) P_n over the thresholds: the AUPR of the thesis'
                     tables (the primary number; ``sklearn.metrics.average_precision_score``)
  aupr_trapezoid     trapezoidal area under the PR curve with the point (recall 0, precision 1)
                     prepended (``sklearn.metrics.auc`` of ``precision_recall_curve``);
                     optimistic with ties
  auroc              area under the ROC curve, ties counting one half
                     (``sklearn.metrics.roc_auc_score``)
  fpr_at_95_tpr      the smallest false-positive rate among thresholds whose recall is >= 0.95
                     (from ``sklearn.metrics.roc_curve`` with every threshold kept)
  skew               positives / all examples: the precision (and AUPR) of a random scorer

All are fractions in [0, 1] (tables print percentages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn import metrics as skm

METRIC_NAMES = ("average_precision", "aupr_trapezoid", "auroc", "fpr_at_95_tpr", "skew")


def _checked(scores, is_ood) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(is_ood).reshape(-1)
    if scores.shape != labels.shape:
        raise ValueError(f"scores and is_ood must have the same length; got {scores.size} and "
                         f"{labels.size}")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"scores must be finite; found {int(np.sum(~np.isfinite(scores)))} "
                         "NaN/Inf values")
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError("is_ood must hold booleans or 0/1 values")
    labels = labels.astype(bool)
    if labels.all() or not labels.any():
        raise ValueError(f"need both in-distribution and out-of-distribution examples; got "
                         f"{int(labels.sum())} OOD of {labels.size}")
    return scores, labels


def detection_metrics(scores: Sequence[float] | np.ndarray,
                      is_ood: Sequence[bool] | np.ndarray) -> dict[str, float]:
    """The metrics of the module docstring for ``scores`` ``[N]`` (higher = more OOD) and
    ``is_ood`` ``[N]`` booleans; also ``count`` and ``ood_count``."""
    scores, labels = _checked(scores, is_ood)
    precision, recall, _ = skm.precision_recall_curve(labels, scores)
    fpr, tpr, _ = skm.roc_curve(labels, scores, drop_intermediate=False)
    positives = int(labels.sum())
    return {"average_precision": float(skm.average_precision_score(labels, scores)),
            "aupr_trapezoid": float(skm.auc(recall, precision)),
            "auroc": float(skm.roc_auc_score(labels, scores)),
            "fpr_at_95_tpr": float(np.min(fpr[tpr >= 0.95])),
            "skew": positives / labels.size, "count": int(labels.size), "ood_count": positives}


def summarize(per_class: Mapping[object, Mapping[str, float]],
              names: Sequence[str] = METRIC_NAMES) -> dict[str, dict[str, float]]:
    """``{"mean": {metric: ...}, "median": {...}}`` over the classes of ``per_class``
    (``{class: detection_metrics(...)}``); metrics missing for some class are averaged over the
    classes that have them."""
    out: dict[str, dict[str, float]] = {"mean": {}, "median": {}}
    for name in names:
        values = [float(m[name]) for m in per_class.values() if m.get(name) is not None]
        if values:
            out["mean"][name] = float(np.mean(values))
            out["median"][name] = float(np.median(values))
    return out
