"""Train a tfgen model and export it as a SavedModel.

  python train/run.py                                   # the default main job
  python train/run.py --experiment=vae_mnist_ood        # a named thesis setting
  python train/run.py --model=vae --dataset=fashion_mnist --train_steps=200
  python train/run.py --model=pixelcnn --helpfull       # PixelCNN's settings and defaults

Every training setting is a flag (see ``--helpfull``); model hyperparameters are flags too, one
per field of the model's config. ``--experiment`` picks a registry entry and flags given on the
command line override it. A model flag the chosen model does not have is an error that lists the
model's settings. Prints the final result as JSON on stdout.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence

from absl import app, flags

from tfgen.experiments import DEFAULT_EXPERIMENT, experiment_names, get_experiment
from tfgen.models import MODELS, get_model_class, model_names
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
    define_flags(TrainConfig, flag_values)
    suffix = {name: f" [models: {', '.join(owners)}]" for name, owners in _OWNERS.items()}
    for cls in MODELS.values():
        define_flags(cls.Config, flag_values, help_suffix=suffix)
    model, experiment = _selection(argv)
    try:
        cls = get_model_class(model)
    except ValueError:
        return  # resolve() reports the unknown name
    set_flag_defaults(dataclasses.asdict(cls.Config()), flag_values)
    if experiment is not None and experiment.model == model:
        set_flag_defaults({**experiment.model_config, **experiment.train_config}, flag_values)


def _selection(argv: Sequence[str]):
    """(model name, experiment or None) that ``argv`` asks for, read before flags are parsed."""
    given: dict[str, str] = {}
    args = list(argv[1:])
    for i, arg in enumerate(args):
        for name in ("model", "experiment"):
            if arg.startswith(f"--{name}="):
                given[name] = arg.split("=", 1)[1]
            elif arg == f"--{name}" and i + 1 < len(args):
                given[name] = args[i + 1]
    name = given.get("experiment") or ("" if given.get("model") else DEFAULT_EXPERIMENT)
    try:
        experiment = get_experiment(name) if name else None
    except ValueError:
        experiment = None
    model = given.get("model") or (experiment.model if experiment else "")
    return model, experiment


def resolve(flag_values: flags.FlagValues = FLAGS) -> tuple[str, dict, TrainConfig, str]:
    """(model name, model config overrides, TrainConfig, run name) from experiment + flags.

    Raises ValueError for unknown names, a model/experiment mismatch, or a model flag that the
    chosen model's config lacks (naming the model and listing its settings).
    """
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
        result = train(model, model_config, cfg, run_name=run_name)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    summary = {k: result[k] for k in ("output_dir", "step", "test", "export_path")}
    summary["model"], summary["model_config"] = model, model_config
    summary["train_config"] = dataclasses.asdict(cfg)
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
