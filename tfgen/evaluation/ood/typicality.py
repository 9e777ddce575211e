"""Typicality tests (Nalisnick et al. 2019): is the likelihood too high *or* too low?

A model's training data lies in its typical set: the average NLL of in-distribution batches
concentrates around the entropy ``H`` (estimated by the mean NLL of held-out in-distribution
images). Out-of-distribution inputs can have a *higher* likelihood than the data (simpler
images), which a one-sided NLL threshold misses but a distance from ``H`` catches.

* Batch form: the statistic of a batch of M images is ``|mean NLL - H|``; the batch is flagged
  when it exceeds ``epsilon``, the (1 - alpha) quantile of the statistic over bootstrapped
  held-out in-distribution batches of the same size.
* Single-image form (M = 1): the score ``|NLL(x) - H|``.

All NLLs are in nats per image; higher statistic = more out-of-distribution.
"""

from __future__ import annotations

import numpy as np

from tfgen.evaluation.ood.metrics import detection_metrics


def _nll(values) -> np.ndarray:
    values = np.asarray(values, np.float64).reshape(-1)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError("need a non-empty array of finite NLLs (nats per image)")
    return values


def estimate_entropy(heldout_nll) -> float:
    """``H``: the mean NLL (nats per image) of held-out in-distribution images ``[N]``."""
    return float(np.mean(_nll(heldout_nll)))


def single_image_score(nll, entropy: float) -> np.ndarray:
    """``|NLL(x) - H|`` per image, nats: float64 ``[B]`` from the NLLs ``[B]``."""
    return np.abs(_nll(nll) - float(entropy))


def batch_statistics(nll, entropy: float, batch_size: int, num_batches: int,
                     seed: int = 0) -> np.ndarray:
    """``|mean NLL - H|`` of ``num_batches`` random batches of ``batch_size`` images drawn
    (without replacement within a batch) from ``nll`` ``[N]``: float64 ``[num_batches]``."""
    nll = _nll(nll)
    if not 1 <= batch_size <= nll.size:
        raise ValueError(f"batch_size must be in [1, {nll.size}] (the images available); got "
                         f"{batch_size}")
    rng = np.random.default_rng(seed)
    index = np.stack([rng.choice(nll.size, batch_size, replace=False)
                      for _ in range(num_batches)])
    return np.abs(nll[index].mean(axis=1) - float(entropy))


def bootstrap_threshold(heldout_nll, entropy: float, batch_size: int, *, alpha: float = 0.01,
                        num_bootstrap: int = 1000, seed: int = 0) -> float:
    """``epsilon``: the (1 - alpha) quantile of :func:`batch_statistics` over ``num_bootstrap``
    batches of held-out in-distribution NLLs (use images *not* used to estimate ``H``)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    stats = batch_statistics(heldout_nll, entropy, batch_size, num_bootstrap, seed)
    return float(np.quantile(stats, 1.0 - alpha))


def batch_test(in_nll, ood_nll, heldout_nll, entropy: float, batch_size: int, *,
               alpha: float = 0.01, num_batches: int = 200, num_bootstrap: int = 1000,
               seed: int = 0) -> dict:
    """The batch typicality test on batches of in-distribution (``in_nll``) and OOD
    (``ood_nll``) test NLLs.

    Returns ``{"batch_size", "alpha", "epsilon", "tpr"`` (OOD batches flagged), ``"fpr"`` (ID
    batches flagged), and :func:`~tfgen.evaluation.ood.metrics.detection_metrics` of the batch
    statistics (``num_batches`` of each population)}.
    """
    epsilon = bootstrap_threshold(heldout_nll, entropy, batch_size, alpha=alpha,
                                  num_bootstrap=num_bootstrap, seed=seed)
    in_stats = batch_statistics(in_nll, entropy, batch_size, num_batches, seed + 1)
    ood_stats = batch_statistics(ood_nll, entropy, batch_size, num_batches, seed + 2)
    metrics = detection_metrics(np.r_[in_stats, ood_stats],
                                np.r_[np.zeros(num_batches, bool), np.ones(num_batches, bool)])
    return {"batch_size": int(batch_size), "alpha": float(alpha), "epsilon": epsilon,
            "tpr": float(np.mean(ood_stats > epsilon)),
            "fpr": float(np.mean(in_stats > epsilon)), **metrics}
