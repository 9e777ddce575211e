"""Per-position draws: inverse-CDF sampling matches the likelihood's probabilities."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.distributions import get_likelihood
from tfgen.sampling import draw_pixel, sampling_uniforms


def test_uniforms_are_deterministic_and_do_not_depend_on_the_batch_size():
    a = sampling_uniforms(3, 16, 784).numpy()
    assert a.shape == (784, 16) and a.dtype == np.float32 and a.min() >= 0 and a.max() < 1
    np.testing.assert_array_equal(a, sampling_uniforms(3, 16, 784).numpy())
    np.testing.assert_array_equal(a[:, :1], sampling_uniforms(3, 1, 784).numpy())
    assert not np.array_equal(a, sampling_uniforms(4, 16, 784).numpy())
    assert len(np.unique(a)) > 0.99 * a.size  # float32: a few birthday collisions


def test_categorical_draw_inverts_the_cdf_exactly():
    likelihood = get_likelihood("categorical")
    logits = tf.math.log(tf.constant([[0.5, 0.25, 0.25] + [1e-30] * 253]))
    logits = tf.tile(logits, [4, 1])
    u = tf.constant([0.0, 0.49, 0.51, 0.99])
    np.testing.assert_array_equal(draw_pixel(likelihood, logits, u).numpy(), [0, 0, 1, 2])


@pytest.mark.parametrize("name", ["bernoulli", "categorical", "logistic"])
def test_draw_frequencies_match_the_likelihood(name):
    likelihood = get_likelihood(name, **({"num_components": 2} if name == "logistic" else {}))
    n = 20000
    params = tf.random.stateless_normal([1, likelihood.params_per_channel], seed=[0, 7]) * 2.0
    values = draw_pixel(likelihood, tf.tile(params, [n, 1]), sampling_uniforms(0, n, 1)[0]).numpy()
    assert values.dtype == np.uint8
    # The likelihood's own probability of each pixel value, via a 1x1x1 image.
    support = np.array([0, 255]) if name == "bernoulli" else np.arange(256)
    images = tf.constant(support.reshape(-1, 1, 1, 1), tf.uint8)
    probs = np.exp(likelihood.log_prob(tf.tile(params[:, None, None, :], [len(support), 1, 1, 1]),
                                       images).numpy())
    assert abs(probs.sum() - 1) < 1e-3
    freq = np.array([(values == v).mean() for v in support])
    assert set(np.unique(values)) <= set(support)
    # Compare the CDFs (Kolmogorov-Smirnov style): max gap well under 4 / sqrt(n).
    assert np.abs(np.cumsum(freq) - np.cumsum(probs)).max() < 4 / np.sqrt(n)


@pytest.mark.parametrize("name", ["bernoulli", "categorical", "logistic"])
def test_draw_accepts_parameters_of_statically_unknown_width(name):
    """The samplers slice one channel's parameters with a traced channel index, so the width is
    unknown while tracing (PixelVAE's logistic decode failed here)."""
    likelihood = get_likelihood(name, **({"num_components": 2} if name == "logistic" else {}))
    draw = tf.function(lambda p, u: draw_pixel(likelihood, p, u),
                       input_signature=[tf.TensorSpec([None, None], tf.float32),
                                        tf.TensorSpec([None], tf.float32)])
    params = tf.random.stateless_normal([3, likelihood.params_per_channel], seed=[0, 8])
    u = tf.constant([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(draw(params, u).numpy(), draw_pixel(likelihood, params, u))
