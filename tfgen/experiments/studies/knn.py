"""k-nearest-neighbour classification in numpy (the thesis' latent-space separation measure).

The thesis (Sec. 2.4.1) trains a k-NN classifier on latent codes and reports its test error
(MNIST, 2-D latents: PixelVAE 7.2%, VAE 22.9%). This is the brute-force classifier with
Euclidean distance and uniform votes; a tied vote goes to the smallest label, as in
scikit-learn's ``KNeighborsClassifier`` (a test-only dependency it is checked against).
"""

from __future__ import annotations

import numpy as np


def knn_predict(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, k: int = 5,
                chunk: int = 256) -> np.ndarray:
    """Labels of ``test_x`` ``[M, D]`` by majority vote of their ``k`` nearest ``train_x``
    ``[N, D]`` (labels ``train_y`` ``[N]``, any integer values); returns ``[M]`` labels.

    Distances are computed ``chunk`` test points at a time (memory ``O(chunk * N)``).
    """
    train_x = np.asarray(train_x, np.float64)
    test_x = np.asarray(test_x, np.float64)
    train_y = np.asarray(train_y)
    if train_x.ndim != 2 or test_x.ndim != 2 or train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"expected train [N, D] and test [M, D] points; got "
                         f"{train_x.shape} and {test_x.shape}")
    if len(train_y) != len(train_x):
        raise ValueError(f"{len(train_x)} training points but {len(train_y)} labels")
    if not 1 <= k <= len(train_x):
        raise ValueError(f"k must be in [1, {len(train_x)}] (the training points); got {k}")
    classes, codes = np.unique(train_y, return_inverse=True)
    train_sq = np.sum(train_x ** 2, axis=1)
    out = np.empty(len(test_x), dtype=classes.dtype)
    for start in range(0, len(test_x), chunk):
        block = test_x[start:start + chunk]
        dist = np.sum(block ** 2, axis=1)[:, None] - 2.0 * block @ train_x.T + train_sq[None]
        nearest = np.argpartition(dist, k - 1, axis=1)[:, :k]  # the k smallest, any order
        votes = np.zeros((len(block), len(classes)), np.int64)
        np.add.at(votes, (np.repeat(np.arange(len(block)), k), codes[nearest].ravel()), 1)
        out[start:start + len(block)] = classes[np.argmax(votes, axis=1)]  # ties: smallest
    return out


def knn_error(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray,
              test_y: np.ndarray, k: int = 5) -> float:
    """Fraction of ``test_y`` the k-NN classifier fit on ``(train_x, train_y)`` gets wrong."""
    predicted = knn_predict(train_x, train_y, test_x, k)
    return float(np.mean(predicted != np.asarray(test_y)))
