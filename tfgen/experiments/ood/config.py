"""The leave-one-class-out protocol as data: its models, its datasets' settings, its config.

:class:`OODConfig` holds every size and choice (one ``train/ood.py`` flag per field); it is a
:class:`tfgen.experiments.study.StudyConfig` with the studies' field names and profiles: CPU-sized
defaults on Fashion-MNIST (``cpu``), the thesis' sizes (``full``, the default with a GPU; on
MNIST, Table 4.1, unless ``--dataset`` names another) or tiny ``smoke`` sizes for tests.

What the thesis did on each dataset is data too (:data:`DATASET_SETTINGS`): which models make
its table, whether the likelihood models see binarized or 8-bit images, the table's row heading
and the ``full`` profile's sizes there. The layers, each over the one before: the config's
defaults, :data:`CPU`, the profile (:data:`FULL` / :data:`SMOKE`), the dataset's setting for that
profile, then the fields given explicitly (:func:`resolve`).

**Binarization** is a property of the setting, the field ``pixels``: ``auto`` (the dataset's
setting: binarized on MNIST — Table 4.1 — and on Fashion-MNIST, the CPU stand-in for it; 8-bit
on CIFAR-10 — Table 4.2 — and the colour photo patches; other datasets: binarized when
greyscale, 8-bit when colour), ``binarized`` or ``8bit``. It applies to the likelihood models;
the GANs (:attr:`OODModel.pixels` ``"8bit"``) always see 8-bit images, as in the thesis. A
setting that cannot apply (binarizing colour images, 8-bit pixels of a binarized dataset, a
``likelihood`` with binarized pixels or without a likelihood model) is a ValueError.
:data:`OOD_MODELS` names the models a run can include.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tfgen import data
from tfgen.evaluation.ood.likelihood_ratio import DEFAULT_MU
from tfgen.evaluation.ood.scorers import get_scorer
from tfgen.experiments.study import (
    LatentModelSizes,
    LikelihoodEvaluation,
    StudyConfig,
    gpu_available,
    n_critic,
    resolve_config,
    sized_config,
)
from tfgen.utils.config import field

#: Values of ``OODConfig.pixels``.
PIXELS = ("auto", "binarized", "8bit")
#: Values of ``OODConfig.likelihood`` (8-bit pixel likelihoods; auto: each model's default).
LIKELIHOODS = ("auto", "categorical", "logistic")


@dataclasses.dataclass(frozen=True)
class OODModel:
    """One model of the protocol (one row of :data:`OOD_MODELS`).

    Attributes:
      name: protocol name (``--models``), also its directory name.
      label: column heading of the tables (the thesis' names).
      model: :mod:`tfgen.models` registry name (a run that needs a model the registry lacks
        stops before training, naming it: :func:`require_registered`).
      fixed: model config overrides that define it (e.g. the GAN loss).
      pixels: ``"setting"``: a likelihood model, trained and scored on the pixels the run's
        setting chooses (``OODConfig.pixels``: binarized or 8-bit, see :func:`binarized`);
        ``"8bit"``: always on the 8-bit images (the thesis' DCGAN, also on MNIST).
    """

    name: str
    label: str
    model: str
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    pixels: str = "setting"

    @property
    def likelihood_model(self) -> bool:
        return self.pixels == "setting"


_ENTRIES = (
    OODModel("vae", "VAE", "vae"),
    OODModel("iaf_vae", "IAF", "iaf_vae"),
    OODModel("pixelcnn", "PixelCNN", "pixelcnn"),
    OODModel("gated_pixelcnn", "Gated PixelCNN", "gated_pixelcnn"),
    OODModel("pixelcnn_pp", "PixelCNN++", "pixelcnn_pp"),
    OODModel("pixelvae", "PixelVAE", "pixelvae"),
    OODModel("dcgan", "DCGAN", "gan", {"loss": "dcgan"}, pixels="8bit"),
    OODModel("wgan_gp", "WGAN-GP", "gan", {"loss": "wgan-gp"}, pixels="8bit"),
)
OOD_MODELS: dict[str, OODModel] = {m.name: m for m in _ENTRIES}


def ood_model_names() -> list[str]:
    return [m.name for m in _ENTRIES]


def get_ood_model(name: str) -> OODModel:
    if name not in OOD_MODELS:
        raise ValueError(f"unknown OOD model {name!r}; valid names: {ood_model_names()}")
    return OOD_MODELS[name]


def require_registered(names) -> None:
    """ValueError unless every OOD model of ``names`` has its :mod:`tfgen.models` model
    registered in this build (``iaf_vae`` and ``pixelcnn_pp`` arrive on their own branches)."""
    from tfgen.models import model_names

    registered = model_names()
    missing = [get_ood_model(n) for n in names if get_ood_model(n).model not in registered]
    if missing:
        raise ValueError(
            "the OOD models " + ", ".join(f"{m.name!r} ({m.label})" for m in missing)
            + " need the tfgen.models models " + str(sorted({m.model for m in missing}))
            + f", which this build does not register (registered: {registered}); pick "
            f"--models from the registered ones, e.g. "
            f"--models=vae,pixelcnn,pixelvae,dcgan")


#: Table 4.1's models (MNIST) and Table 4.2's (CIFAR-10).
TABLE_4_1 = ("vae", "pixelcnn", "pixelvae", "dcgan")
TABLE_4_2 = ("iaf_vae", "pixelcnn_pp", "pixelvae", "dcgan")

#: Config fields copied into a model's config when non-zero and the model's config has them.
SIZE_FIELDS = ("latent_dim", "filters", "encoder_filters", "ar_layers", "conv_layers",
               "generator_dim", "critic_dim", "kl_warmup_steps", "nr_filters", "nr_resnet",
               "latent_channels", "flow_filters")


@dataclasses.dataclass(frozen=True)
class DatasetSetting:
    """What the protocol does on one dataset unless told otherwise (a row of
    :data:`DATASET_SETTINGS`).

    Attributes:
      pixels: what ``pixels="auto"`` means there: ``"binarized"`` or ``"8bit"`` (``"auto"``:
        binarized when the dataset is greyscale, 8-bit when colour).
      models: the models of its table (``--models`` left empty).
      table: heading of the thesis-layout table of its report.
      row_heading: first column heading of that table (the thesis': "OOD digit", "OOD
        category").
      every: config values of every profile there (e.g. a small test set's ``eval_examples``).
      full: the ``full`` profile's values there (over :data:`FULL`).
    """

    pixels: str
    models: tuple[str, ...]
    table: str
    row_heading: str = "OOD class"
    every: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    full: Mapping[str, Any] = dataclasses.field(default_factory=dict)


#: CIFAR-10 at the thesis' sizes (Table 4.2): each model at its own default size, ~50 epochs of
#: the 9 training classes (the thesis' IAF budget, its footnote 4), the whole test set.
CIFAR10_FULL: Mapping[str, Any] = {"batch_size": 64, "train_steps": 35000}

DATASET_SETTINGS: Mapping[str, DatasetSetting] = {
    "mnist": DatasetSetting("binarized", TABLE_4_1, "Table 4.1 (MNIST; binarized likelihood "
                            "models, 8-bit DCGAN)", "OOD digit"),
    "fashion_mnist": DatasetSetting("binarized", TABLE_4_1, "Table 4.1's setting on "
                                    "Fashion-MNIST (binarized likelihood models unless "
                                    "--pixels=8bit)"),
    "binarized_fashion_mnist": DatasetSetting("binarized", TABLE_4_1, "Table 4.1's setting on "
                                              "binarized Fashion-MNIST"),
    "cifar10": DatasetSetting("8bit", TABLE_4_2, "Table 4.2 (CIFAR-10; 8-bit images)",
                              "OOD category", full=CIFAR10_FULL),
    # 32x32 patches of 7 photos: few patches (18-60 test, 12-21 validation a photo), so all
    # test patches are scored (natural skew, 6-19%) and the reference is what validation has.
    # Table 4.2's setting: 8-bit colour, its four models.
    "photo_patches": DatasetSetting("8bit", TABLE_4_2, "Table 4.2's setting (8-bit colour) on "
                                    "photo patches", "OOD photo",
                                    every={"eval_examples": 0, "reference_examples": 100}),
}
#: Any other dataset (``npz:``, ``folder:``, ...).
OTHER_DATASETS = DatasetSetting("auto", TABLE_4_1, "Tables 4.1/4.2 layout")


def dataset_setting(dataset: str) -> DatasetSetting:
    """The :class:`DatasetSetting` of ``dataset`` (:data:`OTHER_DATASETS` when it has none)."""
    return DATASET_SETTINGS.get(data.registry.ALIASES.get(dataset, dataset), OTHER_DATASETS)


@dataclasses.dataclass(frozen=True)
class OODConfig(StudyConfig, LatentModelSizes, LikelihoodEvaluation):
    """Sizes and choices of a leave-one-class-out run (model-size fields a model lacks are
    ignored)."""

    name: str = field("", "prefix of the summary files (empty: ood_<dataset>)")
    dataset: str = field("fashion_mnist", "labelled image dataset; a class is held out at a "
                                          "time (its models, pixels and full sizes: "
                                          f"{sorted(DATASET_SETTINGS)} have the thesis' "
                                          "settings)")
    image_size: int = field(0, "resize/crop images to this size (0: the dataset's own size)",
                            minimum=0)
    models: tuple[str, ...] = field((), f"models to train and score; any of "
                                        f"{ood_model_names()} (empty: the dataset's table: "
                                        f"Table 4.1's {list(TABLE_4_1)} on MNIST and "
                                        f"Fashion-MNIST, Table 4.2's {list(TABLE_4_2)} on "
                                        f"CIFAR-10)")
    pixels: str = field("auto", "what the likelihood models see: binarized | 8bit | auto (the "
                                "dataset's setting: binarized on mnist and fashion_mnist, 8bit "
                                "on cifar10 and photo_patches; others: binarized iff "
                                "greyscale). GANs always see 8-bit images")
    likelihood: str = field("auto", "pixel likelihood of the likelihood models on 8-bit images: "
                                    "categorical | logistic | auto (each model's default)")
    classes: tuple[int, ...] = field((), "held-out classes to run (empty: all)", minimum=0)
    scorers: tuple[str, ...] = field((), "scorers to compute (empty: every one that applies)")
    background: bool = field(True, "train a likelihood-ratio background model per likelihood "
                                   "model and class (the likelihood_ratio scorer)")
    background_seconds: float = field(30.0, "wall-clock budget of each background model, from "
                                            "the end of its first batch (0: none; train_steps "
                                            "also stops it)", minimum=0.0)
    perturb_probability: float = field(DEFAULT_MU, "mu: the background model's per-subpixel "
                                                   "replacement probability (by a uniform "
                                                   "value 0..255)",
                                       minimum=0.0, maximum=1.0)
    ar_layers: int = field(0, "PixelCNN / PixelVAE autoregressive layers (0: default)", minimum=0)
    conv_layers: int = field(0, "VAE conv layers in encoder and decoder (0: default, 8)",
                             minimum=0)
    nr_filters: int = field(0, "PixelCNN++ stream width (0: default, 160)", minimum=0)
    nr_resnet: int = field(0, "PixelCNN++ gated ResNet blocks per stage (0: default, 5)",
                           minimum=0)
    latent_channels: int = field(0, "IAF-VAE latent map channels (0: default)", minimum=0)
    flow_filters: int = field(0, "IAF-VAE autoregressive network width (0: default)", minimum=0)
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
    "importance_samples": 16, "train_steps": 100000, "nr_filters": 16, "nr_resnet": 1,
    "latent_channels": 8, "flow_filters": 16}
#: The thesis' sizes (model defaults, long training, K = 1000, the whole test set); its data
#: is MNIST (Table 4.1) unless ``--dataset`` says otherwise (CIFAR-10: :data:`CIFAR10_FULL`).
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
    "steps_per_epoch": 3, "nr_filters": 4, "nr_resnet": 1, "latent_channels": 2,
    "flow_filters": 4}
_DEFAULT_DATASET = "fashion_mnist"


def profile_layers(overrides: Mapping[str, Any] | None = None
                   ) -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    """``(cpu, full, smoke)`` values for :func:`~tfgen.experiments.study.resolve_config`, with
    the chosen dataset's setting (:func:`dataset_setting`) over the chosen profile's values."""
    overrides = dict(overrides or {})
    profile = overrides.get("profile", "auto")
    if profile == "auto":
        profile = "full" if gpu_available() else "cpu"
    base = {**CPU, **(FULL if profile == "full" else SMOKE if profile == "smoke" else {})}
    setting = dataset_setting(overrides.get("dataset", base.get("dataset", _DEFAULT_DATASET)))
    layer = {"models": setting.models, **setting.every,
             **(setting.full if profile == "full" else {})}
    return ({**CPU, **layer} if profile == "cpu" else CPU), {**FULL, **layer}, {**SMOKE, **layer}


def resolve(overrides: Mapping[str, Any] | None = None) -> OODConfig:
    """OODConfig from the config's defaults, :data:`CPU`, the profile's values, the dataset's
    setting and ``overrides``; checks model and scorer names and the pixel setting."""
    return check(resolve_config(OODConfig, *profile_layers(overrides), overrides))


def binarized(cfg: OODConfig) -> bool:
    """Whether the likelihood models of ``cfg`` see binarized images (``cfg.pixels``, ``auto``:
    the dataset's setting); ValueError when the setting cannot apply to the dataset."""
    if cfg.pixels not in PIXELS:
        raise ValueError(f"OODConfig.pixels (--pixels) must be one of {list(PIXELS)}; got "
                         f"{cfg.pixels!r}")
    spec = data.get_spec(cfg.dataset, image_size=cfg.image_size or None)
    channels = spec.shape[-1]
    choice = cfg.pixels
    if choice == "auto":
        choice = dataset_setting(cfg.dataset).pixels
        if choice == "auto":
            choice = "binarized" if channels == 1 else "8bit"
    if choice == "binarized" and channels != 1:
        raise ValueError(f"--pixels=binarized needs greyscale images, but {cfg.dataset!r} has "
                         f"{channels} channels; colour images are modelled 8-bit (Table 4.2): "
                         f"use --pixels=8bit or --pixels=auto")
    if choice == "8bit" and spec.binarized:
        raise ValueError(f"--pixels=8bit, but dataset {cfg.dataset!r} is binarized; use its 8-bit "
                         f"version (e.g. --dataset=fashion_mnist --pixels=8bit) or "
                         f"--pixels=binarized")
    return choice == "binarized"


def pixels_of(cfg: OODConfig) -> str:
    """``"binarized"`` or ``"8bit"``: what the likelihood models of ``cfg`` see."""
    return "binarized" if binarized(cfg) else "8bit"


def models_of(cfg: OODConfig) -> tuple[str, ...]:
    """The OOD models of ``cfg``: ``cfg.models``, else the dataset's table."""
    return tuple(cfg.models) or dataset_setting(cfg.dataset).models


def entry_binarized(entry: OODModel, cfg: OODConfig) -> bool:
    """Whether ``entry`` is trained and scored on binarized images under ``cfg``."""
    return entry.likelihood_model and binarized(cfg)


def check(cfg: OODConfig) -> OODConfig:
    """``cfg`` after checking its model and scorer names, its pixel setting and its sizes
    (ValueError). Whether the registry has the models is checked before training
    (:func:`require_registered`)."""
    entries = [get_ood_model(name) for name in models_of(cfg)]
    for name in cfg.scorers:  # before any training, not after it at scoring time
        get_scorer(name)
    binary = binarized(cfg)
    if cfg.likelihood not in LIKELIHOODS:
        raise ValueError(f"OODConfig.likelihood (--likelihood) must be one of "
                         f"{list(LIKELIHOODS)}; got {cfg.likelihood!r}")
    if cfg.likelihood != "auto":
        if binary:
            raise ValueError(f"--likelihood={cfg.likelihood} chooses an 8-bit likelihood, but the "
                             f"likelihood models see binarized {cfg.dataset!r} images "
                             f"(Bernoulli); add --pixels=8bit or leave --likelihood=auto")
        if not any(e.likelihood_model for e in entries):
            raise ValueError(f"--likelihood={cfg.likelihood} has no likelihood model to apply "
                             f"to among --models={','.join(e.name for e in entries)}")
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
    """``entry``'s config: the non-zero size fields its model has, ``entry.fixed``, and for a
    likelihood model on 8-bit images an explicit ``cfg.likelihood``."""
    extra = ({"likelihood": cfg.likelihood}
             if entry.likelihood_model and cfg.likelihood != "auto" else {})
    return sized_config(entry.model, cfg, SIZE_FIELDS, **entry.fixed, **extra)
