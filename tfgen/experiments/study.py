"""The one shape of a thesis study and the one runner that trains, measures and reports it.

A :class:`Study` is data: a name, a description, ONE config dataclass (a :class:`StudyConfig`
subclass), the size profiles of that config, the runs it makes from the config
(:class:`RunSpec`: a ``tfgen.models`` name and config, TrainConfig overrides, a label and tags),
what it measures on each trained run (through :class:`tfgen.evaluation.interface.ServingModel`),
optionally what it measures *along* training (Keras callbacks, e.g.
:class:`tfgen.training.measurements.Measurements`), and how it reports (a summary dict for the
JSON record; Markdown tables and PNG figures it writes next to it).

:func:`run_study` resolves the config, trains each run with :func:`tfgen.training.train` and
writes ``OUTPUT_DIR/<study>.json`` = ``{"study", "description", "config", "results", "seconds",
"machine"}`` with ``results = {"runs": [one record per run], **report(...)}`` (a study may give
its summary file another name and form, :attr:`Study.summary`). Layout: ``runs/<run>/`` (the
trainer's run directory and the run's ``result.json``; a study may lay its runs out otherwise,
:attr:`Study.layout`) and ``exports/<run>/<version>/`` (SavedModels, when the config exports).

**Profiles.** ``cpu`` (tens of minutes on 2 cores, offline data), ``full`` (the thesis' sizes and
data sets, for a GPU), ``smoke`` (seconds, for tests) and ``auto`` (``full`` when TensorFlow sees
a GPU, else ``cpu``): the config's defaults, then the study's CPU values, then the profile's
overrides, then the fields given explicitly.

**Field vocabulary.** A field means the same in every study and, where TrainConfig has it, what
TrainConfig means (the runner copies those into each run's TrainConfig): ``train_steps``,
``max_train_seconds``, ``batch_size``, ``learning_rate``, ``seed``, ``resume``, ``verbose``
(every study); ``dataset``, ``binarize``, ``image_size``, ``train_examples``,
``steps_per_epoch``, ``export``; model sizes by the models' own names (``latent_dim``,
``filters``, ``encoder_filters``, ``ar_layers``, ``generator_dim``, ``critic_dim``,
``mlp_layers``, ``gp_weight``); evaluation sizes ``eval_examples``, ``eval_batch_size``,
``importance_samples``, ``num_samples`` (samples drawn per metric), ``eval_every`` (steps between
measurements along training).

**Resume.** One rule (``resume=True``): a run whose settings match its stored record
(``result.json``) is reused; a run whose training finished with the same settings is not
retrained (:func:`train_run`); a matching record the study finds incomplete is measured
again on its restored run (:attr:`Study.incomplete`); an interrupted run, or one asked for more
steps, continues from its newest checkpoint (the trainer's ``resume``), and measurements along
training continue their curve (:class:`~tfgen.training.measurements.Measurements`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import matplotlib

matplotlib.use("Agg")  # studies run headless (CI, remote GPUs)

import keras
import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from tfgen import data
from tfgen.evaluation.interface import LiveModel, ServingModel
from tfgen.export import load_exported
from tfgen.losses import get_loss
from tfgen.models import get_model_class
from tfgen.training import TrainConfig, TrainingDivergedError, restore_trained, train
from tfgen.utils.config import MAX_BATCH_SIZE, MAX_SEED, CheckedConfig, field
from tfgen.utils.machine import machine_info
from tfgen.utils.records import atomic_write, to_json, write_json

PROFILES = ("auto", "cpu", "full", "smoke")


@dataclasses.dataclass(frozen=True)
class StudyConfig(CheckedConfig):
    """The fields every study has (one command-line flag each); a study's config subclasses it."""

    profile: str = field("auto", "cpu | full | smoke | auto (full when a GPU is visible)")
    train_steps: int = field(1000, "optimizer steps per trained model (GANs: generator "
                                   "iterations)", minimum=0)
    max_train_seconds: float = field(0.0, "if > 0, also stop each run after this much "
                                          "wall-clock time (from the end of its first batch)",
                                     minimum=0.0)
    batch_size: int = field(64, "training batch size", minimum=1, maximum=MAX_BATCH_SIZE)
    learning_rate: float = field(0.0, "learning rate (0: each model's default)", minimum=0.0)
    resume: bool = field(False, "reuse runs whose stored record matches their settings and "
                                "continue interrupted ones from their checkpoints")
    seed: int = field(0, "seed of data order, initialization and evaluation noise", minimum=0,
                      maximum=MAX_SEED)
    verbose: int = field(0, "Keras verbosity of training (0 silent, 1 progress bar, 2 epochs)",
                         minimum=0, maximum=2)


