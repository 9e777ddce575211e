"""The leave-one-class-out protocol end to end on real Fashion-MNIST (tiny models, two held-out
classes): training data without the held-out class, JSON + table + chart, resume, and scoring an
``npz:`` OOD set through a SavedModel export (``train/ood.py``'s second mode)."""

import json
import os

import numpy as np
import pytest
from ood_protocol_spies import run_protocol_spied

from tfgen import data
from tfgen.experiments import study
from tfgen.experiments.ood import (
    STUDY,
    OODConfig,
    get_ood_model,
    model_config,
    protocol,
    resolve,
    run_protocol,
    score_datasets,
)
from tfgen.experiments.studies import get_study
from tfgen.export import export_model
from tfgen.models import build_model
from tfgen.training.checkpoints import CheckpointStore

CLASSES = (1, 5)  # Trouser, Sandal


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ood"))
    cfg = resolve({"profile": "smoke", "name": "ood_test", "models": ("vae",),
                   "classes": CLASSES, "train_steps": 15, "steps_per_epoch": 15, "background": True,
                   "export": False, "resume": True})
    def record(perturbed, probability, images, result):
        perturbed.append(probability)  # traced once per run that perturbs
        return result

    return run_protocol_spied(cfg, out, record)


def test_training_data_has_no_image_of_the_held_out_class(run):
    # the model and its likelihood-ratio background model, per held-out class
    assert sorted(c.exclude_classes for c in run["calls"]) == [(1,), (1,), (5,), (5,)]
    assert sorted(c.perturb_probability for c in run["calls"]) == [0, 0, 0.2, 0.2]
    assert run["perturbed"] == [0.2, 0.2]  # the trainer perturbs the background models' inputs
    train_cfg = run["calls"][0]
    (held_out,) = train_cfg.exclude_classes
    for split in ("train", "validation"):  # what the trainer loads (binarization keeps labels)
        ds, _ = data.load(train_cfg.dataset, split, exclude_classes=(held_out,),
                          seed=train_cfg.seed)
        labels = np.concatenate(list(ds.map(lambda x, y: y).batch(60000).as_numpy_iterator()))
        assert len(labels) > 5000 and held_out not in labels
        assert set(np.unique(labels)) == set(range(10)) - {held_out}


