"""The trainer's measuring hook: points every N steps, kept across a resume, and measuring time
kept off the wall-clock budget."""

import json
import os
import time

from tfgen.training import TrainConfig, train
from tfgen.training.measurements import Measurements, load_points

MODEL = {"loss": "dcgan", "generator_dim": 8, "critic_dim": 8, "latent_dim": 2}


def _config(run_dir, steps, **extra):
    return TrainConfig(dataset="8gaussians", batch_size=16, train_steps=steps, output_dir=run_dir,
                       steps_per_epoch=4, checkpoint_every=2, eval_batches=1, sample_images=0,
                       export=False, verbose=0, **extra)


def test_points_continue_after_resume_and_measuring_is_not_charged(tmp_path):
    run_dir, path = str(tmp_path / "run"), str(tmp_path / "run" / "points.json")

    def slow(model):
        time.sleep(0.3)  # a measurement longer than the whole training budget below
        return {"iterations": int(model.optimizer.iterations.numpy())}

    first = train("gan", MODEL, _config(run_dir, 4, max_train_seconds=0.5),
                  callbacks=[Measurements(path, 1, slow, log_keys=("critic_loss",))])
    assert first["step"] == 4  # 4 x 0.3 s of measuring did not spend the 0.5 s budget
    points = load_points(path)
    assert [p["step"] for p in points] == [p["iterations"] for p in points] == [1, 2, 3, 4]
    assert all("critic_loss" in p for p in points)
    # steps 2..4 take milliseconds: the 3 x 0.3 s of measuring between them are excluded
    assert points[-1]["train_seconds"] - points[0]["train_seconds"] < 3 * 0.3
    with open(path, "w") as f:  # as if killed after measuring step 5, before its checkpoint
        json.dump(points + [{**points[-1], "step": 5}], f)
    again = train("gan", MODEL, _config(run_dir, 6, resume=True),
                  callbacks=[Measurements(path, 2, slow)])
    assert (again["step"], again["steps_this_run"]) == (6, 2)
    resumed = load_points(path)
    assert [p["step"] for p in resumed] == [1, 2, 3, 4, 6]  # 5 dropped: after the checkpoint
    assert resumed[:4] == points
    assert resumed[-1]["train_seconds"] > points[-1]["train_seconds"]
    assert os.path.exists(os.path.join(run_dir, "checkpoints", "ckpt-6.weights.h5"))
