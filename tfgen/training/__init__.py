"""Training: strategy/precision set-up, checkpoints, callbacks and the trainer."""

from tfgen.training.trainer import TrainConfig, TrainingDivergedError, train

__all__ = ["TrainConfig", "TrainingDivergedError", "train"]
