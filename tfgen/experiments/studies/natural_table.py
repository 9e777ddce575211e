"""Table 2.2 analogue: bits/dim of natural colour image models at equal wall-clock time.

Every run trains on ``dataset`` (cpu: 32 px ``photo_patches``, offline; full: ``imagenet64``, the
thesis' data) with the same ``batch_size`` and the same budget ``max_train_seconds``, then is
evaluated on the test split (``eval_examples``; 0: all of it) with ``likelihood.measure``: exact
bits/dim for the Gated PixelCNN, the importance-weighted bound (K = ``importance_samples``) for
the latent models. The models (``runs`` selects some of them, e.g. ``runs=("pixelcnn_pp",
"iaf_vae")``):

* ``hierarchical_pixelvae``: the experiment ``experiment``'s two-level PixelVAE (sizes
  overridable), 256-way categorical pixels;
* ``pixelvae``: a single-level PixelVAE (upsampling decoder, ``L`` gated layers = the first
  ``ar_layers`` entry >= 1), categorical pixels;
* ``gated_pixelcnn``: a Gated PixelCNN of ``pixelcnn_layers`` layers, categorical pixels;
* ``two_level_vae``: the hierarchical model with both PixelCNNs removed (``autoregressive=False``:
  factorized p(x|z1) and p(z1|z2)) and a discretized logistic decoder with one component (the
  closest tfgen likelihood to the thesis' diagonal Gaussian decoder);
* ``pixelcnn_pp``: PixelCNN++ (discretized logistic mixture with RGB coupling, exact bits/dim),
  the model config of the registry experiment ``pixelcnn_pp_experiment`` (cpu:
  ``pixelcnn_pp_cpu``, 1 block per stage, 32 filters, 5 components, dropout 0.5: about the Gated
  PixelCNN's forward FLOPs per image at 32 px), ``nr_filters`` overriding its width when non-zero;
  its sample grid has at most ``naive_sample_images`` images and the trainer draws no grids at
  its epoch ends (no cached sampler: 16 samples of 32 px take minutes on 2 cores);
* ``iaf_vae``: IAF-VAE (2 IAF steps, discretized logistic p(x|z), importance-weighted bound), the
  model config of the experiment ``iaf_experiment`` (cpu: ``iaf_vae_cpu``) with the study's
  ``kl_warmup_steps``.

Per run also ``forward_flops_per_image`` (:func:`tfgen.utils.flops.flops_per_image` on a freshly
built model of the run's config: the training objective's forward pass, latent models with their
encoder) and the steps trained; once per study the lossless WebP and PNG bits/dim of the same test
pixels (:func:`tfgen.evaluation.codecs.lossless_floor`, per patch and as a mosaic). Writes
``natural_table.md`` and ``natural_table.png`` (bits/dim and GFLOPs per image) and reports the two
targets: the hierarchical PixelVAE at most the Gated PixelCNN's bits/dim at <= 0.5x its FLOPs, and
below WebP lossless (per patch and mosaic). The thesis' ImageNet 64 numbers are a reference only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tfgen import data
from tfgen.evaluation.codecs import lossless_floor
from tfgen.experiments.registry import get_experiment
from tfgen.experiments.studies import likelihood
from tfgen.experiments.studies.hierarchy_levels import (
    HIERARCHICAL_SMOKE,
    HierarchicalSizes,
    hierarchical_config,
)
from tfgen.experiments.studies.likelihood import (
    LikelihoodStudyConfig,
    model_config,
    pixelcnn_layers,
    split_batches,
)
from tfgen.experiments.study import RunSpec, Study, TrainedRun, save_figure, write_text
from tfgen.models import build_model
from tfgen.utils.config import field
from tfgen.utils.flops import flops_per_image

#: Table 2.2, ImageNet 64x64 (validation bits/dim, GFLOPs per image): reference only.
THESIS_IMAGENET64 = {
    "hierarchical_pixelvae": {"bits_per_dim": "≤ 3.62", "gflops": 63},
    "gated_pixelcnn": {"bits_per_dim": "3.57", "gflops": 134},
    "pixelrnn": {"bits_per_dim": "3.63", "gflops": 154},
}
#: The hierarchical model may use at most this fraction of the Gated PixelCNN's FLOPs per image.
FLOPS_RATIO_TARGET = 0.5


@dataclasses.dataclass(frozen=True)
class NaturalTableConfig(LikelihoodStudyConfig, HierarchicalSizes):
    """The settings of ``natural_table`` (``filters``, ``latent_dim``, ``encoder_filters``,
    ``kl_warmup_steps`` size the single-level PixelVAE and ``filters`` the Gated PixelCNN; the
    :class:`HierarchicalSizes` fields the two hierarchical runs)."""

    pixelcnn_layers: int = field(6, "gated layers of the Gated PixelCNN baseline", minimum=1)
    pixelcnn_pp_experiment: str = field("pixelcnn_pp_cpu", "registry experiment whose model "
                                                           "config the pixelcnn_pp run uses")
    nr_filters: int = field(0, "PixelCNN++ stream width (0: the experiment's)", minimum=0)
    iaf_experiment: str = field("iaf_vae_cpu", "registry experiment whose model config the "
                                               "iaf_vae run uses (with kl_warmup_steps)")
    naive_sample_images: int = field(4, "at most this many samples in the grid of a model with "
                                        "only a naive sampler (PixelCNN++: a network pass per "
                                        "pixel)", minimum=0, maximum=1024)
    flops_batch: int = field(2, "batch at which FLOPs per image are counted", minimum=1)


def experiment_model_config(name: str, expected_model: str) -> dict[str, Any]:
    """The model config of registry experiment ``name`` (ValueError unless its model is
    ``expected_model``)."""
    experiment = get_experiment(name)
    if experiment.model != expected_model:
        raise ValueError(f"experiment {name!r} trains {experiment.model!r}; this run needs an "
                         f"experiment of {expected_model!r}")
    return dict(experiment.model_config)


def pixelcnn_pp_config(cfg: NaturalTableConfig) -> dict[str, Any]:
    config = experiment_model_config(cfg.pixelcnn_pp_experiment, "pixelcnn_pp")
    if cfg.nr_filters:
        config["nr_filters"] = cfg.nr_filters
    return config


def iaf_config(cfg: NaturalTableConfig) -> dict[str, Any]:
    config = experiment_model_config(cfg.iaf_experiment, "iaf_vae")
    if cfg.kl_warmup_steps:
        config["kl_warmup_steps"] = cfg.kl_warmup_steps
    return config


def runs(cfg: NaturalTableConfig) -> list[RunSpec]:
    layers = pixelcnn_layers(cfg)
    pp, iaf = pixelcnn_pp_config(cfg), iaf_config(cfg)
    return [
        RunSpec("hierarchical_pixelvae", "Hierarchical PixelVAE", "hierarchical_pixelvae",
                hierarchical_config(cfg, likelihood="categorical"), tags={"kind": "latent"}),
        RunSpec("pixelvae", f"PixelVAE, one level ({layers} gated layers)", "pixelvae",
                model_config("pixelvae", cfg, ar_layers=layers, decoder="upsample",
                             likelihood="categorical"), tags={"kind": "latent"}),
        RunSpec("gated_pixelcnn", f"Gated PixelCNN ({cfg.pixelcnn_layers} layers)",
                "gated_pixelcnn", model_config("gated_pixelcnn", cfg,
                                               ar_layers=cfg.pixelcnn_layers,
                                               likelihood="categorical"),
                tags={"kind": "exact"}),
        RunSpec("two_level_vae", "Two-level VAE (factorized, logistic)",
                "hierarchical_pixelvae",
                hierarchical_config(cfg, autoregressive=False, likelihood="logistic",
                                    mixture_components=1), tags={"kind": "latent"}),
        # only a naive sampler: no trainer grids at epoch ends, a small grid in measure()
        RunSpec("pixelcnn_pp", f"PixelCNN++ ({pp['nr_resnet']} block/stage, "
                f"{pp['nr_filters']} filters, {pp['nr_logistic_mix']} logistics)",
                "pixelcnn_pp", pp, train={"sample_images": 0},
                tags={"kind": "exact", "sampler": "naive"}),
        RunSpec("iaf_vae", f"IAF-VAE ({iaf['flow_steps']} IAF steps, logistic)", "iaf_vae", iaf,
                tags={"kind": "latent"}),
    ]


def run_flops(run: RunSpec, cfg: NaturalTableConfig) -> dict[str, float]:
    """:func:`flops_per_image` of a freshly built (untrained) model of ``run``'s config."""
    spec = data.get_spec(cfg.dataset, image_size=cfg.image_size or None, binarize=cfg.binarize)
    model = build_model(run.model, spec, seed=cfg.seed, **run.model_config)
    model.build_for()
    model.compile_for_training(1e-3)
    return flops_per_image(model, cfg.flops_batch)


