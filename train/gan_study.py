"""Run a chapter-3 (WGAN-GP) study: train its GANs, measure them, write JSON + PNG figures.

  python train/gan_study.py --study=toy_value_surfaces --output_dir=runs/gan_studies/toy
  python train/gan_study.py --study=mode_coverage --steps=5000          # longer than CPU default
  python train/gan_study.py --study=architecture_robustness --profile=full    # a GPU
  python train/gan_study.py --study=score_vs_time --profile=smoke              # seconds
  python train/gan_study.py --list                                             # the studies

Every field of ``tfgen.experiments.studies_gan.StudyConfig`` is a flag; ``--profile`` picks the
study's CPU-sized defaults, its thesis-sized ``full`` settings (default when a GPU is visible)
or ``smoke`` sizes, and flags given on the command line override the profile. Writes
``OUTPUT_DIR/STUDY.json`` and the study's PNGs, and prints a short JSON summary on stdout.
Image studies train (once, then cache under ``$TFGEN_CACHE_DIR``) the classifier whose feature
space their FD/score use.
"""

from __future__ import annotations

import json
import os
import sys

from absl import app, flags

from tfgen.experiments.studies_gan import STUDIES, StudyConfig, run_study, study_names
from tfgen.utils.config import define_flags, overrides_from_flags

flags.DEFINE_string("study", None, f"the study to run; one of {study_names()}")
flags.DEFINE_string("output_dir", "", "where to write the study (empty: runs/gan_studies/<study>)")
flags.DEFINE_bool("list", False, "print the studies and their descriptions, then exit")
define_flags(StudyConfig)
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if FLAGS.list:
        for name in study_names():
            print(f"{name}: {STUDIES[name].description}")
        return 0
    if not FLAGS.study:
        print(f"error: pass --study; one of {study_names()}", file=sys.stderr)
        return 1
    output_dir = FLAGS.output_dir or os.path.join("runs", "gan_studies", FLAGS.study)
    try:
        record = run_study(FLAGS.study, output_dir, overrides_from_flags(StudyConfig))
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    results = record["results"]
    summary = {"study": record["study"], "profile": record["config"]["profile"],
               "output_dir": output_dir,
               "json": os.path.join(output_dir, f"{record['study']}.json"),
               "figures": results.get("figures", []), "seconds": round(record["seconds"], 1)}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    app.run(main)
