"""tfgen.evaluation.saved_model metrics and seeds in process; train/evaluate.py's stdout/stderr/exit
contract."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "export"))
from export_fakes import FactorizedModel, LatentModel, random_images  # noqa: E402

from tfgen.evaluation import saved_model as evaluate_lib  # noqa: E402
from tfgen.export import export_model, load_exported  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("saved_models"))

    class SampleOnly(FactorizedModel):
        serving_methods = ("sample",)

    return {name: load_exported(export_model(model, root=root, name=name))
            for name, model in [("factorized", FactorizedModel()), ("latent", LatentModel()),
                                ("gan", SampleOnly())]}


def _batches(images, batch_size):
    return [(images[i:i + batch_size], np.zeros(len(images[i:i + batch_size]), np.int64))
            for i in range(0, len(images), batch_size)]


def test_log_prob_model_means_with_partial_batches(models):
    model, images = models["factorized"], random_images(10)
    result = evaluate_lib.evaluate(model, _batches(images, 4), max_examples=9)
    expected = model.log_prob(images[:9])
    assert result["count"] == 9 and result["nll_estimator"] == "log_prob"
    np.testing.assert_allclose(result["nll_nats"], -expected["log_prob"].mean(), rtol=1e-6)
    np.testing.assert_allclose(result["bits_per_dim"], expected["bits_per_dim"].mean(), rtol=1e-6)
    assert result["nll_nats"] > 0
    assert result["elbo_nats"] is result["kl_nats"] is result["recon_nats"] is None
    assert result["importance_samples"] is None


def test_latent_model_uses_importance_weighted_nll_and_seeds(models):
    model, images = models["latent"], random_images(7)
    result = evaluate_lib.evaluate(model, _batches(images, 3), importance_samples=5, seed=11)
    rng = np.random.default_rng(11)  # the documented per-batch seeds
    nll, elbo, kl, recon = [], [], [], []
    for batch, _ in _batches(images, 3):
        iw_seed, elbo_seed = (int(s) for s in rng.integers(0, 2**31 - 1, size=2))
        nll.append(-model.importance_weighted_log_prob(batch, 5, iw_seed)["log_prob"])
        terms = model.elbo(batch, elbo_seed)
        elbo.append(terms["elbo"]), kl.append(terms["kl"]), recon.append(terms["recon"])
    for key, values in [("nll_nats", nll), ("elbo_nats", elbo), ("kl_nats", kl),
                        ("recon_nats", recon)]:
        np.testing.assert_allclose(result[key], np.concatenate(values).mean(), rtol=1e-6,
                                   err_msg=key)
    assert result["count"] == 7 and result["importance_samples"] == 5
    assert result["nll_estimator"] == "importance_weighted_log_prob"
    assert result["elbo_nats"] < 0 < result["kl_nats"]
    np.testing.assert_allclose(result["elbo_nats"], -(result["kl_nats"] + result["recon_nats"]),
                               rtol=1e-6)
    np.testing.assert_allclose(result["bits_per_dim"], result["nll_nats"] / (16 * np.log(2)),
                               rtol=1e-6)
    again = evaluate_lib.evaluate(model, _batches(images, 3), importance_samples=5, seed=12)
    assert again["nll_nats"] != result["nll_nats"]  # the seed reaches the noise


def test_model_without_likelihood_is_refused(models):
    with pytest.raises(ValueError, match=r"no 'importance_weighted_log_prob' or 'log_prob' "
                                         r"signature.*\['sample'\]"):
        evaluate_lib.evaluate(models["gan"], _batches(random_images(2), 2))


# -- the command line, on an npz dataset through tfgen.data -----------------------------------

def _run_cli(*args, timeout=120):
    return subprocess.run([sys.executable, str(REPO / "train" / "evaluate.py"), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


@pytest.mark.slow
def test_cli_prints_one_json_object(models, tmp_path):
    test_images = random_images(13, seed=5)
    np.savez(tmp_path / "d.npz", x=random_images(20), x_test=test_images)
    out_json = tmp_path / "out" / "eval.json"
    proc = _run_cli(f"--saved_model={os.path.dirname(models['latent'].path)}",
                    f"--dataset=npz:{tmp_path / 'd.npz'}", "--batch_size=4",
                    "--importance_samples=3", "--seed=2", f"--output_json={out_json}")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is one JSON object
    assert proc.stdout.strip().count("\n") == 0
    assert "13/13" in proc.stderr  # the progress bar went to stderr
    assert json.loads(out_json.read_text()) == result
    expected = evaluate_lib.evaluate(models["latent"], _batches(test_images, 4),
                                     importance_samples=3, seed=2)
    for key, value in expected.items():
        assert result[key] == (pytest.approx(value, rel=1e-6) if isinstance(value, float)
                               else value), key
    assert result["saved_model"] == models["latent"].path and result["split"] == "test"


@pytest.mark.slow
def test_cli_shape_mismatch_fails_cleanly(models, tmp_path):
    np.savez(tmp_path / "big.npz", x=random_images(4, (8, 8, 1)))
    proc = _run_cli(f"--saved_model={models['factorized'].path}",
                    f"--dataset=npz:{tmp_path / 'big.npz'}")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "models images [4, 4, 1] (H, W, C) but dataset" in proc.stderr
    assert "yields [8, 8, 1]" in proc.stderr
