"""Benchmark: cached vs naive autoregressive sampling at 28x28, and TFP's PixelCNN sampler.

  .venv/bin/python benchmarks/sampling_speed.py                    # both models, batch 1 and 16
  .venv/bin/python benchmarks/sampling_speed.py --models=gated_pixelcnn --batches=1 --notfp
  .venv/bin/python benchmarks/sampling_speed.py --models=pixelcnn_pp --batches=1 --notfp \
      --output=benchmarks/results/sampling_speed_pixelcnn_pp.json

For every model (default configs of ``--model=gated_pixelcnn`` and ``--model=pixelcnn`` on
binarized 28x28x1 images; random weights — the time does not depend on them) and batch size:

- :func:`tfgen.sampling.cached_sample` in graph mode (``cached_seconds``; what an exported
  ``sample`` signature runs) and with XLA (``cached_xla_seconds``; the default for eager calls
  such as ``model.sample``), each the median of ``--repeats`` runs after a warm-up;
- :func:`tfgen.sampling.naive_sample` (one run, traced beforehand), and whether all three give
  identical images for the same seed;
- ``tfp.distributions.PixelCNN(...).sample`` at matched depth/width (``num_hierarchies=1``,
  ``num_resnet=3``: its up and down passes run 3 gated residual blocks each, 6 in all, like the
  gated model's 6 blocks; ``num_filters=32``). TFP's network is a Keras-2 (tf-keras) PixelCNN++
  that recomputes the whole network per pixel, i.e. a naive sampler.

Models of :data:`NAIVE_ONLY` (``pixelcnn_pp``: the ``pixelcnn_pp_cpu`` experiment's model at
32x32x3, 8-bit, random weights) have no cached sampler: only :func:`naive_sample` is timed (a
traced warm-up sample, then ``--naive_repeats`` timed samples, the median reported), as seconds
per batch and per image.

Seconds are wall-clock per batch of images; the result goes to
``benchmarks/results/sampling_speed.json`` (``--output``) with the machine.
"""

from __future__ import annotations

import datetime
import os
import statistics
import time

import numpy as np
import tensorflow as tf
from absl import app, flags

from tfgen.data import DatasetSpec
from tfgen.experiments.registry import get_experiment
from tfgen.utils.records import write_json
from tfgen.models import build_model
from tfgen.sampling import cached_sample, naive_sample
from tfgen.utils.machine import machine_info

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = (28, 28, 1)
flags.DEFINE_list("models", ["gated_pixelcnn", "pixelcnn"], "tfgen models to time")
flags.DEFINE_list("batches", ["1", "16"], "batch sizes")
flags.DEFINE_integer("repeats", 3, "timed runs of the cached sampler (median reported)")
flags.DEFINE_integer("naive_repeats", 1, "timed runs of the naive sampler of NAIVE_ONLY models "
                     "(median reported)")
flags.DEFINE_bool("tfp", True, "also time tfp.distributions.PixelCNN.sample")
flags.DEFINE_string("output", os.path.join(HERE, "results", "sampling_speed.json"),
                    "where the JSON goes")
FLAGS = flags.FLAGS

NOTES = {
    "cached_seconds": "tfgen.sampling.cached_sample, graph ops (what an exported sample signature "
                      "runs)",
    "cached_xla_seconds": "cached_sample with XLA-compiled loops (the default for eager calls "
                          "such as model.sample)",
    "naive_seconds": "tfgen.sampling.naive_sample: the whole network per position",
    "tfp_pixelcnn": "tfp.distributions.PixelCNN(...).sample, a naive sampler of a Keras-2 "
                    "PixelCNN++ at matched depth/width",
    "machine": "2 CPU cores shared with other jobs: wall-clock times are noisy (see load "
               "averages)",
}


#: Models timed with the naive sampler only: image shape, the registry experiment whose model
#: config is used, and why there is no cached sampler.
NAIVE_ONLY = {
    "pixelcnn_pp": {
        "image_shape": (32, 32, 3), "experiment": "pixelcnn_pp_cpu",
        "no_cached_sampler": "tfgen has no cached PixelCNN++ sampler: a cache through its "
                             "down/up streams needs per-resolution caches on a schedule (stride-2 "
                             "layers change every second row/column, transposed convs emit 2x2 "
                             "blocks, the ul stream reads the full u stream at every resolution); "
                             "see tfgen/models/pixelcnn_pp.py. Only naive_sample is timed: one "
                             "network pass per pixel (joint channels: H*W = 1024 passes)."},
}


def timed(fn) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn().numpy()
    return time.perf_counter() - start, out


