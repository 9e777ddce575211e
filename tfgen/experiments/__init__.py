"""The registry of named thesis experiments."""

from tfgen.experiments.registry import (
    DEFAULT_EXPERIMENT,
    EXPERIMENTS,
    Experiment,
    experiment_names,
    get_experiment,
)

__all__ = ["DEFAULT_EXPERIMENT", "EXPERIMENTS", "Experiment", "experiment_names",
           "get_experiment"]
