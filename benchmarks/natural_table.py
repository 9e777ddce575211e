"""Benchmark: the ``natural_table`` study (Table 2.2 analogue) and ``hierarchy_levels`` (Figs. 2.6,
A.4, A.1), run once at a profile and recorded under ``benchmarks/results/``.

  .venv/bin/python benchmarks/natural_table.py                          # cpu profile, 300 s each
  .venv/bin/python benchmarks/natural_table.py --max_train_seconds=60 --studies=natural_table
  .venv/bin/python benchmarks/natural_table.py --studies=natural_table \
      --runs=pixelcnn_pp,iaf_vae --session="merge11: PixelCNN++ and IAF-VAE rows"

Before anything trains, the forward FLOPs per image of every ``natural_table`` run
(:func:`tfgen.experiments.studies.natural_table.run_flops`) are counted and printed, with the
hierarchical PixelVAE's ratio to the Gated PixelCNN's (the sizes must keep it <= 0.5; with
``--runs``, the selected runs' ratios to the Gated PixelCNN of the stored record). Then each
study of ``--studies`` runs through the study runner (each model gets the same
``--max_train_seconds`` of training). Run directories go to ``benchmarks/scratch/<study>/``; each
study's record to ``benchmarks/results/<study>.json`` (the runner's record, its machine taken
after the study, plus ``machine_before`` and, for natural_table, ``flops_before_training``) and
the figures (study PNGs, the table's Markdown, each run's sample grid) to
``benchmarks/results/natural_table/``.

**Merging sessions** (natural_table): the runs of this invocation are merged into the stored
``natural_table.json`` by name: a run measured now replaces its stored row, the other stored rows
are kept; the table, figure, targets and lossless floor are then recomputed over all rows. Every
row carries ``measured`` (``{"session", "date_utc", "label", ...}``; rows stored before sessions
were recorded get :data:`FIRST_SESSION`), and the record lists every session in ``sessions``
(its config, machine before/after, seconds, the runs it measured). Only sessions at the same
settings should be merged: the benchmark refuses when the stored config's settings differ
(beyond the run selection and fields added since) unless ``--merge_any``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import shutil

from absl import app, flags

from tfgen.experiments.studies import get_study, natural_table, run_study, select_runs
from tfgen.experiments.study import config_settings
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_list("studies", ["natural_table", "hierarchy_levels"], "studies to run, in order")
flags.DEFINE_string("profile", "cpu", "study profile (cpu | full | smoke)")
flags.DEFINE_float("max_train_seconds", 300.0, "wall-clock training budget of every model")
flags.DEFINE_integer("importance_samples", 0, "K of the latent models' IW bound (0: the "
                     "profile's)")
flags.DEFINE_bool("resume", False, "reuse runs already trained with the same settings")
flags.DEFINE_list("runs", [], "natural_table runs to do (empty: all); merged into the stored "
                  "record")
flags.DEFINE_string("session", "", "label of this session in the record's rows (default: the "
                    "date and the runs)")
flags.DEFINE_bool("merge_any", False, "merge into a stored record made at other settings")
FLAGS = flags.FLAGS

#: ``measured`` of the rows stored before sessions were recorded: the first full run of the
#: study (commit 0106cb7, 2026-12-03 ~15:00 UTC, worktree /work/wt/natural).
FIRST_SESSION = {
    "session": "first natural_table run (worktree natural, committed in 0106cb7)",
    "date_utc": "2026-12-03", "label": "2026-12-03, first run (loaded machine)",
    "note": "300 s per model on 2 CPU cores shared with other jobs (load average 4-5)"}


def flops_before_training(overrides: dict, stored: dict | None = None) -> dict:
    """GFLOPs per image of the selected natural_table runs and the hierarchical/Gated ratio
    (printed); the Gated PixelCNN's from ``stored`` (the stored record) when it is not
    selected."""
    study = natural_table.STUDY
    cfg = study.resolve(overrides)
    gflops = {run.name: natural_table.run_flops(run, cfg)["forward_flops_per_image"] / 1e9
              for run in select_runs(study, cfg)}
    for name, value in gflops.items():
        print(f"[flops] {name}: {value:.4f} GFLOPs/image (forward)", flush=True)
    gated = gflops.get("gated_pixelcnn") or ((stored or {}).get("results", {})
                                             .get("gflops_per_image", {}).get("gated_pixelcnn"))
    out = {"gflops_per_image": gflops}
    if gated:
        out["over_gated_pixelcnn"] = {name: value / gated for name, value in gflops.items()}
        for name, ratio in out["over_gated_pixelcnn"].items():
            print(f"[flops] {name} / gated = {ratio:.3f}", flush=True)
    if "hierarchical_pixelvae" in gflops and gated:
        out["hierarchical_over_gated"] = gflops["hierarchical_pixelvae"] / gated
        print(f"[flops] hierarchical / gated = {out['hierarchical_over_gated']:.3f} (target <= "
              f"{natural_table.FLOPS_RATIO_TARGET})", flush=True)
    return out


def load_stored(path: str) -> dict | None:
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def check_mergeable(stored: dict, cfg) -> None:
    """ValueError when the stored record's config settings differ from ``cfg``'s (fields the
    stored config lacks, added since, are not compared)."""
    now = config_settings(cfg)
    before = {k: v for k, v in stored.get("config", {}).items() if k in now}
    differ = sorted(k for k in before if before[k] != now[k])
    if differ:
        raise ValueError(f"the stored natural_table.json was measured at other settings "
                         f"({', '.join(f'{k}: {before[k]!r} now {now[k]!r}' for k in differ)}); "
                         f"rerun all rows, or pass --merge_any")


def merge_sessions(stored: dict | None, record: dict, cfg, session: dict,
                   extra: dict) -> dict:
    """The stored record with this session's runs (``record``) merged in by name (see the
    module docstring); the report is recomputed over all rows into the study's work dir."""
    new_runs = [{**r, "measured": session} for r in record["results"]["runs"]]
    this = {**session, "runs": [r["name"] for r in new_runs], "config": record["config"],
            "seconds": record["seconds"], "machine": record["machine"], **extra}
    if stored is None:
        merged, sessions = new_runs, [this]
    else:
        sessions = stored.get("sessions") or [{
            **FIRST_SESSION, "runs": [r["name"] for r in stored["results"]["runs"]],
            "config": stored["config"], "seconds": stored.get("seconds"),
            "machine": stored.get("machine"), "machine_before": stored.get("machine_before"),
            "flops_before_training": stored.get("flops_before_training")}]
        sessions = sessions + [this]
        merged = natural_table.merge_runs(stored["results"]["runs"], new_runs, session,
                                          FIRST_SESSION,
                                          [r.name for r in natural_table.runs(cfg)])
    all_cfg = dataclasses.replace(cfg, runs=())
    work = os.path.join(HERE, "scratch", "natural_table")
    results = {"runs": merged, **natural_table.report(all_cfg, merged, work)}
    return {"study": record["study"], "description": natural_table.STUDY.description,
            "config": dataclasses.asdict(all_cfg), "results": results,
            "sessions": sessions, "machine": record["machine"], **extra}


