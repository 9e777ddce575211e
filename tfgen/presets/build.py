"""Rebuild a preset from its recipe: train (step budget, fixed seed), measure, write atomically.

Used by ``train/make_presets.py``. Training is :func:`tfgen.training.train` (the one trainer);
the weights are re-saved from an uncompiled copy of the trained model so ``model.weights.h5``
holds the model's variables only (no optimizer state). Every figure of the card is measured here
(:mod:`tfgen.presets.measure`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import tempfile
import time
import uuid
from typing import Any


from tfgen.presets import manifest, measure
from tfgen.presets.recipes import Recipe
from tfgen.utils.records import to_json

#: Trainer settings that only shape reporting (no effect on the weights).
_REPORTING = {"export": False, "sample_images": 0, "eval_batches": 4, "verbose": 2}


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def command(recipe: Recipe) -> str:
    return f"python train/make_presets.py --only={recipe.name}"


def train_config(recipe: Recipe, output_dir: str):
    from tfgen.training import TrainConfig

    steps = int(recipe.train_config["train_steps"])
    return TrainConfig(dataset=recipe.dataset, seed=recipe.seed, output_dir=output_dir,
                       steps_per_epoch=min(steps, 50), checkpoint_every=steps,
                       deterministic=True,  # the same weights on every rebuild
                       **{**_REPORTING, **recipe.train_config})


def gan_sample_quality(model, dataset: str, num: int = 1000) -> dict[str, Any]:
    """Offline sample quality of a GAN: Fréchet distance (squared feature units) and
    classifier score (in [1, 10]) of ``num`` samples (seed 0) against the first ``num`` test
    images, in the feature space of tfgen's own Fashion-MNIST classifier
    (:mod:`tfgen.evaluation.classifier`, trained once and cached)."""
    from tfgen.evaluation.classifier import ClassifierConfig, load_or_train_classifier
    from tfgen.evaluation.gan_metrics import image_metrics

    classifier = load_or_train_classifier(ClassifierConfig(dataset=dataset), verbose=False)
    out = image_metrics(classifier, model.sample(num, 0).numpy(),
                        measure.test_images(dataset, count=num))
    out["classifier"] = {"config": dataclasses.asdict(classifier.config),
                         "test_accuracy": classifier.test_accuracy}
    return out


def write_weights(recipe: Recipe, spec, weights: list, path: str):
    """Save ``weights`` (``model.get_weights()`` of a ``recipe`` model) to ``path`` through an
    uncompiled twin (no optimizer state) and return the twin.

    Keras names unnamed layers and models from a per-process counter (``flatten_4``, ``vae_1``)
    and the weights file records those names, so Keras' session is cleared first (the global
    dtype policy is kept): the file's bytes, and its sha256, depend on the weights only, not on
    how many models the process built before.
    """
    import keras

    from tfgen.models import build_model

    policy = keras.config.dtype_policy()
    keras.utils.clear_session(free_memory=False)
    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(recipe.seed)
    model = build_model(recipe.model, spec, seed=recipe.seed, **recipe.model_config)
    model.build_for()
    model.set_weights(weights)
    model.save_weights(path)
    return model


def build(recipe: Recipe, root: str, log=print) -> dict[str, Any]:
    """Train ``recipe`` and write ``root/<name>/`` (replacing an existing one atomically).

    Returns the written ``config.json`` contents.
    """
    import keras
    import tensorflow as tf

    from tfgen import data
    from tfgen.models import build_model
    from tfgen.training import restore_trained, train
    from tfgen.utils.images import image_grid, save_png

    os.makedirs(root, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f".tmp-{recipe.name}-", dir=root)
    try:
        cfg = train_config(recipe, os.path.join(work, "run"))
        log(f"[{recipe.name}] training {cfg.train_steps} steps of batch {cfg.batch_size}")
        began = time.monotonic()
        result = train(recipe.model, dict(recipe.model_config), cfg, run_name=recipe.name)
        wall = time.monotonic() - began
        spec = data.get_spec(recipe.dataset, image_size=recipe.image_size)
        trained = restore_trained(recipe.model, dict(recipe.model_config), spec, cfg.output_dir,
                                  seed=recipe.seed)
        out = os.path.join(work, "preset")
        os.makedirs(out)
        model = write_weights(recipe, spec, trained.get_weights(),
                              os.path.join(out, manifest.WEIGHTS))

        images = measure.test_images(recipe.dataset, recipe.seed, image_size=recipe.image_size)
        log(f"[{recipe.name}] measuring on {len(images)} test images")
        began_eval = time.monotonic()
        figs = measure.figures(model, images)
        keras.utils.set_random_seed(recipe.seed)
        untrained = build_model(recipe.model, spec, seed=recipe.seed, **recipe.model_config)
        untrained.build_for()
        untrained_figs = measure.quick_figures(untrained, images)
        if measure.is_gan(model):
            figs["sample_quality"] = gan_sample_quality(model, recipe.dataset)
            untrained_figs["sample_quality"] = gan_sample_quality(untrained, recipe.dataset)
            del untrained_figs["sample_quality"]["classifier"]
        eval_seconds = time.monotonic() - began_eval
        samples = model.sample(measure.GRID_SAMPLES, 0).numpy()
        save_png(os.path.join(out, manifest.SAMPLES), image_grid(samples, pad_value=128))
        os.chmod(os.path.join(out, manifest.SAMPLES), 0o644)  # save_png's temp file is 0600

        cls = type(model)
        config = {
            "name": recipe.name, "description": recipe.description, "model": recipe.model,
            "model_class": f"{cls.__module__}.{cls.__qualname__}",
            "model_config": dataclasses.asdict(model.config),
            "image_shape": list(model.image_shape), "data_kind": model.data_kind,
            "dataset": recipe.dataset, "image_size": recipe.image_size, "seed": recipe.seed,
            "recipe": {"model_config": dict(recipe.model_config),
                       "train_config": dict(recipe.train_config)},
            "train_config": dataclasses.asdict(cfg), "command": command(recipe),
            "figures": figs, "untrained_figures": untrained_figs,
            "eval": {"split": "test", "first_images": int(len(images)),
                     "binarize_seed": recipe.seed, "eval_seconds": round(eval_seconds, 1)},
            "training": {"steps": result["step"], "wall_clock_seconds": round(wall, 1),
                         "train_seconds_in_fit": round(result["train_seconds"], 1),
                         "final_train_metrics": {k: float(v[-1]) for k, v in
                                                 result["history"].items()},
                         "machine": {"nproc": os.cpu_count(), "cpu_model": cpu_model(),
                                     "platform": platform.platform()},
                         "tensorflow": tf.__version__, "keras": keras.__version__},
        }
        with open(os.path.join(out, manifest.CONFIG), "w") as f:
            json.dump(to_json(config), f, indent=2)
            f.write("\n")
        from tfgen.presets.card import card_text
        with open(os.path.join(out, manifest.CARD), "w") as f:
            f.write(card_text(config))
        manifest.write_manifest(out)
        _replace_dir(out, os.path.join(root, recipe.name))
        return config
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _replace_dir(src: str, dst: str) -> None:
    """Move ``src`` to ``dst``; an existing ``dst`` is renamed aside first and removed after, so
    ``dst`` is always either the old or the new complete preset (or, for an instant, absent)."""
    old = None
    if os.path.exists(dst):
        old = f"{dst}.old-{uuid.uuid4().hex}"
        os.rename(dst, old)
    os.rename(src, dst)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def weights_digest(directory: str) -> str:
    return manifest.file_sha256(os.path.join(directory, manifest.WEIGHTS))


__all__ = ["build", "command", "cpu_model", "weights_digest"]
