"""Serving signatures: the table a model gives :mod:`tfgen.export` (name -> inputs, function).

A model's ``serving_signatures()`` returns an ordered ``{name: Signature}``; the **first entry is
``serving_default``**. ``tfgen.export.export_model`` turns any such table into SavedModel
signatures without knowing the verbs. This module holds the table's type and the signatures of
the verbs several models share, each built from the model's method of the same name:

========================================  ==================================================
signature: inputs                         outputs
========================================  ==================================================
``log_prob``: ``images``                  ``log_prob``, ``bits_per_dim`` float32 ``[B]``
``sample``: ``num_samples``, ``seed``     ``images`` ``[N, *data_shape]``
``sample_class``: ``labels`` int32        ``images`` ``[N, *data_shape]``, image i of class
``[None]``, ``seed``                      ``labels[i]`` in ``[0, num_classes)`` (conditional
                                          models; other labels are an error)
``encode``: ``images``                    ``mean``, ``stddev`` float32 ``[B, D]``
``decode``: ``z`` float32 ``[None, D]``,  ``images`` ``[B, *data_shape]``
``seed``
``elbo``: ``images``, ``seed``            ``elbo``, ``kl``, ``recon`` float32 ``[B]`` nats
``importance_weighted_log_prob``:         ``log_prob``, ``bits_per_dim`` float32 ``[B]``
``images``, ``num_samples``, ``seed``
========================================  ==================================================

``num_samples`` and ``seed`` are int32 ``[]``. The data input/output is named after the data kind
(:data:`tfgen.data.spec.KINDS`, the model's ``data_kind``): ``images`` uint8 ``[None, H, W, C]``
for images; ``points`` float32 ``[None, D]`` for toy points and ``[None, L, V]`` (one-hot /
softmax rows) for text. ``log_prob`` is nats per example and
``bits_per_dim = -log_prob / (prod(data_shape) * ln 2)``. Models add their own verbs (the GAN's
``critic``) as :class:`Signature` entries of their table.

Every output is checked at trace time (dtype and rank), so a model that breaks the protocol fails
at export, not in a served answer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import tensorflow as tf

from tfgen.data.spec import IMAGE
from tfgen.distributions.pixel import bits_per_dim
from tfgen.utils.registry import lookup


@dataclasses.dataclass(frozen=True)
class Signature:
    """One serving verb: named input specs and a function of those inputs (positional, in
    order) returning ``{output name: tensor}``."""

    inputs: tuple[tf.TensorSpec, ...]
    function: Callable[..., Mapping[str, tf.Tensor]]


#: ``{signature name: Signature}``; the first entry is ``serving_default``.
SignatureTable = dict[str, Signature]


def scalar(name: str) -> tf.TensorSpec:
    """An int32 ``[]`` input (``num_samples``, ``seed``)."""
    return tf.TensorSpec([], tf.int32, name=name)


def data_key(model) -> str:
    """The name of the data input/output: ``images`` for images, ``points`` otherwise."""
    return "images" if model.data_kind == IMAGE else "points"


def data_spec(model) -> tf.TensorSpec:
    """A batch of the model's data: uint8 images or float32 points / text rows."""
    dtype = tf.uint8 if model.data_kind == IMAGE else tf.float32
    return tf.TensorSpec([None, *(int(d) for d in model.image_shape)], dtype,
                         name=data_key(model))


def checked(method: str, key: str, value: Any, dtype: tf.DType, rank: int) -> tf.Tensor:
    """``value`` as a tensor; TypeError at trace time when it is not ``dtype`` of ``rank``."""
    value = tf.convert_to_tensor(value)
    if value.dtype != dtype or value.shape.rank != rank:
        raise TypeError(f"{method} must return {key!r} as {dtype.name} of rank {rank}; "
                        f"got {value.dtype.name} {value.shape}")
    return value


def data_out(model, method: str, value) -> dict[str, tf.Tensor]:
    """``{data key: value}``, checked to be a batch of the model's data (dtype and rank)."""
    spec = data_spec(model)
    return {spec.name: checked(method, spec.name, value, spec.dtype, spec.shape.rank)}


def _with_bits(model, method: str, log_prob) -> dict[str, tf.Tensor]:
    log_prob = checked(method, "log_prob", log_prob, tf.float32, 1)
    return {"log_prob": log_prob, "bits_per_dim": bits_per_dim(log_prob, model.image_shape)}


def _log_prob(model) -> Signature:
    return Signature((data_spec(model),),
                     lambda x: _with_bits(model, "log_prob", model.log_prob(x)))


def unless_empty(model, count, draw: Callable[[], tf.Tensor]) -> tf.Tensor:
    """``draw()``, or an empty batch of the model's data when ``count`` is 0 (TF Serving clients
    send empty batches; autoregressive samplers cannot draw zero images)."""
    spec = data_spec(model)
    return tf.cond(count > 0, draw,
                   lambda: tf.zeros([0, *spec.shape[1:]], spec.dtype))


