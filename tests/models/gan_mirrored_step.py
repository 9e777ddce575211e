"""Run by test_gan.py in a fresh process: one GAN train step on 1 vs 2 replicas.

Prints JSON {loss: {"max_abs_diff", "max_abs_update", "critic_steps", "generator_steps"}} for a
toy WGAN-GP and a weight-clipped WGAN: the weights (generator and critic) after one generator
iteration (n_critic=2 critic updates) on one device vs under MirroredStrategy over 2 logical
CPUs, from identical weights and the same global batch. Plain SGD, so that a wrongly scaled loss
shows up in the update (Adam and RMSProp would normalize it away).
"""

import json

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tfgen.models import GAN  # noqa: E402

CONFIG = dict(latent_dim=3, generator_dim=16, critic_dim=16, n_critic=2)


def one_step(strategy, init, loss):
    with strategy.scope():
        model = GAN((2,), data_kind="points", seed=5, loss=loss, **CONFIG)
        model.build_for()
        model.set_weights(init)
        model.compile_for_training()
        model.compile(optimizer=keras.optimizers.SGD(0.05))
        model.critic_optimizer = keras.optimizers.SGD(0.05)
        model.optimizer.build(model.generator.trainable_variables)
        model.critic_optimizer.build(model.critic_net.trainable_variables)
    points = tf.random.stateless_normal([8, 2], [1, 2])
    ds = tf.data.Dataset.from_tensors((points, tf.zeros([8], tf.int64)))
    model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return model


result = {}
for loss in ("wgan-gp", "wgan-clip"):
    reference = GAN((2,), data_kind="points", seed=5, loss=loss, **CONFIG)
    reference.build_for()
    init = reference.get_weights()
    single = one_step(tf.distribute.get_strategy(), init, loss)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    double = one_step(mirrored, init, loss)
    a, b = single.get_weights(), double.get_weights()
    result[loss] = {
        "max_abs_diff": float(max(np.max(np.abs(x - y)) for x, y in zip(a, b))),
        "max_abs_update": float(max(np.max(np.abs(x - y)) for x, y in zip(a, init))),
        "critic_steps": int(double.critic_optimizer.iterations.numpy()),
        "generator_steps": int(double.optimizer.iterations.numpy()),
        "max_abs_critic_weight": float(max(np.max(np.abs(v.numpy()))
                                           for v in double.critic_net.trainable_variables)),
    }
print(json.dumps(result))
