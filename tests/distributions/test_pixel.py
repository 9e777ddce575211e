"""Pixel likelihoods: normalization over the 256 values, thresholds, sampling."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.distributions import bits_per_dim, get_likelihood

ALL_VALUES = tf.reshape(tf.cast(tf.range(256), tf.uint8), [256, 1, 1, 1])


@pytest.mark.parametrize("name,kwargs", [("categorical", {}), ("logistic", {"num_components": 3})])
def test_probabilities_over_all_256_values_sum_to_one(name, kwargs):
    lik = get_likelihood(name, **kwargs)
    params = tf.random.stateless_normal([1, 1, 1, lik.params_per_channel], seed=[1, 2]) * 3.0
    log_p = lik.log_prob(tf.repeat(params, 256, axis=0), ALL_VALUES)
    np.testing.assert_allclose(tf.reduce_logsumexp(log_p).numpy(), 0.0, atol=1e-4)


def test_logistic_edges_take_the_tail_mass():
    lik = get_likelihood("logistic", num_components=1)
    # One component centred far below 0 with unit (pixel-scale) spread: almost all mass at 0.
    params = tf.constant([[[[0.0, -3.0, np.log(1.0 / 127.5)]]]])
    log_p0 = lik.log_prob(params, tf.zeros([1, 1, 1, 1], tf.uint8))
    assert log_p0.numpy()[0] > np.log(0.999)


def test_bernoulli_thresholds_raw_pixels_at_128():
    lik = get_likelihood("bernoulli")
    images = tf.constant([0, 127, 128, 255], tf.uint8)[None, :, None, None]
    np.testing.assert_array_equal(lik.targets(images).numpy().ravel(), [0, 0, 1, 1])
    # logits +inf-ish at "on" pixels: log prob of the thresholded image is ~0.
    logits = (lik.targets(images) * 2.0 - 1.0) * 50.0
    assert abs(lik.log_prob(logits, images).numpy()[0]) < 1e-6


@pytest.mark.parametrize("name", ["bernoulli", "categorical", "logistic"])
def test_samples_are_uint8_images_and_seeded(name):
    lik = get_likelihood(name)
    params = tf.random.stateless_normal([2, 4, 4, 3 * lik.params_per_channel], seed=[0, 1])
    a = lik.sample(params, tf.constant([3, 4]))
    b = lik.sample(params, tf.constant([3, 4]))
    assert a.dtype == tf.uint8 and a.shape == (2, 4, 4, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    if name == "bernoulli":
        assert set(np.unique(a.numpy())) <= {0, 255}


def test_bits_per_dim_of_uniform_categorical_is_eight():
    lik = get_likelihood("categorical")
    images = tf.zeros([3, 2, 2, 3], tf.uint8)
    log_p = lik.log_prob(tf.zeros([3, 2, 2, 3 * 256]), images)
    np.testing.assert_allclose(bits_per_dim(log_p, (2, 2, 3)).numpy(), 8.0, rtol=1e-6)


def test_unknown_likelihood_lists_valid_names():
    with pytest.raises(ValueError, match="bernoulli.*categorical.*logistic"):
        get_likelihood("gaussian")


@pytest.mark.parametrize("name", ["bernoulli", "categorical", "logistic"])
def test_float_images_are_refused_not_cast(name):
    """[0, 1] floats would be cast to 0/1 (categorical), thresholded to all-off (Bernoulli)."""
    lik = get_likelihood(name)
    images = tf.random.stateless_uniform([2, 3, 3, 1], seed=[0, 3])
    params = tf.zeros([2, 3, 3, lik.params_per_channel])
    with pytest.raises(TypeError, match=f"{name} likelihood expects uint8.*got float32"):
        lik.log_prob(params, images)
    with pytest.raises(TypeError, match="expects uint8"):
        lik.network_input(images)


@pytest.mark.parametrize("name", ["categorical", "logistic"])
def test_params_for_a_different_number_of_channels_are_refused(name):
    """Parameters for 3 channels scored against 1-channel images would broadcast and sum 3
    channels' log-probabilities."""
    lik = get_likelihood(name)
    params = tf.zeros([2, 3, 3, 3 * lik.params_per_channel])
    with pytest.raises(ValueError, match=r"images of 1 channel\(s\) need"):
        lik.log_prob(params, tf.zeros([2, 3, 3, 1], tf.uint8))


@pytest.mark.parametrize("shape", [(4, 2, 2, 3), (2, 2), (2, None, 3), (2, 0, 3)])
def test_bits_per_dim_needs_one_image_shape(shape):
    with pytest.raises(ValueError, match="one image's shape"):
        bits_per_dim(tf.zeros([4]), shape)


def test_options_a_likelihood_does_not_take_are_refused():
    with pytest.raises(ValueError, match=r"categorical likelihood takes no options.*num_comp"):
        get_likelihood("categorical", num_components=3)
    with pytest.raises(TypeError):
        get_likelihood("logistic", components=3)
