"""GAN losses and the gradient penalty against closed forms."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.losses import (
    LOSSES,
    dcgan_critic_loss,
    dcgan_generator_loss,
    get_loss,
    gradient_norm,
    gradient_penalty,
    interpolate,
    lsgan_critic_loss,
    wasserstein_critic_loss,
)


def linear_critic(w):
    """D(x) = <w, x> (+ 3): gradient w everywhere, norm |w|."""
    w = tf.constant(w, tf.float32)
    return lambda x: tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]) * tf.reshape(w, [1, -1]),
                                   axis=1) + 3.0


@pytest.mark.parametrize("one_sided", [False, True])
def test_penalty_of_linear_critic_matches_hand_computation(one_sided):
    real, fake = tf.random.normal([4, 2], seed=1), tf.random.normal([4, 2], seed=2)
    eps = tf.constant([0.0, 0.3, 0.7, 1.0])
    # |w| = 5: two-sided and one-sided penalties (5 - 1)^2 = 16.
    pen, norm = gradient_penalty(linear_critic([3.0, 4.0]), real, fake, eps, one_sided)
    np.testing.assert_allclose(norm.numpy(), [5.0] * 4, rtol=1e-6)
    np.testing.assert_allclose(pen.numpy(), [16.0] * 4, rtol=1e-5)
    # |w| = 0.5: two-sided (0.5 - 1)^2 = 0.25; one-sided 0 (only norms above 1 are penalized).
    pen, norm = gradient_penalty(linear_critic([0.3, 0.4]), real, fake, eps, one_sided)
    np.testing.assert_allclose(pen.numpy(), [0.0 if one_sided else 0.25] * 4, atol=1e-6)


def test_penalty_on_images_uses_the_norm_over_all_pixels():
    w = np.full([2, 2, 1], 0.25, np.float32)  # |w| = sqrt(4 * 1/16) = 0.5
    x = tf.zeros([3, 2, 2, 1])
    pen, norm = gradient_penalty(linear_critic(w), x, x, tf.constant([0.1, 0.5, 0.9]))
    np.testing.assert_allclose(norm.numpy(), [0.5] * 3, rtol=1e-6)
    np.testing.assert_allclose(pen.numpy(), [0.25] * 3, rtol=1e-5)


def test_epsilon_is_per_example_and_the_gradient_is_taken_at_the_interpolate():
    """D(x) = ½|x|²: ∇D(x̂) = x̂, so the norm reveals where each example was interpolated."""
    real = tf.constant([[2.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    fake = tf.constant([[0.0, 0.0], [0.0, 0.0], [3.0, 3.0]])
    eps = tf.constant([0.5, 0.25, 1.0])
    critic = lambda x: 0.5 * tf.reduce_sum(tf.square(x), axis=1)  # noqa: E731
    _, norm = gradient_penalty(critic, real, fake, eps)
    x_hat = eps.numpy()[:, None] * real.numpy() + (1 - eps.numpy()[:, None]) * fake.numpy()
    np.testing.assert_allclose(norm.numpy(), np.linalg.norm(x_hat, axis=1), rtol=1e-5)
    np.testing.assert_allclose(norm.numpy(), [1.0, 1.0, np.sqrt(2.0)], rtol=1e-5)
    # Broadcasting over image axes: one ε per example, shared by all its pixels.
    img = interpolate(tf.ones([3, 2, 2, 1]), tf.zeros([3, 2, 2, 1]), eps).numpy()
    np.testing.assert_allclose(img, np.broadcast_to(eps.numpy()[:, None, None, None], img.shape))


def test_zero_gradient_gives_finite_penalty_and_finite_parameter_gradients():
    layer = keras.layers.Dense(1, kernel_initializer="zeros")
    layer.build((None, 2))
    x = tf.random.normal([5, 2], seed=3)
    with tf.GradientTape() as tape:
        pen, norm = gradient_penalty(lambda v: layer(v)[:, 0], x, 2 * x, tf.fill([5], 0.5))
        total = tf.reduce_mean(pen)
    grad = tape.gradient(total, layer.kernel)  # (the bias does not affect ∇_x D)
    np.testing.assert_allclose(norm.numpy(), 1e-6, rtol=1e-3)  # sqrt(0 + 1e-12)
    np.testing.assert_allclose(pen.numpy(), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(grad.numpy())), grad
    # Without the constant, d sqrt(Σg²)/dg at g = 0 is 0/0: the constant is what keeps it finite.
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            inner.watch(x)
            out = tf.reduce_sum(layer(x))
        g = inner.gradient(out, x)
        raw = tf.reduce_mean(tf.square(tf.sqrt(tf.reduce_sum(tf.square(g), axis=1)) - 1.0))
    assert np.any(np.isnan(outer.gradient(raw, layer.kernel).numpy()))


def test_gradient_norm_loss_scale_does_not_change_the_value():
    critic = linear_critic([3.0, 4.0])
    x = tf.random.normal([2, 2])
    np.testing.assert_allclose(gradient_norm(critic, x, 1024.0), gradient_norm(critic, x),
                               rtol=1e-6)


def test_critic_and_generator_losses_match_closed_forms():
    d_real, d_fake = tf.constant([2.0, -1.0, 0.0]), tf.constant([0.5, 3.0, -30.0])
    np.testing.assert_allclose(wasserstein_critic_loss(d_real, d_fake), [-1.5, 4.0, -30.0])
    bce = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
    expected = (bce(tf.ones([3, 1]), d_real[:, None]) + bce(tf.zeros([3, 1]), d_fake[:, None]))
    np.testing.assert_allclose(dcgan_critic_loss(d_real, d_fake), expected, rtol=1e-5)
    np.testing.assert_allclose(lsgan_critic_loss(d_real, d_fake),
                               0.5 * (d_real - 1) ** 2 + 0.5 * d_fake ** 2, rtol=1e-6)
    # Non-saturating: a confidently rejected fake (logit -30) still gets a gradient near -1.
    logit = tf.Variable([-30.0])
    with tf.GradientTape() as tape:
        loss = dcgan_generator_loss(logit)
    np.testing.assert_allclose(tape.gradient(loss, logit).numpy(), [-1.0], rtol=1e-6)


def test_paper_defaults_and_unknown_names():
    assert set(LOSSES) == {"wgan-gp", "wgan-clip", "dcgan", "lsgan"}
    gp = get_loss("wgan-gp")
    assert (gp.gradient_penalty, gp.n_critic, gp.learning_rate, gp.beta_1, gp.beta_2) == (
        True, 5, 1e-4, 0.0, 0.9)
    clip = get_loss("wgan-clip")
    assert clip.weight_clipping and clip.n_critic == 5 and clip.learning_rate == 5e-5
    assert isinstance(clip.make_optimizer(), keras.optimizers.RMSprop)
    adam = get_loss("dcgan").make_optimizer()
    assert isinstance(adam, keras.optimizers.Adam) and adam.beta_1 == 0.5
    assert get_loss("dcgan").n_critic == get_loss("lsgan").n_critic == 1
    with pytest.raises(ValueError, match=r"Unknown GAN loss 'wgan'; valid names: \['dcgan', "):
        get_loss("wgan")
