"""The numpy k-NN classifier of the latent_2d study agrees with scikit-learn's."""

import numpy as np
import pytest

from tfgen.experiments.studies.knn import knn_error, knn_predict

sklearn_neighbors = pytest.importorskip("sklearn.neighbors")


def clusters(n, seed, num_classes=4, dim=2):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    centres = np.random.default_rng(99).normal(0, 2.0, (num_classes, dim))
    return centres[labels] + rng.normal(0, 1.5, (n, dim)), labels


@pytest.mark.parametrize("k", [1, 4, 5, 15])
def test_predictions_match_sklearn_exactly(k):
    train_x, train_y = clusters(600, 0)
    test_x, test_y = clusters(400, 1)
    reference = sklearn_neighbors.KNeighborsClassifier(k, algorithm="brute").fit(train_x, train_y)
    expected = reference.predict(test_x)
    np.testing.assert_array_equal(knn_predict(train_x, train_y, test_x, k, chunk=64), expected)
    assert knn_error(train_x, train_y, test_x, test_y, k) == pytest.approx(
        np.mean(expected != test_y))


def test_non_contiguous_labels_and_tied_votes_go_to_the_smallest_label():
    train_x = np.array([[0.0], [1.0], [-1.0], [2.0]])
    train_y = np.array([7, 3, 3, 7])
    # Neighbours of 0.5 with k=2: 0.0 (7) and 1.0 (3): a tie, so label 3, as scikit-learn says.
    reference = sklearn_neighbors.KNeighborsClassifier(2, algorithm="brute").fit(train_x, train_y)
    assert reference.predict([[0.5]])[0] == 3
    assert knn_predict(train_x, train_y, [[0.5]], 2)[0] == 3
    assert knn_predict(train_x, train_y, [[1.9]], 1)[0] == 7


def test_separable_classes_give_zero_error_and_bad_arguments_are_rejected():
    train_x, train_y = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]), [0, 0, 1, 1]
    assert knn_error(train_x, train_y, [[0.05, 0.0], [5.05, 5.0]], [0, 1], k=1) == 0.0
    with pytest.raises(ValueError, match="k must be in"):
        knn_predict(train_x, train_y, [[0.0, 0.0]], k=5)
    with pytest.raises(ValueError, match="expected train"):
        knn_predict(train_x, train_y, [[0.0, 0.0, 0.0]], k=1)
