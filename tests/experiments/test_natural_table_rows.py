"""natural_table's PixelCNN++ and IAF-VAE rows: their configs, selecting only them, and merging a
session's rows into a stored record (no training here)."""

import pytest

from tfgen.experiments.registry import get_experiment
from tfgen.experiments.studies import get_study, natural_table, select_runs

NEW = ("pixelcnn_pp", "iaf_vae")


def test_new_rows_use_their_cpu_experiments_and_can_be_run_alone():
    study = get_study("natural_table")
    cfg = study.resolve({"profile": "cpu"})
    runs = {r.name: r for r in natural_table.runs(cfg)}
    assert list(runs)[-2:] == list(NEW)
    pp, iaf = runs["pixelcnn_pp"], runs["iaf_vae"]
    assert (pp.model, pp.tags["kind"], iaf.model, iaf.tags["kind"]) == (
        "pixelcnn_pp", "exact", "iaf_vae", "latent")
    assert dict(pp.model_config) == get_experiment("pixelcnn_pp_cpu").model_config
    assert pp.train["sample_images"] == 0 and pp.tags["sampler"] == "naive"
    expected = {**get_experiment("iaf_vae_cpu").model_config,
                "kl_warmup_steps": cfg.kl_warmup_steps}
    assert dict(iaf.model_config) == expected
    chosen = study.resolve({"profile": "cpu", "runs": NEW})
    assert [r.name for r in select_runs(study, chosen)] == list(NEW)
    wider = study.resolve({"profile": "cpu", "nr_filters": 48})
    assert {r.name: r for r in natural_table.runs(wider)}["pixelcnn_pp"].model_config[
        "nr_filters"] == 48
    full = {r.name: r for r in natural_table.runs(study.resolve({"profile": "full"}))}
    assert full["pixelcnn_pp"].model_config["nr_filters"] == 160


def test_an_experiment_of_another_model_is_refused():
    with pytest.raises(ValueError, match="pixelcnn_pp"):
        natural_table.runs(get_study("natural_table").resolve(
            {"profile": "cpu", "pixelcnn_pp_experiment": "iaf_vae_cpu"}))


def test_merge_keeps_old_rows_replaces_remeasured_and_marks_sessions():
    old = [{"name": "gated_pixelcnn", "bits_per_dim": 7.0},
           {"name": "pixelvae", "bits_per_dim": 6.8},
           {"name": "iaf_vae", "bits_per_dim": 9.9, "measured": {"label": "older"}}]
    new = [{"name": "iaf_vae", "bits_per_dim": 5.0}, {"name": "pixelcnn_pp", "bits_per_dim": 5.5}]
    order = [r.name for r in natural_table.runs(get_study("natural_table").resolve(
        {"profile": "cpu"}))]
    merged = natural_table.merge_runs(old, new, {"label": "now"}, {"label": "first"}, order)
    assert [r["name"] for r in merged] == ["pixelvae", "gated_pixelcnn", "pixelcnn_pp",
                                           "iaf_vae"]
    by = {r["name"]: r for r in merged}
    assert by["iaf_vae"] == {"name": "iaf_vae", "bits_per_dim": 5.0, "measured": {"label": "now"}}
    assert by["pixelvae"]["measured"] == {"label": "first"}
    assert by["pixelcnn_pp"]["measured"] == {"label": "now"}
    assert "measured" not in old[0]  # the stored records are not changed in place


def test_table_names_when_each_row_was_measured():
    floor = {"webp_per_image": 3.4, "webp_mosaic": 3.1, "png_per_image": 4.0, "png_mosaic": 3.9}
    cfg = get_study("natural_table").resolve({"profile": "cpu"})
    rows = [{"name": "pixelcnn_pp", "label": "PixelCNN++", "nll_estimator": "log_prob",
             "bits_per_dim": 5.5, "forward_flops_per_image": 5.5e8, "step": 100,
             "train_seconds": 300.0, "count": 315, "measured": {"label": "2026-12-03, merge11"}},
            {"name": "iaf_vae", "label": "IAF-VAE", "nll_estimator":
             "importance_weighted_log_prob", "bits_per_dim": 5.0,
             "forward_flops_per_image": 1.9e8, "step": 400, "train_seconds": 300.0,
             "note": "a note"}]
    table = natural_table.markdown(cfg, rows, floor)
    assert "| PixelCNN++ | = 5.500 | 0.5500 | 100 | 300 | 2026-12-03, merge11 |  |" in table
    assert "| IAF-VAE | ≤ 5.000 | 0.1900 | 400 | 300 |  |  |" in table
    assert table.endswith("|\n\n- IAF-VAE: a note\n")
