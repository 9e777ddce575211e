"""Class conditioning shared by the exact-likelihood autoregressive models (PixelCNN, Gated
PixelCNN, PixelCNN++).

A model with ``num_classes`` K > 0 adds a one-hot label to its network and models ``p(x | y)``;
with K = 0 it is unconditional. The mixin gives such a model (which has ``num_classes``,
``likelihood`` and ``params(images, labels)``) its label handling and its label-free verbs:

- ``log_prob_class(images, labels)``: ``log p(x | y)``, float32 ``[B]`` nats;
- ``log_prob(images)``: the exact marginal ``log sum_y p(y) p(x | y)`` under a uniform
  ``p(y) = 1 / K`` (one pass per class), or ``log p(x)`` when unconditional;
- ``sampling_conditions``: what :mod:`tfgen.sampling` feeds the network (classes cycled
  ``0, 1, ..., K - 1, 0, ...`` when no labels are given);
- ``serving_signatures``: ``log_prob``, ``sample`` and, when conditional, ``sample_class``.
"""

from __future__ import annotations

import math

import tensorflow as tf

from tfgen.models.signatures import SignatureTable, verb_signatures


class ClassConditional:
    """Mixin (before :class:`~tfgen.models.base.GenerativeModel` in the bases) for models with
    config fields ``conditional`` and ``num_classes``."""

    num_classes: int = 0

    def init_classes(self, conditional: bool, num_classes: int) -> None:
        """Set ``num_classes`` (0 when unconditional); ValueError for a conditional model
        without classes."""
        if conditional and num_classes < 1:
            raise ValueError("conditional=True needs num_classes >= 1 (a labelled dataset, or "
                             f"--num_classes); got num_classes={num_classes}")
        self.num_classes = num_classes if conditional else 0

    @classmethod
    def resolve_config(cls, config: dict, spec) -> dict:
        """``num_classes=-1`` (or 0) becomes the dataset's number of classes."""
        if config.get("num_classes", 0) <= 0:
            config = {**config, "num_classes": int(spec.num_classes)}
        return config

    def _one_hot(self, labels) -> tf.Tensor:
        return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes)

    def label_conditions(self, labels) -> dict:
        """The network's condition inputs for ``labels`` int ``[B]``: ``{}`` when
        unconditional, else ``{"condition_vector": one-hot [B, K]}`` (labels required)."""
        if not self.num_classes:
            return {}
        if labels is None:
            raise ValueError("a conditional model needs labels for its parameters")
        return {"condition_vector": self._one_hot(labels)}

    def cycled_labels(self, num_samples) -> tf.Tensor:
        """int32 ``[num_samples]``: ``0, 1, ..., K - 1, 0, 1, ...``."""
        return tf.range(tf.cast(num_samples, tf.int32)) % self.num_classes

    def sampling_conditions(self, num_samples, labels=None) -> dict:
        """Conditions for :mod:`tfgen.sampling`: the one-hot labels (cycled when ``None``)."""
        if not self.num_classes:
            if labels is not None:
                raise ValueError(f"{type(self).__name__} is unconditional; labels must be None")
            return {}
        labels = self.cycled_labels(num_samples) if labels is None else labels
        return {"condition_vector": self._one_hot(labels)}

    def log_prob_class(self, images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        """log p(x | y): float32 ``[B]`` nats (conditional models)."""
        return self.likelihood.log_prob(self.params(images, labels), images)

    def log_prob(self, images: tf.Tensor) -> tf.Tensor:
        """Exact log p(x): float32 ``[B]``, nats per image (marginal over a uniform class prior
        for conditional models)."""
        if not self.num_classes:
            return self.likelihood.log_prob(self.params(images), images)
        batch = tf.shape(images)[0]
        per_class = [self.log_prob_class(images, tf.fill([batch], k))
                     for k in range(self.num_classes)]
        return tf.reduce_logsumexp(tf.stack(per_class, 0), 0) - math.log(self.num_classes)

    def serving_signatures(self) -> SignatureTable:
        """``log_prob`` (serving_default), ``sample``, and ``sample_class`` when conditional."""
        return verb_signatures(self, ("log_prob", "sample")
                               + (("sample_class",) if self.num_classes else ()))

    def require_conditional(self) -> None:
        """ValueError unless the model is class-conditional (``sample_class``)."""
        if not self.num_classes:
            raise ValueError(f"{type(self).__name__} is unconditional; use sample()")