def test_writes_json_table_and_chart(run):
    out, summary = run["out"], run["summary"]
    with open(os.path.join(out, "ood_test.json")) as f:
        record = json.load(f)
    assert record["classes"] == list(CLASSES)
    vae = record["models"]["vae"]
    assert set(vae["scorers"]) == {"nll", "complexity_png", "complexity_webp", "typicality",
                                   "complexity_typicality_png", "complexity_typicality_webp",
                                   "likelihood_ratio"}
    for block in vae["scorers"].values():
        assert set(block["per_class"]) == {"1", "5"}
        for metrics in block["per_class"].values():
            assert metrics["count"] == 200 and metrics["ood_count"] == 20
            assert metrics["skew"] == pytest.approx(0.1)
            assert 0.0 <= metrics["average_precision"] <= 1.0
        mean = np.mean([m["average_precision"] for m in block["per_class"].values()])
        assert block["mean"]["average_precision"] == pytest.approx(mean)
    assert vae["typicality_batch"]["mean"]["tpr"] is not None
    for rec in record["records"]:
        assert rec["train"]["perturb_probability"] == 0.0
        assert rec["background"]["perturb_probability"] == pytest.approx(0.2)
    with open(os.path.join(out, "ood_test.md")) as f:
        table = f.read()
    for row in ("| 1 Trouser |", "| 5 Sandal |", "| **mean** |", "| **median** |"):
        assert row in table
    assert "| OOD class | skew | VAE |" in table  # Table 4.1's layout
    with open(os.path.join(out, "ood_test.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(summary["files"]) == sorted(
        os.path.join(out, f"ood_test.{ext}") for ext in ("md", "png"))


def test_resume_trains_nothing(run, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("resume retrained a finished (model, class) pair")

    monkeypatch.setattr(study, "train", fail)
    again = run_protocol(run["cfg"], run["out"])
    assert again["models"] == run["summary"]["models"]


@pytest.mark.slow
def test_the_protocol_is_a_registered_study_run_by_the_one_runner(run, cli, monkeypatch):
    """``train/study.py --study=ood`` runs the same protocol through ``run_study``: it reuses
    the records and runs of ``train/ood.py``'s protocol and writes the same summary files."""
    assert get_study("ood") is STUDY and STUDY.config is OODConfig
    runs = STUDY.runs(run["cfg"])
    assert [(r.name, r.tags["held_out"], r.train["exclude_classes"]) for r in runs] == [
        ("vae_class1", 1, (1,)), ("vae_class5", 5, (5,))]
    calls = []
    real_run_one = study.run_one
    monkeypatch.setattr(study, "run_one", lambda *a: calls.append(a[1].name) or real_run_one(*a))
    monkeypatch.setattr(study, "train", lambda *a, **k: pytest.fail("retrained"))
    status, out, err = cli("study", "--study=ood", "--profile=smoke", "--name=ood_test",
                           "--models=vae", "--classes=1,5", "--train_steps=15",
                           "--steps_per_epoch=15", "--resume", f"--output_dir={run['out']}")
    assert status == 0, err
    assert calls == ["vae_class1", "vae_class5"]
    assert out["json"] == os.path.join(run["out"], "ood_test.json")  # the protocol's summary
    assert not os.path.exists(os.path.join(run["out"], "ood.json"))
    with open(out["json"]) as f:
        record = json.load(f)
    assert set(record) == set(run["summary"]) and record["models"] == run["summary"]["models"]
    assert [r["held_out"] for r in record["records"]] == [1, 5]


def test_resume_rescores_a_record_missing_scorers_without_training(run, monkeypatch):
    """A record written before a scorer existed gets it from the restored model, not a
    retraining; a dropped likelihood ratio restores the background model too."""
    path = os.path.join(run["out"], "records", "vae", "class_5.json")
    with open(path) as f:
        full = json.load(f)
    old = {**full, "scorers": {k: v for k, v in full["scorers"].items()
                               if k not in ("complexity_typicality_webp", "likelihood_ratio")}}
    with open(path, "w") as f:
        json.dump(old, f)
    assert protocol.missing_scorers(old, run["cfg"]) == ["complexity_typicality_webp",
                                                         "likelihood_ratio"]
    monkeypatch.setattr(study, "train", lambda *a, **k: pytest.fail("retrained"))
    again = run_protocol(run["cfg"], run["out"])
    record = next(r for r in again["records"] if r["held_out"] == 5)
    assert set(record["scorers"]) == set(full["scorers"])
    for name in ("complexity_typicality_webp", "likelihood_ratio", "nll"):
        # the same model, images and scoring seeds: the same numbers as the first scoring
        assert record["scorers"][name]["average_precision"] == pytest.approx(
            full["scorers"][name]["average_precision"], abs=1e-6), name
    (entry,) = record["rescored"]
    assert entry["scorers"] == ["complexity_typicality_webp", "likelihood_ratio"]
    assert entry["utc"].endswith("+00:00") and not entry["background_retrained"]
    assert protocol.missing_scorers(record, run["cfg"]) == []
    gan = {"scorers": {"critic": {}}}
    assert protocol.missing_scorers(gan, run["cfg"]) == []  # nothing else applies to a critic


def test_npz_ood_set_scored_through_a_saved_model(run, tmp_path):
    cfg = run["cfg"]
    model = build_model("vae", data.get_spec("fashion_mnist", binarize=True), seed=cfg.seed,
                        **model_config(get_ood_model("vae"), cfg))
    model.build_for()
    run_dir = os.path.join(run["out"], "runs", "vae", "class_1", "model")
    assert CheckpointStore(os.path.join(run_dir, "checkpoints")).restore(model) == 15
    export = export_model(model, root=str(tmp_path / "exports"), name="vae_class1")
    rng = np.random.default_rng(0)
    noise = rng.integers(180, 256, (60, 28, 28), dtype=np.uint8)  # all on once binarized
    path = tmp_path / "bright.npz"
    np.savez(path, x=noise, x_test=noise)
    cfg = resolve({"profile": "smoke", "eval_examples": 100, "reference_examples": 40})
    result = score_datasets(export, "fashion_mnist", f"npz:{path}", cfg, binarize=True)
    assert (result["in_count"], result["out_count"]) == (100, 60)
    assert set(result["scorers"]) == {"nll", "complexity_png", "complexity_webp", "typicality",
                                      "complexity_typicality_png", "complexity_typicality_webp"}
    assert result["scorers"]["nll"]["skew"] == pytest.approx(60 / 160)
    assert result["scorers"]["nll"]["auroc"] > 0.95  # nothing like the data
    assert result["mean_nll_ood"] > result["mean_nll_in"]
    small = tmp_path / "small.npz"
    np.savez(small, x=noise[:, :14, :14], x_test=noise[:, :14, :14])
    with pytest.raises(ValueError, match="models images"):
        score_datasets(export, "fashion_mnist", f"npz:{small}", cfg)


def test_profiles_select_the_thesis_data_only_at_full_size():
    assert resolve({"profile": "full"}).dataset == "mnist"  # Table 4.1
    assert resolve({"profile": "cpu"}).dataset == "fashion_mnist"  # offline
    with pytest.raises(ValueError, match="unknown OODConfig fields.*'test_examples'"):
        resolve({"test_examples": 100})  # renamed eval_examples, as in every study


def test_command_line_refuses_flags_of_the_other_mode(cli, tmp_path):
    status, _, err = cli("ood", "--in_dataset=mnist", f"--output_dir={tmp_path}")
    assert status == 1 and "leave-one-class-out (no --saved_model) has no setting " \
        "--in_dataset" in err and "eval_examples" in err
    status, _, err = cli("ood", "--saved_model=x", "--in_dataset=mnist", "--out_dataset=mnist",
                         "--models=vae")
    assert status == 1 and "scoring an export (--saved_model) has no setting --models" in err
    assert not os.listdir(tmp_path)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="valid names.*'pixelvae'"):
        resolve({"models": ("vea",)})
    with pytest.raises(ValueError, match="unknown scorer 'nl'.*'likelihood_ratio'"):
        resolve({"scorers": ("nll", "nl")})
    with pytest.raises(ValueError, match="valid"):
        resolve({"profile": "smoke", "bogus_field": 1})


def test_gan_batches_split_into_critic_minibatches():
    from tfgen.experiments.ood.config import batch_size_for

    cfg = resolve({"profile": "cpu", "batch_size": 64})
    sizes = {m: batch_size_for(get_ood_model(m), cfg) for m in ("vae", "dcgan", "wgan_gp")}
    assert sizes == {"vae": 64, "dcgan": 64, "wgan_gp": 65}  # WGAN-GP: n_critic = 5