@dataclasses.dataclass(frozen=True)
class LatentModelSizes:
    """Size fields of the likelihood models, by the models' own names; a field equal to 0 keeps
    each model's default and applies only to the models whose config has it."""

    latent_dim: int = field(0, "z dimensionality of the latent models (0: model default)",
                            minimum=0)
    filters: int = field(0, "width of the PixelCNN layers (and the conv VAE's first layer); "
                            "0: model default", minimum=0)
    encoder_filters: int = field(0, "PixelVAE encoder/upsampling width (0: default, 32)",
                                 minimum=0)
    kl_warmup_steps: int = field(0, "linear KL warm-up of the latent models (steps)", minimum=0)


@dataclasses.dataclass(frozen=True)
class LikelihoodEvaluation:
    """How the likelihood of trained models is measured on test images."""

    importance_samples: int = field(100, "K of the importance-weighted NLL bound of latent "
                                         "models (thesis: 5000)", minimum=1)
    eval_examples: int = field(1000, "test images evaluated (0: the whole test split)", minimum=0)
    eval_batch_size: int = field(100, "test images per evaluation batch", minimum=1)


C = TypeVar("C", bound=StudyConfig)


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One model a study trains.

    Attributes:
      name: directory and export name (``[a-z0-9_.-]``), unique within the study.
      label: how tables and figures name it.
      model: a :mod:`tfgen.models` registry name.
      model_config: that model's config overrides.
      train: TrainConfig overrides of this run (e.g. its ``dataset``).
      tags: study-specific facts about the run (e.g. ``{"ar_layers": 2}``), copied to its record.
    """

    name: str
    label: str
    model: str
    model_config: Mapping[str, Any]
    train: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    tags: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class TrainedRun:
    """A finished run as measurements see it: ``model`` (a ServingModel: the export when the
    run exported, else the live model restored from its newest checkpoint) and, for
    measurements of a model's internals, ``keras_model``. ``stored`` is the run's stored record
    when the study measures it again (:attr:`Study.incomplete`), else None."""

    run: RunSpec
    run_dir: str
    result: dict[str, Any]
    train_config: TrainConfig
    stored: dict[str, Any] | None = None  # the stored record a study measures again

    @functools.cached_property
    def keras_model(self) -> keras.Model:
        cfg = self.train_config
        spec = data.get_spec(cfg.dataset, image_size=cfg.image_size or None,
                             binarize=cfg.binarize)
        return restore_trained(self.run.model, dict(self.run.model_config), spec, self.run_dir,
                               cfg.seed, cfg.learning_rate)

    @functools.cached_property
    def model(self) -> ServingModel:
        path = self.result.get("export_path")
        return load_exported(path) if path else LiveModel(self.keras_model)


Measure = Callable[[RunSpec, TrainedRun, Any], dict]
Callbacks = Callable[[RunSpec, Any, str], list]


@dataclasses.dataclass(frozen=True)
class Study(Generic[C]):
    """A named study (see the module docstring).

    Attributes:
      config: the study's config class.
      runs: ``config -> [RunSpec]`` (may raise ``ValueError`` for settings it cannot use).
      report: ``(config, run records, output_dir) -> summary`` (merged into ``results``).
      cpu, full, smoke: the study's values of the profiles, over the config's defaults.
      measure: ``(run, trained, config) -> dict`` merged into the run's record.
      callbacks: ``(run, config, run_dir) -> [keras Callback]`` measuring along training.
      keep_failed: record a run whose model cannot be built or whose loss diverges as
        ``{"error", "diverged"}`` and go on (else the error stops the study).
      layout: ``run -> (run directory, record file)``, relative to the output directory
        (default ``runs/<run>`` and ``runs/<run>/result.json``).
      not_settings: config fields a stored record need not match (beyond ``profile``, ``runs``,
        ``resume``, ``verbose``): those that choose runs or name outputs.
      incomplete: ``(stored record, config) -> bool``: a stored record that matches its
        settings but lacks measurements (e.g. added since it was written) is measured again:
        the runner restores the trained run (a finished training is reused, see
        :func:`train_run`) and merges what ``measure`` returns (``trained.stored`` is set)
        into the stored record.
      summary: ``(config, study record) -> (name, content)`` of the summary file
        ``<name>.json`` (default: ``<study>.json`` holding the study record).
      resolver: ``overrides -> config`` for a study whose profile values depend on a chosen
        field (the OOD protocol's dataset: its thesis table); default
        :func:`resolve_config` over ``cpu``, ``full`` and ``smoke``.
    """

    name: str
    description: str
    config: type[C]
    runs: Callable[[C], list[RunSpec]]
    report: Callable[[C, list[dict], str], dict]
    cpu: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    full: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    smoke: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    measure: Measure | None = None
    callbacks: Callbacks | None = None
    keep_failed: bool = False
    layout: Callable[[RunSpec], tuple[str, str]] | None = None
    not_settings: tuple[str, ...] = ()
    incomplete: Callable[[dict, C], bool] | None = None
    summary: Callable[[C, dict], tuple[str, dict]] | None = None
    resolver: Callable[[Mapping[str, Any] | None], C] | None = None

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> C:
        """The config of profile ``overrides["profile"]`` (default ``auto``) with ``overrides``."""
        if self.resolver is not None:
            return self.resolver(overrides)
        return resolve_config(self.config, self.cpu, self.full, self.smoke, overrides)


def gpu_available() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def resolve_config(config_cls: type[C], cpu: Mapping[str, Any], full: Mapping[str, Any],
                   smoke: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> C:
    """``config_cls`` from its defaults, ``cpu``, then ``full`` (profile full) or ``smoke``
    (profile smoke), then ``overrides``; the result names its concrete profile."""
    overrides = dict(overrides or {})
    profile = overrides.get("profile", cpu.get("profile", "auto"))
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {list(PROFILES)}")
    if profile == "auto":
        profile = "full" if gpu_available() else "cpu"
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted((set(cpu) | set(full) | set(smoke) | set(overrides)) - names)
    if unknown:
        raise ValueError(f"unknown {config_cls.__name__} fields {unknown}; valid: "
                         f"{sorted(names)}")
    values = {**cpu, **(full if profile == "full" else smoke if profile == "smoke" else {}),
              **overrides, "profile": profile}
    return config_cls(**values)


# -- the runner --------------------------------------------------------------------------------
def runs_field():
    """The ``runs`` field of a study's config: names of the runs to do."""
    return field((), "names of the runs to do (empty: all of the study's)")


def select_runs(study: Study, cfg: StudyConfig) -> list[RunSpec]:
    """The study's runs, restricted to ``cfg.runs`` when given (unknown names are an error)."""
    runs, chosen = study.runs(cfg), getattr(cfg, "runs", ())
    if not chosen:
        return runs
    names = [r.name for r in runs]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        raise ValueError(f"study {study.name!r} has no runs {unknown}; its runs: {names}")
    return [r for r in runs if r.name in chosen]


def train_config(run: RunSpec, cfg: StudyConfig, run_dir: str, export_root: str) -> TrainConfig:
    """The run's TrainConfig: the config's fields TrainConfig shares (same names, same meaning),
    the runner's settings (one kept checkpoint, no sample grids, one evaluation batch), then
    ``run.train``."""
    shared = {f.name for f in dataclasses.fields(TrainConfig)}
    values = {"keep_checkpoints": 1, "sample_images": 0, "eval_batches": 1, "export": False,
              **{f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)
                 if f.name in shared}, **run.train}
    values.setdefault("checkpoint_every", values.get("steps_per_epoch", 200))
    return TrainConfig(**values, output_dir=run_dir, export_root=export_root,
                       export_name=run.name)