def measure(run: RunSpec, trained: TrainedRun, cfg: NaturalTableConfig) -> dict:
    """The likelihood metrics and sample grid (at most ``naive_sample_images`` samples from a
    model with only a naive sampler), and the run's FLOPs per image."""
    grid = cfg
    if run.tags.get("sampler") == "naive":
        grid = dataclasses.replace(cfg, sample_images=min(cfg.sample_images,
                                                          cfg.naive_sample_images))
    return {**likelihood.measure(run, trained, grid), **run_flops(run, cfg)}


def evaluated_pixels(cfg: NaturalTableConfig) -> np.ndarray:
    """uint8 ``[N, H, W, C]``: the test images every run is evaluated on."""
    return np.concatenate([x for x, _ in split_batches(cfg)])


def targets(by_name: Mapping[str, dict], floor: Mapping[str, float]) -> dict:
    """The two target comparisons with their numbers (None where a run is missing)."""
    out: dict[str, Any] = {"vs_gated_pixelcnn": None, "below_webp": None}
    hier = by_name.get("hierarchical_pixelvae")
    if hier is None:
        return out
    gated = by_name.get("gated_pixelcnn")
    if gated is not None:
        ratio = hier["forward_flops_per_image"] / gated["forward_flops_per_image"]
        out["vs_gated_pixelcnn"] = {
            "met": bool(hier["bits_per_dim"] <= gated["bits_per_dim"]
                        and ratio <= FLOPS_RATIO_TARGET),
            "bits_per_dim_at_most_gated": bool(hier["bits_per_dim"] <= gated["bits_per_dim"]),
            "flops_ratio_at_most_half": bool(ratio <= FLOPS_RATIO_TARGET),
            "hierarchical_bits_per_dim": hier["bits_per_dim"],
            "gated_bits_per_dim": gated["bits_per_dim"], "flops_ratio": ratio}
    out["below_webp"] = {
        "per_patch": bool(hier["bits_per_dim"] < floor["webp_per_image"]),
        "mosaic": bool(hier["bits_per_dim"] < floor["webp_mosaic"]),
        "hierarchical_bits_per_dim": hier["bits_per_dim"],
        "webp_per_patch": floor["webp_per_image"], "webp_mosaic": floor["webp_mosaic"]}
    return out


