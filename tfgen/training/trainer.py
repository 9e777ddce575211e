"""One trainer for every tfgen model: data -> Keras ``fit`` -> checkpoints -> SavedModel export.

The model's own ``train_step``/``test_step`` carry its objective; this module wires the data
pipeline, the distribution strategy and precision, resumable step-numbered checkpoints, a NaN
guard, TensorBoard scalars and image grids, a final test evaluation and the export.

Outputs under ``output_dir``: ``run_config.json``, ``checkpoints/``, ``tensorboard/``,
``images/*.png`` (decoded ``*.txt`` samples for text) and ``metrics.json``; the SavedModel goes
to ``export_root/export_name/<version>``.

Under ``--strategy=multiworker`` every worker runs :func:`train`; only the chief (worker 0)
writes ``output_dir`` and the export. The other workers write theirs to a temporary directory
that is deleted at the end (TF's multi-worker rule: every worker saves, only the chief's copy
is kept), and every worker restores ``--resume`` from the chief's checkpoints, so
``output_dir`` must be on storage all workers read (a shared file system, GCS).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from tfgen import data
from tfgen.models import build_model, get_model_class
from tfgen.training.callbacks import Checkpointer, ImageGrids, NaNGuard, TrainingBudget
from tfgen.training.checkpoints import CheckpointStore
from tfgen.training.environment import make_strategy, op_determinism, precision_policy
from tfgen.utils.config import MAX_BATCH_SIZE, MAX_SEED, CheckedConfig, field
from tfgen.utils.paths import check_plain_name
from tfgen.utils.records import write_json


@dataclasses.dataclass
class TrainConfig(CheckedConfig):
    """Everything about a run except the model's own hyperparameters (one flag per field)."""

    dataset: str = field("binarized_fashion_mnist", "dataset name (see tfgen.data.dataset_names)")
    image_size: int = field(0, "resize/crop images to this size (0: the dataset's own size)",
                            minimum=0)
    binarize: bool = field(False, "dynamically binarize a grayscale dataset")
    perturb_probability: float = field(0.0, "replace each training subpixel by a uniform random "
                                            "value with this probability (Ren et al. 2019's "
                                            "background model for the OOD likelihood ratio)",
                                       minimum=0.0, maximum=1.0)
    exclude_classes: tuple[int, ...] = field((), "labels removed from train/validation data",
                                             minimum=0)
    train_examples: int = field(0, "train on only the first N training examples (0: all)",
                                minimum=0)
    data_dir: str = field("", "TFDS data directory (empty: TFDS' default)")
    batch_size: int = field(0, "global batch size, split across replicas (0: the model's "
                               "default: 64; a GAN's n_critic x 64, one generator iteration)",
                            minimum=0, maximum=MAX_BATCH_SIZE)
    train_steps: int = field(1000, "optimizer steps to train for in total", minimum=0)
    epochs: int = field(0, "if > 0, train for this many passes over the training split instead",
                        minimum=0)
    max_train_seconds: float = field(0.0, "if > 0, also stop after this much wall-clock time, counted from "
                                    "the end of the first train batch (tracing not charged)",
                                     minimum=0.0)
    learning_rate: float = field(0.0, "learning rate (0: the model's default, 1e-3 for the VAE)",
                                 minimum=0.0)
    seed: int = field(0, "seed of data order, binarization, model noise and initialization",
                      minimum=0, maximum=MAX_SEED)
    output_dir: str = field("", "run directory (empty: runs/<run name>)")
    resume: bool = field(False, "continue from the newest checkpoint in output_dir")
    mixed_precision: str = field("off", "off | mixed_float16 | mixed_bfloat16")
    deterministic: bool = field(False, "deterministic TensorFlow ops "
                                       "(enable_op_determinism): a rerun or resume with the "
                                       "same seed gives the same bits on any load; slower on GPU")
    strategy: str = field("default", "default | mirrored | multiworker | tpu")
    tpu: str = field("", "TPU address for --strategy=tpu (empty: local/Colab TPU)")
    jit_compile: bool = field(False, "compile the train step with XLA")
    steps_per_epoch: int = field(200, "steps between validation, logs and image grids", minimum=1)
    checkpoint_every: int = field(200, "steps between checkpoints", minimum=1)
    keep_checkpoints: int = field(3, "newest checkpoints kept on disk", minimum=1)
    eval_batches: int = field(20, "batches of the validation/test split per evaluation", minimum=1)
    sample_images: int = field(64, "images in each sample grid (0: none)", minimum=0,
                               maximum=1024)
    export: bool = field(True, "export a SavedModel at the end")
    export_root: str = field("saved_models", "root of the versioned SavedModel exports")
    export_name: str = field("", "export name (empty: the run name)")
    verbose: int = field(1, "Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch",
                         minimum=0, maximum=2)

    def __post_init__(self):
        super().__post_init__()  # types and each field's range
        if self.train_steps == 0 and self.epochs == 0:
            raise ValueError("train_steps and epochs are both 0: nothing to train (set "
                             "--train_steps or --epochs)")
        if self.export_name:  # checked before training, not after it at export time
            check_plain_name(self.export_name, "TrainConfig.export_name (--export_name)")


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or Inf; training stopped at the last good checkpoint."""


def _data_options(cfg: TrainConfig) -> dict[str, Any]:
    return {"image_size": cfg.image_size or None, "exclude_classes": tuple(cfg.exclude_classes),
            "binarize": cfg.binarize, "seed": cfg.seed, "data_dir": cfg.data_dir or None}


def _count(ds: tf.data.Dataset) -> int:
    size = int(ds.cardinality())
    return size if size >= 0 else int(ds.reduce(0, lambda n, _: n + 1))


def _check_resume_config(path: str, record: dict, resume: bool, has_checkpoints: bool) -> None:
    if has_checkpoints and not resume:
        raise FileExistsError(f"{os.path.dirname(path)} already holds checkpoints; pass --resume "
                              f"to continue that run or choose another --output_dir")
    if resume and os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        keys = ("model", "model_config", "dataset")
        diff = {k: (saved.get(k), record[k]) for k in keys if saved.get(k) != record[k]}
        if diff:
            raise ValueError(f"--resume with a different setting than the saved run {path}: "
                             + "; ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in
                                         diff.items()))


def _keras_multiworker_fixes(model: keras.Model, strategy: tf.distribute.Strategy) -> None:
    """Work around two failures of Keras 3.15's ``fit``/``evaluate`` across several workers
    (MultiWorkerMirroredStrategy with 2+ workers; one worker and the other strategies are left
    alone):

    - they begin by all-reducing one input batch to learn its shapes
      (``Trainer._maybe_symbolic_build``), which fails on an ``(images, labels)`` batch
      ("Attempt to convert a value (PerReplica ...) to a Tensor"). The trainer builds the model
      and its optimizers before ``fit`` (``build_for``, ``compile_for_training``), so that
      symbolic build has nothing left to do: it is skipped.
    - they average each step's logs across replicas with ``strategy.reduce("MEAN", v, axis=0)``,
      which fails on the scalar metric results every ``train_step``/``test_step`` returns
      ("Invalid reduction dimension 0 for input with 0 dimensions"). The steps' logs are given
      shape ``[1]``, so that reduce yields the same scalar mean as on one machine.
    """
    if not (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._num_workers > 1):
        return
    unbuilt = [layer.name for layer in model._flatten_layers() if not layer.built]
    if unbuilt:
        raise ValueError(f"{type(model).__name__} has unbuilt layers {unbuilt} after build_for()")
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None

    def rank_one(step):
        return lambda data: {k: tf.reshape(v, [1]) for k, v in step(data).items()}

    model.train_step, model.test_step = rank_one(model.train_step), rank_one(model.test_step)


def resolve_batch_size(model_name: str, model_config: dict[str, Any],
                       cfg: TrainConfig) -> TrainConfig:
    """``cfg`` with ``batch_size`` 0 replaced by the model's default for ``model_config``."""
    if cfg.batch_size:
        return cfg
    cls = get_model_class(model_name)
    config = {**dataclasses.asdict(cls.Config()), **model_config}
    return dataclasses.replace(cfg, batch_size=cls.default_batch_size(config))