_NOT_SETTINGS = ("resume", "verbose", "output_dir")


def train_run(model: str, model_config: Mapping[str, Any], cfg: TrainConfig, run_name: str,
              callbacks: Sequence[keras.callbacks.Callback] = ()) -> dict[str, Any]:
    """:func:`tfgen.training.train`, except that with ``cfg.resume`` a run that already finished
    with the same model and TrainConfig (its ``metrics.json`` and ``run_config.json``) returns its
    stored result instead of training (and exporting) again."""
    metrics = os.path.join(cfg.output_dir, "metrics.json")
    stored = os.path.join(cfg.output_dir, "run_config.json")
    if cfg.resume and os.path.exists(metrics) and os.path.exists(stored):
        with open(stored) as f:
            saved = json.load(f)
        now = to_json({"model": model, "model_config": dict(model_config),
                       "train_config": dataclasses.asdict(cfg)})
        if all(_without(saved.get(k)) == _without(now[k]) for k in now):
            with open(metrics) as f:
                return json.load(f)
    return train(model, dict(model_config), cfg, run_name=run_name, callbacks=callbacks)


def _without(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in _NOT_SETTINGS}
    return value


def stored_record(path: str, settings: Any, resume: bool) -> dict | None:
    """The record at ``path`` (without its settings) when ``resume`` and its settings match."""
    if not (resume and os.path.exists(path)):
        return None
    with open(path) as f:
        saved = json.load(f)
    return saved if saved.pop("settings", None) == settings else None


