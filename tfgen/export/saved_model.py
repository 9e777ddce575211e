"""Export a tfgen model as a versioned SavedModel for TF Serving.

``export_model(model, name="pixelvae_mnist")`` writes ``saved_models/pixelvae_mnist/<version>/``
(the TF Serving layout: one integer directory per version) with one named signature per entry of
the model's signature table, ``model.serving_signatures()`` (``{name: Signature(inputs,
function)}``, see :mod:`tfgen.models.signatures`). Export knows no verb: any table becomes
signatures, and **``serving_default`` is the table's first entry**. The models' tables:

- ``log_prob``: ``images`` uint8 ``[None, H, W, C]`` -> ``log_prob`` float32 ``[B]`` (nats per
  image), ``bits_per_dim`` float32 ``[B]`` (VAE, PixelVAE, PixelCNN; their serving_default)
- ``sample``: ``num_samples`` int32 ``[]``, ``seed`` int32 ``[]`` -> ``images`` uint8
  ``[N, H, W, C]`` (every model; the GAN's serving_default)
- ``sample_class`` (conditional PixelCNNs and GANs): ``labels`` int32 ``[None]``, ``seed`` ->
  ``images`` uint8 ``[N, H, W, C]``, image i of class ``labels[i]``
- ``encode``: ``images`` -> ``mean``, ``stddev`` float32 ``[B, D]``
- ``decode``: ``z`` float32 ``[None, D]``, ``seed`` -> ``images`` uint8 ``[B, H, W, C]``
- ``elbo``: ``images``, ``seed`` -> ``elbo``, ``kl``, ``recon`` float32 ``[B]`` nats
  (``recon = -log p(x|z)``, ``elbo = -(recon + kl)``)
- ``importance_weighted_log_prob``: ``images``, ``num_samples``, ``seed`` -> ``log_prob``,
  ``bits_per_dim`` float32 ``[B]``
- ``critic`` (GANs): ``images`` uint8 ``[None, H, W, C]`` -> ``critic`` float32 ``[B]`` (the raw
  critic value / logit)

Models of non-image data (``data_kind`` points or text: a GAN on toy 2-D points or on one-hot
text) take and return ``points`` float32 ``[None, D]`` / ``[None, L, V]`` wherever image models
have ``images``; the data kind comes from the model (the dataset spec's), never from the rank.
``bits_per_dim = -log_prob / (H * W * C * ln 2)``.

Every input is checked at run time with ``tf.ensure_shape``: a loaded signature does not check
shapes itself, so without it an image of the wrong size could flow through a shape-agnostic graph
and return a wrong answer instead of an error. Float inputs (``z``, ``points``) must be finite:
a NaN latent would otherwise decode to a plausible-looking image.

The export also writes ``assets.extra/tf_serving_warmup_requests`` (one ``PredictRequest`` per
signature that TF Serving replays before serving a version; :mod:`tfgen.export.warmup`; skipped
with a warning without ``tensorflow-serving-api``) and ``assets.extra/tfgen_config.json`` (model class, ``get_config()``, image
shape, data kind, signature names, versions, and the caller's ``extra_assets``) so a SavedModel
says what it is. Exports are atomic: the SavedModel is written into a hidden
``.tmp-<version>-<uuid>`` directory next to the versions (TF Serving ignores non-numeric names)
and renamed into place; an existing version is never overwritten.
"""

from __future__ import annotations

import datetime
import errno
import json
import logging
import os
import shutil
import uuid
from typing import Callable

import keras
import tensorflow as tf

import tfgen
from tfgen.export import warmup
from tfgen.models.signatures import Signature, SignatureTable
from tfgen.utils.paths import check_plain_name
from tfgen.utils.records import to_json

log = logging.getLogger(__name__)

CONFIG_FILENAME = "tfgen_config.json"
ASSETS_EXTRA = "assets.extra"


def signature_table(model: keras.Model) -> SignatureTable:
    """``model.serving_signatures()`` after checking its form (names, specs, functions)."""
    name = type(model).__name__
    if not callable(getattr(model, "serving_signatures", None)):
        raise ValueError(f"{name} has no serving_signatures(); a model gives export "
                         "{signature name: tfgen.models.signatures.Signature}")
    table = dict(model.serving_signatures())
    if not table:
        raise ValueError(f"{name}.serving_signatures() is empty; it needs at least one "
                         "signature (the first is serving_default)")
    for key, signature in table.items():
        if not key.isidentifier() or key == "serving_default":
            raise ValueError(f"{name}: signature name {key!r} must be an identifier other than "
                             "'serving_default' (the first entry becomes serving_default)")
        if not isinstance(signature, Signature) or not callable(signature.function):
            raise ValueError(f"{name}: signature {key!r} must be a Signature(inputs, function); "
                             f"got {signature!r}")
        names = [spec.name for spec in signature.inputs if isinstance(spec, tf.TensorSpec)]
        if len(names) != len(signature.inputs) or not all(names) or len(set(names)) < len(names):
            raise ValueError(f"{name}: signature {key!r} needs tf.TensorSpec inputs with distinct "
                             f"names; got {signature.inputs}")
    return table


