"""Figs. 2.6 / A.4 and A.1: what each level of a hierarchical PixelVAE models.

One hierarchical PixelVAE (the registry experiment ``experiment``'s model config, sizes
overridable; cpu: ``hierarchical_pixelvae_cpu`` on ``photo_patches``; full:
``hierarchical_pixelvae_lsun64`` on 64 px ``lsun_bedroom``) is trained, then drawn with
``sample_levels(num, seed_z2, seed_z1, seed_x)``: three grids of ``level_rows`` rows of
``level_columns`` samples, each row holding two levels' seeds fixed and varying the third's
(``top``: z2's; ``z1``: z1's; ``pixel``: the pixels'). For ``reconstruction_images`` test images,
Fig. A.1's grid: the image, then ``reconstructions`` samples from the top level (z2 ~ q(z2|x),
then z1 ~ p(z1|z2), x ~ p(x|z1)) and as many from z1 (z1 ~ q(z1|x), x ~ p(x|z1)).

What makes the figures checkable (the study's JSON): ``level_spread`` — per varied level, the mean
over rows of the mean per-pixel L2 distance (RGB vector, uint8 units) between the images of a row
(thesis: pixel noise changes only details, so ``pixel`` < ``z1`` < ``top``); ``reconstruction_l2``
— the mean per-pixel L2 distance of reconstructions from their image, from z1 and from z2
(the top level keeps less of the image, so z1 < z2). The drawn arrays are kept in the run's
``levels.npz``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfgen.experiments.registry import get_experiment
from tfgen.experiments.study import (
    RunSpec,
    Study,
    StudyConfig,
    TrainedRun,
    load_arrays,
    sized_config,
)
from tfgen.utils.config import MAX_SEED, field
from tfgen.utils.images import image_grid, save_png

LEVELS = ("top", "z1", "pixel")


@dataclasses.dataclass(frozen=True)
class HierarchicalSizes:
    """The hierarchical PixelVAE of a study: a registry experiment's model config, with size
    fields by the model's own names overriding it where non-zero."""

    experiment: str = field("hierarchical_pixelvae_cpu", "registry experiment whose model "
                                                         "config the hierarchical runs take")
    latent_channels: int = field(0, "channels of z1 (0: the experiment's)", minimum=0)
    embedding_dim: int = field(0, "pixel embedding width (0: the experiment's)", minimum=0)
    dim_0: int = field(0, "width at image resolution (0: the experiment's)", minimum=0)
    dim_1: int = field(0, "width at half resolution (0: the experiment's)", minimum=0)
    dim_2: int = field(0, "width at z1's resolution (0: the experiment's)", minimum=0)
    dim_top: int = field(0, "top encoder/decoder width (0: the experiment's)", minimum=0)
    pixel_filters: int = field(0, "pixel PixelCNN width (0: the experiment's)", minimum=0)
    latent_filters: int = field(0, "latent PixelCNN width (0: the experiment's)", minimum=0)


#: :class:`HierarchicalSizes` fields that override the experiment's model config.
HIERARCHICAL_SIZE_FIELDS = tuple(f.name for f in dataclasses.fields(HierarchicalSizes)
                                 if f.name != "experiment")
#: Tiny hierarchical sizes for smoke profiles.
HIERARCHICAL_SMOKE: Mapping[str, Any] = {
    "latent_channels": 2, "embedding_dim": 2, "dim_0": 4, "dim_1": 4, "dim_2": 6,
    "dim_top": 6, "pixel_filters": 6, "latent_filters": 6}


def hierarchical_config(cfg: HierarchicalSizes, **fixed: Any) -> dict[str, Any]:
    """The experiment's model config, the config's non-zero size fields, then ``fixed``."""
    base = dict(get_experiment(cfg.experiment).model_config)
    return {**base, **sized_config("hierarchical_pixelvae", cfg, HIERARCHICAL_SIZE_FIELDS),
            **fixed}


@dataclasses.dataclass(frozen=True)
class HierarchyLevelsConfig(StudyConfig, HierarchicalSizes):
    """The settings of ``hierarchy_levels``."""

    dataset: str = field("photo_patches", "dataset the model trains on (test split drawn)")
    image_size: int = field(32, "resize/crop images to this size (0: the dataset's own size)",
                            minimum=0)
    steps_per_epoch: int = field(200, "steps between validation passes and checkpoints",
                                 minimum=1)
    export: bool = field(False, "also export the trained model as a SavedModel (the figures "
                                "are drawn from the model restored from its checkpoint)")
    level_rows: int = field(4, "rows per varied level (each row: other levels' seeds fixed)",
                            minimum=1)
    level_columns: int = field(8, "samples per row", minimum=2)
    reconstruction_images: int = field(8, "test images of Fig. A.1's grid", minimum=1)
    reconstructions: int = field(5, "reconstructions per image and level (thesis: 5)",
                                 minimum=1)


def runs(cfg: HierarchyLevelsConfig) -> list[RunSpec]:
    return [RunSpec("hierarchical_pixelvae", f"Hierarchical PixelVAE ({cfg.experiment})",
                    "hierarchical_pixelvae", hierarchical_config(cfg))]


