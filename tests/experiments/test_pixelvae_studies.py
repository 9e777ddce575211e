"""Chapter-2 studies at smoke size on real binarized Fashion-MNIST through the one runner:
outputs exist and make sense, k-NN needs labels, the command line with export and resume."""

import json
import math
import os

import numpy as np
import pytest

from conftest import is_png
from tfgen.experiments.studies import get_study, latent_2d, nll_table, run_study, select_runs


def check_record(record, output_dir, name):
    """The JSON on disk equals the returned record; figures are PNGs; NLLs are sane."""
    with open(os.path.join(output_dir, f"{name}.json")) as f:
        assert json.load(f) == json.loads(json.dumps(record))
    assert record["study"] == name and record["config"]["profile"] == "smoke"
    for figure in record["results"]["figures"]:
        path = os.path.join(output_dir, figure)
        assert os.path.exists(path), figure
        assert is_png(path) or figure.endswith(".md")
    for run in record["results"]["runs"]:
        assert 0 < run["nll_nats"] < 28 * 28 * math.log(2) * 1.5, run["name"]  # ~543 untrained
        assert run["bits_per_dim"] == pytest.approx(run["nll_nats"] / (784 * math.log(2)))
        assert run["count"] == record["config"]["eval_examples"]
        assert run["step"] == record["config"]["train_steps"]
        if run["elbo_nats"] is not None:  # latent models: IW bound >= ELBO (both estimates)
            assert run["nll_estimator"] == "importance_weighted_log_prob"
            assert -run["nll_nats"] >= run["elbo_nats"] - 1.0, run["name"]
            assert run["kl_nats"] >= 0
            assert run["elbo_nats"] == pytest.approx(-(run["kl_nats"] + run["recon_nats"]),
                                                     abs=1e-3)
        else:
            assert run["nll_estimator"] == "log_prob"


def test_runs_profiles_and_unknown_names():
    study = get_study("nll_vs_layers")
    cfg = study.resolve({"profile": "cpu", "ar_layers": (0, 3)})
    assert [r.name for r in select_runs(study, cfg)] == ["pixelvae_l0", "pixelvae_l3",
                                                         "gated_pixelcnn_l3"]
    full = study.resolve({"profile": "full"})
    assert full.importance_samples >= 1000 and full.batch_size == 100
    with pytest.raises(ValueError, match="valid names"):
        get_study("nll_vs_layer")
    with pytest.raises(ValueError, match="no runs"):
        select_runs(study, study.resolve({"profile": "cpu", "runs": ("pixelvae_l7",)}))
    with pytest.raises(ValueError, match="unknown NllVsLayersConfig fields"):
        study.resolve({"train_step": 3})
    with pytest.raises(ValueError, match="unknown NllTableConfig fields.*knn_neighbors"):
        get_study("nll_table").resolve({"knn_neighbors": 3})  # latent_2d's, not nll_table's


@pytest.mark.slow
def test_nll_vs_layers(tmp_path):
    record = run_study("nll_vs_layers", str(tmp_path), {"profile": "smoke", "ar_layers": (0, 1),
                                                        "runs": ("pixelvae_l0",
                                                                 "gated_pixelcnn_l1")})
    check_record(record, str(tmp_path), "nll_vs_layers")
    results = record["results"]
    assert results["pixelvae"]["ar_layers"] == [0]
    assert results["pixelcnn"]["ar_layers"] == [1]
    assert len(results["pixelvae"]["kl_nats"]) == 1


@pytest.mark.slow
def test_latent_2d(tmp_path):
    record = run_study("latent_2d", str(tmp_path), {"profile": "smoke"})
    check_record(record, str(tmp_path), "latent_2d")
    for run in record["results"]["runs"]:
        assert run["model_config"]["latent_dim"] == 2
        assert 0.0 <= run["knn_error"] <= 1.0
        assert run["knn_train_examples"] == 120 and run["knn_test_examples"] == 24
        labels = np.load(run["latents_npz"])["test_label"]
        assert labels.min() >= 0 and len(np.unique(labels)) > 1  # a labelled set
    assert set(record["results"]["knn_error"]) == {"vae_2d", "pixelvae_2d"}


def test_latent_2d_refuses_unlabelled_data_before_training(tmp_path, cli):
    with pytest.raises(ValueError, match="--dataset=mnist --binarize"):
        run_study("latent_2d", str(tmp_path), {"profile": "smoke",
                                               "dataset": "binarized_mnist"})
    status, _, err = cli("study", "--study=latent_2d", "--dataset=binarized_mnist",
                         f"--output_dir={tmp_path}")
    assert status == 1 and "needs class labels" in err and "--dataset=mnist --binarize" in err
    assert not os.path.exists(tmp_path / "runs")  # nothing trained


