"""Trained presets: small CPU-sized tfgen models with their weights, like keras-hub presets.

    import tfgen
    model = tfgen.presets.load("pixelvae_fashion_mnist")   # the live Keras model, trained
    model.log_prob(images)                                 # nats per image
    tfgen.presets.export("pixelvae_fashion_mnist", "saved_models/pixelvae_fm")  # TF Serving

A preset is ``saved_models/presets/<name>/`` (``config.json``, ``model.weights.h5``, ``card.md``,
``samples.png`` and a ``sha256`` manifest that :func:`load` verifies). The recipes that make them
are data (:mod:`tfgen.presets.recipes`); ``train/make_presets.py`` rebuilds them and
``train/run.py --preset=NAME`` fine-tunes one. ``python -m tfgen.presets`` lists them.
"""

from tfgen.presets.manifest import PresetIntegrityError
from tfgen.presets.recipes import RECIPES, Recipe, get_recipe, names
from tfgen.presets.store import Preset, export, load, open_preset, preset_dir, presets_root

__all__ = ["RECIPES", "Preset", "PresetIntegrityError", "Recipe", "export", "get_recipe", "load",
           "names", "open_preset", "preset_dir", "presets_root"]
