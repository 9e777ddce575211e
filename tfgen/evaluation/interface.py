"""The one interface every measurement calls: a trained model's verbs, numpy in and out.

:class:`ServingModel` is what :func:`tfgen.export.load_exported` returns (``ExportedModel``
implements it) and what :class:`LiveModel` makes of a live ``tfgen.models`` model, so the studies,
``tfgen.evaluation.evaluate`` and the OOD scorers measure a SavedModel and a model in memory alike.
Verbs (a model has those in ``methods``):

  sample(num_samples, seed)      -> {"images": uint8 [N, H, W, C]} ({"points": float32 [N, D]}
                                    for points, [N, L, V] character distributions for text)
  log_prob(images)               -> {"log_prob": nats [B], "bits_per_dim": [B]}
  importance_weighted_log_prob(images, num_samples, seed) -> the same (IW bound, K samples)
  elbo(images, seed)             -> {"elbo", "kl", "recon"}: nats [B]
  encode(images)                 -> {"mean", "stddev"}: float32 [B, D]
  critic(images)                 -> {"critic": float32 [B]} raw critic value / logit
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np
import tensorflow as tf

from tfgen.distributions import bits_per_dim


@runtime_checkable
class ServingModel(Protocol):
    """A trained model's verbs (see the module docstring); ``methods`` names those it has.

    Attributes:
      path: where it came from (a SavedModel directory, or ``<in-memory Class>``).
      methods: the verbs this model answers.
      image_shape: ``(H, W, C)`` (``(D,)`` for points, ``(L, V)`` for text).
    """

    path: str
    methods: tuple[str, ...]
    image_shape: tuple[int, ...]

    def sample(self, num_samples: int, seed: int) -> dict[str, np.ndarray]: ...

    def log_prob(self, images) -> dict[str, np.ndarray]: ...

    def importance_weighted_log_prob(self, images, num_samples: int,
                                     seed: int) -> dict[str, np.ndarray]: ...

    def elbo(self, images, seed: int) -> dict[str, np.ndarray]: ...

    def encode(self, images) -> dict[str, np.ndarray]: ...

    def critic(self, images) -> dict[str, np.ndarray]: ...


class LiveModel(ServingModel):
    """A live model (anything with ``serving_methods`` and ``image_shape``, e.g. a
    ``tfgen.models.GenerativeModel``) behind :class:`ServingModel`; each verb is traced once
    (``tf.function``) and answers as the model's exported signature would."""

    def __init__(self, model: Any):
        self.model = model
        self.path = f"<in-memory {type(model).__name__}>"
        self.methods = tuple(model.serving_methods)
        self.image_shape = tuple(model.image_shape)
        self._functions: dict[str, Callable] = {}

    def _call(self, method: str, *args) -> Any:
        if method not in self.methods:
            raise ValueError(f"{self.path} has no {method!r} method; it has {list(self.methods)}")
        if method not in self._functions:
            self._functions[method] = tf.function(getattr(self.model, method),
                                                  reduce_retracing=True)
        return self._functions[method](*(tf.convert_to_tensor(a) for a in args))

    def _with_bits(self, log_prob: tf.Tensor) -> dict[str, np.ndarray]:
        return {"log_prob": log_prob.numpy(),
                "bits_per_dim": bits_per_dim(log_prob, self.image_shape).numpy()}

    def sample(self, num_samples: int, seed: int) -> dict[str, np.ndarray]:
        key = "images" if len(self.image_shape) == 3 else "points"
        return {key: self._call("sample", np.int32(num_samples), np.int32(seed)).numpy()}

    def log_prob(self, images) -> dict[str, np.ndarray]:
        return self._with_bits(self._call("log_prob", images))

    def importance_weighted_log_prob(self, images, num_samples: int,
                                     seed: int) -> dict[str, np.ndarray]:
        return self._with_bits(self._call("importance_weighted_log_prob", images,
                                          np.int32(num_samples), np.int32(seed)))

    def elbo(self, images, seed: int) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self._call("elbo", images, np.int32(seed)).items()}

    def encode(self, images) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self._call("encode", images).items()}

    def critic(self, images) -> dict[str, np.ndarray]:
        return {"critic": self._call("critic", images).numpy()}

    def __repr__(self) -> str:
        return f"LiveModel({type(self.model).__name__}, image_shape={self.image_shape})"


def as_serving_model(model: Any) -> ServingModel:
    """A :class:`LiveModel` of a live model (one with ``serving_methods``); anything else (an
    ``ExportedModel``, a ``LiveModel``, a test double with ``methods``) as it is."""
    return LiveModel(model) if hasattr(model, "serving_methods") else model
