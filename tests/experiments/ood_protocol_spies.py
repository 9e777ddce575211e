"""Run the OOD protocol with its trainer and its pixel perturbation spied on (the OOD tests)."""

from collections.abc import Callable

import pytest

from tfgen import data
from tfgen.experiments import study
from tfgen.experiments.ood import run_protocol


def run_protocol_spied(cfg, out: str, record_perturbation: Callable) -> dict:
    """``run_protocol(cfg, out)`` recording every ``TrainConfig`` the study trains with
    (``calls``) and, through ``record_perturbation(perturbed, probability, images, result) ->
    result``, the trainer's pixel perturbations (``perturbed``). Returns ``out``, ``cfg``,
    ``summary``, ``calls`` and ``perturbed``."""
    calls, perturbed = [], []
    real_train, real_perturb = study.train, data.transforms.perturb_pixels

    def train_spy(model, config, train_cfg, run_name=None, callbacks=()):
        calls.append(train_cfg)
        return real_train(model, config, train_cfg, run_name, callbacks)

    def perturb_spy(images, probability, seed):
        return record_perturbation(perturbed, probability, images,
                                   real_perturb(images, probability, seed))

    mp = pytest.MonkeyPatch()
    mp.setattr(study, "train", train_spy)
    mp.setattr(data.transforms, "perturb_pixels", perturb_spy)
    try:
        summary = run_protocol(cfg, out)
    finally:
        mp.undo()
    return {"out": out, "cfg": cfg, "summary": summary, "calls": calls, "perturbed": perturbed}
