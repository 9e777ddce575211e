"""Benchmark: training throughput and FLOPs per image of the Gated PixelCNN and PixelVAE.

  .venv/bin/python benchmarks/pixel_throughput.py
  .venv/bin/python benchmarks/pixel_throughput.py --windows=3 --steps_per_window=5  # quicker

Two measurements on binarized Fashion-MNIST 28x28 (uint8 images, Bernoulli likelihood):

1. **Training throughput** (images/s of the Keras train step: forward, backward and the Adam
   update, through ``model.train_on_batch`` on real batches of ``--batch_size`` images already in
   memory) of each model in ``THROUGHPUT_MODELS`` with XLA off and on (``jit_compile``). Every
   variant is warmed up first (tracing, XLA compilation); then ``--windows`` rounds each time
   ``--steps_per_window`` steps of every variant, in an order rotated every round, so that load
   from other jobs hits all variants alike. The median window is reported (all windows kept).

2. **FLOPs per image at equal NLL** (thesis Table 2.2: PixelVAE reaches the NLL of a PixelCNN
   with far fewer autoregressive layers, hence far less compute). The NLLs are *measured*: the
   runs of chapter-2 study records (``--nll_records``; Gated PixelCNNs of several depths and
   PixelVAEs of several depths, all trained with the same steps, batch and widths, evaluated on
   the same test images — exact NLL for the PixelCNN, importance-weighted bound for PixelVAE).
   For every run the benchmark rebuilds its model and counts, with
   :func:`tfgen.utils.flops.flops_per_image` (TensorFlow's op statistics), the float operations
   per image of the training objective's forward pass (PixelVAE: encoder, one z, teacher-forced
   decoder; PixelCNN: the network) and of the whole train step, both at batch ``--batch_size``.
   Each PixelVAE is paired with the cheapest Gated PixelCNN whose NLL is at least as good
   (``pixelcnn_matches: false`` when none is: the FLOP ratio is then a lower bound).

Writes ``benchmarks/results/pixel_throughput.json`` with the machine (load average before and
after) and the study records used.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import statistics
import time

import tensorflow as tf
from absl import app, flags

from tfgen import data
from tfgen.utils.records import write_json
from tfgen.models import build_model
from tfgen.utils.flops import flops_per_image
from tfgen.utils.machine import machine_info

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
DATASET = "binarized_fashion_mnist"

#: name -> (model, config): the models whose training throughput is timed. "default" are the
#: registry defaults (PixelVAE: the main job's model); "study" are the equal-NLL pair of the
#: CPU-profile chapter-2 studies (16-wide layers, 16-d z).
THROUGHPUT_MODELS = {
    "gated_pixelcnn_default": ("gated_pixelcnn", {}),
    "pixelvae_default": ("pixelvae", {}),
    "gated_pixelcnn_l8_study": ("gated_pixelcnn", {"filters": 16, "ar_layers": 8}),
    "pixelvae_l1_study": ("pixelvae", {"filters": 16, "ar_layers": 1, "latent_dim": 16,
                                       "encoder_filters": 16, "kl_warmup_steps": 200}),
}

flags.DEFINE_integer("batch_size", 64, "training batch (images per step)")
flags.DEFINE_integer("windows", 5, "timed windows per variant (median reported)")
flags.DEFINE_integer("steps_per_window", 10, "train steps per timed window")
flags.DEFINE_integer("warmup_steps", 3, "untimed steps per variant before the windows")
flags.DEFINE_list("models", list(THROUGHPUT_MODELS), "THROUGHPUT_MODELS entries to time")
flags.DEFINE_list("nll_records", [
    os.path.join(RESULTS, "pixelvae_studies_cpu", "nll_vs_layers.json"),
    os.path.join(RESULTS, "pixel_throughput_deep_pixelcnn.json")],
    "chapter-2 study records whose runs give the measured NLLs")
flags.DEFINE_string("output", os.path.join(RESULTS, "pixel_throughput.json"), "result JSON")
FLAGS = flags.FLAGS

#: Study settings two records must share for their NLLs to be compared.
MATCHED_SETTINGS = ("dataset", "train_steps", "batch_size", "learning_rate", "filters",
                    "latent_dim", "encoder_filters", "kernel_size", "first_kernel_size",
                    "eval_examples", "seed")


def build(model_name: str, config: dict, jit_compile: bool = False):
    """A compiled model of binarized 28x28 images with its variables and optimizer built."""
    model = build_model(model_name, data.get_spec(DATASET), **config)
    model.build_for()
    model.compile_for_training(jit_compile=jit_compile)
    return model


def real_batches(batch: int, count: int = 8) -> list[tuple[tf.Tensor, tf.Tensor]]:
    """``count`` training batches of binarized Fashion-MNIST: (uint8 ``[batch, 28, 28, 1]``,
    int64 labels ``[batch]``), as the trainer feeds them."""
    ds, _ = data.load(DATASET, "train", seed=0)
    pipeline = data.make_pipeline(ds, batch, training=True, seed=0)
    return [(tf.constant(x), tf.constant(y)) for x, y in pipeline.take(count).as_numpy_iterator()]


def time_throughput(names: list[str], batches: list[tuple[tf.Tensor, tf.Tensor]]) -> dict:
    """Interleaved windows of train steps for every (model, XLA off/on) variant."""
    variants = {}
    for name in names:
        if name not in THROUGHPUT_MODELS:
            raise ValueError(f"unknown model {name!r}; valid: {sorted(THROUGHPUT_MODELS)}")
        model_name, config = THROUGHPUT_MODELS[name]
        for jit in (False, True):
            variants[f"{name}/{'xla' if jit else 'graph'}"] = {
                "name": name, "model": model_name, "config": config, "jit_compile": jit,
                "keras": build(model_name, config, jit)}
    counter = {"step": 0}

    def steps(model, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            images, labels = batches[counter["step"] % len(batches)]
            logs = model.train_on_batch(images, labels, return_dict=True)
            counter["step"] += 1
        elapsed = time.perf_counter() - start  # train_on_batch returns numbers: synchronized
        if not all(math.isfinite(v) for v in logs.values()):
            raise FloatingPointError(f"non-finite training metrics {logs}")
        return elapsed

    for key, variant in variants.items():
        start = time.perf_counter()
        steps(variant["keras"], 1)
        variant["first_step_seconds"] = time.perf_counter() - start  # tracing (+ XLA)
        steps(variant["keras"], FLAGS.warmup_steps)
        print(f"warmed up {key}: first step {variant['first_step_seconds']:.1f} s", flush=True)
    order = list(variants)
    for window in range(FLAGS.windows):
        for key in order[window % len(order):] + order[:window % len(order)]:
            seconds = steps(variants[key]["keras"], FLAGS.steps_per_window)
            variants[key].setdefault("window_seconds", []).append(seconds)
        print(f"window {window + 1}/{FLAGS.windows} done; load {os.getloadavg()[0]:.2f}",
              flush=True)
    results = {}
    for key, variant in variants.items():
        model = variant.pop("keras")
        rates = [FLAGS.steps_per_window * FLAGS.batch_size / s for s in variant["window_seconds"]]
        variant.update(
            parameters=int(model.count_params()),
            images_per_second=statistics.median(rates),
            window_images_per_second=rates,
            **flops_per_image(model, FLAGS.batch_size))
        variant["train_gflops_per_second"] = (variant["train_step_flops_per_image"]
                                              * variant["images_per_second"] / 1e9)
        results[key] = variant
        print(f"{key}: {variant['images_per_second']:.1f} images/s", flush=True)
    return results


def nll_runs(paths: list[str]) -> tuple[list[dict], list[dict]]:
    """(Gated PixelCNN and PixelVAE runs of the study records, the records' sources)."""
    runs, sources, reference = [], [], None
    for path in paths:
        with open(path) as f:
            record = json.load(f)
        settings = {k: record["config"][k] for k in MATCHED_SETTINGS}
        if reference is None:
            reference = settings
        elif settings != reference:
            raise ValueError(f"{path} was trained with {settings}, unlike {reference}: its NLLs "
                             "do not compare")
        sources.append({"path": os.path.relpath(path, HERE), "study": record["study"],
                        "settings": settings})
        for run in record["results"]["runs"]:
            if run["model"] in ("gated_pixelcnn", "pixelvae"):
                runs.append({k: run[k] for k in ("name", "model", "model_config", "nll_nats",
                                                 "nll_estimator", "step", "train_seconds")})
    return runs, sources


def equal_nll(runs: list[dict], batch: int) -> list[dict]:
    """FLOPs of every run, and each PixelVAE paired with the cheapest Gated PixelCNN that reaches
    its NLL (or the best one when none does)."""
    for run in runs:
        run.update(flops_per_image(build(run["model"], run["model_config"]), batch))
        print(f"{run['name']}: NLL {run['nll_nats']:.2f}, forward "
              f"{run['forward_flops_per_image'] / 1e6:.1f} MFLOP/image", flush=True)
    pixelcnns = [r for r in runs if r["model"] == "gated_pixelcnn"]
    pairs = []
    for vae in (r for r in runs if r["model"] == "pixelvae" and r["model_config"]["ar_layers"]):
        good = [r for r in pixelcnns if r["nll_nats"] <= vae["nll_nats"]]
        match = (min(good, key=lambda r: r["forward_flops_per_image"]) if good
                 else min(pixelcnns, key=lambda r: r["nll_nats"]))
        pairs.append({
            "pixelvae": vae["name"], "pixelvae_nll_nats": vae["nll_nats"],
            "pixelvae_ar_layers": vae["model_config"]["ar_layers"],
            "gated_pixelcnn": match["name"], "gated_pixelcnn_nll_nats": match["nll_nats"],
            "gated_pixelcnn_ar_layers": match["model_config"]["ar_layers"],
            "pixelcnn_matches": bool(good),
            "forward_flops_ratio_pixelcnn_over_pixelvae":
                match["forward_flops_per_image"] / vae["forward_flops_per_image"],
            "train_step_flops_ratio_pixelcnn_over_pixelvae":
                match["train_step_flops_per_image"] / vae["train_step_flops_per_image"]})
    return pairs


def main(argv):
    del argv
    result = {"benchmark": "pixel_throughput", "dataset": DATASET, "image_shape": [28, 28, 1],
              "batch_size": FLAGS.batch_size, "windows": FLAGS.windows,
              "steps_per_window": FLAGS.steps_per_window, "warmup_steps": FLAGS.warmup_steps,
              "units": {"images_per_second": "training images per second (train step: forward, "
                                             "backward, Adam update), median window",
                        "flops": "float operations per image, TensorFlow op statistics"},
              "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "machine": machine_info()}
    runs, sources = nll_runs(FLAGS.nll_records)
    result["nll_sources"] = sources
    result["equal_nll"] = equal_nll(runs, FLAGS.batch_size)
    result["nll_runs"] = runs
    result["throughput"] = time_throughput(FLAGS.models, real_batches(FLAGS.batch_size))
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    write_json(FLAGS.output, result)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
