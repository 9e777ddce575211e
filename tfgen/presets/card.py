"""The text of a preset's ``card.md``, written from its ``config.json`` (every figure in it was
measured by :func:`tfgen.presets.build.build`)."""

from __future__ import annotations

from typing import Any

SMALL_MODELS = ("These are small CPU-sized models trained for minutes on a few CPU cores, not the "
                "thesis' full-size models; their figures are far from the published ones.")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.1f}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def figure_lines(figures: dict[str, Any]) -> list[str]:
    """Markdown bullet lines naming each figure and its unit."""
    units = {"nll_nats": "nats per image", "bits_per_dim": "bits/dim",
             "neg_elbo_nats": "nats per image (-ELBO, one posterior sample, seed 0)",
             "log_prob_first": "nats, log_prob of test images 0-3 called on those 4 images",
             "critic_real_mean": "critic units, mean on the test images",
             "critic_fake_mean": "critic units, mean on sample(256, seed=0)",
             "wasserstein_estimate": "critic units: critic_real_mean - critic_fake_mean",
             "num_images": "test images"}
    lines = []
    for key, value in figures.items():
        if key == "sample_quality":
            lines.append(f"- Fréchet distance in tfgen's Fashion-MNIST classifier features "
                         f"(1000 samples, seed 0, vs the first 1000 test images): "
                         f"{_fmt(value['frechet_distance'])} (squared feature units); "
                         f"classifier score {_fmt(value['score'])} (1 to 10)")
            if "classifier" in value:
                lines.append(f"  (classifier: `tfgen.evaluation.classifier`, test accuracy "
                             f"{_fmt(value['classifier']['test_accuracy'])})")
            continue
        lines.append(f"- `{key}`: {_fmt(value)} ({units.get(key, '')})")
    return lines


def _dataset_text(config: dict[str, Any]) -> str:
    if config["dataset"] == "photo_patches":
        size = config.get("image_size")
        return (f"{size}x{size} 8-bit RGB patches of the offline photographs that `tfgen.data` "
                "reads (scikit-image's and scikit-learn's sample images; test patches from each "
                "photo's right fifth); `image_size` "
                f"{size} in training, measurement and `tfgen.presets.load`")
    return "Fashion-MNIST, read from the Debian package `dataset-fashion-mnist` by `tfgen.data`"


def card_text(config: dict[str, Any]) -> str:
    training, machine = config["training"], config["training"]["machine"]
    figures = config["figures"]
    headline = (f"test NLL {figures['nll_nats']:.2f} nats per image = "
                f"{figures['bits_per_dim']:.4f} bits/dim" if "nll_nats" in figures else
                f"Wasserstein estimate {figures['wasserstein_estimate']:.3f} (critic units)")
    kind = ("an upper bound from the importance-weighted bound on log p(x) with "
            f"K={config['model_config'].get('log_prob_samples')} samples"
            if "neg_elbo_nats" in figures else "exact")
    lines = [
        f"# Preset `{config['name']}`", "",
        config["description"], "",
        f"**{SMALL_MODELS}**", "",
        "## Model", "",
        f"- Registry model `{config['model']}` (`{config['model_class']}`), "
        f"image shape {config['image_shape']}",
        f"- Config: `{config['model_config']}`",
        f"- Load: `tfgen.presets.load('{config['name']}')`", "",
        "## Data", "",
        f"- Dataset `{config['dataset']}` ({_dataset_text(config)}); train split minus the "
        "seeded validation carve-out", "",
        "## Training", "",
        f"- Command: `{config['command']}`",
        f"- Steps: {training['steps']} (batch {config['train_config']['batch_size']}, learning "
        f"rate {config['train_config']['learning_rate']}, seed {config['seed']}; a step budget, "
        "so a rebuild on the same machine gives the same weights)",
        f"- Wall-clock: {training['wall_clock_seconds']:.0f} s for training "
        f"({training['train_seconds_in_fit']:.0f} s inside `fit`), on {machine['nproc']} CPUs "
        f"(`nproc`), {machine['cpu_model']}, run under `nice -n 19` beside other work",
        f"- TensorFlow {training['tensorflow']}, Keras {training['keras']}", "",
        "## Measured figures", "",
        f"On the first {config['eval']['first_images']} images of the `{config['dataset']}` test "
        "split. Headline: " + headline
        + (f" ({kind})." if "nll_nats" in figures else "."), "",
        *figure_lines(figures), "",
        "The untrained model (same seed, same config) for comparison:", "",
        *figure_lines(config["untrained_figures"]), "",
        "## Samples", "",
        "![samples](samples.png)", "",
        f"`samples.png`: `model.sample({36}, seed=0)`.", "",
    ]
    return "\n".join(lines)
