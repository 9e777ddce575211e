"""One run of a study: train a registry model, export it, evaluate the export on the test split.

A study is a list of :class:`RunSpec` (data: a model name from :mod:`tfgen.models` and its config)
that :func:`train_and_evaluate` turns into a result record with ``tfgen.training.train`` (the
library's one trainer, which also exports a SavedModel) and ``tfgen.evaluation.evaluate`` (the
same metrics as ``train/evaluate.py``):

  nll_nats      test -log p(x), nats per image: exact for PixelCNNs, the importance-weighted bound
                with ``importance_samples`` samples for latent-variable models (an upper bound)
  bits_per_dim  the same per dimension, in bits
  elbo_nats     one-sample ELBO (negative) with kl_nats + recon_nats = -elbo_nats; None for
                models without a latent variable

Layout under the study's ``output_dir``: ``runs/<name>/`` (the trainer's run directory plus this
module's ``result.json`` and ``samples.png``) and ``exports/<name>/<version>/`` (SavedModels).
With ``export=False`` (the ``smoke`` profile: tracing the samplers into a SavedModel takes longer
than a tiny run) the trained model is restored from its last checkpoint and evaluated in memory
through :class:`InMemoryModel`, which answers like a loaded SavedModel.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfgen import data
from tfgen.distributions import bits_per_dim
from tfgen.evaluation.saved_model import evaluate
from tfgen.experiments.studies.common import to_json, write_json
from tfgen.experiments.studies.config import StudyConfig
from tfgen.export import load_exported
from tfgen.models import get_model_class
from tfgen.training import TrainConfig, restore_trained, train
from tfgen.utils.images import image_grid, save_png

#: Study-wide size fields copied into a run's model config when non-zero and the model has them.
SIZE_FIELDS = ("latent_dim", "filters", "encoder_filters", "kernel_size", "first_kernel_size",
               "kl_warmup_steps")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One model to train and evaluate.

    Attributes:
      name: directory and export name (``[a-z0-9_]``), unique within the study.
      label: how tables and figures name it.
      model: a :mod:`tfgen.models` registry name.
      model_config: that model's config overrides.
      tags: study-specific facts about the run (e.g. ``{"ar_layers": 2}``), copied to its record.
    """

    name: str
    label: str
    model: str
    model_config: Mapping[str, Any]
    tags: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def model_config(model: str, cfg: StudyConfig, **fixed: Any) -> dict[str, Any]:
    """The study's non-zero size fields that ``model``'s config has, then ``fixed`` on top."""
    fields = {f.name for f in dataclasses.fields(get_model_class(model).Config)}
    config = {name: getattr(cfg, name) for name in SIZE_FIELDS
              if getattr(cfg, name) and name in fields}
    config.update(fixed)
    return config


