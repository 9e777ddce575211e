"""Run by test_resume_exact.py in a fresh process (logical devices are set before TensorFlow
starts): straight vs stop-and-resume training under MirroredStrategy on 2 logical CPUs. Prints
JSON {"replicas", "steps", "steps_this_run", "metrics_equal", "max_abs_weight_diff"}."""

import json
import os
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from resume_helpers import final_weights, straight_and_resumed  # noqa: E402

from tfgen import data  # noqa: E402
from tfgen.models import build_model  # noqa: E402
from tfgen.training import TrainConfig  # noqa: E402

SMALL_VAE = {"latent_dim": 4, "filters": 4, "conv_layers": 2, "downsamples": 1}
cfg = TrainConfig(dataset="binarized_fashion_mnist", batch_size=16, train_steps=6,
                  steps_per_epoch=3, checkpoint_every=3, eval_batches=2, sample_images=0,
                  export=False, verbose=0, strategy="mirrored", deterministic=True)
straight, resumed, a_dir, b_dir = straight_and_resumed("vae", SMALL_VAE, cfg, sys.argv[1])
model = build_model("vae", data.get_spec(cfg.dataset), **SMALL_VAE)
model.build_for()
model.compile_for_training()
diffs = [float(np.max(np.abs(x - y))) if x.size else 0.0
         for x, y in zip(final_weights(a_dir, model), final_weights(b_dir, model))]
print(json.dumps({"replicas": tf.distribute.MirroredStrategy().num_replicas_in_sync,
                  "steps": [straight["step"], resumed["step"]],
                  "steps_this_run": resumed["steps_this_run"],
                  "metrics_equal": straight["test"] == resumed["test"],
                  "max_abs_weight_diff": max(diffs)}))
