"""Each chapter-3 study at a tiny size through the one runner: outputs exist, numbers are sane,
the trainer's resume continues a study's run (and its measurements) from its checkpoint."""

from __future__ import annotations

import json
import math
import os

import pytest
from absl import flags

from conftest import is_png
from tfgen.experiments.studies import get_study, run_study, study_names
from tfgen.experiments.studies.images import parse_architecture


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
        assert is_png(os.path.join(out, figure))
    return record


def _trained(out, run):
    """The trainer's result of a study run (``step``, ``steps_this_run``)."""
    with open(os.path.join(out, "runs", run, "metrics.json")) as f:
        return json.load(f)


# -- registry and config ----------------------------------------------------------------------
def test_registry_lists_every_study():
    assert set(study_names()) == {
        "nll_vs_layers", "latent_2d", "nll_table", "toy_value_surfaces", "gradient_norms",
        "mode_coverage", "score_vs_time", "critic_overfitting", "architecture_robustness",
        "text_gan", "ood", "hierarchy_levels", "natural_table"}
    with pytest.raises(ValueError, match="valid names"):
        get_study("nope")


def test_profiles_and_overrides():
    study = get_study("mode_coverage")
    cpu, full = study.resolve({"profile": "cpu"}), study.resolve({"profile": "full"})
    assert cpu.profile == "cpu" and full.profile == "full"
    assert full.train_steps > cpu.train_steps
    assert cpu.losses == ("wgan-gp", "wgan-clip", "dcgan", "lsgan")
    smoke = study.resolve({"profile": "smoke", "train_steps": 7})
    assert smoke.train_steps == 7 and smoke.generator_dim == 8
    with pytest.raises(ValueError, match="unknown ModeCoverageConfig fields.*'steps'"):
        study.resolve({"steps": 3})  # the former name of train_steps
    with pytest.raises(ValueError, match="unknown profile"):
        study.resolve({"profile": "huge"})


def test_parse_architecture():
    assert parse_architecture("dcgan/dcgan/none") == {
        "generator": "dcgan", "critic": "dcgan", "generator_norm": "none"}
    with pytest.raises(ValueError, match="generator/critic"):
        parse_architecture("dcgan")


def test_a_run_trains_with_batch_m_times_n_critic():
    cfg = get_study("mode_coverage").resolve({"profile": "cpu", "batch_size": 64})
    runs = {r.tags["loss"]: r for r in get_study("mode_coverage").runs(cfg)}
    assert runs["wgan-gp"].train["batch_size"] == 64 * 5  # the thesis' m = 64, n_critic = 5
    assert runs["dcgan"].train["batch_size"] == 64


# -- toy studies ------------------------------------------------------------------------------
@pytest.mark.slow
def test_toy_value_surfaces(tmp_path):
    out = str(tmp_path)
    run_study("toy_value_surfaces", out, {"profile": "smoke", "datasets": ("8gaussians",),
                                          "train_steps": 40, "critic_dim": 32, "batch_size": 64})
    record = _read(out, "toy_value_surfaces")
    runs = record["results"]["runs"]
    assert set(runs) == {"wgan-clip/8gaussians", "wgan-gp/8gaussians"}
    assert _finite_numbers(runs)
    clip, gp = runs["wgan-clip/8gaussians"], runs["wgan-gp/8gaussians"]
    assert clip["step"] == gp["step"] == 40  # critic iterations (the generator is frozen)
    # Clipping (c = 0.01) keeps the critic's gradient far below 1; the penalty pulls it to 1.
    assert clip["gradient_norm_interpolates_mean"] < 0.05
    assert gp["gradient_norm_interpolates_mean"] > 0.6  # unpenalized, this critic reaches ~0.4
    # A fresh critic has gradient norm ~0, so its first loss is about λ (0 − 1)² = 10.
    assert gp["critic_loss_curve"][0] > 5 and len(gp["critic_loss_curve"]) == 40
    assert gp["wasserstein_estimate"] > clip["wasserstein_estimate"]


@pytest.mark.slow
def test_gradient_norms(tmp_path):
    out = str(tmp_path)
    run_study("gradient_norms", out, {"profile": "smoke", "train_steps": 3,
                                      "generator_dim": 16, "critic_dim": 16, "batch_size": 16,
                                      "clip_values": (0.1, 0.001), "losses": ("wgan-clip",)})
    results = _read(out, "gradient_norms")["results"]
    runs = results["runs"]
    assert set(runs) == {"wgan-clip c=0.1", "wgan-clip c=0.001"}  # no penalty run asked for
    layers = results["hidden_layers"] + 1  # hidden layers and the output layer
    for entry in runs.values():
        assert len(entry["gradient_norms"]) == layers and entry["steps"] == 3
        assert all(n > 0 and math.isfinite(n) for n in entry["gradient_norms"])
    # A tiny clip value makes gradients vanish towards the input, far more than c = 0.1.
    assert runs["wgan-clip c=0.001"]["input_to_output_norm_ratio"] < 1e-3 * runs[
        "wgan-clip c=0.1"]["input_to_output_norm_ratio"]
    assert runs["wgan-clip c=0.001"]["fraction_of_weights_at_clip"] > 0.5
    assert len(results["figures"]) == 2


