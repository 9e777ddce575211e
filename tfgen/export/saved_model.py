"""Export a tfgen model as a versioned SavedModel for TF Serving.

``export_model(model, name="pixelvae_mnist")`` writes ``saved_models/pixelvae_mnist/<version>/``
(the TF Serving layout: one integer directory per version) with one named signature per verb in
``model.serving_methods``:

- ``sample``: ``num_samples`` int32 ``[]``, ``seed`` int32 ``[]`` -> ``images`` uint8
  ``[N, H, W, C]``
- ``log_prob``: ``images`` uint8 ``[None, H, W, C]`` -> ``log_prob`` float32 ``[B]`` (nats per
  image), ``bits_per_dim`` float32 ``[B]``
- ``encode``: ``images`` -> ``mean``, ``stddev`` float32 ``[B, D]``
- ``decode``: ``z`` float32 ``[None, D]``, ``seed`` -> ``images`` uint8 ``[B, H, W, C]``
- ``elbo``: ``images``, ``seed`` -> ``elbo``, ``kl``, ``recon`` float32 ``[B]`` nats
  (``recon = -log p(x|z)``, ``elbo = -(recon + kl)``)
- ``importance_weighted_log_prob``: ``images``, ``num_samples``, ``seed`` -> ``log_prob``,
  ``bits_per_dim`` float32 ``[B]``
- ``critic`` (GANs): ``images`` uint8 ``[None, H, W, C]`` -> ``critic`` float32 ``[B]`` (the raw
  critic value / logit)

Models of non-image data (a GAN on toy 2-D points, ``image_shape == (D,)``) take and return
``points`` float32 ``[None, D]`` wherever image models have ``images``.

``bits_per_dim = -log_prob / (H * W * C * ln 2)``. **``serving_default`` is ``log_prob`` when the
model has it, else ``sample``** (a GAN serves samples by default).

Every input is checked at run time with ``tf.ensure_shape``: a loaded signature does not check
shapes itself, so without it an image of the wrong size could flow through a shape-agnostic graph
and return a wrong answer instead of an error.

The export also writes ``assets.extra/tfgen_config.json`` (model class, ``get_config()``, image
shape, serving methods, versions, and the caller's ``extra_assets``) so a SavedModel says what it
is. Exports are atomic: the SavedModel is written into a hidden ``.tmp-<version>-<uuid>`` directory
next to the versions (TF Serving ignores non-numeric names) and renamed into place; an existing
version is never overwritten.
"""

from __future__ import annotations

import datetime
import errno
import json
import math
import os
import shutil
import uuid
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

import tfgen

CONFIG_FILENAME = "tfgen_config.json"
ASSETS_EXTRA = "assets.extra"

#: Every verb of likelihood and latent-variable models ``export_model`` serves, in a stable order.
SERVING_METHODS = ("log_prob", "sample", "encode", "decode", "elbo",
                   "importance_weighted_log_prob")
#: Verbs of adversarial models (GANs), served after those above.
GAN_SERVING_METHODS = ("critic",)
ALL_SERVING_METHODS = SERVING_METHODS + GAN_SERVING_METHODS


def _scalar(name: str) -> tf.TensorSpec:
    return tf.TensorSpec([], tf.int32, name=name)


def _check_output(method: str, key: str, value: Any, dtype: tf.DType, rank: int) -> tf.Tensor:
    """Raise TypeError at trace time when a model method breaks the protocol."""
    value = tf.convert_to_tensor(value)
    if value.dtype != dtype or value.shape.rank != rank:
        raise TypeError(f"{method} must return {key!r} as {dtype.name} of rank {rank}; "
                        f"got {value.dtype.name} {value.shape}")
    return value


