"""Benchmark: VAE, Gated PixelCNN and PixelVAE trained for the same wall-clock budget.

  .venv/bin/python benchmarks/equal_compute.py                        # 240 s each, 3 rounds
  .venv/bin/python benchmarks/equal_compute.py --budget_seconds=30 --rounds=1 --eval_examples=100

Each of ``--experiments`` (default: the named experiments ``vae_fashion_mnist``,
``gated_pixelcnn_fashion_mnist`` and ``pixelvae_fashion_mnist``: their models, batch 64 and Adam
1e-3 on dynamically binarized Fashion-MNIST) trains with the library's trainer for
``--budget_seconds`` of wall-clock time inside ``fit``, as the trainer's ``--max_train_seconds``
counts it (from the end of each ``fit``'s first batch, so graph tracing is not charged; the
periodic validation is, the checkpoint and test pass after it are not). To make load from other
jobs on a shared machine hit every model alike the budget is split into ``--rounds`` rounds:
round r trains every model (in an order rotated each round) for ``budget / rounds`` seconds,
continuing from its checkpoint with ``--resume`` (weights, optimizer, step and data position).

Then each model is restored from its last checkpoint and evaluated on the first
``--eval_examples`` test images (frozen binarization, the same for every model):
``nll_nats`` is the exact -log p(x) for the Gated PixelCNN and the importance-weighted bound
with ``--importance_samples`` K for the VAE and PixelVAE (an upper bound on their NLL), nats per
image, with bits/dim and the ELBO terms of the latent models.

Writes ``benchmarks/results/equal_compute_<budget>s.json`` (``--name``) with the machine and the
load average before, between and after the rounds; run directories go to
``benchmarks/scratch/<name>/``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import time

from absl import app, flags

from tfgen import data
from tfgen.evaluation.interface import LiveModel
from tfgen.evaluation.saved_model import evaluate
from tfgen.experiments import get_experiment
from tfgen.training import TrainConfig, restore_trained, train
from tfgen.utils.records import write_json
from tfgen.utils.machine import machine_info

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_list("experiments", ["vae_fashion_mnist", "gated_pixelcnn_fashion_mnist",
                                  "pixelvae_fashion_mnist"], "named experiments to compare")
flags.DEFINE_float("budget_seconds", 240.0, "wall-clock training budget of every model")
flags.DEFINE_integer("rounds", 3, "rounds the budget is split into (models interleaved)")
flags.DEFINE_integer("importance_samples", 100, "K of the latent models' IW NLL bound")
flags.DEFINE_integer("eval_examples", 1000, "first test images evaluated")
flags.DEFINE_integer("eval_batch_size", 50, "test images per evaluation batch")
flags.DEFINE_string("name", "", "result name (default: equal_compute_<budget>s)")
flags.DEFINE_bool("overwrite", False, "remove an earlier scratch directory of this name")
FLAGS = flags.FLAGS


def round_config(experiment, run_dir: str, seconds: float, resume: bool) -> TrainConfig:
    """The experiment's training settings, limited by time only, for one round."""
    return TrainConfig(**{
        **experiment.train_config, "train_steps": 10**9, "max_train_seconds": seconds,
        "output_dir": run_dir, "resume": resume, "export": False, "sample_images": 0,
        "checkpoint_every": 10**9, "keep_checkpoints": 1, "eval_batches": 1, "verbose": 0})


def main(argv):
    del argv
    experiments = [get_experiment(name) for name in FLAGS.experiments]
    datasets = {e.train_config["dataset"] for e in experiments}
    if len(datasets) != 1:
        raise ValueError(f"the experiments must share one dataset to compare NLLs; got {datasets}")
    dataset = datasets.pop()
    name = FLAGS.name or f"equal_compute_{int(FLAGS.budget_seconds)}s"
    scratch = os.path.join(HERE, "scratch", name)
    if os.path.exists(scratch):
        if not FLAGS.overwrite:
            raise SystemExit(f"{scratch} exists from an earlier run; pass --overwrite or remove it")
        shutil.rmtree(scratch)
    per_round = FLAGS.budget_seconds / FLAGS.rounds
    result = {"benchmark": "equal_compute", "dataset": dataset,
              "budget_seconds": FLAGS.budget_seconds, "rounds": FLAGS.rounds,
              "importance_samples": FLAGS.importance_samples,
              "units": "nats per image (nll_nats: exact for gated_pixelcnn, IW upper bound for "
                       "the latent models); seconds of wall clock",
              "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "machine": machine_info(), "load_average_after_round": [], "models": {}}
    runs = {e.name: {"experiment": e.name, "model": e.model, "model_config": e.model_config,
                     "train_config": None, "train_seconds": 0.0, "wall_seconds": 0.0,
                     "round_steps": []} for e in experiments}
    began = time.monotonic()
    for r in range(FLAGS.rounds):
        order = experiments[r % len(experiments):] + experiments[:r % len(experiments)]
        for experiment in order:
            run = runs[experiment.name]
            cfg = round_config(experiment, os.path.join(scratch, experiment.name), per_round,
                               resume=r > 0)
            start = time.monotonic()
            trained = train(experiment.model, dict(experiment.model_config), cfg,
                            run_name=experiment.name)
            run["wall_seconds"] += time.monotonic() - start
            run["train_seconds"] += trained["train_seconds"]
            run["round_steps"].append(trained["steps_this_run"])
            run.update(step=trained["step"], train_config=dataclasses.asdict(cfg))
            print(f"round {r + 1}/{FLAGS.rounds} {experiment.name}: step {trained['step']}, "
                  f"{trained['train_seconds']:.1f} s", flush=True)
        result["load_average_after_round"].append([round(x, 2) for x in os.getloadavg()])
    result["training_wall_seconds"] = time.monotonic() - began
    for experiment in experiments:
        run = runs[experiment.name]
        start = time.monotonic()
        model = restore_trained(experiment.model, dict(experiment.model_config),
                                data.get_spec(dataset), os.path.join(scratch, experiment.name))
        test, _ = data.load(dataset, "test", seed=0)
        batches = data.make_pipeline(test.take(FLAGS.eval_examples), FLAGS.eval_batch_size,
                                     training=False, cache=False).as_numpy_iterator()
        metrics = evaluate(LiveModel(model), batches,
                           importance_samples=FLAGS.importance_samples, seed=0)
        run.update(metrics, parameters=int(model.count_params()),
                   steps_per_second=run["step"] / max(run["train_seconds"], 1e-9),
                   eval_seconds=time.monotonic() - start)
        result["models"][experiment.name] = run
        print(f"{experiment.name}: {run['step']} steps, test NLL {metrics['nll_nats']:.2f} nats "
              f"({metrics['nll_estimator']})", flush=True)
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    path = os.path.join(HERE, "results", f"{name}.json")
    write_json(path, result)
    print(f"wrote {path}")


if __name__ == "__main__":
    app.run(main)
