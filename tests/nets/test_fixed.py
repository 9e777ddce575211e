"""The frozen real-plus-noise generator: its samples are the training points plus N(0, I), and
a GAN built with it trains only its critic while the step counter advances."""

import keras
import numpy as np
import tensorflow as tf

from tfgen import data
from tfgen.data.sources import toy2d
from tfgen.models import build_model
from tfgen.nets import make_generator


def test_samples_are_training_points_plus_standard_normal_noise():
    net = make_generator("real_plus_noise_8gaussians", (2,), 3, data_kind="points")
    points = toy2d.Toy2DSource("8gaussians").read("train").images
    z = tf.random.stateless_normal([20000, 3], [0, 7])
    without_noise = net(tf.concat([z[:, :1], tf.zeros([20000, 2])], -1)).numpy()
    distances = np.min(np.abs(without_noise[:200, None] - points[None]).sum(-1), axis=1)
    assert np.all(distances < 1e-6)  # exactly training points
    centers = toy2d.centers("8gaussians")
    modes = np.argmin(((without_noise[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    assert np.bincount(modes, minlength=8).min() > 20000 / 8 * 0.9  # uniform over the points
    noisy = net(z).numpy()
    np.testing.assert_allclose(np.cov((noisy - without_noise).T), np.eye(2), atol=0.05)


def test_a_gan_with_it_updates_the_critic_only():
    keras.utils.set_random_seed(0)
    model = build_model("gan", data.get_spec("8gaussians"), loss="wgan-gp", n_critic=1,
                        generator="real_plus_noise_8gaussians", critic="toy_mlp", latent_dim=3,
                        critic_dim=16)
    model.build_for()
    model.compile_for_training(1e-3)
    critic_before = [v.numpy().copy() for v in model.critic_net.trainable_variables]
    batch = tf.constant(toy2d.Toy2DSource("8gaussians").read("train").images[:32])
    step = tf.function(model.train_step)
    for _ in range(3):
        step((batch, tf.zeros([32], tf.int64)))
    assert int(model.optimizer.iterations.numpy()) == 3  # the trainer's step counter
    assert [v.numpy().item() for v in model.generator.trainable_variables] == [0.0]
    assert any(np.any(a != v.numpy()) for a, v in zip(critic_before,
                                                      model.critic_net.trainable_variables))