def write_record(path: str, record: Mapping[str, Any], settings: Any) -> dict:
    """Store ``record`` with ``settings`` (what :func:`stored_record` compares); returns the
    record as plain JSON."""
    write_json(path, {**record, "settings": settings})
    return to_json(dict(record))


def config_settings(cfg: StudyConfig, ignored: Sequence[str] = ()) -> dict:
    """The config fields a stored record must match (not profile, runs, resume, verbose)."""
    skip = {"profile", "runs", "resume", "verbose", *ignored}
    return to_json({k: v for k, v in dataclasses.asdict(cfg).items() if k not in skip})


def run_one(study: Study, run: RunSpec, cfg: StudyConfig, output_dir: str) -> dict:
    """Train ``run`` (or reuse it, see the resume rule), measure it; returns its record."""
    run_dir, path = study.layout(run) if study.layout else (
        os.path.join("runs", run.name), os.path.join("runs", run.name, "result.json"))
    run_dir, path = os.path.join(output_dir, run_dir), os.path.join(output_dir, path)
    settings = to_json({"run": dataclasses.asdict(run),
                        "config": config_settings(cfg, study.not_settings)})
    saved = stored_record(path, settings, cfg.resume)
    if saved is not None and not (study.incomplete and study.incomplete(saved, cfg)):
        return saved
    began = time.monotonic()
    record: dict[str, Any] = {"name": run.name, "label": run.label, "model": run.model,
                              "model_config": dict(run.model_config), "tags": dict(run.tags)}
    tcfg = train_config(run, cfg, run_dir, os.path.join(output_dir, "exports"))
    callbacks = study.callbacks(run, cfg, run_dir) if study.callbacks else []
    try:
        result = train_run(run.model, run.model_config, tcfg, run.name, callbacks)
    except (ValueError, TrainingDivergedError) as err:
        if not study.keep_failed:
            raise
        record.update(error=str(err), diverged=isinstance(err, TrainingDivergedError))
        return write_record(path, record, settings)
    trained = TrainedRun(run, run_dir, result, tcfg, saved)
    if saved is not None:  # measured again: the study's new measurements over the stored ones
        return write_record(path, {**saved, **study.measure(run, trained, cfg)}, settings)
    history = result.get("history") or {}
    record.update(step=result["step"], train_seconds=result["train_seconds"],
                  export_path=result["export_path"],
                  final_logs={k: v[-1] for k, v in history.items() if v})
    if study.measure is not None:
        record.update(study.measure(run, trained, cfg))
    record["seconds"] = time.monotonic() - began
    return write_record(path, record, settings)


