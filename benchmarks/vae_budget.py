"""Benchmark: the convolutional VAE on binarized Fashion-MNIST for a fixed wall-clock budget.

  .venv/bin/python benchmarks/vae_budget.py                       # 600 s budget, K = 1000
  .venv/bin/python benchmarks/vae_budget.py --budget_seconds=60 --eval_examples=100

Trains the ``vae_fashion_mnist`` experiment until ``--budget_seconds`` of training time have
passed, exports it, and evaluates the export on the test split with the importance-weighted
bound (``--importance_samples`` K, nats per image and bits/dim). Records test NLL, ELBO, steps/s
and the machine in ``benchmarks/results/<name>.json``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os

from absl import app, flags

from tfgen.evaluation.saved_model import evaluate_saved_model
from tfgen.experiments import get_experiment
from tfgen.training import TrainConfig, train
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_string("experiment", "vae_fashion_mnist", "experiment to train")
flags.DEFINE_float("budget_seconds", 600.0, "wall-clock training budget")
flags.DEFINE_integer("importance_samples", 1000, "K of the importance-weighted NLL bound")
flags.DEFINE_integer("eval_examples", 1000, "test images evaluated (the first ones of the split)")
flags.DEFINE_string("name", "", "results file name (default: <experiment>_<budget>s)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    experiment = get_experiment(FLAGS.experiment)
    name = FLAGS.name or f"{experiment.name}_{int(FLAGS.budget_seconds)}s"
    scratch = os.path.join(HERE, "scratch", name)
    cfg = TrainConfig(**{**experiment.train_config, "train_steps": 10**9,
                         "max_train_seconds": FLAGS.budget_seconds,
                         "output_dir": os.path.join(scratch, "run"),
                         "export_root": os.path.join(scratch, "exports"), "verbose": 2})
    if os.path.exists(cfg.output_dir):
        raise SystemExit(f"{cfg.output_dir} exists from an earlier run; remove it first")
    trained = train(experiment.model, dict(experiment.model_config), cfg, run_name=name)
    evaluation = evaluate_saved_model(
        trained["export_path"], cfg.dataset, "test", importance_samples=FLAGS.importance_samples,
        max_examples=FLAGS.eval_examples, seed=0)
    result = {
        "benchmark": "vae_budget", "experiment": experiment.name, "dataset": cfg.dataset,
        "model": experiment.model, "model_config": dict(experiment.model_config),
        "train_config": dataclasses.asdict(cfg), "budget_seconds": FLAGS.budget_seconds,
        "train_seconds": trained["train_seconds"], "steps": trained["step"],
        "steps_per_second": trained["step"] / max(trained["train_seconds"], 1e-9),
        "test_nll_nats": evaluation["nll_nats"], "test_bits_per_dim": evaluation["bits_per_dim"],
        "test_elbo_nats": evaluation["elbo_nats"], "test_kl_nats": evaluation["kl_nats"],
        "test_recon_nats": evaluation["recon_nats"], "importance_samples":
            evaluation["importance_samples"], "eval_examples": evaluation["count"],
        "machine": machine_info(), "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    path = os.path.join(HERE, "results", f"{name}.json")
    write_json(path, result)
    print(f"wrote {path}: test NLL {result['test_nll_nats']:.2f} nats "
          f"({result['test_bits_per_dim']:.4f} bits/dim), {result['steps_per_second']:.2f} steps/s")


if __name__ == "__main__":
    app.run(main)