def level_seeds(level: str, row: int, columns: int, seed: int) -> np.ndarray:
    """int32 ``[columns, 3]`` (seed_z2, seed_z1, seed_x) of one row: the row's three seeds, with
    the ``level`` one varying along the row from the second column on (the first column has all
    three of the row's seeds, so it is the same image in every level's grid)."""
    fixed = np.array([1000 * seed + 3 * row + k for k in range(3)], np.int64)
    seeds = np.tile(fixed, (columns, 1))
    seeds[1:, LEVELS.index(level)] = 10 ** 6 + 1000 * seed + 100 * row + np.arange(1, columns)
    return (seeds % MAX_SEED).astype(np.int32)


def draw_levels(model, cfg: HierarchyLevelsConfig) -> dict[str, np.ndarray]:
    """``{level: uint8 [level_rows, level_columns, H, W, C]}`` drawn with ``sample_levels``."""
    draw = tf.function(lambda a, b, c: model.sample_levels(1, a, b, c))
    out = {}
    for level in LEVELS:
        rows = [[draw(*map(tf.constant, s))[0].numpy()
                 for s in level_seeds(level, r, cfg.level_columns, cfg.seed)]
                for r in range(cfg.level_rows)]
        out[level] = np.asarray(rows, np.uint8)
    return out


def pixel_l2(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over pixels of the Euclidean distance of the two images' channel vectors (uint8
    units); broadcasts over leading axes and averages everything."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    return float(np.mean(np.sqrt(np.sum(diff ** 2, axis=-1))))


def row_spread(rows: np.ndarray) -> float:
    """Mean over rows ``[R, N, H, W, C]`` of the mean :func:`pixel_l2` over the row's pairs."""
    r, n = rows.shape[:2]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return float(np.mean([pixel_l2(rows[:, i], rows[:, j]) for i, j in pairs]))


def measure(run: RunSpec, trained: TrainedRun, cfg: HierarchyLevelsConfig) -> dict:
    """Draw and save the level grids and Fig. A.1's grid; their spreads and errors."""
    model = trained.keras_model
    grids, spread = draw_levels(model, cfg), {}
    figures = {}
    for level, rows in grids.items():
        figures[level] = os.path.join(trained.run_dir, f"levels_{level}.png")
        save_png(figures[level], image_grid(rows.reshape(-1, *rows.shape[2:]),
                                            rows=cfg.level_rows, pad=1, pad_value=128))
        spread[level] = row_spread(rows)
    images, _ = load_arrays(cfg.dataset, "test", limit=cfg.reconstruction_images,
                            image_size=cfg.image_size or None)
    reconstruct = tf.function(lambda x, s, level: model.reconstruct(x, s, level,
                                                                   sample_posterior=True),
                              reduce_retracing=True)
    recon = {level: np.stack([reconstruct(images, tf.constant((cfg.seed * 100 + k) % MAX_SEED), level)
                              .numpy() for k in range(cfg.reconstructions)], 1)
             for level in ("z2", "z1")}  # [N, k, H, W, C]
    grid = np.concatenate([images[:, None], recon["z2"], recon["z1"]], 1)
    figures["reconstructions"] = os.path.join(trained.run_dir, "reconstructions.png")
    save_png(figures["reconstructions"], image_grid(grid.reshape(-1, *grid.shape[2:]),
                                                    rows=len(images), pad=1, pad_value=128))
    errors = {level: pixel_l2(r, images[:, None]) for level, r in recon.items()}
    arrays = os.path.join(trained.run_dir, "levels.npz")
    np.savez(arrays, images=images, **grids, **{f"recon_{k}": v for k, v in recon.items()})
    return {"level_spread": spread, "arrays_npz": arrays, "reconstruction_l2": errors,
            "level_spread_ordered": spread["pixel"] < spread["z1"] < spread["top"],
            "z1_reconstructs_closer": errors["z1"] < errors["z2"], "figure_paths": figures}


def report(cfg: HierarchyLevelsConfig, records: list[dict], output_dir: str) -> dict:
    """``{"level_spread", "reconstruction_l2", "figures"}`` (figures copied next to the JSON)."""
    record = records[0]
    figures = []
    for name, path in record["figure_paths"].items():
        target = os.path.join(output_dir, f"hierarchy_levels_{name}.png")
        shutil.copyfile(path, target)
        figures.append(os.path.basename(target))
    return {"level_spread": record["level_spread"],
            "reconstruction_l2": record["reconstruction_l2"],
            "level_spread_ordered": record["level_spread_ordered"],
            "z1_reconstructs_closer": record["z1_reconstructs_closer"], "figures": figures}


STUDY = Study(
    "hierarchy_levels", " ".join(__doc__.split("\n\n")[0].split()), HierarchyLevelsConfig,
    runs, report,
    cpu={"train_steps": 100000, "max_train_seconds": 300.0, "batch_size": 32,
         "learning_rate": 1e-3, "level_rows": 3, "level_columns": 6},
    full={"experiment": "hierarchical_pixelvae_lsun64", "dataset": "lsun_bedroom",
          "image_size": 64, "train_steps": 400000, "max_train_seconds": 0.0, "batch_size": 48,
          "steps_per_epoch": 1000},
    smoke={**HIERARCHICAL_SMOKE, "train_steps": 3, "batch_size": 8, "steps_per_epoch": 3,
           "image_size": 8, "level_rows": 2, "level_columns": 3, "reconstruction_images": 2,
           "reconstructions": 2, "max_train_seconds": 0.0},
    measure=measure)