@pytest.mark.slow
def test_mode_coverage_through_the_cli_and_resumed_with_more_steps(tmp_path, cli):
    """gan_study's documented command (train/study.py's runner); then --resume with more steps
    continues each run from its checkpoint instead of training from step 0."""
    out = str(tmp_path / "cli")
    args = ["--study=mode_coverage", "--profile=smoke", "--datasets=8gaussians",
            "--losses=wgan-gp,dcgan", "--num_samples=200", "--lr_decay=false",
            f"--output_dir={out}"]  # no decay: its length would change the model config
    status, summary, err = cli("study", *args, "--train_steps=2")
    assert status == 0, err[-2000:]
    assert summary["profile"] == "smoke" and summary["figures"] == ["mode_coverage.png"]
    record = _read(out, "mode_coverage")
    assert record["config"]["datasets"] == ["8gaussians"]
    runs = record["results"]["runs"]
    assert set(runs) == {"wgan-gp/8gaussians", "dcgan/8gaussians"}
    for entry in runs.values():
        assert 0 <= entry["modes_covered"] <= entry["num_modes"] == 8
        assert 0.0 <= entry["high_quality_percent"] <= 100.0
        assert entry["num_samples"] == 200 and entry["steps"] == 2

    status, _, err = cli("study", *args, "--train_steps=4", "--resume",
                         "--runs=wgan-gp__8gaussians")
    assert status == 0, err[-2000:]
    trained = _trained(out, "wgan-gp__8gaussians")
    assert (trained["step"], trained["steps_this_run"]) == (4, 2)  # restored at step 2
    (entry,) = _read(out, "mode_coverage")["results"]["runs"].values()
    assert entry["steps"] == 4 and entry["num_samples"] == 200


def test_unknown_and_foreign_study_flags_are_refused(cli, tmp_path):
    status, _, err = cli("study", "--study=mode_coverage", "--ar_layers=2",
                         f"--output_dir={tmp_path}")
    assert status == 1
    assert "study 'mode_coverage' has no setting --ar_layers" in err
    assert "train_steps" in err and "num_samples" in err  # its settings are listed
    with pytest.raises(flags.UnrecognizedFlagError, match="steps"):
        cli("study", "--study=mode_coverage", "--steps=4")  # renamed: --train_steps


# -- image studies ----------------------------------------------------------------------------
@pytest.mark.slow
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


@pytest.mark.slow
def test_critic_overfitting_resumed_continues_its_curve(tmp_path, image_npz):
    """Measurements along training survive an interrupted run: the resumed run restores step 2
    from its checkpoint, keeps the point measured there and adds the later ones."""
    out = str(tmp_path / "out")
    settings = {"profile": "smoke", "datasets": (image_npz,), "train_steps": 2}
    run_study("critic_overfitting", out, settings)
    first = _read(out, "critic_overfitting")["results"]["curve"]
    assert [p["generator_iterations"] for p in first] == [2]
    run_study("critic_overfitting", out, {**settings, "train_steps": 6, "resume": True})
    results = _read(out, "critic_overfitting")["results"]
    assert results["train_examples"] == 64
    curve = results["curve"]
    assert [p["generator_iterations"] for p in curve] == [2, 4, 6]
    assert curve[0] == first[0]  # the point before the interruption, kept
    assert curve[2]["train_seconds"] > curve[1]["train_seconds"] > curve[0]["train_seconds"]
    assert _trained(out, "wgan-gp")["steps_this_run"] == 4  # continued from checkpoint 2
    assert _finite_numbers(curve)
    assert results["final_gap_held_out_minus_train"] == pytest.approx(
        curve[-1]["critic_loss_held_out"] - curve[-1]["critic_loss_train"])


@pytest.mark.slow
def test_architecture_robustness(tmp_path, image_npz):
    out = str(tmp_path / "out")
    run_study("architecture_robustness", out, {
        "profile": "smoke", "datasets": (image_npz,), "train_steps": 2,
        "architectures": ("mlp/dcgan", "nonexistent/dcgan"), "losses": ("wgan-gp",)})
    results = _read(out, "architecture_robustness")["results"]
    table = results["table"]
    entry = table["mlp/dcgan|wgan-gp"]
    assert entry["step"] == 2 and entry["frechet_distance"] >= 0
    assert is_png(os.path.join(out, entry["grid"]))
    assert "nonexistent" in table["nonexistent/dcgan|wgan-gp"]["error"]
    assert "| mlp/dcgan | " in results["fd_table_markdown"]
    assert "| nonexistent/dcgan | n/a |" in results["fd_table_markdown"]


# -- text -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_text_gan(tmp_path):
    import numpy as np

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
