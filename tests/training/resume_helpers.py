"""Straight-through vs stop-and-resume training runs, compared bit for bit (issue 17).

Shared by test_resume_exact.py and the fresh-process mirrored check (resume_mirrored.py).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from tfgen.training import TrainConfig, train
from tfgen.training.checkpoints import CheckpointStore


def final_weights(run_dir: str, model) -> list[np.ndarray]:
    """The weights (and optimizer state) of the newest checkpoint under ``run_dir``."""
    model.load_weights(CheckpointStore(os.path.join(run_dir, "checkpoints")).latest()[1])
    return [np.asarray(v) for v in model.weights] + [
        np.asarray(v) for v in model.optimizer.variables]


def straight_and_resumed(model_name: str, model_config: dict, cfg: TrainConfig, root: str):
    """Train ``cfg.train_steps`` steps in one run and in two (half, stop, ``resume`` to the end)
    with the same seed; returns (straight result, resumed result, straight dir, resumed dir)."""
    half = cfg.train_steps // 2
    straight_dir, resumed_dir = os.path.join(root, "straight"), os.path.join(root, "resumed")
    straight = train(model_name, model_config, dataclasses.replace(cfg, output_dir=straight_dir))
    first = train(model_name, model_config,
                  dataclasses.replace(cfg, output_dir=resumed_dir, train_steps=half))
    assert first["step"] == half
    resumed = train(model_name, model_config,
                    dataclasses.replace(cfg, output_dir=resumed_dir, resume=True))
    return straight, resumed, straight_dir, resumed_dir
