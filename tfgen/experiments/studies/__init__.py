"""Every thesis study (chapters 2 to 4) as a :class:`tfgen.experiments.study.Study`.

``train/study.py --study=NAME --output_dir=DIR`` (or :func:`run_study`) resolves the study's
config (profile ``cpu``/``full``/``smoke``, then flags), trains each of its runs with
``tfgen.training.train``, measures and reports them, and writes ``DIR/NAME.json`` —
``{"study", "description", "config", "results", "seconds", "machine"}`` — next to its figures
(named in ``results["figures"]``). ``train/study.py --list`` prints this table:

| study | thesis | what it writes |
|---|---|---|
| ``nll_vs_layers`` | Fig. 2.4 | NLL vs PixelCNN layers, PixelVAE KL/reconstruction breakdown |
| ``latent_2d`` | Fig. 2.5 | 2-D latent scatter of VAE and PixelVAE, k-NN test error |
| ``nll_table`` | Table 2.1 | NLL of VAE, PixelCNN, Gated PixelCNN, Gated PixelVAE (+ variants) |
| ``hierarchy_levels`` | Figs. 2.6, A.4, A.1 | samples varying one level's noise; reconstructions |
| ``natural_table`` | Table 2.2 | bits/dim, FLOPs of four colour models at equal time; WebP/PNG |
| ``toy_value_surfaces`` | Fig. 3.1a | critic value contours against a fixed noisy generator |
| ``gradient_norms`` | Fig. 3.1b | per-layer gradient norms and weights, clipping vs penalty |
| ``mode_coverage`` | §3.5 | modes covered, % high-quality samples on the Gaussian mixtures |
| ``score_vs_time`` | Fig. 3.3 | FD/score against iterations and wall-clock time |
| ``critic_overfitting`` | §3.5 | critic loss on training vs held-out images |
| ``architecture_robustness`` | Fig. 3.2 | sample grids and FD per (architecture, loss) |
| ``text_gan`` | §3.5.4 | character-level WGAN-GP: samples and n-gram JS divergences |
| ``ood`` | Tables 4.1/4.2 | leave-one-class-out OOD detection (also ``train/ood.py``) |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tfgen.experiments import ood
from tfgen.experiments import study as _study
from tfgen.experiments.studies import (
    hierarchy_levels,
    images,
    latent_2d,
    natural_table,
    nll_table,
    nll_vs_layers,
    text,
    toy,
)
from tfgen.experiments.study import RunSpec, Study, StudyConfig, select_runs
from tfgen.utils.registry import lookup

_ENTRIES = (nll_vs_layers.STUDY, latent_2d.STUDY, nll_table.STUDY, hierarchy_levels.STUDY,
            natural_table.STUDY, *toy.STUDIES,
            *images.STUDIES, text.STUDY, ood.STUDY)
STUDIES: dict[str, Study] = {s.name: s for s in _ENTRIES}


def study_names() -> list[str]:
    return sorted(STUDIES)


def get_study(name: str) -> Study:
    return lookup(STUDIES, name, "study")


def run_study(name: str, output_dir: str,
              overrides: Mapping[str, Any] | StudyConfig | None = None) -> dict:
    """Run study ``name`` with ``overrides`` of its config; write and return its record."""
    return _study.run_study(get_study(name), output_dir, overrides)


__all__ = ["STUDIES", "RunSpec", "Study", "StudyConfig", "get_study", "run_study",
           "select_runs", "study_names"]
