"""Evaluate a tfgen SavedModel's likelihood on a dataset split.

  python train/evaluate.py --saved_model=saved_models/vae_mnist --dataset=mnist
  python train/evaluate.py --saved_model=saved_models/vae_mnist/3 --dataset=npz:/data/x.npz \
      --importance_samples=1000 --max_examples=1000 --output_json=/tmp/eval.json

Prints ONE JSON object on stdout (progress and logs go to stderr), means over the examples:

  nll_nats      -log p(x) in nats per image (positive): from the ``importance_weighted_log_prob``
                signature with K = --importance_samples when the model has it, else ``log_prob``
  bits_per_dim  the same in bits per subpixel: nll_nats / (H * W * C * ln 2)
  elbo_nats     the one-sample ELBO in nats (negative; <= -nll_nats in expectation), and its
  kl_nats       KL(q(z|x) || p(z)) and
  recon_nats    -log p(x|z) terms (elbo = -(kl + recon)); null for models without ``elbo``
  count         examples evaluated

plus ``nll_estimator``, ``importance_samples``, ``saved_model``, ``dataset``, ``split``, ``seed``.
``--saved_model`` is a version directory or a model directory (its latest version is used).
Exit status 1 with a message on stderr when the inputs do not fit (e.g. the image shapes differ).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
from collections.abc import Iterable

import numpy as np
import tensorflow as tf
from absl import app, flags

from tfgen.export import load_exported

FLAGS = flags.FLAGS

IW, LOG_PROB = "importance_weighted_log_prob", "log_prob"


class Progress:
    """A one-line progress report on stderr (redrawn on a terminal, every 10 s otherwise)."""

    def __init__(self, total: int | None, stream=None, interval_s: float = 10.0):
        self.total, self.stream = total, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.interval_s, self.start, self.last = interval_s, time.monotonic(), float("-inf")

    def update(self, count: int, final: bool = False) -> None:
        now = time.monotonic()
        if not (final or self.tty or now - self.last >= self.interval_s):
            return
        self.last = now
        rate = count / max(now - self.start, 1e-9)
        of = f"/{self.total} ({100 * count / self.total:.0f}%)" if self.total else ""
        line = f"evaluate: {count}{of} examples, {rate:.1f}/s"
        self.stream.write(("\r" + line if self.tty else line + "\n")
                          + ("\n" if final and self.tty else ""))
        self.stream.flush()


def evaluate(model, batches: Iterable, *, importance_samples: int = 100, seed: int = 0,
             max_examples: int | None = None, progress: Progress | None = None) -> dict:
    """Mean likelihood metrics of an ``ExportedModel`` over batches.

    Args:
      model: a ``tfgen.export.ExportedModel``.
      batches: uint8 ``[B, H, W, C]`` image batches, or ``(images, labels)`` tuples.
      importance_samples: K for the ``importance_weighted_log_prob`` signature.
      seed: the noise seeds of batch i are the i-th draw of ``numpy.random.default_rng(seed)``.
      max_examples: stop after this many examples (the last batch is cut).

    Returns:
      ``{"nll_nats", "bits_per_dim", "elbo_nats", "kl_nats", "recon_nats", "count",
      "nll_estimator", "importance_samples"}`` (see the module docstring; ELBO terms None for
      models without ``elbo``).
    """
    estimator = IW if IW in model.methods else LOG_PROB if LOG_PROB in model.methods else None
    if estimator is None:
        raise ValueError(f"the SavedModel at {model.path} has no {IW!r} or {LOG_PROB!r} "
                         f"signature, so no likelihood to evaluate; it has {list(model.methods)}")
    has_elbo = "elbo" in model.methods
    rng = np.random.default_rng(seed)
    sums = dict.fromkeys(("nll_nats", "bits_per_dim", "elbo_nats", "kl_nats", "recon_nats"), 0.0)
    count = 0
    for batch in batches:
        images = np.asarray(batch[0] if isinstance(batch, (tuple, list)) else batch)
        if max_examples is not None:
            images = images[:max_examples - count]
        iw_seed, elbo_seed = (int(s) for s in rng.integers(0, 2**31 - 1, size=2))
        if estimator == IW:
            out = model.importance_weighted_log_prob(images, importance_samples, iw_seed)
        else:
            out = model.log_prob(images)
        sums["nll_nats"] -= out["log_prob"].sum(dtype=np.float64)
        sums["bits_per_dim"] += out["bits_per_dim"].sum(dtype=np.float64)
        if has_elbo:
            terms = model.elbo(images, elbo_seed)
            for key in ("elbo", "kl", "recon"):
                sums[key + "_nats"] += terms[key].sum(dtype=np.float64)
        count += len(images)
        if progress:
            progress.update(count)
        if max_examples is not None and count >= max_examples:
            break
    if progress:
        progress.update(count, final=True)
    if count == 0:
        raise ValueError("the dataset yielded no examples")
    result = {key: total / count for key, total in sums.items()}
    if not has_elbo:
        result.update(elbo_nats=None, kl_nats=None, recon_nats=None)
    result.update(count=count, nll_estimator=estimator,
                  importance_samples=importance_samples if estimator == IW else None)
    return result


def evaluate_saved_model(saved_model: str, dataset: str, split: str = "test", *,
                         importance_samples: int = 100, batch_size: int = 64,
                         max_examples: int | None = None, seed: int = 0,
                         binarize: bool = False) -> dict:
    """Load ``saved_model`` and ``dataset``'s ``split`` and run :func:`evaluate` on them."""
    data = importlib.import_module("tfgen.data")  # imported late: only this entry point needs it

    model = load_exported(saved_model)
    ds, spec = data.load(dataset, split, binarize=binarize, seed=seed)
    if tuple(spec.shape) != tuple(model.image_shape):
        raise ValueError(f"the SavedModel at {model.path} models images {list(model.image_shape)} "
                         f"(H, W, C) but dataset {dataset!r} yields {list(spec.shape)}")
    size = int(ds.cardinality())
    if size == tf.data.INFINITE_CARDINALITY and max_examples is None:
        raise ValueError(f"dataset {dataset!r} split {split!r} is infinite; pass --max_examples")
    known = [n for n in (size if size >= 0 else None, max_examples) if n is not None]
    total = min(known) if known else None
    batches = data.make_pipeline(ds, batch_size, training=False, cache=False)
    result = evaluate(model, batches.as_numpy_iterator(), importance_samples=importance_samples,
                      seed=seed, max_examples=max_examples, progress=Progress(total))
    result.update(saved_model=model.path, dataset=dataset, split=split, seed=seed)
    return result


