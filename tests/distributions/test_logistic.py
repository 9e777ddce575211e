"""The discretized logistic (mixture): modes, edge masses, normalization, a float64 NumPy
reference of openai/pixel-cnn's formula, and samples distributed as log_prob says."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.distributions import DiscretizedLogistic, discretized_logistic_log_prob, get_likelihood

VALUES = np.arange(256.0)
ALL_VALUES = tf.reshape(tf.cast(tf.range(256), tf.uint8), [256, 1, 1, 1])


def _params(logits, pixel_locs, pixel_scales):
    """One channel's raw network output ``[1, 1, 1, 3K]`` for components given in pixel units."""
    loc = np.asarray(pixel_locs, np.float64) / 127.5 - 1.0
    log_scale = np.log(np.asarray(pixel_scales, np.float64) / 127.5)
    return tf.constant(np.concatenate([logits, loc, log_scale])[None, None, None, :], tf.float32)


def _all_log_probs(lik, params):
    """log p(k) for k = 0..255 of a one-pixel one-channel ``params``: float64 ``[256]``."""
    return lik.log_prob(tf.repeat(params, 256, axis=0), ALL_VALUES).numpy().astype(np.float64)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def reference_log_prob(k, loc, scale):
    """float64 log P(k) by the textbook difference of CDFs (pixel units), done in log space on
    the side of the median where it does not cancel; edges take the tails."""
    k, loc, scale = np.broadcast_arrays(np.asarray(k, np.float64), loc, scale)
    hi, lo = (k + 0.5 - loc) / scale, (k - 0.5 - loc) / scale
    with np.errstate(divide="ignore"):
        left = _log_sigmoid(hi) + np.log1p(-np.exp(_log_sigmoid(lo) - _log_sigmoid(hi)))
        right = _log_sigmoid(-lo) + np.log1p(-np.exp(_log_sigmoid(-hi) - _log_sigmoid(-lo)))
    out = np.where(k > loc, right, left)
    out = np.where(k == 0, _log_sigmoid(hi), out)  # P(0) = F(1/2)
    return np.where(k == 255, _log_sigmoid(-lo), out)  # P(255) = 1 - F(254.5)


@pytest.mark.parametrize("v", [0, 100, 255])
@pytest.mark.parametrize("scale", [0.3, 0.5, 2.0])
def test_a_location_at_v_has_its_mode_at_v(v, scale):
    lik = get_likelihood("logistic", num_components=1)
    log_p = _all_log_probs(lik, _params([0.0], [v], [scale]))
    assert int(np.argmax(log_p)) == v
    np.testing.assert_allclose(np.exp(log_p[v]), np.exp(reference_log_prob(v, v, scale)),
                               rtol=1e-5)


@pytest.mark.parametrize("loc,scale", [(0.0, 0.5), (0.0, 3.0), (2.3, 1.0), (254.6, 0.4),
                                       (255.0, 0.5), (-40.0, 10.0), (300.0, 25.0)])
