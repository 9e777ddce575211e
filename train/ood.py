"""Generative models as normality models (thesis chapter 4): OOD detection from the command line.

Leave-one-class-out (thesis Tables 4.1/4.2; the study ``ood``, run by the studies' runner, also
as ``train/study.py --study=ood``): for each held-out class, train every model on the other
classes and score the test set (held-out class = positive):

  python train/ood.py                                    # all classes, VAE/PixelCNN/PixelVAE/DCGAN
  python train/ood.py --classes=5,8 --models=vae,dcgan --output_dir=runs/ood
  python train/ood.py --resume                           # skip (model, class) pairs already done
  python train/ood.py --profile=smoke --classes=0,1      # seconds
  python train/ood.py --dataset=photo_patches            # 8-bit colour, the 7 photos, CPU
  python train/ood.py --dataset=fashion_mnist --pixels=8bit   # 8-bit likelihood models
  python train/ood.py --profile=full --dataset=cifar10   # Table 4.2 (IAF, PixelCNN++, ...)

Binarization is the setting's (``--pixels=auto``: binarized on MNIST/Fashion-MNIST as in Table
4.1, 8-bit on CIFAR-10 as in Table 4.2 and on the photo patches; ``binarized`` / ``8bit``
override it); ``--models`` left empty runs the dataset's table.

Score any data set against a trained export (same metrics; the OOD set is the positive class):

  python train/ood.py --saved_model=saved_models/vae_fashion_mnist/1 \
      --in_dataset=binarized_fashion_mnist --out_dataset=npz:/path/my_images.npz --binarize

Every ``OODConfig`` field is a flag (``--scorers``, ``--max_train_seconds``,
``--importance_samples``, ``--eval_examples``, ...), with the studies' names, profiles and resume
rule (``tfgen.experiments.study``). A flag the chosen mode does not read is an error listing the
mode's settings: the scoring flags (``--in_dataset``, ...) need ``--saved_model``, and scoring an
export reads only the scoring fields. Writes ``OUTPUT_DIR/<name>.json``, ``.md`` and ``.png``
(leave-one-class-out) and prints a JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys

from absl import app, flags

from tfgen.data import DataNotFoundError
from tfgen.experiments.ood import STUDY, OODConfig, resolve, score_datasets
from tfgen.experiments.study import run_study
from tfgen.training import TrainingDivergedError
from tfgen.utils.config import (
    check_given_flags,
    config_field_names,
    define_flags,
    overrides_from_flags,
)
from tfgen.utils.records import write_json

#: Flags of scoring an export (``--saved_model``), besides the OODConfig fields it reads.
SCORING_FLAGS = ("background_saved_model", "in_dataset", "out_dataset", "in_split", "out_split",
                 "reference_split", "binarize")
#: The OODConfig fields that scoring an export reads.
SCORING_FIELDS = ("profile", "name", "scorers", "eval_examples", "reference_examples",
                  "importance_samples", "eval_batch_size", "typicality_batch_size",
                  "typicality_alpha", "bootstrap_samples", "seed")


def define_cli_flags(flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """The command's flags: the scoring mode's, the summary's and every OODConfig field."""
    for name, default, text in (
            ("output_dir", "", "where to write (empty: runs/ood/<dataset>)"),
            ("saved_model", "", "score --in_dataset vs --out_dataset with this export instead "
                                "of running leave-one-class-out"),
            ("background_saved_model", "", "likelihood-ratio background export (with "
                                           "--saved_model)"),
            ("in_dataset", "", "in-distribution data set (registry name, npz:PATH, "
                               "folder:PATH)"),
            ("out_dataset", "", "out-of-distribution data set (same forms)"),
            ("in_split", "test", "split of --in_dataset scored"),
            ("out_split", "test", "split of --out_dataset scored"),
            ("reference_split", "validation", "split of --in_dataset giving the typicality "
                                              "reference")):
        flags.DEFINE_string(name, default, text, flag_values=flag_values)
    flags.DEFINE_bool("binarize", False, "binarize every set (exports of binarized-data models)",
                      flag_values=flag_values)
    define_flags(OODConfig, flag_values)


def check_mode_flags(flag_values: flags.FlagValues) -> None:
    """Refuse flags the chosen mode (leave-one-class-out, or scoring an export) does not read."""
    fields = config_field_names(OODConfig)
    if flag_values.saved_model:
        check_given_flags((*SCORING_FIELDS, *SCORING_FLAGS), fields,
                          "scoring an export (--saved_model)", flag_values)
    else:
        check_given_flags(fields, SCORING_FLAGS, "leave-one-class-out (no --saved_model)",
                          flag_values)


def _score_export(cfg: OODConfig, fv: flags.FlagValues) -> dict:
    if not (fv.in_dataset and fv.out_dataset):
        raise ValueError("--saved_model needs --in_dataset and --out_dataset")
    result = score_datasets(fv.saved_model, fv.in_dataset, fv.out_dataset, cfg,
                            background_saved_model=fv.background_saved_model,
                            binarize=fv.binarize, in_split=fv.in_split, out_split=fv.out_split,
                            reference_split=fv.reference_split)
    if fv.output_dir:
        path = os.path.join(fv.output_dir, f"{fv.name or 'ood_saved_model'}.json")
        write_json(path, result)
        result["json"] = path
    return result


def run(fv: flags.FlagValues = flags.FLAGS) -> int:
    """The command on parsed flags ``fv``; returns the exit status."""
    try:
        check_mode_flags(fv)
        cfg = resolve(overrides_from_flags(OODConfig, fv))
        if fv.saved_model:
            print(json.dumps(_score_export(cfg, fv), indent=2))
            return 0
        output_dir = fv.output_dir or os.path.join("runs", "ood", cfg.dataset.replace(
            ":", "_").replace("/", "_"))
        record = run_study(STUDY, output_dir, cfg)
    except (ValueError, FileNotFoundError, FileExistsError, DataNotFoundError,
            TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    means = {m["label"]: {s: round(100 * b["mean"]["average_precision"], 2)
                          for s, b in m["scorers"].items()}
             for m in record["results"]["models"].values()}
    print(json.dumps({"output_dir": output_dir, "files": record["results"]["files"],
                      "seconds": round(record["seconds"], 1),
                      "mean_aupr_percent": means}, indent=2))
    return 0


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    return run(flags.FLAGS)


if __name__ == "__main__":
    define_cli_flags()
    app.run(main)
