"""Run by test_distribute.py in a fresh process: one VAE train step on 1 vs 2 replicas.

Prints JSON {"max_abs_diff": ..., "max_abs_update": ...} comparing the weights after one step
on a single device with those after one step under MirroredStrategy over 2 logical CPUs, both
from identical initial weights and the same global batch.
"""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfgen.models import VAE  # noqa: E402


def one_step(strategy, init):
    with strategy.scope():
        model = VAE((28, 28, 1), likelihood="bernoulli", latent_dim=4, filters=8, conv_layers=4)
        model.build_for()
        model.set_weights(init)
        model.compile(keras.optimizers.SGD(1e-3))
    images = tf.cast(tf.random.stateless_uniform([8, 28, 28, 1], [1, 2]) < 0.3, tf.uint8) * 255
    ds = tf.data.Dataset.from_tensors((images, tf.zeros([8], tf.int64)))
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


reference = VAE((28, 28, 1), likelihood="bernoulli", latent_dim=4, filters=8, conv_layers=4)
reference.build_for()
init = reference.get_weights()
single = one_step(tf.distribute.get_strategy(), init)
mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
assert mirrored.num_replicas_in_sync == 2
double = one_step(mirrored, init)
print(json.dumps({
    "max_abs_diff": float(max(np.max(np.abs(a - b)) for a, b in zip(single, double))),
    "max_abs_update": float(max(np.max(np.abs(a - b)) for a, b in zip(single, init))),
}))