def _endpoints(model: keras.Model) -> dict[str, tuple[list[tf.TensorSpec], Callable]]:
    """{signature name: (input specs, function of those inputs returning a dict of outputs)}."""
    shape = [int(d) for d in model.image_shape]
    nats_to_bits = 1.0 / (math.prod(shape) * math.log(2.0))
    is_image = len(shape) == 3
    data_key = "images" if is_image else "points"  # float32 [None, D] points (toy GANs)
    images_spec = tf.TensorSpec([None, *shape], tf.uint8 if is_image else tf.float32,
                                name=data_key)

    def with_bits(method, log_prob):
        log_prob = _check_output(method, "log_prob", log_prob, tf.float32, 1)
        return {"log_prob": log_prob, "bits_per_dim": -log_prob * nats_to_bits}

    def images_out(method, images):
        return {data_key: _check_output(method, data_key, images, images_spec.dtype,
                                        len(shape) + 1)}

    def sample(num_samples, seed):
        return images_out("sample", model.sample(num_samples, seed))

    def log_prob(images):
        return with_bits("log_prob", model.log_prob(images))

    def encode(images):
        out = model.encode(images)
        return {k: _check_output("encode", k, out[k], tf.float32, 2) for k in ("mean", "stddev")}

    def decode(z, seed):
        return images_out("decode", model.decode(z, seed))

    def elbo(images, seed):
        out = model.elbo(images, seed)
        return {k: _check_output("elbo", k, out[k], tf.float32, 1)
                for k in ("elbo", "kl", "recon")}

    def critic(images):
        return {"critic": _check_output("critic", "critic", model.critic(images), tf.float32, 1)}

    def importance_weighted_log_prob(images, num_samples, seed):
        return with_bits("importance_weighted_log_prob",
                         model.importance_weighted_log_prob(images, num_samples, seed))

    endpoints = {
        "sample": ([_scalar("num_samples"), _scalar("seed")], sample),
        "log_prob": ([images_spec], log_prob),
        "elbo": ([images_spec, _scalar("seed")], elbo),
        "encode": ([images_spec], encode),
        "critic": ([images_spec], critic),
        "importance_weighted_log_prob": (
            [images_spec, _scalar("num_samples"), _scalar("seed")], importance_weighted_log_prob),
    }
    if "decode" in model.serving_methods:
        z_spec = tf.TensorSpec([None, int(model.latent_dim)], tf.float32, name="z")
        endpoints["decode"] = ([z_spec, _scalar("seed")], decode)
    return endpoints


def _checked(fn: Callable, specs: list[tf.TensorSpec]) -> Callable:
    """Wrap ``fn`` so every input is shape-checked at run time (signatures do not check)."""
    def wrapper(*args):
        return fn(*(tf.ensure_shape(a, s.shape) for a, s in zip(args, specs)))
    return wrapper


def _serving_methods(model: keras.Model) -> list[str]:
    """The model's serving methods in export order: the default signature's method first."""
    methods = tuple(getattr(model, "serving_methods", ()))
    unknown = sorted(set(methods) - set(ALL_SERVING_METHODS))
    if unknown:
        raise ValueError(f"{type(model).__name__}.serving_methods has unknown names {unknown}; "
                         f"valid names: {list(ALL_SERVING_METHODS)}")
    missing = [m for m in methods if not callable(getattr(model, m, None))]
    if missing:
        raise ValueError(f"{type(model).__name__}.serving_methods lists {missing}, "
                         "which the model does not define")
    if "log_prob" not in methods and "sample" not in methods:
        raise ValueError(f"{type(model).__name__}.serving_methods is {list(methods)}; it needs "
                         "'log_prob' or 'sample' to provide the serving_default signature")
    return [m for m in ALL_SERVING_METHODS if m in methods]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serializable: {obj!r}")


def _config_json(model: keras.Model, methods: list[str], extra_assets: dict | None) -> str:
    """The text of ``tfgen_config.json`` (raises TypeError early if not JSON-serializable)."""
    cls = type(model)
    info = {
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "config": model.get_config(),
        "image_shape": [int(d) for d in model.image_shape],
        "serving_methods": methods,
        "serving_default": methods[0],
        "tfgen_version": tfgen.__version__,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "extra": dict(extra_assets or {}),
    }
    if hasattr(model, "latent_dim"):
        info["latent_dim"] = int(model.latent_dim)
    try:
        return json.dumps(info, indent=2, sort_keys=True, default=_jsonable)
    except TypeError as e:
        raise TypeError(f"tfgen_config.json for {cls.__name__} (get_config() and extra_assets) "
                        f"must be JSON-serializable: {e}") from None


