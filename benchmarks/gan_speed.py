"""Benchmark: WGAN-GP generator iterations per second, with and without XLA.

  .venv/bin/python benchmarks/gan_speed.py                      # all nets, XLA off and on
  .venv/bin/python benchmarks/gan_speed.py --nets=toy_mlp,dcgan28 --xla=off --steps_scale=0.5

One generator iteration is one ``GAN.train_step`` of Algorithm 1: n_critic = 5 critic updates
(each with its own minibatch of m real examples and the gradient penalty's double backprop) and
one generator update. Synthetic in-memory data, so the input pipeline is not measured. Each
setting is compiled and warmed up with ``warmup`` iterations (reported as ``warmup_seconds``,
which includes tracing and XLA compilation), then timed over ``steps`` iterations of
``model.fit``. Writes ``benchmarks/results/gan_speed.json``.

Settings (thesis sizes): ``toy_mlp`` (gan_toy.py: 3x512 ReLU MLPs, z in R^2, m = 256),
``dcgan28`` (DCGAN 28x28x1, dim 64, m = 64) and ``resnet_cifar`` (appendix B.3, 32x32x3, 128
filters, m = 64).
"""

from __future__ import annotations

import datetime
import json
import os
import time

import numpy as np
import tensorflow as tf
from absl import app, flags

from tfgen.models import GAN
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))

#: name -> (data shape, model config, minibatch m, warmup iterations, timed iterations)
SETTINGS = {
    "toy_mlp": ((2,), {"generator": "toy_mlp", "critic": "toy_mlp", "latent_dim": 2}, 256, 3, 40),
    "dcgan28": ((28, 28, 1), {"generator": "dcgan", "critic": "dcgan", "latent_dim": 128}, 64,
                2, 8),
    "resnet_cifar": ((32, 32, 3), {"generator": "resnet_cifar", "critic": "resnet_cifar",
                                   "latent_dim": 128}, 64, 1, 3),
}

flags.DEFINE_list("nets", list(SETTINGS), f"settings to run, of {list(SETTINGS)}")
flags.DEFINE_enum("xla", "both", ["off", "on", "both"], "jit_compile the train step")
flags.DEFINE_float("steps_scale", 1.0, "multiply every setting's timed iterations")
flags.DEFINE_string("output", os.path.join(HERE, "results", "gan_speed.json"), "result file")
FLAGS = flags.FLAGS


def synthetic(shape, batch: int) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    if len(shape) == 3:
        x = rng.integers(0, 256, size=(batch, *shape), dtype=np.uint8)
    else:
        x = rng.normal(size=(batch, *shape)).astype(np.float32)
    return tf.data.Dataset.from_tensors((x, np.zeros([batch], np.int64))).repeat()


def measure(name: str, xla: bool) -> dict:
    shape, config, minibatch, warmup, steps = SETTINGS[name]
    steps = max(1, round(steps * FLAGS.steps_scale))
    kind = {1: "points", 2: "text", 3: "image"}[len(shape)]  # this benchmark's own settings
    model = GAN(shape, seed=0, loss="wgan-gp", data_kind=kind, **config)
    model.build_for()
    model.compile_for_training(jit_compile=xla)
    batch = model.n_critic * minibatch
    ds = synthetic(shape, batch)
    began = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=warmup, verbose=0)
    warmup_seconds = time.perf_counter() - began
    began = time.perf_counter()
    model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0)
    seconds = time.perf_counter() - began
    result = {
        "net": name, "xla": xla, "data_shape": list(shape), "minibatch": minibatch,
        "n_critic": model.n_critic, "batch_per_generator_iteration": batch,
        "parameters": {"generator": model.generator.count_params(),
                       "critic": model.critic_net.count_params()},
        "timed_generator_iterations": steps, "timed_seconds": round(seconds, 3),
        "warmup_seconds": round(warmup_seconds, 3),
        "generator_iterations_per_second": round(steps / seconds, 4),
        "critic_iterations_per_second": round(steps * model.n_critic / seconds, 4),
    }
    print(json.dumps(result), flush=True)
    return result


def main(argv):
    del argv
    unknown = sorted(set(FLAGS.nets) - set(SETTINGS))
    if unknown:
        raise SystemExit(f"unknown --nets {unknown}; valid: {list(SETTINGS)}")
    modes = {"off": [False], "on": [True], "both": [False, True]}[FLAGS.xla]
    results = [measure(name, xla) for name in FLAGS.nets for xla in modes]
    write_json(FLAGS.output, {
        "benchmark": "gan_speed", "loss": "wgan-gp",
        "unit": "generator iterations per second (each with n_critic critic updates)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(), "results": results})
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
