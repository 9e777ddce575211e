"""What the samplers need from a model, and compiling them once per model.

A sampleable model (``tfgen.models.PixelCNN``, ``GatedPixelCNN``; PixelVAE's decoder calls the
``*_network`` functions directly) has:

- ``network``: a stack with ``call(x, condition_vector=None, condition_map=None)`` and the
  incremental protocol of :mod:`tfgen.layers.stacks`;
- ``likelihood``: a :class:`tfgen.distributions.PixelLikelihood`;
- ``image_shape``: ``(H, W, C)``;
- optionally ``sampling_conditions(num_samples, labels) -> dict`` of ``condition_vector`` /
  ``condition_map`` tensors for ``num_samples`` images.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import tensorflow as tf

_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def model_sampling_parts(model, num_samples, labels=None):
    """(network, likelihood, image_shape, conditions dict) of a sampleable model."""
    missing = [a for a in ("network", "likelihood", "image_shape") if not hasattr(model, a)]
    if missing:
        raise TypeError(f"{type(model).__name__} cannot be sampled autoregressively: it lacks "
                        f"{missing} (expected network, likelihood, image_shape)")
    conditions = {}
    if hasattr(model, "sampling_conditions"):
        conditions = model.sampling_conditions(num_samples, labels)
    elif labels is not None:
        raise ValueError(f"{type(model).__name__} is not conditional; labels must be None")
    return model.network, model.likelihood, model.image_shape, conditions


def owned_function(owner, key, fn: Callable, jit_compile: bool = False) -> Callable:
    """``tf.function(lambda *args: fn(owner, *args))``, made once per ``(owner, key)`` and kept
    while ``owner`` (a model or network) lives, so eager calls trace once, not every time."""
    per_owner = _COMPILED.setdefault(owner, {})
    if key not in per_owner:
        ref = weakref.ref(owner)  # the cache must not keep the owner alive
        per_owner[key] = tf.function(lambda *args: fn(ref(), *args), jit_compile=jit_compile,
                                     reduce_retracing=True)
    return per_owner[key]


def likelihood_key(likelihood) -> str:
    """A hashable key of ``likelihood``'s config: a traced sampler is reused only for an equal
    likelihood (same name and settings)."""
    return repr(sorted(likelihood.get_config().items()))


def compiled(model, kind: str, fn: Callable) -> Callable:
    """``fn(model, num_samples, seed, labels)``, wrapped in one ``tf.function`` per model and
    kind when called eagerly (inside a trace, e.g. a SavedModel export, ``fn`` itself)."""
    if not tf.executing_eagerly():
        return fn
    traced = owned_function(model, kind, fn)

    def call(model, num_samples, seed, labels=None):
        del model  # bound above
        num_samples = tf.convert_to_tensor(num_samples, tf.int32)
        seed = tf.convert_to_tensor(seed, tf.int32)
        if labels is not None:
            labels = tf.convert_to_tensor(labels)
        return traced(num_samples, seed, labels)

    return call
