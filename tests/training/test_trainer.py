"""Trainer on real Fashion-MNIST: learning, checkpoints, resume after a kill, NaN guard."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tfgen.models import VAE, registry
from tfgen import data
from tfgen.training import TrainConfig, TrainingDivergedError, restore_trained, train
from tfgen.training.checkpoints import CheckpointStore

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SMALL_VAE = {"latent_dim": 8, "filters": 8, "conv_layers": 4}
SMALL_FLAGS = ["--latent_dim=8", "--filters=8", "--conv_layers=4"]
# Tests that check no image grid or loss level: no sample grid, one eval batch.
QUIET = dict(sample_images=0, eval_batches=1)
# XLA compile time grows with the graph: the smallest VAE for the mixed-precision + XLA run.
TINY_VAE = {"latent_dim": 4, "filters": 4, "conv_layers": 2, "downsamples": 1}


def config(tmp_path, **kw):
    base = dict(dataset="binarized_fashion_mnist", batch_size=32, train_steps=20,
                steps_per_epoch=10, checkpoint_every=10, eval_batches=4, sample_images=16,
                export=False, output_dir=str(tmp_path / "run"), verbose=0,
                export_root=str(tmp_path / "exports"))
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.slow
def test_a_few_hundred_steps_lower_the_test_loss(tmp_path):
    before = train("vae", SMALL_VAE, config(tmp_path, train_steps=1,  # ~ untrained
                                            output_dir=str(tmp_path / "untrained")))
    # 150 steps already lower it by ~235 nats (544 -> 309), well past the 100 asked for.
    after = train("vae", SMALL_VAE, config(tmp_path, train_steps=150, steps_per_epoch=75,
                                           checkpoint_every=75))
    assert after["step"] == 150
    assert after["test"]["loss"] < before["test"]["loss"] - 100, (before["test"], after["test"])
    images = os.listdir(tmp_path / "run" / "images")
    assert any(n.startswith("samples-") for n in images)
    assert any(n.startswith("reconstructions-") for n in images)


def test_resume_continues_from_the_saved_step(tmp_path):
    first = train("vae", SMALL_VAE, config(tmp_path, train_steps=20, **QUIET))
    assert first["step"] == 20
    store = CheckpointStore(str(tmp_path / "run" / "checkpoints"))
    assert store.steps() == [10, 20]
    spec = data.get_spec("binarized_fashion_mnist")
    restored = restore_trained("vae", SMALL_VAE, spec, str(tmp_path / "run"))
    assert int(restored.optimizer.iterations) == 20
    fresh = registry.build_model("vae", spec, seed=0, **SMALL_VAE)
    fresh.build_for()
    assert any(np.abs(a - b).max() > 0 for a, b in zip(restored.get_weights(),
                                                         fresh.get_weights()))
    with pytest.raises(FileNotFoundError, match="no checkpoint of 'vae'"):
        restore_trained("vae", SMALL_VAE, spec, str(tmp_path / "nothing"))
    with pytest.raises(FileExistsError, match="--resume"):
        train("vae", SMALL_VAE, config(tmp_path, train_steps=30))
    with pytest.raises(ValueError, match="latent_dim|model_config"):
        train("vae", {**SMALL_VAE, "latent_dim": 9}, config(tmp_path, resume=True))
    second = train("vae", SMALL_VAE, config(tmp_path, train_steps=30, resume=True, **QUIET))
    assert second["step"] == 30
    assert sum(len(v) for k, v in second["history"].items() if k == "loss") == 1  # one epoch


@pytest.mark.slow
def test_resume_after_kill_loses_nothing_before_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, os.path.join(ROOT, "train", "run.py"), "--model=vae",
           "--dataset=binarized_fashion_mnist", "--batch_size=16", "--train_steps=100000",
           "--steps_per_epoch=10", "--checkpoint_every=10", "--eval_batches=1",
           "--sample_images=0", "--export=false", f"--output_dir={out}", "--verbose=0",
           *SMALL_FLAGS]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = CheckpointStore(str(out / "checkpoints"))
    deadline = time.time() + 240
    while len(store.steps()) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = store.steps()
    assert saved, "no checkpoint was written before the kill"
    resumed = subprocess.run([*cmd[:5], f"--train_steps={saved[-1] + 10}",
                              *cmd[6:], "--resume"], capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert json.loads(resumed.stdout)["step"] == saved[-1] + 10
    assert store.steps()[-1] == saved[-1] + 10


class _DivergingVAE(VAE):
    """A VAE whose loss becomes NaN from optimizer step 15 on."""

    def compute_objective(self, images, seed, training, labels=None):
        loss, metrics = super().compute_objective(images, seed, training)
        bad = tf.cast(self.optimizer.iterations, tf.float32) >= 15.0 if training else False
        return tf.where(bad, float("nan"), loss), metrics


def test_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.MODELS, "diverging_vae", _DivergingVAE)
    with pytest.raises(TrainingDivergedError, match=r"nan at step 16.*ckpt-10"):
        train("diverging_vae", SMALL_VAE, config(tmp_path, train_steps=40, **QUIET))
    store = CheckpointStore(str(tmp_path / "run" / "checkpoints"))
    assert store.steps() == [10]
    model = VAE((28, 28, 1), likelihood="bernoulli", **SMALL_VAE)
    model.build_for()
    model.load_weights(store.latest()[1])
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_divergence_before_the_first_checkpoint_says_none_was_written(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.MODELS, "diverging_vae", _DivergingVAE)
    with pytest.raises(TrainingDivergedError,
                       match=r"nan at step 16.*No checkpoint was written yet.*without --resume"):
        train("diverging_vae", SMALL_VAE, config(tmp_path, train_steps=40, checkpoint_every=30,
                                                 **QUIET))
    assert CheckpointStore(str(tmp_path / "run" / "checkpoints")).steps() == []


@pytest.mark.slow
def test_mixed_precision_and_xla_train_and_keep_float32_outputs(tmp_path):
    import keras
    result = train("vae", TINY_VAE, config(tmp_path, train_steps=4, steps_per_epoch=2,
                                           mixed_precision="mixed_bfloat16", jit_compile=True,
                                           sample_images=4, eval_batches=1, export=True))
    assert result["step"] == 4 and np.isfinite(result["test"]["loss"])
    assert keras.mixed_precision.global_policy().name == "float32"  # restored after training
    from tfgen.export import load_exported
    exported = load_exported(result["export_path"])
    out = exported.log_prob(np.zeros((2, 28, 28, 1), np.uint8))
    assert out["log_prob"].dtype == np.float32 and np.all(np.isfinite(out["log_prob"]))


def test_same_seed_reproduces_a_run_exactly(tmp_path):
    runs = [train("vae", SMALL_VAE, config(tmp_path, train_steps=5, steps_per_epoch=5,
                                           sample_images=0, output_dir=str(tmp_path / name),
                                           deterministic=True))
            for name in ("a", "b")]
    assert runs[0]["test"] == runs[1]["test"]
    other = train("vae", SMALL_VAE, config(tmp_path, train_steps=5, steps_per_epoch=5, seed=1,
                                           sample_images=0, output_dir=str(tmp_path / "c"),
                                           deterministic=True))
    assert other["test"] != runs[0]["test"]


def test_deterministic_ops_hold_during_training_only(tmp_path):
    """--deterministic turns TensorFlow's op determinism on for the run and back off after it
    (what the exact-resume tests rely on under load)."""
    import keras
    from tensorflow.python.framework import config as tf_config

    seen = []

    class Probe(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(tf_config.is_op_determinism_enabled())

    assert not tf_config.is_op_determinism_enabled()
    for deterministic in (True, False):
        train("vae", TINY_VAE, config(tmp_path, train_steps=1, steps_per_epoch=1, **QUIET,
                                      deterministic=deterministic,
                                      output_dir=str(tmp_path / str(deterministic))),
              callbacks=(Probe(),))
        assert seen[-1] is deterministic
        assert not tf_config.is_op_determinism_enabled()