def _spec_text(spec: tf.TensorSpec) -> str:
    dims = ", ".join("None" if d is None else str(d) for d in spec.shape.as_list())
    return f"{spec.name} {spec.dtype.name} [{dims}]"


def _checked(fn: Callable, specs: tuple[tf.TensorSpec, ...], method: str) -> Callable:
    """Wrap ``fn`` so every input's shape is checked at run time (signatures check only the
    rank) and float inputs are checked to be finite: a mismatch fails with a message that names
    the expected spec, e.g. ``log_prob expects images uint8 [None, 28, 28, 1]; got shape
    [2 5 4 1]``."""
    def wrapper(*args):
        checked_args = []
        for value, spec in zip(args, specs):
            known = [(i, d) for i, d in enumerate(spec.shape.as_list()) if d is not None]
            if known:
                shape = tf.shape(value)
                ok = tf.reduce_all([tf.equal(shape[i], d) for i, d in known])
                check = tf.debugging.Assert(ok, [f"{method} expects {_spec_text(spec)}; got shape",
                                                 shape], summarize=8)
                with tf.control_dependencies([check]):
                    value = tf.identity(value)
            if spec.dtype.is_floating:  # a NaN z or point would give a plausible-looking answer
                value = tf.debugging.assert_all_finite(
                    value, f"{method} expects {_spec_text(spec)} of finite values; got NaN or Inf")
            checked_args.append(tf.ensure_shape(value, spec.shape))
        return fn(*checked_args)
    return wrapper


def _config_json(model: keras.Model, methods: list[str], extra_assets: dict | None) -> str:
    """The text of ``tfgen_config.json`` (raises TypeError early if not JSON-serializable)."""
    cls = type(model)
    info = {
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "config": model.get_config(),
        "image_shape": [int(d) for d in model.image_shape],
        "data_kind": model.data_kind,
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
        return json.dumps(to_json(info), indent=2, sort_keys=True)
    except TypeError as e:
        raise TypeError(f"tfgen_config.json for {cls.__name__} (get_config() and extra_assets) "
                        f"must be JSON-serializable: {e}") from None


def _write_config(savedmodel_dir: str, text: str) -> None:
    """Write ``tfgen_config.json`` into the (not yet visible) SavedModel directory: the export's
    rename into place is the atomic step, so a plain write suffices (and keeps the umask's
    permissions for a serving process of another user)."""
    os.makedirs(os.path.join(savedmodel_dir, ASSETS_EXTRA), exist_ok=True)
    with open(os.path.join(savedmodel_dir, ASSETS_EXTRA, CONFIG_FILENAME), "w") as f:
        f.write(text + "\n")


def _write_warmup(savedmodel_dir: str, name: str, table: SignatureTable) -> None:
    """``assets.extra/tf_serving_warmup_requests`` (:mod:`tfgen.export.warmup`); without
    tensorflow-serving-api, one warning and no file (the export itself does not need it)."""
    try:
        warmup.write_warmup(savedmodel_dir, name,
                            {method: tuple(sig.inputs) for method, sig in table.items()})
    except ImportError as e:
        log.warning("export %s: no TF Serving warm-up requests written: %s", name, e)


def numeric_versions(model_dir: str) -> list[int]:
    """Sorted integer version directories under ``model_dir`` (``[]`` if it does not exist)."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(n) for n in os.listdir(model_dir)
                  if n.isdigit() and os.path.isdir(os.path.join(model_dir, n)))


def _next_version(model_dir: str) -> int:
    versions = numeric_versions(model_dir)
    return versions[-1] + 1 if versions else 1


def _build_archive(model: keras.Model, table: SignatureTable) -> keras.export.ExportArchive:
    """Trace one signature per table entry (the first also as ``serving_default``) and check
    that tracing created no variables."""
    before = {id(v) for v in model.variables}
    archive = keras.export.ExportArchive()
    archive.track(model)
    for index, (method, signature) in enumerate(table.items()):
        specs = tuple(signature.inputs)
        # Our own tf.function (autograph on) traced here; ExportArchive's would disable autograph.
        traced = tf.function(_checked(signature.function, specs, method), input_signature=specs)
        traced.get_concrete_function()
        archive.add_endpoint(method, traced)
        if index == 0:
            archive.add_endpoint("serving_default", traced)
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
      model: a built tfgen model (``image_shape``, ``data_kind``, ``get_config()`` and
        ``serving_signatures()``; see the module docstring). Build it first (e.g.
        ``model.build_for()`` or one call on a batch): export refuses to create variables while
        tracing.
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
    check_plain_name(name, "name")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)
                                or version < 0):
        raise ValueError(f"version must be a non-negative int or None; got {version!r}")
    if not model.built:
        raise ValueError(f"{type(model).__name__} is not built; build it before export (e.g. "
                         "model.build_for() or one call on a batch of images)")
    table = signature_table(model)
    config_text = _config_json(model, list(table), extra_assets)

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
        archive = _build_archive(model, table)
        archive.write_out(tmp, verbose=False)
        _write_config(tmp, config_text)
        _write_warmup(tmp, name, table)
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