def _write_config(savedmodel_dir: str, text: str) -> None:
    os.makedirs(os.path.join(savedmodel_dir, ASSETS_EXTRA), exist_ok=True)
    with open(os.path.join(savedmodel_dir, ASSETS_EXTRA, CONFIG_FILENAME), "w") as f:
        f.write(text + "\n")


def numeric_versions(model_dir: str) -> list[int]:
    """Sorted integer version directories under ``model_dir`` (``[]`` if it does not exist)."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(n) for n in os.listdir(model_dir)
                  if n.isdigit() and os.path.isdir(os.path.join(model_dir, n)))


def _next_version(model_dir: str) -> int:
    versions = numeric_versions(model_dir)
    return versions[-1] + 1 if versions else 1


def _build_archive(model: keras.Model, methods: list[str]) -> keras.export.ExportArchive:
    """Trace one signature per method and check that tracing created no variables."""
    before = {id(v) for v in model.variables}
    archive = keras.export.ExportArchive()
    archive.track(model)
    endpoints = _endpoints(model)
    for method in methods:
        specs, fn = endpoints[method]
        # Our own tf.function (autograph on) traced here; ExportArchive's would disable autograph.
        traced = tf.function(_checked(fn, specs), input_signature=specs)
        traced.get_concrete_function()
        archive.add_endpoint(method, traced)
    created = [v.path for v in model.variables if id(v) not in before]
    if created:
        raise ValueError(f"tracing the serving methods of {type(model).__name__} created new "
                         f"variables {created}: some layers were not built before export, so "
                         "their weights would be untrained; build every layer the serving methods "
                         "use (e.g. run them once) before exporting")
    return archive


def export_model(model: keras.Model, *, root: str = "saved_models", name: str,
                 version: int | None = None, extra_assets: dict | None = None) -> str:
    """Write ``model`` as SavedModel ``root/name/<version>/`` and return that directory.

    Args:
      model: a built tfgen model (``image_shape``, ``serving_methods`` and those methods; see
        the module docstring). Build it first (e.g. ``model.build_for()`` or one call on a
        batch): export refuses to create variables while tracing.
      root: the TF Serving model base path's parent.
      name: the model's directory name under ``root``.
      version: an integer version; ``None`` means one more than the largest existing version
        (1 for the first export).
      extra_assets: JSON-serializable facts stored under ``"extra"`` in
        ``assets.extra/tfgen_config.json`` (e.g. ``{"step": 10000, "dataset": "mnist"}``).

    Raises:
      FileExistsError: ``version`` was given and that directory already exists.
      ValueError, TypeError: the model breaks the serving protocol (the message says how).
    """
    if not name or os.sep in name or name.startswith(".") or name != name.strip():
        raise ValueError(f"name must be a plain directory name; got {name!r}")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)
                                or version < 0):
        raise ValueError(f"version must be a non-negative int or None; got {version!r}")
    if not model.built:
        raise ValueError(f"{type(model).__name__} is not built; build it before export (e.g. "
                         "model.build_for() or one call on a batch of images)")
    methods = _serving_methods(model)
    config_text = _config_json(model, methods, extra_assets)

    model_dir = os.path.join(root, name)
    os.makedirs(model_dir, exist_ok=True)
    auto = version is None
    if auto:
        version = _next_version(model_dir)
    elif os.path.exists(os.path.join(model_dir, str(version))):
        raise FileExistsError(
            f"export version already exists: {os.path.join(model_dir, str(version))}")

    tmp = os.path.join(model_dir, f".tmp-{version}-{uuid.uuid4().hex}")
    try:
        archive = _build_archive(model, methods)
        archive.write_out(tmp, verbose=False)
        _write_config(tmp, config_text)
        while True:
            final = os.path.join(model_dir, str(version))
            try:
                if os.path.exists(final):  # os.rename would replace an empty directory
                    raise FileExistsError(errno.EEXIST, "exists", final)
                os.rename(tmp, final)
                return final
            except OSError as e:
                if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                if not auto:
                    raise FileExistsError(f"export version already exists: {final}") from None
                version = _next_version(model_dir)  # another export took it meanwhile
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