def merge_runs(stored: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]],
               session: Mapping[str, Any], earlier: Mapping[str, Any],
               order: Sequence[str]) -> list[dict]:
    """Run records of two sessions merged by name: ``new`` (marked ``measured=session``) replace
    the ``stored`` rows of the same name, the other stored rows are kept (marked ``earlier``
    unless they already say when they were measured); sorted by ``order`` (the study's run
    order; unknown names last)."""
    by_name = {r["name"]: {**r, "measured": r.get("measured") or dict(earlier)} for r in stored}
    by_name.update({r["name"]: {**r, "measured": dict(session)} for r in new})
    rank = {name: i for i, name in enumerate(order)}
    return sorted(by_name.values(), key=lambda r: rank.get(r["name"], len(rank)))


def _cell(record: dict) -> str:
    return ("= " if record["nll_estimator"] == "log_prob" else "≤ ") + \
        f"{record['bits_per_dim']:.3f}"


def markdown(cfg: NaturalTableConfig, records: list[dict], floor: Mapping[str, float]) -> str:
    """The table: model, test bits/dim, GFLOPs per image, steps, seconds trained, and when it was
    measured (a record's ``measured["label"]``, set by ``benchmarks/natural_table.py`` when it
    merges sessions; empty otherwise); a record's ``note`` becomes a line under the table."""
    budget = (f"at most {cfg.max_train_seconds:g} s and " if cfg.max_train_seconds > 0 else "")
    count = next((r["count"] for r in records if "count" in r), 0)
    lines = [(f"Test bits/dim on `{cfg.dataset}` ({count} test images; "
              f"importance-weighted bound with K = {cfg.importance_samples} for latent models, "
              f"exact for the PixelCNNs), each model trained for {budget}at most "
              f"{cfg.train_steps} steps of batch {cfg.batch_size}."),
             "",
             "| Model | bits/dim (test) | GFLOPs / image | steps | train s | measured | "
             "thesis, ImageNet 64 |",
             "|---|---|---|---|---|---|---|"]
    for r in records:
        ref = THESIS_IMAGENET64.get(r["name"])
        ref_text = f"{ref['bits_per_dim']} at {ref['gflops']} GFLOPs" if ref else ""
        when = (r.get("measured") or {}).get("label", "")
        if "error" in r:
            lines.append(f"| {r['label']} | diverged | | | | {when} | {ref_text} |")
            continue
        lines.append(f"| {r['label']} | {_cell(r)} | {r['forward_flops_per_image'] / 1e9:.4f} | "
                     f"{r['step']} | {r['train_seconds']:.0f} | {when} | {ref_text} |")
    for codec in ("webp", "png"):
        lines.append(f"| {codec.upper()} lossless, per patch / mosaic | "
                     f"{floor[f'{codec}_per_image']:.3f} / {floor[f'{codec}_mosaic']:.3f} | | | | "
                     f"| |")
    notes = [f"- {r['label']}: {r['note']}" for r in records if r.get("note")]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def plot(records: list[dict], floor: Mapping[str, float], path: str) -> str:
    """Bits/dim against GFLOPs per image, one bar per model, the lossless codecs as lines."""
    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.subplots()
    gflops = np.array([r["forward_flops_per_image"] / 1e9 for r in records])
    order = np.argsort(gflops)
    width = 0.08 * (gflops.max() - gflops.min() or gflops.max())
    for i in order:
        r = records[i]
        ax.bar(gflops[i], r["bits_per_dim"], width=width, label=r["label"])
    for key, style in (("webp_per_image", "--"), ("webp_mosaic", ":"), ("png_mosaic", "-.")):
        ax.axhline(floor[key], color="grey", linestyle=style, label=key.replace("_", " "))
    ax.set(xlabel="forward GFLOPs per image", ylabel="test bits/dim")
    ax.legend(fontsize=7, loc="upper right")
    return save_figure(fig, path)