def time_tfgen(name: str, batches: list[int]) -> dict:
    spec = DatasetSpec(name="binarized_28x28", shape=SHAPE, num_classes=0, kind="image",
                       binarized=True)
    model = build_model(name, spec)
    model.build_for()
    config = {k: v for k, v in model.get_config().items() if k not in ("image_shape", "seed")}
    results = {"config": config, "parameters": int(model.count_params()), "batches": {}}
    naive_sample(model, 1, 0)  # trace (and warm up) the naive sampler once
    for batch in batches:
        cached_sample(model, batch, 0, jit_compile=False)  # warm-up
        cached_runs = [timed(lambda b=batch, r=r: cached_sample(model, b, 1 + r,
                                                               jit_compile=False))[0]
                       for r in range(FLAGS.repeats)]
        naive_seconds, naive_images = timed(lambda b=batch: naive_sample(model, b, 1))
        cached_images = cached_sample(model, batch, 1, jit_compile=False).numpy()
        cached_sample(model, batch, 0, jit_compile=True)  # warm-up (XLA compilation)
        xla_runs = [timed(lambda b=batch, r=r: cached_sample(model, b, 1 + r,
                                                            jit_compile=True))[0]
                    for r in range(FLAGS.repeats)]
        xla_images = cached_sample(model, batch, 1, jit_compile=True).numpy()
        cached, xla = statistics.median(cached_runs), statistics.median(xla_runs)
        results["batches"][str(batch)] = {
            "cached_seconds": round(cached, 4), "cached_runs_seconds": [round(t, 4)
                                                                        for t in cached_runs],
            "naive_seconds": round(naive_seconds, 3),
            "speedup_cached_vs_naive": round(naive_seconds / cached, 1),
            "cached_xla_seconds": round(xla, 4),
            "speedup_cached_xla_vs_naive": round(naive_seconds / xla, 1),
            "identical_images": bool(np.array_equal(naive_images, cached_images)),
            "identical_images_xla": bool(np.array_equal(naive_images, xla_images))}
        print(name, batch, results["batches"][str(batch)], flush=True)
    return results


def time_naive_only(name: str, batches: list[int]) -> dict:
    """Naive-sampler seconds of a :data:`NAIVE_ONLY` model (random weights, 8-bit images)."""
    entry = NAIVE_ONLY[name]
    shape = tuple(entry["image_shape"])
    spec = DatasetSpec(name=f"8bit_{shape[0]}x{shape[1]}x{shape[2]}", shape=shape,
                       num_classes=0, kind="image", binarized=False)
    model = build_model(name, spec, **get_experiment(entry["experiment"]).model_config)
    model.build_for()
    config = {k: v for k, v in model.get_config().items() if k not in ("image_shape", "seed")}
    results = {"config": config, "experiment": entry["experiment"], "image_shape": list(shape),
               "parameters": int(model.count_params()), "sampler": "naive_sample only",
               "cached_sampler": None, "no_cached_sampler": entry["no_cached_sampler"],
               "batches": {}}
    for batch in batches:
        first, _ = timed(lambda b=batch: naive_sample(model, b, 0))  # traces, then samples
        runs = [timed(lambda b=batch, r=r: naive_sample(model, b, 1 + r))[0]
                for r in range(FLAGS.naive_repeats)]
        seconds = statistics.median(runs)
        results["batches"][str(batch)] = {
            "naive_seconds": round(seconds, 3), "naive_runs_seconds": [round(t, 3) for t in runs],
            "naive_seconds_per_image": round(seconds / batch, 3),
            "first_call_seconds_with_tracing": round(first, 3),
            "network_passes": shape[0] * shape[1]}
        print(name, batch, results["batches"][str(batch)], flush=True)
    return results


def time_tfp(batches: list[int]) -> dict:
    import tensorflow_probability as tfp
    config = {"image_shape": list(SHAPE), "num_resnet": 3, "num_hierarchies": 1,
              "num_filters": 32, "num_logistic_mix": 5, "high": 1}
    dist = tfp.distributions.PixelCNN(**{**config, "image_shape": SHAPE})
    results = {"config": config, "batches": {}}
    for batch in batches:
        sample = tf.function(lambda batch=batch: dist.sample(batch, seed=1))  # stateful seed
        sample.get_concrete_function()  # trace outside the timing
        seconds, _ = timed(sample)
        results["batches"][str(batch)] = {"sample_seconds": round(seconds, 3)}
        print("tfp.PixelCNN", batch, results["batches"][str(batch)], flush=True)
    return results


def main(argv):
    del argv
    batches = [int(b) for b in FLAGS.batches]
    result = {"benchmark": "sampling_speed",
              "image_shape": list(SHAPE),  # of the models not in NAIVE_ONLY (theirs: per model)
              "units": "seconds per batch (wall clock)",
              "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "notes": NOTES, "machine": machine_info(), "tfgen": {}}
    for name in FLAGS.models:
        result["tfgen"][name] = (time_naive_only(name, batches) if name in NAIVE_ONLY
                                 else time_tfgen(name, batches))
    if FLAGS.tfp:
        result["tfp_pixelcnn"] = time_tfp(batches)
        gated = result["tfgen"].get("gated_pixelcnn")
        if gated:
            for b, entry in result["tfp_pixelcnn"]["batches"].items():
                ours = gated["batches"][b]
                entry["speedup_gated_cached_vs_tfp"] = round(
                    entry["sample_seconds"] / ours["cached_seconds"], 1)
                entry["speedup_gated_cached_xla_vs_tfp"] = round(
                    entry["sample_seconds"] / ours["cached_xla_seconds"], 1)
    if hasattr(os, "getloadavg"):
        result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    os.makedirs(os.path.dirname(FLAGS.output), exist_ok=True)
    write_json(FLAGS.output, result)
    print(f"wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
