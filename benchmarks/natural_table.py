"""Benchmark: the ``natural_table`` study (Table 2.2 analogue) and ``hierarchy_levels`` (Figs. 2.6,
A.4, A.1), run once at a profile and recorded under ``benchmarks/results/``.

  .venv/bin/python benchmarks/natural_table.py                          # cpu profile, 300 s each
  .venv/bin/python benchmarks/natural_table.py --max_train_seconds=60 --studies=natural_table

Before anything trains, the forward FLOPs per image of every ``natural_table`` run
(:func:`tfgen.experiments.studies.natural_table.run_flops`) are counted and printed, with the
hierarchical PixelVAE's ratio to the Gated PixelCNN's (the sizes must keep it <= 0.5). Then each
study of ``--studies`` runs through the study runner (each model gets the same
``--max_train_seconds`` of training). Run directories go to ``benchmarks/scratch/<study>/``; each
study's record to ``benchmarks/results/<study>.json`` (the runner's record, its machine taken
after the study, plus ``machine_before`` and, for natural_table, ``flops_before_training``) and
the figures (study PNGs, the table's Markdown, each run's sample grid) to
``benchmarks/results/natural_table/``.
"""

from __future__ import annotations

import os
import shutil

from absl import app, flags

from tfgen.experiments.studies import get_study, natural_table, run_study, select_runs
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_list("studies", ["natural_table", "hierarchy_levels"], "studies to run, in order")
flags.DEFINE_string("profile", "cpu", "study profile (cpu | full | smoke)")
flags.DEFINE_float("max_train_seconds", 300.0, "wall-clock training budget of every model")
flags.DEFINE_integer("importance_samples", 0, "K of the latent models' IW bound (0: the "
                     "profile's)")
flags.DEFINE_bool("resume", False, "reuse runs already trained with the same settings")
FLAGS = flags.FLAGS


def flops_before_training(overrides: dict) -> dict:
    """GFLOPs per image of every natural_table run, and the hierarchical/Gated ratio (printed)."""
    study = natural_table.STUDY
    cfg = study.resolve(overrides)
    gflops = {run.name: natural_table.run_flops(run, cfg)["forward_flops_per_image"] / 1e9
              for run in select_runs(study, cfg)}
    for name, value in gflops.items():
        print(f"[flops] {name}: {value:.4f} GFLOPs/image (forward)", flush=True)
    ratio = gflops["hierarchical_pixelvae"] / gflops["gated_pixelcnn"]
    print(f"[flops] hierarchical / gated = {ratio:.3f} (target <= "
          f"{natural_table.FLOPS_RATIO_TARGET})", flush=True)
    return {"gflops_per_image": gflops, "hierarchical_over_gated": ratio}


def copy_figures(record: dict, work: str, target: str) -> None:
    """The study's figures and each run's sample grid (``<run>_samples.png``) into ``target``."""
    os.makedirs(target, exist_ok=True)
    for figure in record["results"]["figures"]:
        shutil.copyfile(os.path.join(work, figure), os.path.join(target, figure))
    for run in record["results"]["runs"]:
        if run.get("samples_png"):
            shutil.copyfile(run["samples_png"], os.path.join(target, f"{run['name']}_samples.png"))


def main(argv):
    del argv
    overrides = {"profile": FLAGS.profile, "max_train_seconds": FLAGS.max_train_seconds,
                 "resume": FLAGS.resume}
    if FLAGS.importance_samples:
        overrides["importance_samples"] = FLAGS.importance_samples
    for name in FLAGS.studies:
        get_study(name)  # an unknown name fails before anything trains
    extra = {}
    if "natural_table" in FLAGS.studies:
        extra["natural_table"] = {"flops_before_training": flops_before_training(overrides)}
    for name in FLAGS.studies:
        before = machine_info()
        work = os.path.join(HERE, "scratch", name)
        record = run_study(name, work, overrides)
        copy_figures(record, work, os.path.join(HERE, "results", "natural_table"))
        path = os.path.join(HERE, "results", f"{name}.json")
        write_json(path, {**record, "machine_before": before, **extra.get(name, {})})
        print(f"[{name}] wrote {path}; load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    app.run(main)
