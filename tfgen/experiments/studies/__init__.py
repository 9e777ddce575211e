"""The chapter-2 (PixelVAE) studies as registry entries: runs as data, CPU defaults, full sizes.

``train/study.py --study=NAME --output_dir=DIR`` (or :func:`run_study`) resolves the entry's
:class:`StudyConfig` (profile ``cpu``/``full``/``smoke``, then flags), trains and evaluates each
of its runs (:mod:`tfgen.experiments.studies.runs`) and writes ``DIR/NAME.json`` —
``{"study", "description", "config", "results", "seconds", "machine"}`` with ``results`` =
``{"runs": [one record per run], ...the study's summary, "figures": [files in DIR]}`` — next to
its PNG figures (and, for ``nll_table``, ``nll_table.md``).

| study | thesis | what it writes |
|---|---|---|
| ``nll_vs_layers`` | Fig. 2.4 | NLL vs PixelCNN layers, PixelVAE KL/reconstruction breakdown |
| ``latent_2d`` | Fig. 2.5 | 2-D latent scatter of VAE and PixelVAE, k-NN test error |
| ``nll_table`` | Table 2.1 | NLL of VAE, PixelCNN, Gated PixelCNN, Gated PixelVAE (+ w/o upsampling) |
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from tfgen.experiments.profiles import PROFILES
from tfgen.experiments.studies import latent_2d, nll_table, nll_vs_layers
from tfgen.experiments.studies.common import write_json
from tfgen.experiments.studies.config import StudyConfig, resolve
from tfgen.experiments.studies.knn import knn_error, knn_predict
from tfgen.experiments.studies.runs import Measure, RunSpec, train_and_evaluate
from tfgen.utils.machine import machine_info
from tfgen.utils.registry import lookup


@dataclasses.dataclass(frozen=True)
class Study:
    """A named study: its runs (a function of the config), how to summarize their records, its
    CPU-sized settings and the overrides of its full-size run."""

    name: str
    description: str
    runs: Callable[[StudyConfig], list[RunSpec]]
    summarize: Callable[[StudyConfig, list[dict], str], dict]
    defaults: Mapping[str, Any]
    full: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    measure: Measure | None = None

    def config(self, overrides: Mapping[str, Any] | None = None) -> StudyConfig:
        return resolve(self.defaults, self.full, overrides)


# Thesis sizes (Appendix A.0.5 and the original code): batch 100, Adam 1e-3, KL warm-up over
# 10k steps, K = 5000, the whole test set; latent_dim 64 and 32 gated filters are the model
# defaults. CPU defaults are scaled to tens of minutes on 2 cores.
_FULL = {"train_steps": 100000, "batch_size": 100, "kl_warmup_steps": 10000,
         "importance_samples": 5000, "eval_examples": 0, "knn_train_examples": 0,
         "sample_images": 64, "steps_per_epoch": 1000}
_CPU = {"train_steps": 2000, "batch_size": 32, "filters": 16, "encoder_filters": 16,
        "latent_dim": 16, "kl_warmup_steps": 200, "importance_samples": 100,
        "eval_examples": 500, "sample_images": 16}

_ENTRIES = (
    Study("nll_vs_layers", nll_vs_layers.DESCRIPTION,
          nll_vs_layers.runs, nll_vs_layers.summarize,
          defaults={**_CPU, "ar_layers": (0, 1, 2, 4)},
          full={**_FULL, "importance_samples": 1000,
                "ar_layers": (0, 1, 2, 3, 4, 6, 8, 12, 16, 20)}),
    Study("latent_2d", latent_2d.DESCRIPTION,
          latent_2d.runs, latent_2d.summarize,
          defaults={**_CPU, "ar_layers": (2,), "train_steps": 3000, "eval_examples": 2000,
                    "knn_train_examples": 10000},
          full={**_FULL, "ar_layers": (4,), "importance_samples": 100},
          measure=latent_2d.measure),
    Study("nll_table", nll_table.DESCRIPTION,
          nll_table.runs, nll_table.summarize,
          defaults={**_CPU, "ar_layers": (2,), "pixelcnn_layers": 4},
          full={**_FULL, "ar_layers": (4,), "pixelcnn_layers": 12}),
)

STUDIES: dict[str, Study] = {s.name: s for s in _ENTRIES}


def study_names() -> list[str]:
    return sorted(STUDIES)


def get_study(name: str) -> Study:
    return lookup(STUDIES, name, "study")


def select_runs(study: Study, cfg: StudyConfig) -> list[RunSpec]:
    """The study's runs, restricted to ``cfg.runs`` when given (unknown names are an error)."""
    runs = study.runs(cfg)
    if not cfg.runs:
        return runs
    names = [r.name for r in runs]
    unknown = sorted(set(cfg.runs) - set(names))
    if unknown:
        raise ValueError(f"study {study.name!r} has no runs {unknown}; its runs: {names}")
    return [r for r in runs if r.name in cfg.runs]


def run_study(name: str, output_dir: str, overrides: Mapping[str, Any] | None = None) -> dict:
    """Run study ``name`` with ``overrides`` of its config; write and return its record."""
    study = get_study(name)
    cfg = study.config(overrides)
    runs = select_runs(study, cfg)
    os.makedirs(output_dir, exist_ok=True)
    began = time.monotonic()
    records = []
    for index, run in enumerate(runs):
        print(f"[{name}] run {index + 1}/{len(runs)}: {run.name} ({run.model} "
              f"{dict(run.model_config)})", file=sys.stderr, flush=True)
        records.append(train_and_evaluate(run, cfg, output_dir, study.measure))
    summary = study.summarize(cfg, records, output_dir)
    record = {"study": name, "description": study.description,
              "config": dataclasses.asdict(cfg), "results": {"runs": records, **summary},
              "seconds": time.monotonic() - began, "machine": machine_info()}
    write_json(os.path.join(output_dir, f"{name}.json"), record)
    return record


__all__ = ["PROFILES", "STUDIES", "RunSpec", "Study", "StudyConfig", "get_study", "knn_error",
           "knn_predict", "run_study", "select_runs", "study_names", "train_and_evaluate"]
