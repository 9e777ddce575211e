"""Load a tfgen SavedModel and call its signatures with checked inputs.

``load_exported(path)`` returns an ``ExportedModel`` whose methods mirror the signatures
(see ``tfgen.export.saved_model``): each checks its inputs against the signature's own specs,
raising ``ValueError`` that names the expected spec and what it got, then returns the signature's
outputs as a dict of numpy arrays. ``ExportedModel`` is a
:class:`tfgen.evaluation.interface.ServingModel`, the interface every measurement calls (a live
model answers it through ``tfgen.evaluation.interface.LiveModel``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfgen.evaluation.interface import ServingModel
from tfgen.export.saved_model import ASSETS_EXTRA, CONFIG_FILENAME, numeric_versions

_INT32 = np.iinfo(np.int32)


def _describe(dtype: tf.DType, shape) -> str:
    """E.g. ``uint8 [None, 28, 28, 1]``."""
    shape = tf.TensorShape(shape)
    return f"{dtype.name} {shape.as_list() if shape.rank is not None else '[unknown rank]'}"


def _resolve(path: str) -> str:
    """``path`` itself if it is a SavedModel, else its largest numeric version directory."""
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    versions = numeric_versions(path)
    if versions:
        return os.path.join(path, str(versions[-1]))
    raise FileNotFoundError(f"no SavedModel at {path} (no saved_model.pb and no numeric version "
                            "directories)")


class ExportedModel(ServingModel):
    """A loaded tfgen SavedModel, answering :class:`~tfgen.evaluation.interface.ServingModel`.

    Attributes:
      path: the SavedModel directory (a version directory).
      config: the contents of ``assets.extra/tfgen_config.json`` (``{}`` if absent).
      methods: the signature names, ``serving_default`` excluded.
      image_shape: ``(H, W, C)`` (``(D,)`` for points, ``(L, V)`` for text).
    """

    def __init__(self, path: str):
        self.path = _resolve(path)
        self._loaded = tf.saved_model.load(self.path)
        self.signatures: Mapping[str, Any] = self._loaded.signatures
        self.methods = tuple(sorted(n for n in self.signatures if n != "serving_default"))
        config_path = os.path.join(self.path, ASSETS_EXTRA, CONFIG_FILENAME)
        self.config: dict = {}
        if os.path.exists(config_path):
            with open(config_path) as f:
                self.config = json.load(f)
        self.image_shape = self._image_shape()

    def _image_shape(self) -> tuple[int, int, int]:
        if "image_shape" in self.config:
            return tuple(int(d) for d in self.config["image_shape"])
        for sig in self.signatures.values():  # a SavedModel without tfgen_config.json
            for key, spec in [*self.input_specs_of(sig).items(), *sig.structured_outputs.items()]:
                if key == "images" and spec.shape.rank == 4 and spec.shape[1:].is_fully_defined():
                    return tuple(spec.shape[1:].as_list())
        raise ValueError(f"cannot tell the image shape of the SavedModel at {self.path}")

    @staticmethod
    def input_specs_of(signature) -> dict[str, tf.TensorSpec]:
        return dict(signature.structured_input_signature[1])

    def input_specs(self, method: str) -> dict[str, tf.TensorSpec]:
        """{input name: TensorSpec} of signature ``method``."""
        return self.input_specs_of(self._signature(method))

    def _signature(self, method: str):
        if method not in self.signatures:
            raise ValueError(f"the SavedModel at {self.path} has no {method!r} signature; "
                             f"available: {list(self.methods)}")
        return self.signatures[method]

    def call(self, method: str, **inputs: Any) -> dict[str, np.ndarray]:
        """Check ``inputs`` against signature ``method`` and run it; outputs as numpy arrays."""
        specs = self.input_specs(method)
        if set(inputs) != set(specs):
            raise ValueError(f"{method} expects inputs {sorted(specs)}; got {sorted(inputs)}")
        feeds = {k: _checked_input(method, k, v, specs[k]) for k, v in inputs.items()}
        return {k: v.numpy() for k, v in self._signature(method)(**feeds).items()}

    # One method per signature: names and units as in tfgen.export.saved_model.
    def sample(self, num_samples: int, seed: int) -> dict[str, np.ndarray]:
        """-> ``{"images": uint8 [N, H, W, C]}`` (``{"points": float32 [N, D]}`` for point
        models, ``{"points": float32 [N, L, V]}`` character distributions for text models;
        :meth:`decode_text` turns those into strings)."""
        return self.call("sample", num_samples=num_samples, seed=seed)

    def sample_class(self, labels, seed: int) -> dict[str, np.ndarray]:
        """Conditional models: int32 ``[N]`` labels -> ``{"images": uint8 [N, H, W, C]}``, image
        i of class ``labels[i]``."""
        return self.call("sample_class", labels=labels, seed=seed)

    def critic(self, images) -> dict[str, np.ndarray]:
        """GANs: uint8 ``[B, H, W, C]`` images (float32 ``[B, D]`` points, ``[B, L, V]`` text)
        -> ``{"critic": float32 [B]}``, the raw critic value / logit (no sigmoid)."""
        (name,) = self.input_specs("critic")  # "images", or "points" for non-image data
        return self.call("critic", **{name: images})

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """Characters of a text model's one-hot indices (the training dataset spec's, recorded
        by the trainer in ``tfgen_config.json``); ``()`` for other models."""
        spec = self.config.get("extra", {}).get("run_config", {}).get("spec", {})
        return tuple(spec.get("vocabulary") or ())

    def decode_text(self, distributions) -> list[str]:
        """float ``[N, L, V]`` character distributions (a text model's samples) -> N strings:
        argmax over V, padding removed (:class:`tfgen.data.sources.text.CharCodec`)."""
        from tfgen.data.sources.text import CharCodec

        if not self.vocabulary:
            raise ValueError(f"the SavedModel at {self.path} records no text vocabulary (it was "
                             "not trained by tfgen's trainer on a text dataset)")
        return CharCodec(self.vocabulary).decode(np.asarray(distributions))

    def log_prob(self, images) -> dict[str, np.ndarray]:
        """uint8 ``[B, H, W, C]`` -> ``{"log_prob": nats [B], "bits_per_dim": [B]}``."""
        return self.call("log_prob", images=images)

    def encode(self, images) -> dict[str, np.ndarray]:
        """uint8 ``[B, H, W, C]`` -> ``{"mean", "stddev"}`` float32 ``[B, D]``."""
        return self.call("encode", images=images)

    def decode(self, z, seed: int) -> dict[str, np.ndarray]:
        """float32 ``[B, D]`` -> ``{"images": uint8 [B, H, W, C]}``."""
        return self.call("decode", z=z, seed=seed)

    def elbo(self, images, seed: int) -> dict[str, np.ndarray]:
        """uint8 ``[B, H, W, C]`` -> ``{"elbo", "kl", "recon"}`` nats ``[B]``."""
        return self.call("elbo", images=images, seed=seed)

    def importance_weighted_log_prob(self, images, num_samples: int,
                                     seed: int) -> dict[str, np.ndarray]:
        """uint8 ``[B, H, W, C]`` -> ``{"log_prob": nats [B], "bits_per_dim": [B]}``."""
        return self.call("importance_weighted_log_prob", images=images, num_samples=num_samples,
                         seed=seed)

    def __repr__(self) -> str:
        return (f"ExportedModel({self.path!r}, class={self.config.get('model_class')}, "
                f"image_shape={self.image_shape}, methods={list(self.methods)})")


def _checked_input(method: str, name: str, value: Any, spec: tf.TensorSpec) -> tf.Tensor:
    """``value`` as a tensor matching ``spec``, or ValueError naming both."""
    expected = f"{method} expects {name} {_describe(spec.dtype, spec.shape)}"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{expected}; got bool {value!r}")
    if isinstance(value, (int, np.integer)) and spec.dtype == tf.int32 and spec.shape.rank == 0:
        if not _INT32.min <= int(value) <= _INT32.max:  # a Python int fits any int32 scalar
            raise ValueError(f"{expected}; got {value} (out of int32 range)")
        value = np.int32(value)
    if not isinstance(value, (tf.Tensor, np.ndarray, np.generic)):
        value = np.asarray(value)
    dtype = tf.as_dtype(value.dtype)
    if dtype != spec.dtype or not spec.shape.is_compatible_with(value.shape):
        raise ValueError(f"{expected}; got {_describe(dtype, value.shape)}")
    if name == "num_samples" and int(value) < 1:
        raise ValueError(f"{method} expects num_samples >= 1; got {int(value)}")
    return tf.convert_to_tensor(value)


def load_exported(path: str) -> ExportedModel:
    """Load a SavedModel written by ``export_model``.

    ``path`` is a version directory (``saved_models/name/3``) or a model directory
    (``saved_models/name``), in which case the largest version is loaded.
    """
    return ExportedModel(path)
