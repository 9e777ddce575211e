"""Each chapter-3 study at a tiny size: outputs exist, numbers are sane, the CLI runs."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tfgen.experiments import studies_gan
from tfgen.experiments.studies_gan import run_study
from tfgen.experiments.studies_gan.images import parse_architecture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _finite_numbers(obj) -> bool:
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_numbers(v) for v in obj)
    return not isinstance(obj, float) or math.isfinite(obj)


def _read(out, name):
    with open(os.path.join(out, f"{name}.json")) as f:
        record = json.load(f)
    for figure in record["results"]["figures"]:
        with open(os.path.join(out, figure), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    return record


@pytest.fixture
def image_npz(tmp_path, monkeypatch):
    """A 28x28 three-class image set (bright rows / columns / corner on noise) and a private
    classifier cache."""
    monkeypatch.setenv("TFGEN_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)

    def make(n):
        y = rng.integers(0, 3, n)
        x = rng.integers(0, 60, (n, 28, 28, 1)).astype(np.uint8)
        x[y == 0, 8:14, :, 0] = 220
        x[y == 1, :, 8:14, 0] = 220
        x[y == 2, 16:, 16:, 0] = 220
        return x, y

    x, y = make(400)
    xt, yt = make(100)
    path = tmp_path / "img.npz"
    np.savez(path, x=x, y=y, x_test=xt, y_test=yt)
    return f"npz:{path}"


# -- registry and config ----------------------------------------------------------------------
def test_registry_lists_the_chapter3_studies():
    assert set(studies_gan.study_names()) >= {
        "toy_value_surfaces", "gradient_norms", "mode_coverage", "score_vs_time",
        "critic_overfitting", "architecture_robustness"}
    with pytest.raises(ValueError, match="valid names"):
        studies_gan.get_study("nope")


def test_profiles_and_overrides():
    study = studies_gan.get_study("mode_coverage")
    cpu, full = study.config({"profile": "cpu"}), study.config({"profile": "full"})
    assert cpu.profile == "cpu" and full.profile == "full"
    assert full.steps > cpu.steps and cpu.losses == ("wgan-gp", "wgan-clip", "dcgan", "lsgan")
    smoke = study.config({"profile": "smoke", "steps": 7})
    assert smoke.steps == 7 and smoke.dim == 8
    with pytest.raises(ValueError, match="unknown study config fields"):
        study.config({"stepz": 3})
    with pytest.raises(ValueError, match="unknown profile"):
        study.config({"profile": "huge"})


def test_parse_architecture():
    assert parse_architecture("dcgan/dcgan/none") == {
        "generator": "dcgan", "critic": "dcgan", "generator_norm": "none"}
    with pytest.raises(ValueError, match="generator/critic"):
        parse_architecture("dcgan")


# -- toy studies ------------------------------------------------------------------------------
def test_toy_value_surfaces(tmp_path):
    out = str(tmp_path)
    run_study("toy_value_surfaces", out, {"profile": "smoke", "datasets": ("8gaussians",),
                                          "steps": 40, "dim": 32, "batch_size": 64})
    record = _read(out, "toy_value_surfaces")
    runs = record["results"]["runs"]
    assert set(runs) == {"wgan-clip/8gaussians", "wgan-gp/8gaussians"}
    assert _finite_numbers(runs)
    clip, gp = runs["wgan-clip/8gaussians"], runs["wgan-gp/8gaussians"]
    # Clipping (c = 0.01) keeps the critic's gradient far below 1; the penalty pulls it to 1.
    assert clip["gradient_norm_interpolates_mean"] < 0.05
    assert gp["gradient_norm_interpolates_mean"] > 0.6  # unpenalized, this critic reaches ~0.4
    # A fresh critic has gradient norm ~0, so its first loss is about λ (0 − 1)² = 10.
    assert gp["critic_loss_curve"][0] > 5 and len(gp["critic_loss_curve"]) >= 2


def test_gradient_norms(tmp_path):
    out = str(tmp_path)
    run_study("gradient_norms", out, {"profile": "smoke", "steps": 3, "dim": 16,
                                      "batch_size": 16, "clip_values": (0.1, 0.001)})
    results = _read(out, "gradient_norms")["results"]
    runs = results["runs"]
    assert set(runs) == {"wgan-clip c=0.1", "wgan-clip c=0.001", "wgan-gp"}
    layers = results["hidden_layers"] + 1  # hidden layers and the output layer
    for entry in runs.values():
        assert len(entry["gradient_norms"]) == layers
        assert all(n > 0 and math.isfinite(n) for n in entry["gradient_norms"])
    # A tiny clip value makes gradients vanish towards the input, far more than c = 0.1.
    assert runs["wgan-clip c=0.001"]["input_to_output_norm_ratio"] < 1e-3 * runs[
        "wgan-clip c=0.1"]["input_to_output_norm_ratio"]
    assert runs["wgan-clip c=0.001"]["fraction_of_weights_at_clip"] > 0.5
    assert len(results["figures"]) == 2


# -- image studies ----------------------------------------------------------------------------
def test_score_vs_time(tmp_path, image_npz):
    out = str(tmp_path / "out")
    run_study("score_vs_time", out, {"profile": "smoke", "datasets": (image_npz,),
                                     "losses": ("wgan-gp", "dcgan")})
    results = _read(out, "score_vs_time")["results"]
    assert 0.0 <= results["classifier_test_accuracy"] <= 1.0
    for loss in ("wgan-gp", "dcgan"):
        curve = results["curves"][loss]
        assert [p["generator_iterations"] for p in curve] == [2, 4]
        assert all(p["frechet_distance"] >= 0 and 1.0 <= p["score"] <= 3.0 + 1e-6
                   for p in curve)
        assert curve[1]["train_seconds"] > curve[0]["train_seconds"] > 0
    # An untrained generator is far from the data: its FD exceeds real-vs-real.
    assert results["final"]["wgan-gp"]["frechet_distance"] > results["fd_real_train"]


def test_critic_overfitting(tmp_path, image_npz):
    out = str(tmp_path / "out")
    run_study("critic_overfitting", out, {"profile": "smoke", "datasets": (image_npz,)})
    results = _read(out, "critic_overfitting")["results"]
    assert results["train_examples"] == 64
    assert len(results["curve"]) == 2 and _finite_numbers(results["curve"])
    assert results["final_gap_held_out_minus_train"] == pytest.approx(
        results["curve"][-1]["critic_loss_held_out"] - results["curve"][-1]["critic_loss_train"])


def test_architecture_robustness(tmp_path, image_npz):
    out = str(tmp_path / "out")
    run_study("architecture_robustness", out, {
        "profile": "smoke", "datasets": (image_npz,), "steps": 2,
        "architectures": ("dcgan/dcgan", "mlp/dcgan", "nonexistent/dcgan"),
        "losses": ("wgan-gp",)})
    results = _read(out, "architecture_robustness")["results"]
    table = results["table"]
    for key in ("dcgan/dcgan|wgan-gp", "mlp/dcgan|wgan-gp"):
        assert table[key]["steps"] == 2 and table[key]["frechet_distance"] >= 0
        assert os.path.exists(os.path.join(out, table[key]["grid"]))
    assert "nonexistent" in table["nonexistent/dcgan|wgan-gp"]["error"]
    assert "| mlp/dcgan |" in results["fd_table_markdown"]


# -- command line -----------------------------------------------------------------------------
def test_mode_coverage_through_the_cli(tmp_path):
    out = str(tmp_path / "cli")
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "train", "gan_study.py"), "--study=mode_coverage",
         "--profile=smoke", "--datasets=8gaussians", "--losses=wgan-gp,dcgan",
         "--num_samples=200", f"--output_dir={out}"], capture_output=True, text=True,
        check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["profile"] == "smoke" and summary["figures"] == ["mode_coverage.png"]
    record = _read(out, "mode_coverage")
    assert record["config"]["datasets"] == ["8gaussians"]
    runs = record["results"]["runs"]
    assert set(runs) == {"wgan-gp/8gaussians", "dcgan/8gaussians"}
    for entry in runs.values():
        assert 0 <= entry["modes_covered"] <= entry["num_modes"] == 8
        assert 0.0 <= entry["high_quality_percent"] <= 100.0
        assert entry["num_samples"] == 200 and entry["steps"] == 4


# -- text -------------------------------------------------------------------------------------
def test_text_gan(tmp_path):
    corpus = tmp_path / "corpus.txt"
    rng = np.random.default_rng(0)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran"]
    corpus.write_text("\n".join(" ".join(rng.choice(words, 6)) for _ in range(300)))
    out = str(tmp_path / "out")
    # The study's plumbing with the cheap-to-trace dcgan loss (n_critic 1, no penalty); the
    # trainer test in tests/models/test_gan.py trains the text WGAN-GP.
    run_study("text_gan", out, {"profile": "smoke", "text_source": f"file:{corpus}",
                                "seq_len": 16, "train_examples": 0, "losses": ("dcgan",)})
    results = _read(out, "text_gan")["results"]
    assert results["text_source"] == f"text:{corpus}"
    assert len(results["curve"]) == 2 and results["train_sentences"] == 270
    assert all(0.0 <= p[f"js{n}"] <= 1.0 for p in results["curve"] for n in (1, 2, 3, 4))
    assert results["real_vs_held_out"]["js1"] < 0.1
    assert all(len(s) <= 16 for s in results["samples"])
