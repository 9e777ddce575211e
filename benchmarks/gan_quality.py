"""Benchmark: GAN sample quality, measured offline.

  .venv/bin/python benchmarks/gan_quality.py                   # 300 s per image run
  .venv/bin/python benchmarks/gan_quality.py --budget_seconds=60 --num_samples=500
  .venv/bin/python benchmarks/gan_quality.py --parts=toy --toy_losses=wgan-gp,wgan-clip,dcgan

Two parts (``--parts``), each a chapter-3 study run:

* images — ``score_vs_time`` on ``--dataset`` (Fashion-MNIST) under a training budget of
  ``--budget_seconds`` per run: WGAN-GP, WGAN-clip and DCGAN with the DCGAN architecture; FD and
  score in the self-trained classifier's feature space (:mod:`tfgen.evaluation.classifier`,
  trained once and cached; its test accuracy is recorded);
* toy — ``mode_coverage`` on 25gaussians at a fixed number of generator iterations
  (``--toy_steps``, the study's CPU settings: 3x256 ReLU MLPs, z in R^2, minibatches of 256,
  lr 1e-3 decayed linearly to 0 over the run): modes covered / % high quality of 2 500
  samples, next to the published WGAN-GP anchor (24.2 / 25 modes, 28.7 %).

Writes ``benchmarks/results/<name>.json`` (the studies' JSON and PNGs go to
``benchmarks/scratch/<name>/``) and prints a Markdown table.
"""

from __future__ import annotations

import datetime
import os

from absl import app, flags

from tfgen.experiments.studies import run_study
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_float("budget_seconds", 300.0, "training seconds per run")
flags.DEFINE_string("dataset", "fashion_mnist", "image dataset")
flags.DEFINE_list("losses", ["wgan-gp", "wgan-clip", "dcgan"], "losses of the image runs")
flags.DEFINE_list("toy_losses", ["wgan-gp"], "losses of the 25gaussians runs")
flags.DEFINE_integer("num_samples", 2000, "samples per FD/score evaluation")
flags.DEFINE_integer("eval_every", 200, "generator iterations between evaluations")
flags.DEFINE_string("profile", "cpu", "study profile the sizes start from (cpu | full)")
flags.DEFINE_integer("toy_steps", 8000, "generator iterations of each 25gaussians run")
flags.DEFINE_list("parts", ["images", "toy"], "parts to run: images, toy")
flags.DEFINE_string("name", "", "results file name (default: gan_quality_<budget>s, or "
                    "gan_quality_toy_<toy_steps> when only the toy part runs)")
FLAGS = flags.FLAGS


def _image_part(scratch: str) -> dict:
    budget = {"max_train_seconds": FLAGS.budget_seconds, "train_steps": 10**9,
              "profile": FLAGS.profile}
    images = run_study("score_vs_time", os.path.join(scratch, "images"), {
        **budget, "datasets": (FLAGS.dataset,), "losses": tuple(FLAGS.losses),
        "num_samples": FLAGS.num_samples, "eval_every": FLAGS.eval_every})
    img = images["results"]
    return {
        "budget_seconds": FLAGS.budget_seconds,
        "dataset": FLAGS.dataset, "feature_space": img["feature_space"],
        "classifier_test_accuracy": img["classifier_test_accuracy"],
        "fd_real_train": img["fd_real_train"], "score_real_train": img["score_real_train"],
        "images": {loss: {k: point[k] for k in ("generator_iterations", "train_seconds",
                                                 "frechet_distance", "score")}
                   for loss, point in img["final"].items() if point},
        "image_config": images["config"]}


def _toy_part(scratch: str) -> dict:
    toy = run_study("mode_coverage", os.path.join(scratch, "toy"), {
        "profile": FLAGS.profile, "train_steps": FLAGS.toy_steps, "datasets": ("25gaussians",),
        "losses": tuple(FLAGS.toy_losses)})
    return {
        "toy_25gaussians": {key: {k: run[k] for k in ("modes_covered", "num_modes",
                                                      "high_quality_percent", "steps",
                                                      "train_seconds")}
                            for key, run in toy["results"]["runs"].items()},
        "toy_config": toy["config"], "published_anchor": toy["results"]["published_anchor"]}


def main(argv):
    del argv
    unknown = sorted(set(FLAGS.parts) - {"images", "toy"})
    if unknown or not FLAGS.parts:
        raise app.UsageError(f"--parts takes images and/or toy; found {FLAGS.parts}")
    name = FLAGS.name or (f"gan_quality_{int(FLAGS.budget_seconds)}s" if "images" in FLAGS.parts
                          else f"gan_quality_toy_{FLAGS.toy_steps}")
    scratch = os.path.join(HERE, "scratch", name)
    result = {"benchmark": "gan_quality"}
    if "images" in FLAGS.parts:
        result.update(_image_part(scratch))
    if "toy" in FLAGS.parts:
        result.update(_toy_part(scratch))
    result.update(machine=machine_info(),
                  date=datetime.datetime.now(datetime.UTC).isoformat())
    path = os.path.join(HERE, "results", f"{name}.json")
    write_json(path, result)
    print(f"wrote {path}\n")
    if "images" in result:
        print(f"| {FLAGS.dataset} ({FLAGS.budget_seconds:.0f} s) | generator iterations | FD | "
              f"score |\n|---|---|---|---|")
        print(f"| real train images | - | {result['fd_real_train']:.2f} | "
              f"{result['score_real_train']:.2f} |")
        for loss, point in result["images"].items():
            print(f"| {loss} | {point['generator_iterations']} | "
                  f"{point['frechet_distance']:.2f} | {point['score']:.2f} |")
    if "toy_25gaussians" in result:
        print(f"\n| 25gaussians ({FLAGS.toy_steps} iterations) | modes | high quality % | "
              f"train s |\n|---|---|---|---|")
        for key, run in result["toy_25gaussians"].items():
            print(f"| {key} | {run['modes_covered']}/{run['num_modes']} | "
                  f"{run['high_quality_percent']:.1f} | {run['train_seconds']:.0f} |")
        print("| published WGAN-GP | 24.2/25 | 28.7 | - |")

if __name__ == "__main__":
    app.run(main)
