"""Inception Score and FID with Keras' InceptionV3, from weights already on this machine.

tfgen never downloads the weights (``weights=None`` and ``load_weights(path)``): pass the path of
``inception_v3_weights_tf_dim_ordering_tf_kernels.h5`` (the ImageNet weights with the
classification top, as ``keras.applications.InceptionV3(weights="imagenet")`` caches them in
``~/.keras/models/``) as ``weights_path`` / ``--inception_weights``, or set
``$TFGEN_INCEPTION_WEIGHTS``. Without them :class:`InceptionWeightsNotFoundError` says how to get
them; the offline alternative is :mod:`tfgen.evaluation.classifier`'s own feature space.

Images (uint8 [N, H, W, C], C in 1 or 3) are resized bilinearly to 299x299, greyscale is tiled to
RGB, and pixels are scaled to [-1, 1] (InceptionV3's preprocessing). Features are the 2048-d
global average pool; probabilities are the 1000-way softmax.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from tfgen.data.transforms import scale_to_unit
from tfgen.evaluation import gan_metrics

WEIGHTS_ENV = "TFGEN_INCEPTION_WEIGHTS"
WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INPUT_SIZE = 299


class InceptionWeightsNotFoundError(FileNotFoundError):
    """InceptionV3 weights are not on this machine (and tfgen does not download them)."""


def resolve_weights(weights_path: str | None = None) -> str:
    """``weights_path``, else ``$TFGEN_INCEPTION_WEIGHTS``; raises if neither names a file."""
    path = weights_path or os.environ.get(WEIGHTS_ENV, "")
    if path and os.path.isfile(path):
        return path
    found = (f"{path!r} is not a file" if path else
             f"no path was given and ${WEIGHTS_ENV} is not set")
    raise InceptionWeightsNotFoundError(
        f"Inception Score/FID need InceptionV3 ImageNet weights on this machine, and tfgen never "
        f"downloads them: {found}. On a machine with a network run `python -c \"import keras; "
        f"keras.applications.InceptionV3(weights='imagenet')\"`, copy ~/.keras/models/"
        f"{WEIGHTS_FILE} here, and pass --inception_weights=PATH (or set ${WEIGHTS_ENV}). "
        f"Offline, use the self-trained classifier's metrics (tfgen.evaluation.classifier).")


def preprocess(images: tf.Tensor) -> tf.Tensor:
    """uint8 [N, H, W, C in (1, 3)] → float32 [N, 299, 299, 3] in [-1, 1]."""
    x = tf.image.resize(tf.cast(images, tf.float32), (INPUT_SIZE, INPUT_SIZE))
    if x.shape[-1] == 1:
        x = tf.tile(x, [1, 1, 1, 3])
    return scale_to_unit(x)


class InceptionV3Scorer:
    """InceptionV3 (top included) with local weights → pool features and class probabilities."""

    def __init__(self, weights_path: str | None = None):
        path = resolve_weights(weights_path)
        base = keras.applications.InceptionV3(weights=None, include_top=True)
        base.load_weights(path)
        self.weights_path = path
        self.network = keras.Model(base.input, [base.get_layer("avg_pool").output, base.output])
        self._forward = tf.function(lambda x: self.network(preprocess(x), training=False),
                                    reduce_retracing=True)

    def features_and_probabilities(self, images: np.ndarray, batch_size: int = 50
                                   ) -> tuple[np.ndarray, np.ndarray]:
        """uint8 [N, H, W, C] → (features float32 [N, 2048], probabilities float32 [N, 1000])."""
        images = np.asarray(images)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise ValueError(f"expected uint8 images [N, H, W, 1 or 3]; found {images.dtype} "
                             f"{list(images.shape)}")
        feats, probs = [], []
        for start in range(0, len(images), batch_size):
            f, p = self._forward(tf.constant(images[start:start + batch_size]))
            feats.append(f.numpy())
            probs.append(p.numpy())
        return np.concatenate(feats), np.concatenate(probs)


def inception_score(images: np.ndarray, weights_path: str | None = None, splits: int = 10,
                    scorer: InceptionV3Scorer | None = None) -> tuple[float, float]:
    """Inception Score (mean, std over ``splits``) of uint8 images [N, H, W, C]."""
    scorer = scorer or InceptionV3Scorer(weights_path)
    return gan_metrics.classifier_score(scorer.features_and_probabilities(images)[1], splits)


def fid(images1: np.ndarray, images2: np.ndarray, weights_path: str | None = None,
        scorer: InceptionV3Scorer | None = None) -> float:
    """FID between two uint8 image sets [N1, H, W, C] and [N2, H, W, C]."""
    scorer = scorer or InceptionV3Scorer(weights_path)
    return gan_metrics.frechet_distance_of_features(
        scorer.features_and_probabilities(images1)[0],
        scorer.features_and_probabilities(images2)[0])
