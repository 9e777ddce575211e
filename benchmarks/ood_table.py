"""Benchmark: the full leave-one-class-out OOD table on Fashion-MNIST (thesis Table 4.1 layout)
or, with ``--dataset``, on another dataset in its thesis table's setting (``photo_patches``:
Table 4.2's, 8-bit colour, IAF, PixelCNN++, PixelVAE, DCGAN).

  .venv/bin/python benchmarks/ood_table.py                     # ~45 min on 2 shared CPU cores
  .venv/bin/python benchmarks/ood_table.py --classes=0,1       # a subset (resumes the rest later)
  .venv/bin/python benchmarks/ood_table.py --dataset=photo_patches --budget_seconds=20 \
      --background_seconds=8                                   # -> ood_photo_patches.*
  .venv/bin/python benchmarks/ood_table.py --pixels=8bit      # -> ood_fashion_mnist_8bit.*

Runs ``train/ood.py``'s protocol (``tfgen.experiments.ood``) at the ``cpu`` profile for the
dataset's models (``--models``; empty: its table's — on Fashion-MNIST VAE,
PixelCNN, PixelVAE (binarized images) and the DCGAN discriminator (8-bit images)), each trained
for ``--budget_seconds`` of wall-clock time per held-out class, plus a likelihood-ratio background
model per likelihood model and class (``--background_seconds``). Scores a class-stratified test
subset with raw likelihood / discriminator logit and every beyond-thesis scorer. Always resumes:
(model, class) pairs already recorded under ``--work_dir`` are skipped, so a killed run
restarted with the same flags continues. A recorded pair that lacks a scorer added to the
registry later is re-scored from its saved checkpoint (no retraining; the record's ``rescored``
says when and what), and ``--retrain_background_below_steps=N`` retrains (only) the
likelihood-ratio background models that stopped before N steps, then re-scores their ratio.
Writes ``benchmarks/results/<name>.json`` (summary, the
thesis' anchors of the dataset's table — Table 4.1's MNIST means on MNIST/Fashion-MNIST, Table
4.2's CIFAR-10 means on CIFAR-10 and photo patches —, whether the target was met, the machine),
``<name>.md`` and ``<name>.png`` (``--name`` empty: ``ood_<dataset>``).
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import shutil

from absl import app, flags

from tfgen.experiments.ood import run_protocol
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
#: Thesis Table 4.1 (MNIST) mean AUPR %, and chance.
THESIS_MNIST_MEAN_AUPR = {"VAE": 33.85, "PixelCNN": 25.74, "PixelVAE": 29.99, "DCGAN": 13.25,
                          "chance": 10.0}
#: Thesis Table 4.2 (CIFAR-10, 8-bit) mean AUPR %, and chance.
THESIS_CIFAR10_MEAN_AUPR = {"IAF": 19.08, "PixelCNN++": 11.51, "PixelVAE": 10.64,
                            "DCGAN": 11.29, "chance": 10.0}
#: The thesis anchors of each dataset's table: (table, mean AUPR % per model label).
THESIS_ANCHORS = {
    "mnist": ("Table 4.1 (MNIST)", THESIS_MNIST_MEAN_AUPR),
    "fashion_mnist": ("Table 4.1 (MNIST)", THESIS_MNIST_MEAN_AUPR),
    "binarized_fashion_mnist": ("Table 4.1 (MNIST)", THESIS_MNIST_MEAN_AUPR),
    "cifar10": ("Table 4.2 (CIFAR-10)", THESIS_CIFAR10_MEAN_AUPR),
    "photo_patches": ("Table 4.2 (CIFAR-10)", THESIS_CIFAR10_MEAN_AUPR),
}
#: This benchmark's own evaluation sizes on a dataset (others: the protocol's cpu profile and
#: the dataset's setting, e.g. every test patch of photo_patches).
BENCHMARK_SIZES = {"fashion_mnist": {"test_examples": 2000, "reference_examples": 400}}
flags.DEFINE_string("dataset", "fashion_mnist", "labelled dataset of the protocol (its models, "
                    "pixels and sizes: the dataset's setting)")
flags.DEFINE_float("budget_seconds", 30.0, "training wall-clock budget per model and class, "
                   "from the end of the first train batch (tracing not charged)")
flags.DEFINE_float("background_seconds", 12.0, "budget of each likelihood-ratio background "
                   "model, from the end of its first train batch")
flags.DEFINE_integer("test_examples", None, "stratified test images scored per model and class "
                     "(default: 2000 on fashion_mnist, else the dataset's setting; 0: all)")
flags.DEFINE_integer("reference_examples", None, "held-out validation images (typicality; "
                     "default: 400 on fashion_mnist, else the dataset's setting)")
flags.DEFINE_integer("importance_samples", 8, "K of the IW NLL of VAE and PixelVAE")
flags.DEFINE_enum("pixels", "auto", ["auto", "binarized", "8bit"], "pixels of the likelihood "
                  "models (auto: the dataset's setting; 8bit on fashion_mnist: the 8-bit table)")
flags.DEFINE_list("classes", [], "held-out classes (empty: all 10)")
flags.DEFINE_list("models", [], "protocol models (empty: the dataset's table)")
flags.DEFINE_string("work_dir", "", "run directories and per-(model, class) records (resume "
                    "state; empty: benchmarks/scratch/<name>)")
flags.DEFINE_string("name", "", "results file prefix (empty: ood_<dataset>)")
flags.DEFINE_integer("retrain_background_below_steps", 0, "retrain the background models of "
                     "recorded pairs that took fewer optimizer steps (0: none), then re-score "
                     "their likelihood ratio")
FLAGS = flags.FLAGS


def target_check(summary: dict, thesis: dict | None = None) -> dict:
    """Best scorer's mean AUPR vs raw likelihood's on the likelihood models, and vs the
    thesis' means (``thesis``: label -> mean AUPR %, default Table 4.1's)."""
    thesis = THESIS_MNIST_MEAN_AUPR if thesis is None else thesis
    likelihood = {m["label"]: m for m in summary["models"].values() if "nll" in m["scorers"]}
    per_scorer = {}
    for scorer in {s for m in likelihood.values() for s in m["scorers"]}:
        values = [m["scorers"][scorer]["mean"]["average_precision"] for m in likelihood.values()
                  if scorer in m["scorers"]]
        if len(values) == len(likelihood):
            per_scorer[scorer] = 100 * sum(values) / len(values)
    best_cell = max(((100 * b["mean"]["average_precision"], m["label"], s)
                     for m in summary["models"].values() for s, b in m["scorers"].items()))
    raw = per_scorer.get("nll")
    best = max(per_scorer, key=per_scorer.get) if per_scorer else None
    return {
        "mean_aupr_over_likelihood_models_percent": per_scorer,
        "raw_likelihood_percent": raw, "best_scorer": best,
        "best_scorer_percent": per_scorer.get(best),
        "ratio_best_to_raw": (per_scorer[best] / raw) if best and raw else None,
        "best_single_model_scorer": {"model": best_cell[1], "scorer": best_cell[2],
                                     "mean_aupr_percent": best_cell[0]},
        "met_1_5x_raw": bool(best and raw and per_scorer[best] >= 1.5 * raw),
        "above_every_thesis_mean": bool(best_cell[0] > max(
            v for k, v in thesis.items() if k != "chance")),
    }


def drop_short_backgrounds(work_dir: str, min_steps: int, models=(), classes=()) -> list[dict]:
    """Delete the background runs of recorded pairs (of ``models``/``classes``; empty: all)
    whose background model took fewer than ``min_steps`` steps, and drop their
    ``likelihood_ratio`` scores so that the resumed protocol retrains and re-scores them.
    Returns what was dropped: ``[{"model", "held_out", "background_step"}]``."""
    dropped = []
    for path in sorted(glob.glob(os.path.join(work_dir, "records", "*", "class_*.json"))):
        with open(path) as f:
            record = json.load(f)
        background = record.get("background") or {}
        if (models and record["model"] not in models) or (
                classes and record["held_out"] not in classes):
            continue
        if not background or background["step"] >= min_steps:
            continue
        shutil.rmtree(os.path.join(work_dir, "runs", record["model"],
                                   f"class_{record['held_out']}", "background"),
                      ignore_errors=True)
        record["scorers"].pop("likelihood_ratio", None)
        write_json(path, record)
        dropped.append({"model": record["model"], "held_out": record["held_out"],
                        "background_step": background["step"]})
    return dropped


def main(argv):
    del argv
    name = FLAGS.name or "_".join(["ood", FLAGS.dataset] + (
        [FLAGS.pixels] if FLAGS.pixels != "auto" else []))
    work_dir = FLAGS.work_dir or os.path.join(HERE, "scratch", name)
    sizes = {**BENCHMARK_SIZES.get(FLAGS.dataset, {}),
             **{k: FLAGS[k].value for k in ("test_examples", "reference_examples")
                if FLAGS[k].value is not None}}
    overrides = {
        "profile": "cpu", "dataset": FLAGS.dataset, "pixels": FLAGS.pixels,
        "models": tuple(FLAGS.models),
        "classes": tuple(int(c) for c in FLAGS.classes),
        "max_train_seconds": FLAGS.budget_seconds,
        "background_seconds": FLAGS.background_seconds,
        "importance_samples": FLAGS.importance_samples, "resume": True, "name": name}
    if "test_examples" in sizes:
        overrides["eval_examples"] = sizes["test_examples"]
    if "reference_examples" in sizes:
        overrides["reference_examples"] = sizes["reference_examples"]
    table, thesis = THESIS_ANCHORS.get(FLAGS.dataset, (None, {}))
    began = datetime.datetime.now(datetime.UTC)
    dropped = []
    if FLAGS.retrain_background_below_steps > 0:
        dropped = drop_short_backgrounds(work_dir, FLAGS.retrain_background_below_steps,
                                         overrides["models"], overrides["classes"])
    summary = run_protocol(overrides, work_dir)
    results = os.path.join(HERE, "results")
    files = []
    for path in summary["files"]:
        target = os.path.join(results, os.path.basename(path))
        shutil.copyfile(path, target)
        files.append(os.path.relpath(target, os.path.dirname(HERE)))
    record = {"benchmark": "ood_table", "started_utc": began.isoformat(timespec="seconds"),
              "flags": {f: FLAGS[f].value for f in ("dataset", "pixels", "budget_seconds",
                                                    "background_seconds", "test_examples",
                                                    "reference_examples", "importance_samples",
                                                    "classes", "models")},
              **({"thesis_mnist_mean_aupr_percent": THESIS_MNIST_MEAN_AUPR}
                 if thesis is THESIS_MNIST_MEAN_AUPR else {}),
              "thesis_table": table, "thesis_mean_aupr_percent": thesis,
              "target": target_check(summary, thesis or None), "files": files,
              # pairs re-scored from their checkpoints (scorers added later) or whose
              # background model was retrained, with when (UTC) and what
              "rescored": [{"model": r["model"], "held_out": r["held_out"], **event}
                           for r in summary["records"] for event in r.get("rescored", [])],
              "backgrounds_dropped_for_retraining": dropped,
              # this invocation's wall time (small when it only resumed finished records) and
              # the wall time of every (model, class) pair's training + scoring when it ran
              "invocation_seconds": summary["seconds"],
              "pair_seconds_total": sum(r["seconds"] for r in summary["records"]),
              **{k: v for k, v in summary.items() if k not in ("files", "seconds")}}
    write_json(os.path.join(results, f"{name}.json"), record)
    print(record["target"])


if __name__ == "__main__":
    app.run(main)
