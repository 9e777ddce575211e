"""The registry of model names (``--model``) and how a dataset spec fills in their config."""

from __future__ import annotations

import dataclasses
from typing import Any

from tfgen.models.base import GenerativeModel
from tfgen.models.vae import VAE
from tfgen.models.iaf_vae import IAFVAE
from tfgen.models.gan import GAN
from tfgen.models.pixelvae import PixelVAE
from tfgen.models.hierarchical_pixelvae import HierarchicalPixelVAE
from tfgen.models.pixelcnn import GatedPixelCNN, PixelCNN
from tfgen.models.pixelcnn_pp import PixelCNNPP
from tfgen.utils.registry import lookup

MODELS: dict[str, type[GenerativeModel]] = {"vae": VAE}
MODELS["gan"] = GAN
MODELS["pixelvae"] = PixelVAE
MODELS["hierarchical_pixelvae"] = HierarchicalPixelVAE
MODELS["pixelcnn"] = PixelCNN
MODELS["gated_pixelcnn"] = GatedPixelCNN
MODELS["pixelcnn_pp"] = PixelCNNPP
MODELS["iaf_vae"] = IAFVAE


def model_names() -> list[str]:
    return sorted(MODELS)


def get_model_class(name: str) -> type[GenerativeModel]:
    return lookup(MODELS, name, "model")


def default_likelihood(spec, cls: type | None = None) -> str:
    """Bernoulli for binarized data; for 8-bit images the model class's
    ``eight_bit_likelihood`` (IAF-VAE: the discretized logistic mixture), else a 256-way
    categorical."""
    if spec.binarized:
        return "bernoulli"
    return getattr(cls, "eight_bit_likelihood", "categorical")


def build_model(name: str, spec, seed: int = 0, **overrides: Any) -> GenerativeModel:
    """Build model ``name`` for the data ``spec`` describes with config ``overrides``.

    ``spec`` is a :class:`tfgen.data.DatasetSpec`: the model gets its ``shape`` and its ``kind``
    (``data_kind``; models never guess the kind from the shape). Unknown override keys raise a
    ValueError that lists the model's config fields.
    """
    cls = get_model_class(name)
    if spec.kind not in cls.data_kinds:
        raise ValueError(f"model {name!r} models {' / '.join(cls.data_kinds)} data, but dataset "
                         f"{spec.name!r} holds {spec.kind}")
    fields = {f.name for f in dataclasses.fields(cls.Config)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"Unknown config fields {unknown} for model {name!r}; valid: "
                         f"{sorted(fields)}")
    config = dataclasses.asdict(cls.Config())
    config.update(overrides)
    if config.get("likelihood") == "auto":
        config["likelihood"] = default_likelihood(spec, cls)
    if hasattr(cls, "resolve_config"):  # model-specific settings the data decides
        config = cls.resolve_config(config, spec)
    return cls(image_shape=spec.shape, seed=seed, data_kind=spec.kind, **config)
