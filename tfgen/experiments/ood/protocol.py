"""Leave-one-class-out OOD detection (thesis §4.2) and scoring any data set against an export.

The protocol is the study ``ood`` (:data:`STUDY`, registered with the chapter-2/3 studies and run
by :func:`tfgen.experiments.study.run_study`): one run per (held-out class, model). For each
model of the run (``models``; empty: the dataset's table, Table 4.1's or 4.2's, see
:data:`~tfgen.experiments.ood.config.DATASET_SETTINGS`) and each held-out class c:

1. train on the training images of the other classes (``TrainConfig.exclude_classes=(c,)``) with
   the library's trainer (binarized or 8-bit images as the setting's ``pixels`` says for
   likelihood models, 8-bit for GANs: :func:`~tfgen.experiments.ood.config.entry_binarized`),
   and — for likelihood models, when ``background`` is on — a background model on the same
   images with each subpixel replaced, with probability mu, by a uniform
   value in 0..255 (the likelihood ratio);
2. score a class-stratified test subset (``eval_examples``): in-distribution = the other
   classes, out-of-distribution (the positive class) = class c;
3. estimate the training entropy and the typicality threshold from held-out in-distribution
   validation images (``reference_examples``, class c excluded);
4. write one atomic record ``records/<model>/class_<c>.json`` (metrics of every scorer, see
   :mod:`tfgen.evaluation.ood.metrics`), which ``resume`` reuses when its settings match. A
   matching record that lacks an applicable scorer (:func:`missing_scorers`; the study's
   ``incomplete``) is *re-scored*:
   the trained model is restored from its run directory (no retraining), only the missing
   scorers are computed and merged in, and ``rescored`` lists when and what; a missing
   ``likelihood_ratio`` also restores (or, when its run is gone, trains) the background model.

Layout under ``output_dir``: ``runs/<model>/class_<c>/{model,background}/`` (the trainer's run
directories), ``exports/`` (SavedModels when ``export``), ``records/`` and the summary files
``<name>.json``, ``<name>.md`` (Tables 4.1/4.2 layout) and ``<name>.png`` (bar chart).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tfgen import data
from tfgen.evaluation.ood import metrics as ood_metrics
from tfgen.evaluation.ood import scorers as ood_scorers
from tfgen.evaluation.ood import typicality
from tfgen.data.sources.photos import PHOTOS
from tfgen.experiments.ood.config import (
    CPU,
    FULL,
    SMOKE,
    OODConfig,
    batch_size_for,
    check,
    dataset_setting,
    entry_binarized,
    get_ood_model,
    model_config,
    models_of,
    pixels_of,
    require_registered,
    resolve,
)
from tfgen.experiments.ood.report import write_report
from tfgen.experiments.study import (
    RunSpec,
    Study,
    TrainedRun,
    load_arrays,
    run_study,
    train_run,
)
from tfgen.export import load_exported
from tfgen.training import TrainConfig
from tfgen.utils.records import to_json

CLASS_NAMES: Mapping[str, tuple[str, ...]] = {
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                      "Sneaker", "Bag", "Ankle boot"),
    "mnist": tuple(str(d) for d in range(10)),
    "cifar10": ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"),
    "photo_patches": tuple(p.name for p in PHOTOS),
}


def class_names(dataset: str, num_classes: int) -> list[str]:
    """Readable names of the labels ``0..num_classes-1`` (the label itself when unknown)."""
    known = CLASS_NAMES.get(dataset.removeprefix("binarized_"), ())
    return [known[c] if c < len(known) else str(c) for c in range(num_classes)]


def stratified_indices(labels: np.ndarray, total: int, seed: int) -> np.ndarray:
    """Sorted indices of ``total // num_classes`` random examples of each label (all if 0)."""
    if total <= 0:
        return np.arange(len(labels))
    classes = np.unique(labels)
    per_class = total // len(classes)
    rng = np.random.default_rng(seed)
    chosen = []
    for c in classes:
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise ValueError(f"class {c} has {len(members)} test images, fewer than "
                             f"{per_class} (eval_examples={total})")
        chosen.append(rng.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def evaluate_scores(model: Any, images: np.ndarray, is_ood: np.ndarray,
                    reference_images: np.ndarray | None, cfg: OODConfig,
                    background: Any = None) -> dict[str, Any]:
    """Score ``images`` with every applicable scorer of ``cfg.scorers`` and measure detection.

    ``model``/``background`` are :class:`~tfgen.evaluation.interface.ServingModel` s (live
    models are wrapped); ``is_ood`` ``[N]`` marks the
    positives; ``reference_images`` are held-out in-distribution images (the typicality
    reference; None skips typicality). Returns ``{"scorers": {name: detection metrics},
    "typicality_batch": batch-test dict or None, "entropy_nats", "mean_nll_in",
    "mean_nll_ood", "scores": {name: float64 [N]}}``.
    """
    names = ood_scorers.applicable_scorers(model, background is not None, cfg.scorers)
    reference: dict[str, Any] = {}
    if reference_images is not None:
        reference = ood_scorers.reference_statistics(
            model, reference_images, importance_samples=cfg.importance_samples, seed=cfg.seed,
            batch_size=cfg.eval_batch_size,
            compressors=ood_scorers.reference_compressors(names))
    names = [n for n in names if set(ood_scorers.get_scorer(n).reference) <= set(reference)]
    if not names:
        raise ValueError(f"no scorer of {list(cfg.scorers) or 'the registry'} applies to "
                         f"{model!r}")
    needs = sorted({q for n in names for q in ood_scorers.get_scorer(n).needs})
    quantities = ood_scorers.compute_quantities(
        model, images, needs, background=background, importance_samples=cfg.importance_samples,
        seed=cfg.seed, batch_size=cfg.eval_batch_size)
    scores = ood_scorers.score(names, quantities, reference)
    is_ood = np.asarray(is_ood, bool)
    out: dict[str, Any] = {
        "scorers": {n: ood_metrics.detection_metrics(s, is_ood) for n, s in scores.items()},
        "typicality_batch": None, "entropy_nats": reference.get("entropy_nats"),
        "mean_nll_in": None, "mean_nll_ood": None, "scores": scores}
    if "nll" in quantities:
        nll = quantities["nll"]
        out.update(mean_nll_in=float(nll[~is_ood].mean()), mean_nll_ood=float(nll[is_ood].mean()))
        if "entropy_nats" in reference:
            size = min(cfg.typicality_batch_size, int(is_ood.sum()), int((~is_ood).sum()),
                       len(reference["bootstrap_nll"]))
            out["typicality_batch"] = typicality.batch_test(
                nll[~is_ood], nll[is_ood], reference["bootstrap_nll"],
                reference["entropy_nats"], size, alpha=cfg.typicality_alpha,
                num_bootstrap=cfg.bootstrap_samples, seed=cfg.seed)
    return out


def missing_scorers(record: Mapping[str, Any], cfg: OODConfig) -> list[str]:
    """The scorers of ``cfg.scorers`` (empty: the registry) that apply to the model of a stored
    ``record`` but that it lacks (e.g. added to the registry after it was written). The model
    has a likelihood iff the record has ``nll`` scores, a critic iff it has ``critic``."""
    provided = {"png_bits", "webp_bits"} | {q for q in ("nll", "critic")
                                            if q in record["scorers"]}
    if cfg.background and "nll" in provided:
        provided.add("background_nll")
    names = cfg.scorers or ood_scorers.scorer_names()
    return [n for n in names if n not in record["scorers"]
            and set(ood_scorers.get_scorer(n).needs) <= provided]


def runs(cfg: OODConfig) -> list[RunSpec]:
    """One run per (held-out class, model), class-major (a partial run covers every model for
    its classes): the model trained on the other classes' images, binarized or 8-bit as
    :func:`~tfgen.experiments.ood.config.entry_binarized` says. ValueError before any training
    when the registry lacks a model or a model cannot take ``cfg.likelihood``."""
    check(cfg)
    classes = _classes(cfg)
    entries = [get_ood_model(m) for m in models_of(cfg)]
    require_registered([e.name for e in entries])
    if cfg.likelihood != "auto":
        _check_likelihood(entries, cfg)
    return [RunSpec(f"{entry.name}_class{c}", entry.label, entry.model,
                    model_config(entry, cfg),
                    train={"binarize": entry_binarized(entry, cfg), "exclude_classes": (c,),
                           "perturb_probability": 0.0, "batch_size": batch_size_for(entry, cfg),
                           "checkpoint_every": cfg.steps_per_epoch},
                    tags={"ood_model": entry.name, "held_out": c})
            for c in classes for entry in entries]


def _check_likelihood(entries, cfg: OODConfig) -> None:
    """ValueError unless every likelihood model of ``entries`` builds with ``cfg.likelihood``
    on the dataset (e.g. PixelCNN has no logistic mixture)."""
    from tfgen.models import build_model, get_model_class

    spec = data.get_spec(cfg.dataset, image_size=cfg.image_size or None)
    for entry in entries:
        if not entry.likelihood_model:
            continue
        fields = {f.name for f in dataclasses.fields(get_model_class(entry.model).Config)}
        if "likelihood" not in fields:
            raise ValueError(f"--likelihood={cfg.likelihood}: model {entry.name!r} has no "
                             f"choice of pixel likelihood; leave --likelihood=auto or drop it "
                             f"from --models")
        try:
            build_model(entry.model, spec, seed=cfg.seed, **model_config(entry, cfg))
        except ValueError as err:
            raise ValueError(f"--likelihood={cfg.likelihood} does not apply to model "
                             f"{entry.name!r}: {err}") from err


def _classes(cfg: OODConfig) -> list[int]:
    """The held-out classes of ``cfg`` (ValueError unless a labelled image set has them)."""
    spec = data.get_spec(cfg.dataset)
    if spec.num_classes < 2 or spec.kind != "image":
        raise ValueError(f"leave-one-class-out needs a labelled image dataset; {cfg.dataset!r} "
                         f"has {spec.num_classes} classes ({spec.kind})")
    classes = list(cfg.classes) or list(range(spec.num_classes))
    bad = [c for c in classes if not 0 <= c < spec.num_classes]
    if bad:
        raise ValueError(f"classes {bad} are not labels of {cfg.dataset!r} (0..."
                         f"{spec.num_classes - 1})")
    return classes


def _layout(run: RunSpec) -> tuple[str, str]:
    model, held_out = run.tags["ood_model"], run.tags["held_out"]
    return (os.path.join("runs", model, f"class_{held_out}", "model"),
            os.path.join("records", model, f"class_{held_out}.json"))


@functools.lru_cache(maxsize=4)
def _test_set(dataset: str, total: int, seed: int, binarize: bool, image_size: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of the class-stratified test subset the protocol scores."""
    images, labels = load_arrays(dataset, "test", binarize=binarize, seed=seed,
                                 image_size=image_size or None)
    chosen = stratified_indices(labels, total, seed)
    return images[chosen], labels[chosen]


def _train_info(result: Mapping[str, Any], train_cfg: TrainConfig) -> dict:
    return {"step": result["step"], "train_seconds": result["train_seconds"],
            "test_metrics": result["test"], "export_path": result["export_path"],
            "perturb_probability": train_cfg.perturb_probability}


def _incomplete(record: Mapping[str, Any], cfg: OODConfig) -> bool:
    return bool(missing_scorers(record, cfg))


def measure(run: RunSpec, trained: TrainedRun, cfg: OODConfig) -> dict:
    """Score the test subset with every applicable scorer (training the likelihood-ratio
    background model when it applies); with ``trained.stored``, only the scorers the stored
    record lacks, merged into its ``scorers`` and listed in its ``rescored``."""
    began = time.monotonic()
    entry, held_out = get_ood_model(run.tags["ood_model"]), run.tags["held_out"]
    saved, model = trained.stored, trained.model
    missing = None if saved is None else missing_scorers(saved, cfg)
    wanted = missing if missing is not None else cfg.scorers or ["likelihood_ratio"]
    background, background_info, background_trained = None, None, False
    likelihood = "nll" in ood_scorers.quantities_of(model)
    if cfg.background and "likelihood_ratio" in wanted and likelihood:
        background_cfg = dataclasses.replace(
            trained.train_config, perturb_probability=cfg.perturb_probability,
            max_train_seconds=cfg.background_seconds,
            output_dir=os.path.join(os.path.dirname(trained.run_dir), "background"),
            export_name=f"{run.name}_background")
        background_trained = not (cfg.resume and os.path.exists(
            os.path.join(background_cfg.output_dir, "metrics.json")))
        result = train_run(run.model, run.model_config, background_cfg,
                           background_cfg.export_name)
        background = TrainedRun(run, background_cfg.output_dir, result, background_cfg).model
        background_info = _train_info(result, background_cfg)
    binarize = entry_binarized(entry, cfg)
    images, labels = _test_set(cfg.dataset, cfg.eval_examples, cfg.seed, binarize,
                               cfg.image_size)
    reference, _ = load_arrays(cfg.dataset, "validation", limit=cfg.reference_examples,
                               binarize=binarize, seed=cfg.seed,
                               image_size=cfg.image_size or None,
                               exclude_classes=(held_out,))
    scoring_began = time.monotonic()
    result = evaluate_scores(model, images, labels == held_out, reference,
                             cfg if missing is None else dataclasses.replace(
                                 cfg, scorers=tuple(missing)), background=background)
    result.pop("scores")
    if saved is None:
        return {"model": entry.name, "registry_model": entry.model, "binarized": binarize,
                "pixel_likelihood": _likelihood_name(trained), "held_out": held_out,
                "train": _train_info(trained.result, trained.train_config),
                "background": background_info, **result,
                "score_seconds": time.monotonic() - scoring_began}
    # the missing scores of the trained model (and a background model if retrained)
    rescored = {"utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "scorers": sorted(result["scorers"]), "background_retrained": background_trained,
                "seconds": time.monotonic() - began}
    return {"scorers": {**saved["scorers"], **result["scorers"]},
            **({"background": background_info} if background_trained else {}),
            "rescored": [*saved.get("rescored", []), rescored]}


def _likelihood_name(trained: TrainedRun) -> str | None:
    """The pixel likelihood of a trained model (``bernoulli``, ``categorical``, ``logistic``;
    None for a GAN or an export, whose likelihood object is not at hand)."""
    model = getattr(trained.model, "model", None)  # a LiveModel's Keras model
    likelihood = getattr(model, "likelihood", None)
    return getattr(likelihood, "name", None)


def summarize_records(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{model: {"label", "scorers": {scorer: {"per_class": {c: metrics}, "mean", "median"}},
    "typicality_batch": {...same...}}}`` over the records of several classes."""
    models: dict[str, Any] = {}
    for rec in records:
        entry = models.setdefault(rec["model"], {"label": rec["label"], "scorers": {},
                                                 "typicality_batch": {"per_class": {}}})
        for scorer, values in rec["scorers"].items():
            entry["scorers"].setdefault(scorer, {"per_class": {}})["per_class"][
                str(rec["held_out"])] = values
        if rec.get("typicality_batch"):
            entry["typicality_batch"]["per_class"][str(rec["held_out"])] = rec["typicality_batch"]
    for entry in models.values():
        for block in [*entry["scorers"].values(), entry["typicality_batch"]]:
            names = ood_metrics.METRIC_NAMES + (("tpr", "fpr") if block is
                                                entry["typicality_batch"] else ())
            block.update(ood_metrics.summarize(block["per_class"], names))
        if not entry["typicality_batch"]["per_class"]:
            entry["typicality_batch"] = None
    return models


def summary_name(cfg: OODConfig) -> str:
    """The summary files' prefix: ``cfg.name``, else ``ood_<dataset>``."""
    return cfg.name or f"ood_{cfg.dataset.replace(':', '_').replace('/', '_')}"


def report(cfg: OODConfig, records: list[dict], output_dir: str) -> dict:
    """Write ``<name>.md`` and ``<name>.png``; returns ``{"name", "dataset", "classes",
    "class_names", "models"`` (:func:`summarize_records`) ``, "files"}``."""
    spec, setting = data.get_spec(cfg.dataset), dataset_setting(cfg.dataset)
    summary = {"name": summary_name(cfg), "dataset": cfg.dataset, "classes": _classes(cfg),
               "class_names": class_names(cfg.dataset, spec.num_classes),
               "pixels": pixels_of(cfg), "table": setting.table,
               "row_heading": setting.row_heading, "models": summarize_records(records)}
    return {**summary, "files": write_report(summary, output_dir, summary["name"])}


def summary(cfg: OODConfig, record: Mapping[str, Any]) -> tuple[str, dict]:
    """The summary file ``<name>.json`` from the runner's record: ``name``, ``dataset``,
    ``classes``, ``class_names``, ``config``, ``models``, ``records``, ``seconds``,
    ``machine``, ``files``."""
    results = record["results"]
    return results["name"], {
        **{k: results[k] for k in ("name", "dataset", "pixels", "classes", "class_names")},
        "config": record["config"], "models": results["models"], "records": results["runs"],
        "seconds": record["seconds"], "machine": record["machine"], "files": results["files"]}


STUDY = Study(
    "ood", "leave-one-class-out OOD detection (Tables 4.1/4.2): each model trained without "
    "one class, scored with every applicable scorer", OODConfig, runs, report,
    cpu=CPU, full=FULL, smoke=SMOKE, measure=measure, layout=_layout, resolver=resolve,
    # pixels and likelihood act through each run's spec (train.binarize, model_config), which
    # a stored record must match anyway
    not_settings=("name", "models", "classes", "pixels", "likelihood"), incomplete=_incomplete,
    summary=summary)


def run_protocol(overrides: Mapping[str, Any] | OODConfig | None, output_dir: str) -> dict:
    """Run :data:`STUDY` with ``overrides`` (:class:`OODConfig` fields, or a resolved config)
    through :func:`~tfgen.experiments.study.run_study`; returns the summary record (what
    ``<name>.json`` holds, see :func:`summary`)."""
    cfg = overrides if isinstance(overrides, OODConfig) else resolve(overrides)
    return to_json(summary(cfg, run_study(STUDY, output_dir, cfg))[1])


def score_datasets(saved_model: str, in_dataset: str, out_dataset: str, cfg: OODConfig, *,
                   background_saved_model: str = "", binarize: bool = False,
                   in_split: str = "test", out_split: str = "test",
                   reference_split: str = "validation") -> dict:
    """Score ``in_dataset`` (negatives) against ``out_dataset`` (positives) with an export.

    Each set contributes its first ``cfg.eval_examples`` images of its split (0: all); the
    typicality reference is ``cfg.reference_examples`` images of ``in_dataset``'s
    ``reference_split``. ``binarize`` applies the frozen binarization to every set (for models
    trained on binarized data). Returns the same metrics as :func:`run_protocol`'s records.
    """
    model = load_exported(saved_model)
    background = load_exported(background_saved_model) if background_saved_model else None
    shape = tuple(model.image_shape)
    sets = {}
    for role, name, split, limit in (("in", in_dataset, in_split, cfg.eval_examples),
                                     ("out", out_dataset, out_split, cfg.eval_examples),
                                     ("reference", in_dataset, reference_split,
                                      cfg.reference_examples)):
        images, _ = load_arrays(name, split, limit=limit, binarize=binarize, seed=cfg.seed)
        if tuple(images.shape[1:]) != shape:
            raise ValueError(f"the SavedModel at {model.path} models images {list(shape)} (H, W, "
                             f"C) but {role} dataset {name!r} yields {list(images.shape[1:])}")
        sets[role] = images
    images = np.concatenate([sets["in"], sets["out"]])
    is_ood = np.r_[np.zeros(len(sets["in"]), bool), np.ones(len(sets["out"]), bool)]
    result = evaluate_scores(model, images, is_ood, sets["reference"], cfg, background)
    result.pop("scores")
    return to_json({"saved_model": model.path, "background_saved_model": background_saved_model
                    or None, "in_dataset": in_dataset, "out_dataset": out_dataset,
                    "in_split": in_split, "out_split": out_split, "binarize": binarize,
                    "in_count": len(sets["in"]), "out_count": len(sets["out"]), **result})
