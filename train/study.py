"""Run a thesis study (chapters 2 to 4): train its models, measure them, write JSON + figures.

  python train/study.py --list                                         # every study
  python train/study.py --study=nll_vs_layers --output_dir=runs/studies/nll_vs_layers
  python train/study.py --study=latent_2d --profile=cpu --train_steps=2000
  python train/study.py --study=latent_2d --dataset=mnist --binarize   # MNIST Fig. 2.5
  python train/study.py --study=nll_table --profile=full --importance_samples=5000   # a GPU
  python train/study.py --study=mode_coverage --train_steps=5000 --losses=wgan-gp,dcgan
  python train/study.py --study=score_vs_time --profile=smoke                       # seconds
  python train/study.py --study=ood --classes=5,8 --models=vae,dcgan   # as train/ood.py

Each study has one config (``tfgen.experiments.studies``); each of its fields is a flag, and a
flag the chosen study does not have is an error that lists the study's fields. ``--profile``
picks the study's CPU-sized defaults, its thesis-sized ``full`` settings on the thesis' data
(default when a GPU is visible) or ``smoke`` sizes; flags given override the profile.
``--resume`` reuses finished runs and continues interrupted ones from their checkpoints (the
defaults ``--helpfull`` shows are the configs'; each study's profile sets its own). Writes
``OUTPUT_DIR/STUDY.json`` and the study's figures, and prints a short JSON summary on stdout.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from absl import app, flags

from tfgen.data import DataNotFoundError
from tfgen.experiments.studies import STUDIES, Study, get_study, run_study, study_names
from tfgen.experiments.study import summary_file
from tfgen.training import TrainingDivergedError
from tfgen.utils.config import (
    check_given_flags,
    config_field_names,
    define_flags,
    overrides_from_flags,
)

#: Where a study writes when --output_dir is not given (``train/gan_study.py`` changes it).
OUTPUT_ROOT = os.path.join("runs", "studies")
CONFIGS = tuple(dict.fromkeys(s.config for s in STUDIES.values()))


def define_cli_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """The command's flags: --study, --output_dir, --list and every study config field."""
    flags.DEFINE_string("study", None, f"the study to run; one of {study_names()}",
                        flag_values=flag_values)
    flags.DEFINE_string("output_dir", "", f"where to write the study (empty: "
                        f"{OUTPUT_ROOT}/<study>)", flag_values=flag_values)
    flags.DEFINE_bool("list", False, "print the studies and their descriptions, then exit",
                      flag_values=flag_values)
    helps: dict[str, dict[str, list[str]]] = {}
    for config in CONFIGS:
        define_flags(config, flag_values)
    for name in study_names():
        for f in dataclasses.fields(STUDIES[name].config):
            helps.setdefault(f.name, {}).setdefault(f.metadata["help"], []).append(name)
    for name, texts in helps.items():  # a field some studies describe differently
        if len(texts) > 1:
            flag_values[name].help = " | ".join(f"{', '.join(owners)}: {text}"
                                                for text, owners in texts.items())


def _summary(study: Study, record: dict, output_dir: str) -> dict:
    results = record["results"]
    name, _ = summary_file(study, study.config(**record["config"]), record)
    summary = {"study": record["study"], "profile": record["config"]["profile"],
               "output_dir": output_dir, "json": os.path.join(output_dir, f"{name}.json"),
               "figures": results.get("figures", []), "seconds": round(record["seconds"], 1)}
    if isinstance(results["runs"], list):  # the likelihood studies: headline numbers per run
        keys = ("nll_nats", "elbo_nats", "knn_error")
        summary["runs"] = {r["name"]: {k: r[k] for k in keys if k in r}
                           for r in results["runs"]}
    return summary


def run(flag_values: flags.FlagValues = flags.FLAGS) -> int:
    """The command on parsed ``flag_values``; returns the exit status."""
    if flag_values.list:
        for name in study_names():
            print(f"{name}: {STUDIES[name].description}")
        return 0
    if not flag_values.study:
        print(f"error: pass --study (or --list); one of {study_names()}", file=sys.stderr)
        return 1
    output_dir = flag_values.output_dir or os.path.join(OUTPUT_ROOT, flag_values.study)
    try:
        study = get_study(flag_values.study)
        check_given_flags(config_field_names(study.config), config_field_names(*CONFIGS),
                          f"study {study.name!r}", flag_values)
        record = run_study(study.name, output_dir,
                           overrides_from_flags(study.config, flag_values))
    except (ValueError, FileNotFoundError, FileExistsError, DataNotFoundError,
            TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(_summary(study, record, output_dir), indent=2))
    return 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    return run(flags.FLAGS)


if __name__ == "__main__":
    define_cli_flags()
    app.run(main)
