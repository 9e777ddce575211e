"""The chapter-3 studies' former command: ``train/study.py`` writing under ``runs/gan_studies``.

  python train/gan_study.py --list
  python train/gan_study.py --study=toy_value_surfaces --output_dir=runs/gan_studies/toy
  python train/gan_study.py --study=mode_coverage --train_steps=5000

Every study (chapters 2, 3 and 4's OOD protocol) runs through ``train/study.py`` and the one runner,
``tfgen.experiments.study``; this alias only keeps the documented commands and their default
output directory (``runs/gan_studies/<study>``).
"""

from __future__ import annotations

import os

from absl import app

import study  # train/study.py, next to this file

if __name__ == "__main__":
    study.OUTPUT_ROOT = os.path.join("runs", "gan_studies")
    study.define_cli_flags()
    app.run(study.main)
