"""The leave-one-class-out protocol as data: its models and its configuration.

:class:`OODConfig` holds every size and choice (one ``train/ood.py`` flag per field); it is a
:class:`tfgen.experiments.study.StudyConfig` with the studies' field names and profiles: CPU-sized
defaults on Fashion-MNIST (``cpu``), the thesis' sizes on MNIST (``full``, Table 4.1; the default
with a GPU) or tiny ``smoke`` sizes for tests, and fields given explicitly override the profile.
:data:`OOD_MODELS` names the models a run can include.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tfgen.evaluation.ood.likelihood_ratio import DEFAULT_MU
from tfgen.evaluation.ood.scorers import get_scorer
from tfgen.experiments.study import (
    LatentModelSizes,
    LikelihoodEvaluation,
    StudyConfig,
    n_critic,
    resolve_config,
    sized_config,
)
from tfgen.utils.config import field


@dataclasses.dataclass(frozen=True)
class OODModel:
    """One model of the protocol.

    Attributes:
      name: protocol name (``--models``), also its directory name.
      label: column heading of the tables (the thesis' names).
      model: :mod:`tfgen.models` registry name.
      binarize: trained and scored on dynamically binarized images (the thesis' likelihood
        models); False: on the 8-bit images (the thesis' DCGAN).
      fixed: model config overrides that define it (e.g. the GAN loss).
    """

    name: str
    label: str
    model: str
    binarize: bool
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)


_ENTRIES = (
    OODModel("vae", "VAE", "vae", True),
    OODModel("pixelcnn", "PixelCNN", "pixelcnn", True),
    OODModel("gated_pixelcnn", "Gated PixelCNN", "gated_pixelcnn", True),
    OODModel("pixelvae", "PixelVAE", "pixelvae", True),
    OODModel("dcgan", "DCGAN", "gan", False, {"loss": "dcgan"}),
    OODModel("wgan_gp", "WGAN-GP", "gan", False, {"loss": "wgan-gp"}),
)
OOD_MODELS: dict[str, OODModel] = {m.name: m for m in _ENTRIES}


def ood_model_names() -> list[str]:
    return [m.name for m in _ENTRIES]


def get_ood_model(name: str) -> OODModel:
    if name not in OOD_MODELS:
        raise ValueError(f"unknown OOD model {name!r}; valid names: {ood_model_names()}")
    return OOD_MODELS[name]


#: Config fields copied into a model's config when non-zero and the model's config has them.
SIZE_FIELDS = ("latent_dim", "filters", "encoder_filters", "ar_layers", "conv_layers",
               "generator_dim", "critic_dim", "kl_warmup_steps")


@dataclasses.dataclass(frozen=True)
class OODConfig(StudyConfig, LatentModelSizes, LikelihoodEvaluation):
    """Sizes and choices of a leave-one-class-out run (model-size fields a model lacks are
    ignored)."""

    name: str = field("", "prefix of the summary files (empty: ood_<dataset>)")
    dataset: str = field("fashion_mnist", "labelled 8-bit dataset; a class is held out at a time")
    models: tuple[str, ...] = field(("vae", "pixelcnn", "pixelvae", "dcgan"),
                                    f"models to train and score; any of {ood_model_names()}")
    classes: tuple[int, ...] = field((), "held-out classes to run (empty: all)", minimum=0)
    scorers: tuple[str, ...] = field((), "scorers to compute (empty: every one that applies)")
    background: bool = field(True, "train a likelihood-ratio background model per likelihood "
                                   "model and class (the likelihood_ratio scorer)")
    background_seconds: float = field(30.0, "wall-clock budget of each background model, from "
                                            "the end of its first batch (0: none; train_steps "
                                            "also stops it)", minimum=0.0)
    perturb_probability: float = field(DEFAULT_MU, "mu: the background model's per-subpixel "
                                                   "replacement probability",
                                       minimum=0.0, maximum=1.0)
    ar_layers: int = field(0, "PixelCNN / PixelVAE autoregressive layers (0: default)", minimum=0)
    conv_layers: int = field(0, "VAE conv layers in encoder and decoder (0: default, 8)",
                             minimum=0)
    generator_dim: int = field(0, "GAN generator width (0: default)", minimum=0)
    critic_dim: int = field(0, "GAN critic width (0: default)", minimum=0)
    steps_per_epoch: int = field(100000, "steps between the trainer's validation passes",
                                 minimum=1)
    reference_examples: int = field(1000, "held-out in-distribution validation images: the first "
                                          "half estimates the entropy, the second bootstraps "
                                          "the typicality threshold", minimum=4)
    typicality_batch_size: int = field(10, "M of the batch typicality test", minimum=1)
    typicality_alpha: float = field(0.01, "false-alarm rate of the bootstrapped threshold",
                                    minimum=0.0, maximum=1.0)
    bootstrap_samples: int = field(1000, "bootstrapped held-out batches for the threshold",
                                   minimum=1)
    export: bool = field(False, "export each model and score the SavedModel (else the live "
                                "model restored from its checkpoint)")


#: CPU sizes: the full 10-class table for four models in well under an hour on 2 cores.
CPU: Mapping[str, Any] = {
    "max_train_seconds": 60.0, "background_seconds": 30.0, "latent_dim": 16, "filters": 16,
    "encoder_filters": 16, "ar_layers": 2, "conv_layers": 4, "generator_dim": 32,
    "critic_dim": 32, "eval_examples": 2000, "reference_examples": 1000,
    "importance_samples": 16, "train_steps": 100000}
#: The thesis' sizes (model defaults, long training, K = 1000, the whole test set of MNIST).
FULL: Mapping[str, Any] = {
    "dataset": "mnist", "max_train_seconds": 0.0, "train_steps": 30000,
    "background_seconds": 0.0, "batch_size": 100, "eval_examples": 0, "reference_examples": 2000,
    "importance_samples": 1000, "steps_per_epoch": 1000,
    **{name: 0 for name in SIZE_FIELDS}}  # every model at its own (thesis) size
#: Seconds-long runs of tiny models that check the plumbing.
SMOKE: Mapping[str, Any] = {
    "train_steps": 3, "max_train_seconds": 0.0, "background_seconds": 0.0, "batch_size": 16,
    "latent_dim": 4, "filters": 4, "encoder_filters": 4, "ar_layers": 1, "conv_layers": 4,
    "generator_dim": 8, "critic_dim": 8, "eval_examples": 200, "reference_examples": 40,
    "importance_samples": 2, "eval_batch_size": 100, "bootstrap_samples": 50,
    "steps_per_epoch": 3}


def resolve(overrides: Mapping[str, Any] | None = None) -> OODConfig:
    """OODConfig from the CPU defaults, the profile's overrides and ``overrides``; checks model
    and scorer names."""
    return check(resolve_config(OODConfig, CPU, FULL, SMOKE, overrides))


def check(cfg: OODConfig) -> OODConfig:
    """``cfg`` after checking its model and scorer names and its sizes (ValueError)."""
    for name in cfg.models:
        get_ood_model(name)
    for name in cfg.scorers:  # before any training, not after it at scoring time
        get_scorer(name)
    if not 0.0 < cfg.typicality_alpha < 1.0:
        raise ValueError(f"OODConfig.typicality_alpha (--typicality_alpha) must be in (0, 1); "
                         f"got {cfg.typicality_alpha}")
    bootstrap_pool = cfg.reference_examples - cfg.reference_examples // 2
    if cfg.typicality_batch_size > bootstrap_pool:
        raise ValueError(f"OODConfig.typicality_batch_size (--typicality_batch_size) must be <= "
                         f"{bootstrap_pool}, the second half of --reference_examples="
                         f"{cfg.reference_examples} that the threshold is bootstrapped from; got "
                         f"{cfg.typicality_batch_size}")
    return cfg


def batch_size_for(entry: OODModel, cfg: OODConfig) -> int:
    """``cfg.batch_size`` rounded up to a multiple of a GAN's ``n_critic`` (one generator
    iteration consumes n_critic critic minibatches; WGAN-GP: 5)."""
    if entry.model != "gan":
        return cfg.batch_size
    return -(-cfg.batch_size // n_critic(entry.fixed)) * n_critic(entry.fixed)


def model_config(entry: OODModel, cfg: OODConfig) -> dict[str, Any]:
    """``entry``'s config: the non-zero size fields its model has, then ``entry.fixed``."""
    return sized_config(entry.model, cfg, SIZE_FIELDS, **entry.fixed)