def train(model_name: str, model_config: dict[str, Any], cfg: TrainConfig,
          run_name: str | None = None,
          callbacks: Sequence[keras.callbacks.Callback] = (),
          initial_weights: str | None = None) -> dict[str, Any]:
    """Train ``model_name`` with ``model_config`` overrides under ``cfg``.

    ``callbacks`` (e.g. :class:`tfgen.training.measurements.Measurements`, a study measuring
    along training) run after the step budget and NaN guard and before the checkpointer, so a
    measurement at step ``s`` is taken before checkpoint ``s`` is written; they see the same
    resumed step counter, budget and NaN guard as the run. A callback with a ``not_charged``
    attribute gets a function ``not_charged(seconds)`` that keeps time it spends (measuring)
    off the ``max_train_seconds`` budget.

    ``initial_weights``: a ``.weights.h5`` file of the same model and config (e.g. a preset's,
    :mod:`tfgen.presets`) loaded before training starts (fine-tuning; the optimizer starts
    fresh). A resumed run's checkpoint takes precedence over it.

    Returns a dict with ``output_dir``, ``step`` (optimizer steps in total), ``steps_this_run``,
    ``train_seconds`` (wall-clock time inside ``fit``), ``history`` (Keras logs per epoch),
    ``test`` (metrics on ``eval_batches`` test batches, nats) and ``export_path`` (or None).
    Raises TrainingDivergedError when the loss becomes NaN/Inf.
    """
    cfg = resolve_batch_size(model_name, model_config, cfg)
    keras.utils.set_random_seed(cfg.seed)  # weight init and tf.data's global seed
    run_name = run_name or f"{model_name}_{cfg.dataset.replace(':', '_').replace('/', '_')}"
    output_dir = cfg.output_dir or os.path.join("runs", run_name)
    strategy = make_strategy(cfg.strategy, cfg.tpu)
    # Only the chief writes output_dir and the export; another worker writes to a temporary
    # directory, deleted at the end.
    chief = strategy.extended.should_checkpoint
    write_dir = output_dir if chief else tempfile.mkdtemp(prefix="tfgen-worker-")
    try:
        with precision_policy(cfg.mixed_precision), op_determinism(cfg.deterministic):
            return _train(model_name, model_config, cfg, run_name, tuple(callbacks), strategy,
                          output_dir, write_dir, initial_weights)
    finally:
        if not chief:
            shutil.rmtree(write_dir, ignore_errors=True)


