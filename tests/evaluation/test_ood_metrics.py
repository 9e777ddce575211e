"""OOD detection metrics against scikit-learn and hand-worked cases (OOD = positive class)."""

import numpy as np
import pytest
from sklearn.metrics import (
    auc,
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
)

from tfgen.evaluation.ood import detection_metrics, summarize


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 15, 400).astype(float)  # many ties
    labels = rng.random(400) < 0.12
    m = detection_metrics(scores, labels)
    precision, recall, _ = precision_recall_curve(labels, scores)
    assert m["average_precision"] == pytest.approx(average_precision_score(labels, scores),
                                                   abs=1e-12)
    assert m["auroc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert m["aupr_trapezoid"] == pytest.approx(auc(recall, precision), abs=1e-12)
    assert m["skew"] == pytest.approx(labels.mean())
    assert (m["count"], m["ood_count"]) == (400, int(labels.sum()))


def test_continuous_scores_match_scikit_learn():
    rng = np.random.default_rng(7)
    labels = np.r_[np.ones(50, bool), np.zeros(450, bool)]
    scores = rng.normal(size=500) + 1.0 * labels
    m = detection_metrics(scores, labels)
    assert m["average_precision"] == pytest.approx(average_precision_score(labels, scores))
    assert m["auroc"] == pytest.approx(roc_auc_score(labels, scores))


def test_hand_worked_case():
    # thresholds 3: P=1, R=1/2; 2: P=1/2, R=1/2; 1: P=2/3, R=1.
    m = detection_metrics([3.0, 2.0, 1.0], [1, 0, 1])
    assert m["average_precision"] == pytest.approx(0.5 * 1.0 + 0.5 * 2.0 / 3.0)
    assert m["auroc"] == pytest.approx(0.5)  # pairs: (3 > 2) wins, (1 < 2) loses
    assert m["fpr_at_95_tpr"] == pytest.approx(1.0)  # recall 1 needs the lowest threshold
    # trapezoid over (0, 1), (1/2, 1), (1/2, 1/2), (1, 2/3)
    assert m["aupr_trapezoid"] == pytest.approx(0.5 + 0.5 * (0.5 + 2.0 / 3.0) / 2.0)
    assert m["skew"] == pytest.approx(2.0 / 3.0)


def test_ties_move_together():
    # Tie at 1 between an OOD and an ID example: one threshold, P = 1/2 there; order is irrelevant.
    a = detection_metrics([1.0, 1.0, 0.0, 0.0], [1, 0, 1, 0])
    b = detection_metrics([1.0, 1.0, 0.0, 0.0], [0, 1, 0, 1])
    assert a == b
    assert a["average_precision"] == pytest.approx(0.5)
    assert a["auroc"] == pytest.approx(0.5)


def test_all_equal_scores_are_chance():
    labels = np.r_[np.ones(3, bool), np.zeros(27, bool)]
    m = detection_metrics(np.full(30, 4.2), labels)
    assert m["average_precision"] == pytest.approx(0.1)  # = skew
    assert m["auroc"] == pytest.approx(0.5)
    assert m["fpr_at_95_tpr"] == pytest.approx(1.0)


def test_perfect_and_inverted_scorers():
    labels = np.r_[np.ones(5, bool), np.zeros(45, bool)]
    scores = np.r_[np.linspace(10, 11, 5), np.linspace(0, 1, 45)]
    perfect = detection_metrics(scores, labels)
    assert perfect["average_precision"] == pytest.approx(1.0)
    assert perfect["auroc"] == pytest.approx(1.0)
    assert perfect["fpr_at_95_tpr"] == pytest.approx(0.0)
    inverted = detection_metrics(-scores, labels)
    assert inverted["auroc"] == pytest.approx(0.0)
    assert inverted["fpr_at_95_tpr"] == pytest.approx(1.0)
    # positives ranked last: P at recall k/5 is k/(45+k)
    expected = np.mean([k / (45 + k) for k in range(1, 6)])
    assert inverted["average_precision"] == pytest.approx(expected)
    assert inverted["average_precision"] < inverted["skew"]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="both in-distribution and out-of-distribution"):
        detection_metrics([1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="finite"):
        detection_metrics([1.0, np.nan], [0, 1])
    with pytest.raises(ValueError, match="same length"):
        detection_metrics([1.0, 2.0, 3.0], [0, 1])
    with pytest.raises(ValueError, match="0/1"):
        detection_metrics([1.0, 2.0], [0, 2])


def test_summarize_mean_and_median():
    per_class = {0: {"average_precision": 0.1, "auroc": 0.5},
                 1: {"average_precision": 0.3, "auroc": 0.7},
                 2: {"average_precision": 0.8, "auroc": 0.9}}
    out = summarize(per_class, ("average_precision", "auroc"))
    assert out["mean"]["average_precision"] == pytest.approx(0.4)
    assert out["median"]["average_precision"] == pytest.approx(0.3)
    assert out["median"]["auroc"] == pytest.approx(0.7)
