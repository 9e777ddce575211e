"""Run a chapter-2 (PixelVAE) study: train its models, evaluate them, write JSON + figures.

  python train/study.py --study=nll_vs_layers --output_dir=runs/studies/nll_vs_layers
  python train/study.py --study=latent_2d --profile=cpu --train_steps=2000
  python train/study.py --study=nll_table --profile=full --importance_samples=5000   # a GPU
  python train/study.py --study=nll_table --profile=smoke                            # seconds

Studies: nll_vs_layers (Fig. 2.4), latent_2d (Fig. 2.5), nll_table (Table 2.1); see
``tfgen.experiments.studies``. Every field of ``StudyConfig`` is a flag; ``--profile`` picks the
CPU-sized defaults, the thesis-sized ``full`` settings (default when a GPU is visible) or
``smoke`` sizes, and flags given on the command line override the profile. Writes
``OUTPUT_DIR/STUDY.json`` and the study's PNGs, and prints a short JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys

from absl import app, flags

from tfgen.experiments.studies import StudyConfig, run_study, study_names
from tfgen.training import TrainingDivergedError
from tfgen.utils.config import define_flags, overrides_from_flags

flags.DEFINE_string("study", None, f"the study to run; one of {study_names()}")
flags.DEFINE_string("output_dir", "", "where to write the study (empty: runs/studies/<study>)")
define_flags(StudyConfig)
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if not FLAGS.study:
        print(f"error: pass --study; one of {study_names()}", file=sys.stderr)
        return 1
    output_dir = FLAGS.output_dir or os.path.join("runs", "studies", FLAGS.study)
    try:
        record = run_study(FLAGS.study, output_dir, overrides_from_flags(StudyConfig))
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    results = record["results"]
    summary = {"study": record["study"], "output_dir": output_dir,
               "json": os.path.join(output_dir, f"{record['study']}.json"),
               "figures": results.get("figures", []), "seconds": round(record["seconds"], 1),
               "runs": {r["name"]: {"nll_nats": r["nll_nats"], "elbo_nats": r["elbo_nats"],
                                    **({"knn_error": r["knn_error"]} if "knn_error" in r
                                       else {})}
                        for r in results["runs"]}}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    app.run(main)
