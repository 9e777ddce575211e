"""A small CNN classifier that tfgen trains itself: the feature space of offline GAN metrics.

FID and the Inception Score need InceptionV3's ImageNet weights, which a machine without a network
does not have (and which say little about 28x28 greyscale images). This module trains a small
classifier on the dataset being modelled (e.g. Fashion-MNIST) and uses it the same way:

* ``features(images)`` — the penultimate layer (``feature_dim`` ReLU units) for the Fréchet
  distance (:func:`tfgen.evaluation.gan_metrics.frechet_distance_of_features`);
* ``probabilities(images)`` — softmax class probabilities for the Inception-style score.

Training is deterministic given ``ClassifierConfig.seed`` (seeded initializers, a numpy
permutation of the training split, no dropout) and the result is cached on disk keyed by the
whole config: ``<cache_dir>/<dataset>-<hash>/{classifier.weights.h5, classifier.json}``, written
into a temporary folder and renamed into place, so a concurrent or killed run never leaves a
partial cache entry. ``classifier.json`` records the test accuracy measured after training.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from tfgen import data

CACHE_ENV = "TFGEN_CACHE_DIR"
_WEIGHTS, _META = "classifier.weights.h5", "classifier.json"


def default_cache_dir() -> str:
    """``$TFGEN_CACHE_DIR/classifiers`` or ``~/.cache/tfgen/classifiers``."""
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "tfgen")
    return os.path.join(root, "classifiers")


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """The classifier's data, architecture and training; every field enters the cache key."""

    dataset: str = "fashion_mnist"
    filters: int = 32           # conv widths: filters, filters, 2*filters, 2*filters
    feature_dim: int = 128      # penultimate (feature) layer width
    train_steps: int = 1500     # Adam steps of batch_size examples
    batch_size: int = 128
    learning_rate: float = 1e-3
    max_train_examples: int = 0  # 0: the whole train split
    seed: int = 0

    def key(self) -> str:
        blob = json.dumps(dataclasses.asdict(self), sort_keys=True).encode()
        safe = self.dataset.replace(":", "_").replace("/", "_")[-40:]
        return f"{safe}-{hashlib.sha256(blob).hexdigest()[:12]}"


def build_network(image_shape: tuple[int, int, int], num_classes: int,
                  cfg: ClassifierConfig) -> keras.Model:
    """uint8 [B, H, W, C] → (features float32 [B, feature_dim], logits float32 [B, K]).

    Four 3x3 ReLU convolutions (the 2nd and 4th with stride 2), flatten, a ReLU feature layer and
    a linear head. Each layer's initializer has its own seed derived from ``cfg.seed``.
    """
    def init(i: int) -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=cfg.seed * 1000 + i)

    inputs = keras.Input(image_shape, dtype="uint8", name="images")
    x = keras.layers.Rescaling(1.0 / 255.0, name="scale")(keras.ops.cast(inputs, "float32"))
    widths = (cfg.filters, cfg.filters, 2 * cfg.filters, 2 * cfg.filters)
    for i, width in enumerate(widths):
        x = keras.layers.Conv2D(width, 3, strides=2 if i % 2 else 1, padding="same",
                                activation="relu", kernel_initializer=init(i),
                                name=f"conv{i}")(x)
    x = keras.layers.Flatten()(x)
    features = keras.layers.Dense(cfg.feature_dim, activation="relu", kernel_initializer=init(8),
                                  name="features")(x)
    logits = keras.layers.Dense(num_classes, kernel_initializer=init(9), name="logits")(features)
    return keras.Model(inputs, [features, logits], name="feature_classifier")


def _arrays(dataset: str, split: str, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ds, spec = data.load(dataset, split)
    if spec.kind != "image" or spec.num_classes < 2:
        raise ValueError(f"the feature classifier needs a labelled image dataset; {dataset!r} "
                         f"is {spec.kind} with {spec.num_classes} classes")
    if limit:
        ds = ds.take(limit)
    images, labels = [], []
    for x, y in ds.batch(4096).as_numpy_iterator():
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels).astype(np.int64)