def copy_figures(record: dict, work: str, target: str) -> None:
    """The study's figures and each run's sample grid (``<run>_samples.png``) into ``target``."""
    os.makedirs(target, exist_ok=True)
    for figure in record["results"]["figures"]:
        shutil.copyfile(os.path.join(work, figure), os.path.join(target, figure))
    for run in record["results"]["runs"]:  # rows of earlier sessions: their grids are there
        if run.get("samples_png") and os.path.exists(run["samples_png"]):
            shutil.copyfile(run["samples_png"], os.path.join(target, f"{run['name']}_samples.png"))


def main(argv):
    del argv
    overrides = {"profile": FLAGS.profile, "max_train_seconds": FLAGS.max_train_seconds,
                 "resume": FLAGS.resume}
    if FLAGS.importance_samples:
        overrides["importance_samples"] = FLAGS.importance_samples
    for name in FLAGS.studies:
        get_study(name)  # an unknown name fails before anything trains
    table_path = os.path.join(HERE, "results", "natural_table.json")
    stored = load_stored(table_path) if "natural_table" in FLAGS.studies else None
    table_overrides = {**overrides, "runs": tuple(FLAGS.runs)}
    if stored is not None and not FLAGS.merge_any:
        check_mergeable(stored, natural_table.STUDY.resolve(table_overrides))
    extra = {}
    if "natural_table" in FLAGS.studies:
        extra["natural_table"] = {"flops_before_training": flops_before_training(
            table_overrides, stored)}
    for name in FLAGS.studies:
        before = machine_info()
        began = datetime.datetime.now(datetime.UTC)
        work = os.path.join(HERE, "scratch", name)
        study_overrides = table_overrides if name == "natural_table" else overrides
        record = run_study(name, work, study_overrides)
        copy_figures(record, work, os.path.join(HERE, "results", "natural_table"))
        path = os.path.join(HERE, "results", f"{name}.json")
        if name == "natural_table":
            cfg = natural_table.STUDY.resolve(study_overrides)
            runs = [r["name"] for r in record["results"]["runs"]]
            date = began.isoformat(timespec="seconds")
            session = {"session": FLAGS.session or f"{date}: {', '.join(runs)}",
                       "date_utc": date,
                       "label": f"{date[:10]}, {FLAGS.session or ', '.join(runs)}",
                       "max_train_seconds": cfg.max_train_seconds,
                       "load_average_before": before.get("load_average")}
            record = merge_sessions(stored, record, cfg, session,
                                    {"machine_before": before, **extra[name]})
            copy_figures(record, work, os.path.join(HERE, "results", "natural_table"))
            write_json(path, record)
        else:
            write_json(path, {**record, "machine_before": before, **extra.get(name, {})})
        print(f"[{name}] wrote {path}; load {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    app.run(main)
