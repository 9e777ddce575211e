"""``python -m tfgen.presets``: list each preset with its model, data and measured figures."""

from __future__ import annotations

import sys

from tfgen.presets.recipes import get_recipe, names


def describe(name: str) -> str:
    """One line: name, model, data, steps and the headline figures (from ``config.json``)."""
    from tfgen.presets.store import open_preset

    recipe = get_recipe(name)
    try:
        config = open_preset(name).config
    except (OSError, ValueError) as err:
        return f"{name}: model {recipe.model}, data {recipe.dataset}: NOT AVAILABLE ({err})"
    figs, training = config["figures"], config["training"]
    if "nll_nats" in figs:
        measured = f"test NLL {figs['nll_nats']:.2f} nats = {figs['bits_per_dim']:.4f} bits/dim"
    else:
        measured = f"Wasserstein estimate {figs['wasserstein_estimate']:.3f}"
        if "sample_quality" in figs:
            measured += f", classifier FD {figs['sample_quality']['frechet_distance']:.2f}"
    return (f"{name}: model {config['model']}, data {config['dataset']}, "
            f"{training['steps']} steps in {training['wall_clock_seconds']:.0f} s; {measured}")


def main() -> int:
    for name in names():
        print(describe(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