def test_knn_error_is_scikit_learns_and_refuses_unlabelled_points():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    train_y, test_y = rng.integers(0, 3, 300), rng.integers(0, 3, 100)
    train_x = centres[train_y] + rng.normal(0, 1.5, (300, 2))
    test_x = centres[test_y] + rng.normal(0, 1.5, (100, 2))
    error = latent_2d.knn_error(train_x, train_y, test_x, test_y, 5)
    distances = ((test_x[:, None] - train_x[None]) ** 2).sum(-1)  # brute-force reference
    votes = train_y[np.argsort(distances, axis=1)[:, :5]]
    predicted = np.array([np.bincount(v, minlength=3).argmax() for v in votes])
    assert error == pytest.approx(np.mean(predicted != test_y)) and 0.0 < error < 0.5
    assert latent_2d.knn_error(train_x, train_y, train_x, train_y, 1) == 0.0
    with pytest.raises(ValueError, match="unlabelled"):
        latent_2d.knn_error(train_x, -np.ones(300, int), test_x, test_y, 5)


@pytest.mark.slow
def test_nll_table(tmp_path):
    record = run_study("nll_table", str(tmp_path), {"profile": "smoke",
                                                    "runs": ("vae", "pixelcnn")})
    check_record(record, str(tmp_path), "nll_table")
    table = (tmp_path / "nll_table.md").read_text()
    assert table == record["results"]["table_markdown"]
    assert "| Convolutional VAE | ≤ " in table and "| PixelCNN (1 residual blocks) | = " in table
    assert table.count("\n| ") == 1 + 2  # header + one row per model


def test_nll_table_markdown_has_a_row_per_model_with_the_thesis_reference():
    cfg = get_study("nll_table").resolve({"profile": "cpu"})
    records = [{"name": run.name, "label": run.label, "nll_nats": 100.0 + i, "bits_per_dim": 0.2,
                "elbo_nats": None if run.tags["kind"] == "exact" else -110.0,
                "kl_nats": None if run.tags["kind"] == "exact" else 9.0, "step": 600,
                "count": 500, "nll_estimator": "log_prob" if run.tags["kind"] == "exact"
                else "importance_weighted_log_prob"}
               for i, run in enumerate(nll_table.runs(cfg))]
    table = nll_table.markdown(cfg, records)
    assert table.count("\n| ") == 1 + 6
    assert "| Gated PixelVAE without upsampling (2 layers) | ≤ 105.00 (ELBO ≤ 110.00) | " \
        in table and "≈ 78.96 (≤ 79.58)" in table
    assert "| PixelVAE (2 residual blocks) | ≤ 103.00 (ELBO ≤ 110.00) | " in table
    assert "| Gated PixelCNN (4 layers) | = 102.00 | 0.2000 |  | 600 | = 80.10 |" in table


@pytest.mark.slow
def test_command_line_with_export_and_resume(tmp_path, cli, monkeypatch):
    """train/study.py on one run with a SavedModel export and samples; --resume reuses it (the
    conv VAE: the cheapest model to export)."""
    args = ["--study=nll_table", "--profile=smoke", "--runs=vae",
            "--export", "--sample_images=4", f"--output_dir={tmp_path}"]
    status, summary, err = cli("study", *args)
    assert status == 0, err[-3000:]
    assert list(summary["runs"]) == ["vae"]
    assert summary["figures"] == ["nll_table.png", "nll_table.md"]
    with open(tmp_path / "nll_table.json") as f:
        record = json.load(f)
    check_record(record, str(tmp_path), "nll_table")
    run = record["results"]["runs"][0]
    assert run["model"] == "vae" and run["model_config"]["filters"] == 4  # the smoke size
    assert os.path.exists(os.path.join(run["export_path"], "saved_model.pb"))
    assert is_png(run["samples_png"])
    from tfgen.experiments import study

    monkeypatch.setattr(study, "train", lambda *a, **k: pytest.fail("retrained"))
    status, again, err = cli("study", *args, "--resume")
    assert status == 0, err[-3000:]
    assert again["runs"] == summary["runs"]  # reused, not retrained
    assert not os.path.exists(os.path.join(os.path.dirname(run["export_path"]), "2"))