def define_flags() -> None:
    """Define this script's flags (only when it runs, so importing it defines none)."""
    flags.DEFINE_string("saved_model", None, "SavedModel version directory, or a model directory "
                        "(the latest version is used)")
    flags.DEFINE_string("dataset", None, "dataset name from tfgen.data, or npz:PATH / folder:PATH")
    flags.DEFINE_enum("split", "test", ["train", "validation", "test"], "dataset split")
    flags.DEFINE_integer("importance_samples", 100, "importance samples K for the NLL bound "
                         "(models with importance_weighted_log_prob)", lower_bound=1)
    flags.DEFINE_integer("batch_size", 64, "examples per batch", lower_bound=1)
    flags.DEFINE_integer("max_examples", None, "evaluate at most this many examples (default: all)",
                         lower_bound=1)
    flags.DEFINE_integer("seed", 0, "seed of the ELBO/importance noise and of the dataset's "
                         "binarization and validation carve-out")
    flags.DEFINE_bool("binarize", False, "binarize a greyscale dataset (frozen per example for "
                      "validation/test)")
    flags.DEFINE_string("output_json", None, "also write the JSON result to this file")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON
            result = evaluate_saved_model(
                FLAGS.saved_model, FLAGS.dataset, FLAGS.split,
                importance_samples=FLAGS.importance_samples, batch_size=FLAGS.batch_size,
                max_examples=FLAGS.max_examples, seed=FLAGS.seed, binarize=FLAGS.binarize)
            if FLAGS.output_json:
                from tfgen.training.checkpoints import write_json_atomic
                os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output_json)), exist_ok=True)
                write_json_atomic(FLAGS.output_json, result)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    define_flags()
    flags.mark_flags_as_required(["saved_model", "dataset"])
    app.run(main)
