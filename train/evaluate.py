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
import json
import sys

from absl import app, flags

from tfgen.evaluation.saved_model import evaluate_saved_model
from tfgen.models.signatures import MAX_IMPORTANCE_SAMPLES
from tfgen.utils.config import MAX_BATCH_SIZE, MAX_SEED

FLAGS = flags.FLAGS


def define_flags() -> None:
    """Define this script's flags (only when it runs, so importing it defines none)."""
    flags.DEFINE_string("saved_model", None, "SavedModel version directory, or a model directory "
                        "(the latest version is used)")
    flags.DEFINE_string("dataset", None, "dataset name from tfgen.data, or npz:PATH / folder:PATH")
    flags.DEFINE_enum("split", "test", ["train", "validation", "test"], "dataset split")
    flags.DEFINE_integer("importance_samples", 100, "importance samples K for the NLL bound "
                         "(models with importance_weighted_log_prob)", lower_bound=1,
                         upper_bound=MAX_IMPORTANCE_SAMPLES)
    flags.DEFINE_integer("batch_size", 64, "examples per batch", lower_bound=1,
                         upper_bound=MAX_BATCH_SIZE)
    flags.DEFINE_integer("max_examples", None, "evaluate at most this many examples (default: all)",
                         lower_bound=1)
    flags.DEFINE_integer("seed", 0, "seed of the ELBO/importance noise and of the dataset's "
                         "binarization and validation carve-out", lower_bound=0,
                         upper_bound=MAX_SEED)
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
                from tfgen.utils.records import write_json
                write_json(FLAGS.output_json, result)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    define_flags()
    flags.mark_flags_as_required(["saved_model", "dataset"])
    app.run(main)