def run_study(study: Study, output_dir: str,
              overrides: Mapping[str, Any] | StudyConfig | None = None) -> dict:
    """Run ``study`` with ``overrides`` of its config (or a resolved config); write and return
    its record (see the module docstring)."""
    cfg = overrides if isinstance(overrides, StudyConfig) else study.resolve(overrides)
    runs = select_runs(study, cfg)
    os.makedirs(output_dir, exist_ok=True)
    began = time.monotonic()
    records = []
    for index, run in enumerate(runs):
        print(f"[{study.name}] run {index + 1}/{len(runs)}: {run.name} ({run.model} "
              f"{dict(run.model_config)})", file=sys.stderr, flush=True)
        records.append(run_one(study, run, cfg, output_dir))
    results = {"runs": records, **study.report(cfg, records, output_dir)}
    record = {"study": study.name, "description": study.description,
              "config": dataclasses.asdict(cfg), "results": results,
              "seconds": time.monotonic() - began, "machine": machine_info()}
    name, content = summary_file(study, cfg, record)
    write_json(os.path.join(output_dir, f"{name}.json"), content)
    return to_json(record)


def summary_file(study: Study, cfg: StudyConfig, record: Mapping[str, Any]) -> tuple[str, dict]:
    """The name (``<name>.json``) and content of the summary file of a study record."""
    return study.summary(cfg, record) if study.summary else (study.name, dict(record))


# -- models, data and outputs every study uses -------------------------------------------------
def sized_config(model: str, cfg: StudyConfig, size_fields: Sequence[str],
                 **fixed: Any) -> dict[str, Any]:
    """``model``'s config overrides: the config's non-zero ``size_fields`` that ``model``'s
    config has (0 keeps the model's default), then ``fixed`` on top."""
    fields = {f.name for f in dataclasses.fields(get_model_class(model).Config)}
    config = {name: getattr(cfg, name) for name in size_fields
              if getattr(cfg, name) and name in fields}
    config.update(fixed)
    return config


def n_critic(model_config: Mapping[str, Any]) -> int:
    """Critic minibatches one generator iteration of a ``"gan"`` config consumes (its
    ``n_critic``, else its loss' default: 5 for wgan-gp/wgan-clip, 1 for dcgan/lsgan)."""
    return int(model_config.get("n_critic") or get_loss(model_config.get("loss", "wgan-gp"))
               .n_critic)


def require_labels(dataset: str, binarize: bool, what: str) -> None:
    """ValueError unless ``dataset`` is labelled (``what`` names the measurement needing it)."""
    spec = data.get_spec(dataset, binarize=binarize)
    if spec.num_classes < 2:
        raise ValueError(
            f"{what} needs class labels, but dataset {dataset!r} has none (its labels are all "
            f"-1). Use a labelled set: --dataset=mnist --binarize (the thesis' binarized MNIST "
            f"with its labels) or --dataset=fashion_mnist --binarize")


def load_arrays(name: str, split: str, *, limit: int = 0, binarize: bool = False, seed: int = 0,
                exclude_classes: Sequence[int] = (), image_size: int | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images ``[N, H, W, C]`` / float32 points ``[N, D]``, int64 labels ``[N]``) of a
    split, the first ``limit`` (0: all); binarization frozen by ``seed``."""
    ds, _ = data.load(name, split, binarize=binarize, seed=seed, exclude_classes=exclude_classes,
                      image_size=image_size)
    if limit > 0:
        ds = ds.take(limit)
    xs, ys = [], []
    for x, y in data.make_pipeline(ds, 500, training=False, cache=False).as_numpy_iterator():
        xs.append(x)
        ys.append(y)
    if not xs:
        raise ValueError(f"dataset {name!r} split {split!r} yielded no examples")
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def write_text(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) atomically; returns ``path``."""
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path


def save_figure(fig: Figure, path: str, dpi: int = 110) -> str:
    """Save a matplotlib figure as a PNG atomically; returns ``path``."""
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight"))
    return path


__all__ = ["LatentModelSizes", "LikelihoodEvaluation", "PROFILES", "RunSpec", "Study",
           "StudyConfig", "TrainedRun", "config_settings", "load_arrays", "n_critic",
           "require_labels", "resolve_config", "run_one", "run_study", "runs_field",
           "save_figure", "select_runs", "sized_config", "stored_record", "summary_file",
           "train_config", "train_run", "write_record", "write_text"]