#: The most bytes of data one ``sample`` request may return (a huge ``num_samples`` is refused
#: instead of exhausting the server's memory), and the most importance samples K one
#: ``importance_weighted_log_prob`` request may ask for (the thesis' largest K is 5000).
MAX_RESPONSE_BYTES = 1 << 30
MAX_IMPORTANCE_SAMPLES = 100_000


def max_samples_per_request(model) -> int:
    """The largest ``num_samples`` of one ``sample`` request: :data:`MAX_RESPONSE_BYTES` of
    the model's data (uint8 images: ``H * W * C`` bytes each; float32 points: 4 per value)."""
    spec = data_spec(model)
    example_bytes = math.prod(int(d) for d in spec.shape[1:]) * spec.dtype.size
    return max(1, MAX_RESPONSE_BYTES // example_bytes)


def _sample(model) -> Signature:
    limit = max_samples_per_request(model)

    def sample(num_samples, seed):
        checks = [tf.debugging.assert_non_negative(
                      num_samples, message="sample expects num_samples int32 [] >= 0"),
                  tf.debugging.assert_less_equal(num_samples, limit, message=(
                      f"sample expects num_samples int32 [] <= {limit} (at most "
                      f"{MAX_RESPONSE_BYTES >> 20} MiB of data per request); split larger "
                      "requests"))]
        with tf.control_dependencies(checks):
            num_samples = tf.identity(num_samples)
        return data_out(model, "sample", unless_empty(
            model, num_samples, lambda: model.sample(num_samples, seed)))

    return Signature((scalar("num_samples"), scalar("seed")), sample)


def _sample_class(model) -> Signature:
    def sample_class(labels, seed):
        # An out-of-range label would one-hot to zeros and draw from no class: refuse it.
        num_classes = int(model.num_classes)
        checks = [tf.debugging.assert_non_negative(labels, message="sample_class: labels < 0"),
                  tf.debugging.assert_less(labels, num_classes, message=(
                      f"sample_class: labels must be < num_classes = {num_classes}"))]
        with tf.control_dependencies(checks):
            labels = tf.identity(labels)
        return data_out(model, "sample_class", unless_empty(
            model, tf.size(labels), lambda: model.sample_class(labels, seed)))

    labels = tf.TensorSpec([None], tf.int32, name="labels")
    return Signature((labels, scalar("seed")), sample_class)


def _encode(model) -> Signature:
    def encode(x):
        out = model.encode(x)
        return {k: checked("encode", k, out[k], tf.float32, 2) for k in ("mean", "stddev")}
    return Signature((data_spec(model),), encode)


def _decode(model) -> Signature:
    z = tf.TensorSpec([None, int(model.latent_dim)], tf.float32, name="z")
    return Signature((z, scalar("seed")),
                     lambda z, seed: data_out(model, "decode", model.decode(z, seed)))


def _elbo(model) -> Signature:
    def elbo(x, seed):
        out = model.elbo(x, seed)
        return {k: checked("elbo", k, out[k], tf.float32, 1) for k in ("elbo", "kl", "recon")}
    return Signature((data_spec(model), scalar("seed")), elbo)


def _importance_weighted_log_prob(model) -> Signature:
    def iw_log_prob(x, k, seed):
        checks = [tf.debugging.assert_positive(
                      k, message="importance_weighted_log_prob expects num_samples int32 [] >= 1"),
                  tf.debugging.assert_less_equal(k, MAX_IMPORTANCE_SAMPLES, message=(
                      "importance_weighted_log_prob expects num_samples int32 [] <= "
                      f"{MAX_IMPORTANCE_SAMPLES}"))]
        with tf.control_dependencies(checks):
            k = tf.identity(k)
        return _with_bits(model, "importance_weighted_log_prob",
                          model.importance_weighted_log_prob(x, k, seed))

    return Signature((data_spec(model), scalar("num_samples"), scalar("seed")), iw_log_prob)


#: The shared verbs: name -> builder of its :class:`Signature` from a model.
VERBS: dict[str, Callable[[Any], Signature]] = {
    "log_prob": _log_prob,
    "sample": _sample,
    "sample_class": _sample_class,
    "encode": _encode,
    "decode": _decode,
    "elbo": _elbo,
    "importance_weighted_log_prob": _importance_weighted_log_prob,
}


def verb_signatures(model, names: Iterable[str]) -> SignatureTable:
    """The table of the shared verbs ``names`` (in that order; the first is
    ``serving_default``), each calling the model's method of the same name."""
    table: SignatureTable = {}
    for name in names:
        build = lookup(VERBS, name, "serving verb")
        if not callable(getattr(model, name, None)):
            raise ValueError(f"{type(model).__name__} serves {name!r} but defines no "
                             f"{name}() method")
        table[name] = build(model)
    return table