def test_edge_masses_equal_the_closed_form(loc, scale):
    lik = get_likelihood("logistic", num_components=1)
    p = np.exp(_all_log_probs(lik, _params([0.0], [loc], [scale])))
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    np.testing.assert_allclose(p[0], sigmoid((0.5 - loc) / scale), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(p[255], 1.0 - sigmoid((254.5 - loc) / scale), rtol=1e-5,
                               atol=1e-7)


def test_probabilities_sum_to_one_also_for_extreme_parameters():
    lik = get_likelihood("logistic", num_components=3)
    rng = np.random.default_rng(0)
    rows = 24
    logits = rng.normal(0.0, 3.0, [rows, 3])
    loc = rng.normal(0.0, 2.0, [rows, 3])  # [-1, 1] units: pixel locations far outside 0..255
    log_scale = rng.uniform(-9.0, 12.0, [rows, 3])  # from below the -7 floor to 2e7 pixels
    params = np.concatenate([logits, loc, log_scale], -1).astype(np.float32)
    params = tf.constant(params[:, None, None, :])  # [rows, 1, 1, 9]
    log_p = lik.distribution(params[None]).log_prob(tf.cast(ALL_VALUES[:, None], tf.float32))
    assert log_p.shape == (256, rows)
    assert np.isfinite(log_p.numpy()).all()
    np.testing.assert_allclose(tf.reduce_logsumexp(log_p, axis=0).numpy(), 0.0, atol=1e-5)


def test_log_prob_equals_a_numpy_reference_of_the_mixture():
    lik = get_likelihood("logistic", num_components=2)
    rng = np.random.default_rng(1)
    batch, height, width, channels, k = 3, 4, 4, 3, 2
    images = rng.integers(0, 256, [batch, height, width, channels])
    images[0, 0, 0] = [0, 255, 128]  # both edges for sure
    logits = rng.normal(0.0, 2.0, [batch, height, width, channels, k])
    loc = rng.uniform(-1.3, 1.3, [batch, height, width, channels, k])
    log_scale = rng.uniform(-8.0, 6.0, [batch, height, width, channels, k])
    params = np.concatenate([logits, loc, log_scale], -1).reshape(batch, height, width, -1)
    got = lik.log_prob(tf.constant(params, tf.float32), tf.constant(images, tf.uint8)).numpy()

    pixel_loc = (loc + 1.0) * 127.5
    pixel_scale = 127.5 * np.exp(np.maximum(log_scale, -7.0))
    log_weights = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    per_component = reference_log_prob(images[..., None], pixel_loc, pixel_scale)
    want = np.logaddexp.reduce(log_weights + per_component, axis=-1).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_two_component_mixture_is_the_weighted_sum_of_its_components():
    lik = get_likelihood("logistic", num_components=2)
    logits = np.log([0.3, 0.7])
    p = np.exp(_all_log_probs(lik, _params(logits, [30.0, 220.0], [1.5, 4.0])))
    want = 0.3 * np.exp(reference_log_prob(VALUES, 30.0, 1.5)) + 0.7 * np.exp(
        reference_log_prob(VALUES, 220.0, 4.0))
    np.testing.assert_allclose(p, want, rtol=1e-5, atol=1e-9)
    assert int(np.argmax(p[:128])) == 30 and int(np.argmax(p[128:])) + 128 == 220


def test_samples_follow_log_prob():
    """Chi-square of 20 000 draws of a two-component mixture against its 256 probabilities."""
    lik = get_likelihood("logistic", num_components=2)
    params = _params([0.0, 0.4], [0.3, 250.0], [0.8, 2.5])  # left edge, and near the right one
    expected = np.exp(_all_log_probs(lik, params))
    draws = lik.sample(tf.tile(params, [1, 100, 200, 1]), tf.constant([5, 6])).numpy().ravel()
    assert draws.dtype == np.uint8
    observed = np.bincount(draws, minlength=256).astype(np.float64)
    n = observed.sum()
    big = expected * n >= 5.0  # pool the cells with fewer than 5 expected draws
    obs = np.append(observed[big], observed[~big].sum())
    exp = np.append(expected[big], expected[~big].sum()) * n
    chi2 = np.sum((obs - exp) ** 2 / np.maximum(exp, 1e-9))
    df = len(obs) - 1
    assert chi2 < df + 6.0 * np.sqrt(2.0 * df), (chi2, df)


def test_values_outside_the_support_have_zero_probability():
    log_p = discretized_logistic_log_prob([-1.0, 3.5, 256.0, 0.0], 100.0, 50.0).numpy()
    assert np.all(np.isneginf(log_p[:3])) and np.isfinite(log_p[3])


def test_stays_exact_where_a_difference_of_cdfs_cancels():
    """A component far broader than the pixel range: every bin has ~1/scale, no -inf (tfp's
    QuantizedDistribution gives -inf here)."""
    dist = DiscretizedLogistic(100.0, 1e7)
    log_p = dist.log_prob(tf.constant(VALUES, tf.float32)).numpy()
    np.testing.assert_allclose(log_p[1:-1], reference_log_prob(VALUES[1:-1], 100.0, 1e7),
                               rtol=1e-6)


def test_gradients_are_finite_at_the_edges_and_extremes():
    lik = get_likelihood("logistic", num_components=2)
    rng = np.random.default_rng(2)
    params = tf.constant(np.concatenate([rng.normal(0, 3, [8, 2]), rng.normal(0, 3, [8, 2]),
                                         rng.uniform(-9, 12, [8, 2])], -1)[:, None, None, :],
                         tf.float32)
    images = tf.constant([0, 255, 0, 255, 1, 254, 128, 37], tf.uint8)[:, None, None, None]
    with tf.GradientTape() as tape:
        tape.watch(params)
        log_p = lik.log_prob(params, images)
    grad = tape.gradient(log_p, params).numpy()
    assert np.isfinite(log_p.numpy()).all() and np.isfinite(grad).all()
