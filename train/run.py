"""Train a tfgen model and export it as a SavedModel.

  python train/run.py                                   # the default main job
  python train/run.py --experiment=vae_mnist_ood        # a named thesis setting
  python train/run.py --model=vae --dataset=fashion_mnist --train_steps=200

Every training setting is a flag (see ``--helpfull``); model hyperparameters are flags too, one
per field of the model's config. ``--experiment`` picks a registry entry and flags given on the
command line override it. Prints the final result as JSON on stdout.
"""

from __future__ import annotations

import dataclasses
import json
import sys

from absl import app, flags

from tfgen.experiments import DEFAULT_EXPERIMENT, experiment_names, get_experiment
from tfgen.models import MODELS, get_model_class, model_names
from tfgen.training import TrainConfig, TrainingDivergedError, train
from tfgen.utils.config import define_flags, overrides_from_flags

flags.DEFINE_string("experiment", "", f"named experiment; one of {experiment_names()} "
                    f"(default when --model is not given: {DEFAULT_EXPERIMENT})")
flags.DEFINE_string("model", "", f"model name; one of {model_names()}")
define_flags(TrainConfig)
for _cls in MODELS.values():
    define_flags(_cls.Config)
FLAGS = flags.FLAGS


def resolve(flag_values=FLAGS) -> tuple[str, dict, TrainConfig, str]:
    """(model name, model config overrides, TrainConfig, run name) from experiment + flags."""
    name = flag_values.experiment or ("" if flag_values.model else DEFAULT_EXPERIMENT)
    experiment = get_experiment(name) if name else None
    model = flag_values.model or experiment.model
    model_cls = get_model_class(model)
    if experiment is not None and experiment.model != model:
        raise ValueError(f"--model={model} conflicts with --experiment={name}, whose model is "
                         f"{experiment.model}")
    model_config = dict(experiment.model_config) if experiment else {}
    model_config.update(overrides_from_flags(model_cls.Config, flag_values))
    train_fields = dict(experiment.train_config) if experiment else {}
    train_fields.update(overrides_from_flags(TrainConfig, flag_values))
    cfg = TrainConfig(**train_fields)
    run_name = name or f"{model}_{cfg.dataset}"
    return model, model_config, cfg, run_name.replace(":", "_").replace("/", "_")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        model, model_config, cfg, run_name = resolve()
        result = train(model, model_config, cfg, run_name=run_name)
    except (ValueError, FileNotFoundError, FileExistsError, TrainingDivergedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    summary = {k: result[k] for k in ("output_dir", "step", "test", "export_path")}
    summary["model"], summary["model_config"] = model, model_config
    summary["train_config"] = dataclasses.asdict(cfg)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    app.run(main)
