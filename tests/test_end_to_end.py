"""The issue's "done when": run.py trains and exports (in process: the same ``main``, without a
second TensorFlow import), then evaluate.py prints the JSON and saved_model_cli lists the
signatures of the real VAE export, each in a fresh process."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def run(*args, timeout=300):
    out = subprocess.run([*args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_train_export_evaluate_round_trip(tmp_path, capsys, monkeypatch):
    sys.path.insert(0, os.path.join(ROOT, "train"))
    import run as run_command
    monkeypatch.chdir(ROOT)
    assert run_command.run_in_process([
        "train/run.py", "--model=vae", "--dataset=fashion_mnist",
        "--train_steps=30", "--steps_per_epoch=30", "--batch_size=32", "--eval_batches=2",
        "--sample_images=0",  # no image grid: not what this test checks
        "--latent_dim=8", "--filters=8", "--conv_layers=4", "--verbose=0",
        f"--output_dir={tmp_path}/run", f"--export_root={tmp_path}/exports"]) == 0
    trained = json.loads(capsys.readouterr().out)
    export = trained["export_path"]
    assert trained["step"] == 30 and export.endswith(os.path.join("vae_fashion_mnist", "1"))
    shown = run(os.path.join(BIN, "saved_model_cli"), "show", "--all", "--dir", export)
    for name in ("sample", "log_prob", "encode", "decode", "elbo",
                 "importance_weighted_log_prob", "serving_default"):
        assert f"signature_def['{name}']" in shown, name
    result = json.loads(run(sys.executable, "train/evaluate.py", f"--saved_model={export}",
                            "--dataset=fashion_mnist", "--importance_samples=20",
                            "--max_examples=40"))
    assert result["count"] == 40
    assert result["nll_nats"] > 0 and result["elbo_nats"] < 0
    # 8-bit categorical likelihood: NLL below the uniform 8 bits/dim, ELBO below -NLL (noisy).
    assert 0 < result["bits_per_dim"] < 8
    assert result["elbo_nats"] <= -result["nll_nats"] + 5.0
    assert abs(result["elbo_nats"] + result["kl_nats"] + result["recon_nats"]) < 1e-2
