"""Rebuild the trained presets in saved_models/presets/ from their recipes.

  python train/make_presets.py                                  # every preset
  python train/make_presets.py --only=vae_fashion_mnist         # one

Each preset trains for its recipe's fixed number of steps with its fixed seed, with TensorFlow's
op determinism on, so two rebuilds on one machine give identical ``model.weights.h5`` (its
sha256 is printed); ``config.json`` and ``card.md`` differ only in the measured wall-clock. Each
directory is written to a temporary folder and renamed into place. Recipes:
``tfgen/presets/recipes.py``; see docs/presets.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from absl import app, flags

from tfgen.presets.recipes import get_recipe, names

flags.DEFINE_string("only", "", f"rebuild only this preset; one of {names()}")
flags.DEFINE_string("root", "", "where to write the presets (empty: saved_models/presets, or "
                                 "$TFGEN_PRESETS_DIR)")
FLAGS = flags.FLAGS


def main(argv: Sequence[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {list(argv[1:])}")
    from tfgen.presets import build, store

    try:
        recipes = [get_recipe(FLAGS.only)] if FLAGS.only else [get_recipe(n) for n in names()]
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    root = FLAGS.root or store.presets_root()
    for recipe in recipes:
        config = build.build(recipe, root)
        directory = f"{root}/{recipe.name}"
        print(f"{recipe.name}: {config['training']['steps']} steps, "
              f"{config['training']['wall_clock_seconds']:.0f} s; figures {config['figures']}; "
              f"model.weights.h5 sha256 {build.weights_digest(directory)}", flush=True)
    return 0


if __name__ == "__main__":
    app.run(main)