def _train(model_name: str, model_config: dict[str, Any], cfg: TrainConfig,
           run_name: str, extra_callbacks: tuple, strategy: tf.distribute.Strategy,
           output_dir: str, write_dir: str, initial_weights: str | None) -> dict[str, Any]:
    """The run; ``output_dir`` is read (resume), ``write_dir`` written (``output_dir`` itself
    on the chief, a temporary directory on another worker)."""
    chief = write_dir == output_dir
    if cfg.batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"batch_size {cfg.batch_size} is not divisible by the "
                         f"{strategy.num_replicas_in_sync} replicas of --strategy={cfg.strategy}")

    options = _data_options(cfg)
    train_ds, spec = data.load(cfg.dataset, "train", **options)
    if cfg.train_examples > 0:
        train_ds = train_ds.take(cfg.train_examples)
    val_ds, _ = data.load(cfg.dataset, "validation", **options)
    test_ds, _ = data.load(cfg.dataset, "test", **options)

    store = CheckpointStore(os.path.join(output_dir, "checkpoints"), cfg.keep_checkpoints)
    record = {"model": model_name, "model_config": dict(model_config), "dataset": cfg.dataset,
              "train_config": dataclasses.asdict(cfg), "spec": dataclasses.asdict(spec)}
    if initial_weights:
        record["initial_weights"] = initial_weights
    config_path = os.path.join(output_dir, "run_config.json")
    _check_resume_config(config_path, record, cfg.resume, bool(store.steps()))
    os.makedirs(write_dir, exist_ok=True)
    write_json(os.path.join(write_dir, "run_config.json"), record)

    with strategy.scope():
        model = build_model(model_name, spec, seed=cfg.seed, **model_config)
        model.build_for()
        if initial_weights:
            model.load_weights(initial_weights)
        model.compile_for_training(cfg.learning_rate, cfg.jit_compile)
    _keras_multiworker_fixes(model, strategy)
    start = store.restore(model) if cfg.resume else 0

    total = cfg.train_steps
    if cfg.epochs > 0:
        total = cfg.epochs * math.ceil(_count(train_ds) / cfg.batch_size)
    spe = max(1, min(cfg.steps_per_epoch, total))
    train_pipe = data.make_pipeline(train_ds, cfg.batch_size, training=True, seed=cfg.seed)
    if cfg.perturb_probability > 0:  # keyed by batch index, so a resumed run sees the same noise
        train_pipe = train_pipe.enumerate().map(lambda i, batch: (data.transforms.perturb_pixels(
            batch[0], cfg.perturb_probability, tf.stack([tf.constant(cfg.seed, tf.int64), i])),
            *batch[1:]))
    train_pipe = train_pipe.skip(start)  # the data position of the checkpoint (deterministic)
    # The same first eval_batches batches of each split every time (cached after the first pass).
    eval_examples = cfg.eval_batches * cfg.batch_size
    val_pipe = data.make_pipeline(val_ds.take(eval_examples), cfg.batch_size, training=False)
    test_pipe = data.make_pipeline(test_ds.take(eval_examples), cfg.batch_size, training=False)
    reference = next(iter(val_ds.batch(16)))[0].numpy()  # images for reconstruction grids

    guard, budget = NaNGuard(), TrainingBudget(total, cfg.max_train_seconds)

    def not_charged(seconds: float) -> None:
        if budget.started is not None:  # the budget's clock starts after the first batch
            budget.started += seconds

    for callback in extra_callbacks:
        if hasattr(callback, "not_charged"):
            callback.not_charged = not_charged
    callbacks = [
        budget, guard, *extra_callbacks,
        Checkpointer(store if chief else CheckpointStore(os.path.join(write_dir, "checkpoints"),
                                                         cfg.keep_checkpoints),
                     cfg.checkpoint_every, guard),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "tensorboard")),
        ImageGrids(os.path.join(write_dir, "images"),
                   os.path.join(write_dir, "tensorboard", "images"),
                   num_samples=cfg.sample_images, seed=cfg.seed, reference_images=reference,
                   vocabulary=spec.vocabulary),
    ]
    history, train_seconds = {}, 0.0
    if start < total:
        began = time.monotonic()
        fit = model.fit(train_pipe, epochs=math.ceil(total / spe), steps_per_epoch=spe,
                        initial_epoch=start // spe, validation_data=val_pipe,
                        callbacks=callbacks, verbose=cfg.verbose, shuffle=False)
        history, train_seconds = fit.history, time.monotonic() - began
    if guard.diverged_at is not None:
        latest = store.latest()
        where = (f"The last good checkpoint is {latest[1]} (step {latest[0]}); lower "
                 f"--learning_rate or check the data, then rerun with --resume." if latest else
                 "No checkpoint was written yet; lower --learning_rate or check the data, then "
                 "rerun (without --resume).")
        raise TrainingDivergedError(
            f"loss became {guard.bad_loss} at step {guard.diverged_at}; training stopped. {where}")

    step = int(model.optimizer.iterations.numpy())
    test = {k: float(v) for k, v in model.evaluate(test_pipe, verbose=0, return_dict=True).items()}
    export_path = None
    if cfg.export:
        from tfgen.export import export_model
        export_path = export_model(model, root=cfg.export_root if chief else
                                   os.path.join(write_dir, "export"),
                                   name=cfg.export_name or run_name,
                                   extra_assets={"step": step, "dataset": cfg.dataset,
                                                 "run_config": record})
        export_path = export_path if chief else None  # deleted with write_dir
    result = {"output_dir": output_dir, "step": step, "steps_this_run": step - start,
              "train_seconds": train_seconds, "history": history, "test": test,
              "export_path": export_path}
    write_json(os.path.join(write_dir, "metrics.json"), result)
    return result


def restore_trained(model_name: str, model_config: dict[str, Any], spec: data.DatasetSpec,
                    run_dir: str, seed: int = 0, learning_rate: float = 0.0):
    """Registry model ``model_name`` built for ``spec`` with the weights of the newest checkpoint
    that :func:`train` wrote under ``run_dir``; ``FileNotFoundError`` when there is none."""
    model = build_model(model_name, spec, seed=seed, **model_config)
    model.build_for()
    model.compile_for_training(learning_rate)
    if not CheckpointStore(os.path.join(run_dir, "checkpoints")).restore(model):
        raise FileNotFoundError(f"no checkpoint of {model_name!r} under {run_dir}")
    return model
