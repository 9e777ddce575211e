"""Likelihood metrics of an exported SavedModel over a dataset split (nats and bits/dim).

:func:`evaluate_saved_model` is what ``train/evaluate.py`` prints: means over the examples of

  nll_nats      -log p(x) in nats per image (positive): from the ``importance_weighted_log_prob``
                signature with K importance samples when the model has it, else ``log_prob``
  bits_per_dim  the same in bits per subpixel: nll_nats / (H * W * C * ln 2)
  elbo_nats     the one-sample ELBO in nats (negative; <= -nll_nats in expectation), and its
  kl_nats       KL(q(z|x) || p(z)) and
  recon_nats    -log p(x|z) terms (elbo = -(kl + recon)); None for models without ``elbo``
  count         examples evaluated
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np
import tensorflow as tf

from tfgen import data
from tfgen.evaluation.interface import ServingModel, as_serving_model
from tfgen.export import load_exported

IW, LOG_PROB = "importance_weighted_log_prob", "log_prob"


def evaluate(model: ServingModel, batches: Iterable, *, importance_samples: int = 100, seed: int = 0,
             max_examples: int | None = None, progress: keras.utils.Progbar | None = None) -> dict:
    """Mean likelihood metrics of a trained model over batches.

    Args:
      model: a :class:`~tfgen.evaluation.interface.ServingModel` (a loaded SavedModel, or a live
        model, which is wrapped in a ``LiveModel``).
      batches: uint8 ``[B, H, W, C]`` image batches, or ``(images, labels)`` tuples.
      importance_samples: K for the ``importance_weighted_log_prob`` signature.
      seed: the noise seeds of batch i are the i-th draw of ``numpy.random.default_rng(seed)``.
      max_examples: stop after this many examples (the last batch is cut).

    Returns:
      ``{"nll_nats", "bits_per_dim", "elbo_nats", "kl_nats", "recon_nats", "count",
      "nll_estimator", "importance_samples"}`` (see the module docstring; ELBO terms None for
      models without ``elbo``).
    """
    model = as_serving_model(model)
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
        progress.update(count, finalize=True)
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
                      seed=seed, max_examples=max_examples, progress=keras.utils.Progbar(total, unit_name="example"))
    result.update(saved_model=model.path, dataset=dataset, split=split, seed=seed)
    return result