class FeatureClassifier:
    """A trained classifier used as a feature extractor. Inputs are uint8 [N, H, W, C]."""

    def __init__(self, network: keras.Model, config: ClassifierConfig, info: dict):
        self.network = network
        self.config = config
        self.info = info  # test_accuracy, train_seconds, num_classes, image_shape, path
        self._forward = tf.function(lambda x: network(x, training=False), reduce_retracing=True)

    @property
    def test_accuracy(self) -> float:
        return float(self.info["test_accuracy"])

    def features_and_probabilities(self, images: np.ndarray, batch_size: int = 500
                                   ) -> tuple[np.ndarray, np.ndarray]:
        """uint8 [N, H, W, C] → (features float32 [N, feature_dim], probs float32 [N, K])."""
        images = np.asarray(images)
        shape = tuple(self.info["image_shape"])
        if images.dtype != np.uint8 or images.shape[1:] != shape:
            raise ValueError(f"expected uint8 images [N, {', '.join(map(str, shape))}]; found "
                             f"{images.dtype} {list(images.shape)}")
        feats, probs = [], []
        for start in range(0, len(images), batch_size):
            f, logits = self._forward(tf.constant(images[start:start + batch_size]))
            feats.append(f.numpy())
            probs.append(tf.nn.softmax(logits).numpy())
        return np.concatenate(feats), np.concatenate(probs)

    def features(self, images: np.ndarray) -> np.ndarray:
        return self.features_and_probabilities(images)[0]

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        return self.features_and_probabilities(images)[1]

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self.probabilities(images).argmax(axis=1) == np.asarray(labels)))


def train_classifier(cfg: ClassifierConfig, verbose: bool = True) -> FeatureClassifier:
    """Train on ``cfg.dataset``'s train split and measure accuracy on its test split."""
    began = time.monotonic()
    x_train, y_train = _arrays(cfg.dataset, "train", cfg.max_train_examples)
    x_test, y_test = _arrays(cfg.dataset, "test")
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    network = build_network(x_train.shape[1:], num_classes, cfg)
    optimizer = keras.optimizers.Adam(cfg.learning_rate)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            _, logits = network(x, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        grads = tape.gradient(loss, network.trainable_variables)
        optimizer.apply(grads, network.trainable_variables)
        return loss

    rng = np.random.default_rng(cfg.seed)
    order, cursor = rng.permutation(len(x_train)), 0
    loss = float("nan")
    for i in range(cfg.train_steps):
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(x_train)), 0
        idx = order[cursor:cursor + cfg.batch_size]
        cursor += cfg.batch_size
        loss = float(step(tf.constant(x_train[idx]), tf.constant(y_train[idx])))
        if verbose and (i + 1) % 500 == 0:
            print(f"feature classifier: step {i + 1}/{cfg.train_steps} loss {loss:.4f}",
                  flush=True)
    info = {"num_classes": num_classes, "image_shape": list(x_train.shape[1:]),
            "final_train_loss": loss, "train_seconds": time.monotonic() - began}
    classifier = FeatureClassifier(network, cfg, info)
    info["test_accuracy"] = classifier.accuracy(x_test, y_test)
    info["test_examples"] = len(x_test)
    if verbose:
        print(f"feature classifier on {cfg.dataset}: test accuracy "
              f"{info['test_accuracy']:.4f} ({len(x_test)} images)", flush=True)
    return classifier


def _save(classifier: FeatureClassifier, final: str) -> None:
    parent = os.path.dirname(final)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".tmp-", dir=parent)
    try:
        classifier.network.save_weights(os.path.join(tmp, _WEIGHTS))
        with open(os.path.join(tmp, _META), "w") as f:
            json.dump({"config": dataclasses.asdict(classifier.config), **classifier.info,
                       "keras": keras.__version__}, f, indent=2)
        try:
            os.rename(tmp, final)
        except OSError:  # another process finished first: keep theirs
            if not os.path.exists(os.path.join(final, _META)):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load(path: str) -> FeatureClassifier:
    with open(os.path.join(path, _META)) as f:
        meta = json.load(f)
    cfg = ClassifierConfig(**meta["config"])
    network = build_network(tuple(meta["image_shape"]), meta["num_classes"], cfg)
    network.load_weights(os.path.join(path, _WEIGHTS))
    info = {k: meta[k] for k in ("num_classes", "image_shape", "final_train_loss",
                                 "train_seconds", "test_accuracy", "test_examples")}
    return FeatureClassifier(network, cfg, info)


def load_or_train_classifier(cfg: ClassifierConfig = ClassifierConfig(),
                             cache_dir: str | None = None,
                             verbose: bool = True) -> FeatureClassifier:
    """The cached classifier for ``cfg`` if present, else train it and cache it atomically.

    ``cache_dir`` defaults to :func:`default_cache_dir`. ``info["path"]`` names the entry and
    ``info["cached"]`` says whether it was reused.
    """
    path = os.path.join(cache_dir or default_cache_dir(), cfg.key())
    if os.path.exists(os.path.join(path, _META)):
        classifier = _load(path)
        classifier.info.update(path=path, cached=True)
        return classifier
    classifier = train_classifier(cfg, verbose=verbose)
    _save(classifier, path)
    classifier.info.update(path=path, cached=False)
    return classifier
