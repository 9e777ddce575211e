"""Generative models as normality models (thesis chapter 4): OOD detection from the command line.

Leave-one-class-out (thesis Tables 4.1/4.2): for each held-out class, train every model on the
other classes and score the test set (held-out class = positive):

  python train/ood.py                                    # all classes, VAE/PixelCNN/PixelVAE/DCGAN
  python train/ood.py --classes=5,8 --models=vae,dcgan --output_dir=runs/ood
  python train/ood.py --resume                           # skip (model, class) pairs already done
  python train/ood.py --profile=smoke --classes=0,1      # seconds

Score any data set against a trained export (same metrics; the OOD set is the positive class):

  python train/ood.py --saved_model=saved_models/vae_fashion_mnist/1 \
      --in_dataset=binarized_fashion_mnist --out_dataset=npz:/path/my_images.npz --binarize

Every ``OODConfig`` field is a flag (``--scorers``, ``--max_train_seconds``,
``--importance_samples``, ``--test_examples``, ...). Writes ``OUTPUT_DIR/<name>.json``, ``.md``
and ``.png`` (leave-one-class-out) and prints a JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys

from absl import app, flags

from tfgen.data import DataNotFoundError
from tfgen.experiments.ood import OODConfig, resolve, run_protocol, score_datasets
from tfgen.training import TrainingDivergedError
from tfgen.utils.config import define_flags, overrides_from_flags

flags.DEFINE_string("output_dir", "", "where to write (empty: runs/ood/<dataset>)")
flags.DEFINE_string("name", "", "prefix of the summary files (empty: ood_<dataset>)")
flags.DEFINE_string("saved_model", "", "score --in_dataset vs --out_dataset with this export "
                                       "instead of running leave-one-class-out")
flags.DEFINE_string("background_saved_model", "", "likelihood-ratio background export "
                                                  "(with --saved_model)")
flags.DEFINE_string("in_dataset", "", "in-distribution data set (registry name, npz:PATH, "
                                      "folder:PATH)")
flags.DEFINE_string("out_dataset", "", "out-of-distribution data set (same forms)")
flags.DEFINE_string("in_split", "test", "split of --in_dataset scored")
flags.DEFINE_string("out_split", "test", "split of --out_dataset scored")
flags.DEFINE_string("reference_split", "validation", "split of --in_dataset giving the "
                                                     "typicality reference")
flags.DEFINE_bool("binarize", False, "binarize every set (exports of binarized-data models)")
define_flags(OODConfig)
FLAGS = flags.FLAGS


def _score_export(cfg: OODConfig) -> dict:
    if not (FLAGS.in_dataset and FLAGS.out_dataset):
        raise ValueError("--saved_model needs --in_dataset and --out_dataset")
    result = score_datasets(FLAGS.saved_model, FLAGS.in_dataset, FLAGS.out_dataset, cfg,
                            background_saved_model=FLAGS.background_saved_model,
                            binarize=FLAGS.binarize, in_split=FLAGS.in_split,
                            out_split=FLAGS.out_split, reference_split=FLAGS.reference_split)
    if FLAGS.output_dir:
        from tfgen.utils.records import write_json
        path = os.path.join(FLAGS.output_dir, f"{FLAGS.name or 'ood_saved_model'}.json")
        write_json(path, result)
        result["json"] = path
    return result


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        cfg = resolve(overrides_from_flags(OODConfig))
        if FLAGS.saved_model:
            print(json.dumps(_score_export(cfg), indent=2))
            return 0
        output_dir = FLAGS.output_dir or os.path.join("runs", "ood", cfg.dataset.replace(
            ":", "_").replace("/", "_"))
        summary = run_protocol(cfg, output_dir, FLAGS.name)
    except (ValueError, FileNotFoundError, FileExistsError, DataNotFoundError,
            TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    means = {m["label"]: {s: round(100 * b["mean"]["average_precision"], 2)
                          for s, b in m["scorers"].items()}
             for m in summary["models"].values()}
    print(json.dumps({"output_dir": output_dir, "files": summary["files"],
                      "seconds": round(summary["seconds"], 1),
                      "mean_aupr_percent": means}, indent=2))
    return 0


if __name__ == "__main__":
    app.run(main)
