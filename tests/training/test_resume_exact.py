"""A resumed run is the run that never stopped (issue 17): N steps straight through versus N/2
steps, a stop and ``resume`` to N, same seed, give the identical batch sequence and identical
final weights, optimizer state and test metrics, bit for bit on CPU."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgen import data
from tfgen.models import VAE, build_model, registry
from tfgen.training import TrainConfig, train

HERE = os.path.dirname(__file__)
sys.path.insert(0, HERE)
from resume_helpers import final_weights, straight_and_resumed  # noqa: E402

SEEN: list[float] = []  # one digest per training batch, in the order the model saw them


class BatchRecordingVAE(VAE):
    """A VAE that appends a digest of every training batch it is given to ``SEEN``."""

    def compute_objective(self, images, seed, training, labels=None):
        if training:
            weights = tf.cast(tf.range(tf.size(images)) % 9973 + 1, tf.float64)
            digest = tf.reduce_sum(tf.cast(tf.reshape(images, [-1]), tf.float64) * weights)
            recorded = tf.py_function(lambda d: SEEN.append(float(d)) or 0.0, [digest],
                                      tf.float32)
            with tf.control_dependencies([recorded]):
                images = tf.identity(images)
        return super().compute_objective(images, seed, training, labels)


SMALL_VAE = {"latent_dim": 4, "filters": 4, "conv_layers": 2, "downsamples": 1}
SMALL_GAN = {"generator": "toy_mlp", "critic": "toy_mlp", "generator_dim": 16,
             "critic_dim": 16, "latent_dim": 2}


def config(**kw) -> TrainConfig:
    base = dict(dataset="binarized_fashion_mnist", batch_size=16, train_steps=6,
                steps_per_epoch=3, checkpoint_every=3, eval_batches=2, sample_images=0,
                export=False, verbose=0, deterministic=True)
    base.update(kw)
    return TrainConfig(**base)


def assert_same_run(model_name, model_config, dataset, straight, resumed, straight_dir,
                    resumed_dir):
    assert straight["step"] == resumed["step"]
    assert resumed["steps_this_run"] == straight["step"] // 2  # it continued, not restarted
    assert straight["test"] == resumed["test"]  # exact equality of the metrics
    spec = data.get_spec(dataset)
    model = build_model(model_name, spec, **model_config)
    model.build_for()
    model.compile_for_training()
    a = final_weights(straight_dir, model)
    b = final_weights(resumed_dir, model)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_a_likelihood_model_resumes_exactly_with_perturbed_inputs(tmp_path, monkeypatch):
    """--perturb_probability's noise is keyed by the batch index, so the resumed run sees the
    same perturbed batches (the plain case is the same path without the noise)."""
    monkeypatch.setitem(registry.MODELS, "recording_vae", BatchRecordingVAE)
    SEEN.clear()
    cfg = config(perturb_probability=0.2)
    out = straight_and_resumed("recording_vae", SMALL_VAE, cfg, str(tmp_path))
    straight_batches, resumed_batches = SEEN[:6], SEEN[6:]
    assert len(straight_batches) == 6 and len(resumed_batches) == 6
    assert straight_batches == resumed_batches  # the same batches, in the same order
    assert len(set(straight_batches)) == 6  # and they are distinct batches
    assert_same_run("recording_vae", SMALL_VAE, cfg.dataset, *out)
    # The equality is not vacuous: another seed gives another run.
    other = train("recording_vae", SMALL_VAE, dataclasses.replace(
        cfg, seed=1, output_dir=str(tmp_path / "other_seed")))
    assert other["test"] != out[0]["test"]


def test_the_gan_resumes_exactly(tmp_path):
    """Two optimizers, n_critic = 5 critic minibatches per step, its own noise draws."""
    cfg = config(dataset="8gaussians", batch_size=5 * 8)
    out = straight_and_resumed("gan", SMALL_GAN, cfg, str(tmp_path))
    assert_same_run("gan", SMALL_GAN, cfg.dataset, *out)


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_resumes_exactly(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(HERE, "resume_mirrored.py"),
                           str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    assert result["steps"] == [6, 6] and result["steps_this_run"] == 3
    assert result["metrics_equal"], result
    assert result["max_abs_weight_diff"] == 0.0, result
