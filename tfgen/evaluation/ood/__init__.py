"""Generative models as normality models (thesis chapter 4): OOD scores and detection metrics.

* :mod:`~tfgen.evaluation.ood.metrics`: average precision (the thesis' AUPR, OOD = positive),
  trapezoidal AUPR, AUROC, FPR at 95% TPR, skew; mean/median over classes.
* :mod:`~tfgen.evaluation.ood.scorers`: the scorer registry (higher = more OOD) on any
  :class:`tfgen.evaluation.interface.ServingModel`; :mod:`~tfgen.evaluation.ood.complexity`
  (Serrà et al. 2020),
  :mod:`~tfgen.evaluation.ood.typicality` (Nalisnick et al. 2019; also applied to the complexity
  score: ``complexity_typicality_*``),
  :mod:`~tfgen.evaluation.ood.likelihood_ratio` (Ren et al. 2019).
"""

from tfgen.evaluation.ood.metrics import METRIC_NAMES, detection_metrics, summarize
from tfgen.evaluation.ood.scorers import (
    QUANTITIES,
    SCORERS,
    Scorer,
    applicable_scorers,
    compute_quantities,
    critic,
    get_scorer,
    nll,
    quantities_of,
    reference_compressors,
    reference_statistics,
    score,
    scorer_names,
)

__all__ = ["METRIC_NAMES", "QUANTITIES", "SCORERS", "Scorer", "applicable_scorers",
           "compute_quantities", "critic", "detection_metrics", "get_scorer", "nll",
           "quantities_of", "reference_compressors", "reference_statistics", "score",
           "scorer_names", "summarize"]