def train_config(cfg: StudyConfig, run_dir: str, export_root: str, name: str) -> TrainConfig:
    return TrainConfig(
        dataset=cfg.dataset, batch_size=cfg.batch_size, train_steps=cfg.train_steps,
        learning_rate=cfg.learning_rate, max_train_seconds=cfg.max_train_seconds, seed=cfg.seed,
        output_dir=run_dir, resume=cfg.resume, steps_per_epoch=cfg.steps_per_epoch,
        checkpoint_every=max(cfg.steps_per_epoch, 1), keep_checkpoints=1,
        eval_batches=max(1, min(5, cfg.eval_examples // max(cfg.batch_size, 1))),
        sample_images=0, export=cfg.export, export_root=export_root, export_name=name,
        verbose=cfg.verbose)


def first_test_batches(dataset: str, examples: int, batch_size: int, seed: int):
    """Iterator of numpy (uint8 images ``[B, H, W, C]``, int64 labels ``[B]``) batches of the
    first ``examples`` test images of ``dataset`` (all when ``examples <= 0``; binarization
    frozen by ``seed``, so every model sees the same pixels)."""
    ds, _ = data.load(dataset, "test", seed=seed)
    if examples > 0:
        ds = ds.take(examples)
    return data.make_pipeline(ds, batch_size, training=False, cache=False).as_numpy_iterator()


def test_batches(cfg: StudyConfig):
    """The study's evaluation batches: :func:`first_test_batches` of its settings."""
    return first_test_batches(cfg.dataset, cfg.eval_examples, cfg.eval_batch_size, cfg.seed)


class InMemoryModel:
    """A trained model behind the interface of :class:`tfgen.export.ExportedModel` (the methods
    :func:`tfgen.evaluation.evaluate` and the studies call, numpy in and out)."""

    def __init__(self, model):
        self.model = model
        self.path = f"<in-memory {type(model).__name__}>"
        self.methods = tuple(model.serving_methods)
        self.image_shape = tuple(model.image_shape)
        self._functions: dict[str, Any] = {}

    def _call(self, method: str, *args):
        if method not in self.methods:
            raise ValueError(f"{self.path} has no {method!r} method; it has {list(self.methods)}")
        if method not in self._functions:
            self._functions[method] = tf.function(getattr(self.model, method),
                                                  reduce_retracing=True)
        return self._functions[method](*(tf.convert_to_tensor(a) for a in args))

    def _with_bits(self, log_prob) -> dict:
        return {"log_prob": log_prob.numpy(),
                "bits_per_dim": bits_per_dim(log_prob, self.image_shape).numpy()}

    def log_prob(self, images) -> dict:
        return self._with_bits(self._call("log_prob", images))

    def importance_weighted_log_prob(self, images, num_samples: int, seed: int) -> dict:
        return self._with_bits(self._call("importance_weighted_log_prob", images,
                                          np.int32(num_samples), np.int32(seed)))

    def elbo(self, images, seed: int) -> dict:
        return {k: v.numpy() for k, v in self._call("elbo", images, np.int32(seed)).items()}

    def encode(self, images) -> dict:
        return {k: v.numpy() for k, v in self._call("encode", images).items()}

    def sample(self, num_samples: int, seed: int) -> dict:
        return {"images": self._call("sample", np.int32(num_samples), np.int32(seed)).numpy()}


def restore_checkpoint(model: str, model_config: Mapping[str, Any], dataset: str, run_dir: str,
                       seed: int = 0, learning_rate: float = 0.0):
    """Registry model ``model`` (built for ``dataset``) with the weights of the newest trainer
    checkpoint under ``run_dir``; ``FileNotFoundError`` when there is none."""
    return restore_trained(model, dict(model_config), data.get_spec(dataset), run_dir, seed,
                           learning_rate)


def restore(run: RunSpec, cfg: StudyConfig, run_dir: str):
    """The model of ``run`` with the weights of its newest checkpoint under ``run_dir``."""
    return restore_checkpoint(run.model, run.model_config, cfg.dataset, run_dir, cfg.seed,
                              cfg.learning_rate)


Measure = Callable[[RunSpec, Any, StudyConfig, str], dict]


def _settings(run: RunSpec, cfg: StudyConfig) -> dict:
    """What a stored result must match to be reused by ``--resume``."""
    ignored = {"profile", "runs", "resume", "verbose"}
    return to_json({"run": dataclasses.asdict(run),
                    "config": {k: v for k, v in dataclasses.asdict(cfg).items()
                               if k not in ignored}})


def train_and_evaluate(run: RunSpec, cfg: StudyConfig, output_dir: str,
                       measure: Measure | None = None) -> dict:
    """Train, export and evaluate ``run``; returns (and stores as ``result.json``) its record.

    The record holds the run's name, label, model, model_config and tags, ``step``,
    ``train_seconds``, ``export_path``, the metrics of :func:`tfgen.evaluation.evaluate` on the
    test split (``nll_nats``, ``bits_per_dim``, ``elbo_nats``, ``kl_nats``, ``recon_nats``,
    ``count``, ``nll_estimator``, ``importance_samples``), ``samples_png`` (or None) and whatever
    ``measure(run, exported_model, cfg, run_dir)`` returns.
    """
    run_dir = os.path.join(output_dir, "runs", run.name)
    result_path = os.path.join(run_dir, "result.json")
    settings = _settings(run, cfg)
    if cfg.resume and os.path.exists(result_path):
        with open(result_path) as f:
            saved = json.load(f)
        if saved.pop("settings", None) == settings:
            return saved
    trained = train(run.model, dict(run.model_config),
                    train_config(cfg, run_dir, os.path.join(output_dir, "exports"), run.name),
                    run_name=run.name)
    exported = (load_exported(trained["export_path"]) if trained["export_path"]
                else InMemoryModel(restore(run, cfg, run_dir)))
    metrics = evaluate(exported, test_batches(cfg), importance_samples=cfg.importance_samples,
                       seed=cfg.seed)
    record = {"name": run.name, "label": run.label, "model": run.model,
              "model_config": dict(run.model_config), "tags": dict(run.tags),
              "step": trained["step"], "train_seconds": trained["train_seconds"],
              "export_path": trained["export_path"], **metrics, "samples_png": None}
    if cfg.sample_images > 0 and "sample" in exported.methods:
        images = exported.sample(cfg.sample_images, cfg.seed)["images"]
        record["samples_png"] = os.path.join(run_dir, "samples.png")
        save_png(record["samples_png"], image_grid(images, pad=1, pad_value=128))
    if measure is not None:
        record.update(measure(run, exported, cfg, run_dir))
    write_json(result_path, {**record, "settings": settings})
    return to_json(record)