def report(cfg: NaturalTableConfig, records: list[dict], output_dir: str) -> dict:
    """``{"bits_per_dim", "gflops_per_image", "lossless", "targets", "table_markdown",
    "thesis_imagenet64", "figures"}``."""
    floor = lossless_floor(evaluated_pixels(cfg))
    table = markdown(cfg, records, floor)
    write_text(os.path.join(output_dir, "natural_table.md"), table)
    done = [r for r in records if "error" not in r]  # diverged runs: a table row only
    figure = plot(done, floor, os.path.join(output_dir, "natural_table.png"))
    return {"bits_per_dim": {r["name"]: r["bits_per_dim"] for r in done},
            "gflops_per_image": {r["name"]: r["forward_flops_per_image"] / 1e9 for r in done},
            "lossless": floor, "targets": targets({r["name"]: r for r in done}, floor),
            "table_markdown": table, "thesis_imagenet64": THESIS_IMAGENET64,
            "figures": [os.path.basename(figure), "natural_table.md"]}


STUDY = Study(
    "natural_table", " ".join(__doc__.split("\n\n")[0].split()), NaturalTableConfig, runs,
    report,
    cpu={"dataset": "photo_patches", "image_size": 32, "train_steps": 100000,
         "max_train_seconds": 300.0, "batch_size": 32, "learning_rate": 1e-3, "filters": 32,
         "encoder_filters": 32, "latent_dim": 32, "kl_warmup_steps": 200, "ar_layers": (2,),
         "pixelcnn_layers": 6, "importance_samples": 16, "eval_examples": 0,
         "eval_batch_size": 35, "sample_images": 16, "export": False},
    full={"dataset": "imagenet64", "image_size": 0,
          "experiment": "hierarchical_pixelvae_imagenet64", "max_train_seconds": 8 * 3600.0,
          "train_steps": 400000, "batch_size": 48, "filters": 128, "encoder_filters": 128,
          "latent_dim": 512, "kl_warmup_steps": 10000, "ar_layers": (4,),
          "pixelcnn_layers": 15, "pixelcnn_pp_experiment": "pixelcnn_pp_cifar10",
          "iaf_experiment": "iaf_vae_cifar10", "importance_samples": 1000, "eval_examples": 10000,
          "sample_images": 64, "steps_per_epoch": 1000},
    smoke={**likelihood.SMOKE, **HIERARCHICAL_SMOKE, "dataset": "photo_patches",
           "image_size": 8, "ar_layers": (1,), "pixelcnn_layers": 1, "eval_examples": 20,
           "eval_batch_size": 10, "flops_batch": 1, "max_train_seconds": 0.0},
    measure=measure, keep_failed=True)
