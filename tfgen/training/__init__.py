"""Training: strategy/precision set-up, checkpoints, callbacks and the trainer."""

from tfgen.training.trainer import (
    TrainConfig,
    TrainingDivergedError,
    restore_trained,
    train,
)

__all__ = ["TrainConfig", "TrainingDivergedError", "restore_trained", "train"]
