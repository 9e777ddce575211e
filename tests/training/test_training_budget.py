"""TrainingBudget: the wall-clock budget counts from the end of the first train batch, so the
first batch's graph tracing is not charged to training; the step budget still applies."""

import time

import keras
import numpy as np

from tfgen.training.callbacks import TrainingBudget


class SlowBatches(keras.callbacks.Callback):
    """Sleeps before each train batch: ``first`` seconds before the first (a stand-in for
    tracing), ``rest`` before the others."""

    def __init__(self, first: float, rest: float):
        super().__init__()
        self.first, self.rest, self.seen = first, rest, 0

    def on_train_batch_begin(self, batch, logs=None):
        time.sleep(self.first if self.seen == 0 else self.rest)
        self.seen += 1


def _fit(budget: TrainingBudget, slow: SlowBatches, steps: int = 400) -> int:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((steps, 2), np.float32)
    model.fit(x, x[:, :1], batch_size=1, epochs=1, shuffle=False, verbose=0,
              callbacks=[slow, budget])
    return int(model.optimizer.iterations.numpy())


def test_budget_starts_after_the_first_batch():
    # the first batch alone outlasts the budget; counting from train begin would stop at step 1
    budget = TrainingBudget(total_steps=10_000, max_seconds=0.25)
    steps = _fit(budget, SlowBatches(first=0.4, rest=0.02))
    assert budget.started is not None
    assert 4 <= steps < 100, steps  # ~0.25 s of 0.02 s batches after the first one


def test_step_budget_and_no_time_limit():
    assert _fit(TrainingBudget(total_steps=7), SlowBatches(0.0, 0.0)) == 7
    assert _fit(TrainingBudget(total_steps=10_000, max_seconds=0.0),
                SlowBatches(0.0, 0.0), steps=30) == 30
