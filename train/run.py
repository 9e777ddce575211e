"""Train a tfgen model and export it as a SavedModel.

  python train/run.py                                   # the default main job
  python train/run.py --experiment=vae_mnist_ood        # a named thesis setting
  python train/run.py --model=vae --dataset=fashion_mnist --train_steps=200
  python train/run.py --model=pixelcnn --helpfull       # PixelCNN's settings and defaults
  python train/run.py --preset=vae_fashion_mnist --train_steps=200   # fine-tune a preset

Every training setting is a flag (see ``--helpfull``); model hyperparameters are flags too, one
per field of the model's config. ``--experiment`` picks a registry entry and flags given on the
command line override it. A model flag the chosen model does not have is an error that lists the
model's settings. Prints the final result as JSON on stdout.

``--preset`` (a name of :func:`tfgen.presets.names` or a preset directory) starts from a trained
preset's weights: the model and its whole config come from the preset, and its dataset, image
size, batch size, learning rate and seed are the defaults of those flags. A model-config flag, a
different ``--model`` or an ``--experiment`` with ``--preset`` is an error, as is a ``--dataset``
or ``--image_size`` whose images differ from the preset's (shape or binarization).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence

from absl import app, flags

from tfgen.data import get_spec
from tfgen.experiments import DEFAULT_EXPERIMENT, experiment_names, get_experiment
from tfgen.models import MODELS, get_model_class, model_names
from tfgen.presets import names as preset_names
from tfgen.presets import open_preset
from tfgen.training import TrainConfig, TrainingDivergedError, train
from tfgen.training.trainer import resolve_batch_size
from tfgen.utils.config import (
    check_given_flags,
    config_field_names,
    define_flags,
    overrides_from_flags,
    set_flag_defaults,
)

FLAGS = flags.FLAGS
#: Model-config flag name -> the models whose config has that field.
_OWNERS = {name: [m for m, cls in sorted(MODELS.items())
                  if name in config_field_names(cls.Config)]
           for name in config_field_names(*(cls.Config for cls in MODELS.values()))}


def define_cli_flags(flag_values: flags.FlagValues = FLAGS,
                     argv: Sequence[str] = ()) -> None:
    """Define this command's flags in ``flag_values``; the model-config flags show the defaults
    of the model (and experiment) that ``argv`` selects, so ``--helpfull`` is right for it."""
    flags.DEFINE_string("experiment", "", f"named experiment; one of {experiment_names()} "
                        f"(default when --model is not given: {DEFAULT_EXPERIMENT})",
                        flag_values=flag_values)
    flags.DEFINE_string("model", "", f"model name; one of {model_names()}",
                        flag_values=flag_values)
    flags.DEFINE_string("preset", "", f"fine-tune a trained preset (one of {preset_names()} or a "
                        "preset directory): model and config come from it",
                        flag_values=flag_values)
    define_flags(TrainConfig, flag_values)
    suffix = {name: f" [models: {', '.join(owners)}]" for name, owners in _OWNERS.items()}
    for cls in MODELS.values():
        define_flags(cls.Config, flag_values, help_suffix=suffix)
    model, experiment, preset = _selection(argv)
    try:
        cls = get_model_class(model)
    except ValueError:
        return  # resolve() reports the unknown name
    set_flag_defaults(dataclasses.asdict(cls.Config()), flag_values)
    if experiment is not None and experiment.model == model:
        set_flag_defaults({**experiment.model_config, **experiment.train_config}, flag_values)
    if preset is not None:
        set_flag_defaults({**preset.config["model_config"], **_preset_train_fields(preset)},
                          flag_values)


def _selection(argv: Sequence[str]):
    """(model name, experiment or None) that ``argv`` asks for, read before flags are parsed."""
    given: dict[str, str] = {}
    args = list(argv[1:])
    for i, arg in enumerate(args):
        for name in ("model", "experiment", "preset"):
            if arg.startswith(f"--{name}="):
                given[name] = arg.split("=", 1)[1]
            elif arg == f"--{name}" and i + 1 < len(args):
                given[name] = args[i + 1]
    name = given.get("experiment") or ("" if given.get("model") else DEFAULT_EXPERIMENT)
    try:
        experiment = get_experiment(name) if name else None
    except ValueError:
        experiment = None
    preset = None
    if given.get("preset"):
        try:
            preset = open_preset(given["preset"])
        except (ValueError, OSError):
            preset = None  # resolve() reports it
        if preset is not None and not given.get("experiment"):
            experiment = None
    model = given.get("model") or (preset.model if preset else "") or (
        experiment.model if experiment else "")
    return model, experiment, preset


def _preset_train_fields(preset) -> dict:
    """The training settings a preset was made with that fine-tuning starts from."""
    keys = ("dataset", "image_size", "batch_size", "learning_rate", "seed")
    return {k: preset.config["train_config"][k] for k in keys}


def _resolve_preset(flag_values: flags.FlagValues) -> tuple[str, dict, TrainConfig, str]:
    """resolve() for ``--preset``: model and config from the preset, strict about conflicts."""
    if flag_values.experiment:
        raise ValueError(f"--preset={flag_values.preset} and --experiment={flag_values.experiment}"
                         " both choose the model; give one of them")
    preset = open_preset(flag_values.preset)  # verifies every file's sha256
    model = preset.model
    if flag_values.model and flag_values.model != model:
        raise ValueError(f"--model={flag_values.model} conflicts with --preset="
                         f"{flag_values.preset}, whose model is {model}")
    given = sorted(n for n in _OWNERS if n in flag_values and flag_values[n].present)
    if given:
        raise ValueError(f"--preset={flag_values.preset} fixes the model's config, so "
                         f"{', '.join('--' + n for n in given)} cannot change it (its config: "
                         f"{preset.config['model_config']}); train a new model with --model "
                         "instead")
    train_fields = _preset_train_fields(preset)
    train_fields.update(overrides_from_flags(TrainConfig, flag_values))
    cfg = TrainConfig(**train_fields)
    if cfg.image_size or cfg.binarize or cfg.dataset != preset.dataset:
        spec = get_spec(cfg.dataset, cfg.image_size or None, cfg.binarize)
        trained = get_spec(preset.dataset, preset.image_size)
        if (spec.shape, spec.binarized, spec.kind) != (trained.shape, trained.binarized,
                                                       trained.kind):
            raise ValueError(
                f"--preset={flag_values.preset} was trained on {preset.dataset!r} ({trained.kind} "
                f"{list(trained.shape)}, binarized={trained.binarized}); the data asked for "
                f"({cfg.dataset!r}) is {spec.kind} {list(spec.shape)}, binarized={spec.binarized}")
    run_name = f"{preset.name}_finetuned"
    return model, dict(preset.config["model_config"]), cfg, run_name


def resolve(flag_values: flags.FlagValues = FLAGS) -> tuple[str, dict, TrainConfig, str]:
    """(model name, model config overrides, TrainConfig, run name) from experiment + flags.

    Raises ValueError for unknown names, a model/experiment mismatch, or a model flag that the
    chosen model's config lacks (naming the model and listing its settings).
    """
    if flag_values.preset:
        return _resolve_preset(flag_values)
    name = flag_values.experiment or ("" if flag_values.model else DEFAULT_EXPERIMENT)
    experiment = get_experiment(name) if name else None
    model = flag_values.model or experiment.model
    model_cls = get_model_class(model)
    if experiment is not None and experiment.model != model:
        raise ValueError(f"--model={model} conflicts with --experiment={name}, whose model is "
                         f"{experiment.model}")
    check_given_flags(config_field_names(model_cls.Config), _OWNERS, f"model {model!r}",
                      flag_values)
    model_config = dict(experiment.model_config) if experiment else {}
    model_config.update(overrides_from_flags(model_cls.Config, flag_values))
    model_cls.Config(**model_config)  # types and ranges, before any data is read
    train_fields = dict(experiment.train_config) if experiment else {}
    train_fields.update(overrides_from_flags(TrainConfig, flag_values))
    cfg = resolve_batch_size(model, model_config, TrainConfig(**train_fields))
    run_name = name or f"{model}_{cfg.dataset}"
    return model, model_config, cfg, run_name.replace(":", "_").replace("/", "_")


def main(argv: Sequence[str], flag_values: flags.FlagValues = FLAGS) -> int:
    """Train what the parsed ``flag_values`` ask for; 0 on success, 1 with a message on stderr."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {list(argv[1:])}")
    try:
        model, model_config, cfg, run_name = resolve(flag_values)
        weights = open_preset(flag_values.preset).weights_path if flag_values.preset else None
        result = train(model, model_config, cfg, run_name=run_name, initial_weights=weights)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    summary = {k: result[k] for k in ("output_dir", "step", "test", "export_path")}
    summary["model"], summary["model_config"] = model, model_config
    summary["train_config"] = dataclasses.asdict(cfg)
    if flag_values.preset:
        summary["preset"] = flag_values.preset
    print(json.dumps(summary, indent=2))
    return 0


def run_in_process(argv: Sequence[str]) -> int:
    """Parse ``argv`` (``["run.py", "--flag=value", ...]``) into fresh flags and run ``main``:
    the command without a new Python process (tests, notebooks)."""
    flag_values = flags.FlagValues()
    define_cli_flags(flag_values, argv)
    remaining = flag_values(list(argv))
    return main(remaining, flag_values)


if __name__ == "__main__":
    define_cli_flags(FLAGS, sys.argv)
    app.run(main)
