"""The Table 2.2 / Fig. 2.6 studies at smoke size on the offline photo_patches: figures exist, the
level grids vary only the intended level's noise, the table and targets add up."""

import json
import os

import numpy as np
import pytest

from conftest import is_png
from tfgen.experiments.studies import get_study, hierarchy_levels, natural_table, run_study
from tfgen.utils.config import MAX_SEED


@pytest.mark.parametrize("seed", [1, MAX_SEED])
def test_level_seeds_vary_one_level_from_the_second_column(seed):
    for level in hierarchy_levels.LEVELS:
        seeds = hierarchy_levels.level_seeds(level, row=2, columns=4, seed=seed)
        assert seeds.dtype == np.int32 and np.all(seeds >= 0)  # the signatures' int32 seeds
        varied = hierarchy_levels.LEVELS.index(level)
        for k in range(3):
            column = seeds[:, k]
            if k == varied:
                assert len(set(column.tolist())) == 4
            else:
                assert len(set(column.tolist())) == 1
        if seed == 1:
            assert seeds[0].tolist() == [1006, 1007, 1008]  # the row's own three seeds


@pytest.mark.slow
def test_hierarchy_levels(tmp_path):
    record = run_study("hierarchy_levels", str(tmp_path), {"profile": "smoke"})
    with open(tmp_path / "hierarchy_levels.json") as f:
        assert json.load(f) == json.loads(json.dumps(record))
    results = record["results"]
    assert results["figures"] == [f"hierarchy_levels_{n}.png"
                                  for n in ("top", "z1", "pixel", "reconstructions")]
    assert all(is_png(os.path.join(tmp_path, f)) for f in results["figures"])
    arrays = np.load(results["runs"][0]["arrays_npz"])
    shape = (2, 3, 8, 8, 3)  # level_rows, level_columns, the 8 px patches
    for level in hierarchy_levels.LEVELS:
        assert arrays[level].shape == shape and arrays[level].dtype == np.uint8
        # column 0 holds the row's three seeds in every grid: exactly the same image
        np.testing.assert_array_equal(arrays[level][:, 0], arrays["top"][:, 0])
    assert not np.array_equal(arrays["pixel"][:, 0], arrays["pixel"][:, 1])  # pixel noise
    assert set(results["level_spread"]) == {"top", "z1", "pixel"}
    assert results["level_spread"]["pixel"] > 0
    assert arrays["recon_z1"].shape == arrays["recon_z2"].shape == (2, 2, 8, 8, 3)
    assert set(results["reconstruction_l2"]) == {"z1", "z2"}


def test_pixel_l2_and_row_spread():
    a = np.zeros((1, 2, 2, 3), np.uint8)
    b = np.full((1, 2, 2, 3), 4, np.uint8)
    assert hierarchy_levels.pixel_l2(a, b) == pytest.approx(np.sqrt(3 * 16))
    rows = np.stack([a[0], a[0], b[0]])[None]  # one row of three images
    assert hierarchy_levels.row_spread(rows) == pytest.approx(2 / 3 * np.sqrt(48))


@pytest.mark.slow
def test_natural_table_runs_and_targets(tmp_path):
    cfg = get_study("natural_table").resolve({"profile": "cpu"})
    runs = natural_table.runs(cfg)
    assert [r.name for r in runs] == ["hierarchical_pixelvae", "pixelvae", "gated_pixelcnn",
                                      "two_level_vae", "pixelcnn_pp", "iaf_vae"]
    vae = runs[3].model_config
    assert vae["autoregressive"] is False and vae["likelihood"] == "logistic"
    assert vae["mixture_components"] == 1 and cfg.dataset == "photo_patches"
    record = run_study("natural_table", str(tmp_path),
                       {"profile": "smoke", "runs": ("hierarchical_pixelvae", "gated_pixelcnn")})
    results = record["results"]
    assert all(os.path.exists(tmp_path / f) for f in results["figures"])
    assert is_png(tmp_path / "natural_table.png")
    for run in results["runs"]:
        assert run["forward_flops_per_image"] > 0 and run["step"] == 4
        assert 0 < run["bits_per_dim"] < 12
    floor = results["lossless"]
    assert set(floor) == {"webp_per_image", "webp_mosaic", "png_per_image", "png_mosaic"}
    gated = results["targets"]["vs_gated_pixelcnn"]
    hier = {r["name"]: r for r in results["runs"]}["hierarchical_pixelvae"]
    assert gated["hierarchical_bits_per_dim"] == hier["bits_per_dim"]
    assert gated["met"] == (gated["bits_per_dim_at_most_gated"]
                            and gated["flops_ratio_at_most_half"])
    assert results["targets"]["below_webp"]["per_patch"] == (
        hier["bits_per_dim"] < floor["webp_per_image"])
    table = (tmp_path / "natural_table.md").read_text()
    assert table == results["table_markdown"] and table.count("\n| ") == 1 + 2 + 2


def test_targets_compare_bits_and_flops():
    floor = {"webp_per_image": 4.0, "webp_mosaic": 3.5}
    runs = {"hierarchical_pixelvae": {"bits_per_dim": 3.6, "forward_flops_per_image": 50.0},
            "gated_pixelcnn": {"bits_per_dim": 3.7, "forward_flops_per_image": 100.0}}
    out = natural_table.targets(runs, floor)
    assert out["vs_gated_pixelcnn"]["met"] and out["vs_gated_pixelcnn"]["flops_ratio"] == 0.5
    assert out["below_webp"] == {"per_patch": True, "mosaic": False,
                                 "hierarchical_bits_per_dim": 3.6, "webp_per_patch": 4.0,
                                 "webp_mosaic": 3.5}
    runs["gated_pixelcnn"]["forward_flops_per_image"] = 99.0
    assert not natural_table.targets(runs, floor)["vs_gated_pixelcnn"]["met"]
    assert natural_table.targets({}, floor) == {"vs_gated_pixelcnn": None, "below_webp": None}
