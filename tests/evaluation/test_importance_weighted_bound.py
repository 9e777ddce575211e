"""The importance-weighted bound's chunked log-mean-exp, and its refusal of mis-shaped weights."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.evaluation.likelihood import importance_weighted_bound

WEIGHTS = np.random.default_rng(0).normal(0.0, 3.0, [7, 3]).astype(np.float32)  # [K, B]


def _from_table(num, index, transpose=False):
    start = tf.reduce_sum(tf.minimum(2, 7 - 2 * tf.range(index)))  # 2 per chunk before this
    w = tf.constant(WEIGHTS)[start:start + num]
    return tf.transpose(w) if transpose else w


def test_chunks_give_the_log_mean_exp_of_all_weights():
    got = importance_weighted_bound(_from_table, 3, 7, 2).numpy()
    want = np.log(np.mean(np.exp(WEIGHTS.astype(np.float64)), axis=0))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_log_weights_without_the_sample_axis_are_refused():
    """[B] weights would reduce to one number shared by every example."""
    with pytest.raises(ValueError, match=r"must return \[num, batch_size\].*\(3,\)"):
        importance_weighted_bound(lambda n, i: tf.reduce_mean(_from_table(n, i), 0), 3, 7, 2)


def test_log_weights_of_the_wrong_count_are_refused():
    """One row whatever ``num``: the mean would divide K samples' worth by too few."""
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must return \[num, batch_size\]"):
        tf.function(lambda: importance_weighted_bound(lambda n, i: _from_table(1, i), 3, 7, 2))()


# -- where the bound's value is known exactly (issue 17) --------------------------------------

@pytest.mark.parametrize("num_samples", [1, 2, 5, 64])
@pytest.mark.parametrize("chunk", [1, 3, 7, 100])
def test_constant_log_weights_give_that_constant_for_every_k_and_chunking(num_samples, chunk):
    constant = np.array([-3.25, 0.0, 812.5], np.float32)  # one value per example
    got = importance_weighted_bound(
        lambda n, i: tf.tile(constant[None], tf.stack([n, 1])), 3, num_samples, chunk).numpy()
    np.testing.assert_allclose(got, constant, rtol=1e-6, atol=1e-5)


LOG_A, LOG_B = np.log(0.2), np.log(5.0)  # two equally likely importance weights


def _two_point_mean_bound(k: int) -> float:
    """E[log (1/K) sum_k w_k] for K i.i.d. weights, each w = a or b with probability 1/2."""
    from math import comb
    a, b = np.exp(LOG_A), np.exp(LOG_B)
    return sum(comb(k, j) / 2 ** k * np.log((j * a + (k - j) * b) / k) for j in range(k + 1))


def _two_point_bounds(k: int, replicates: int, chunk: int) -> np.ndarray:
    """The estimator on two-point weights, each batch column an independent replicate."""
    def log_weights(num, index):
        u = tf.random.stateless_uniform(tf.stack([num, replicates]), seed=tf.stack([k, index]))
        return tf.where(u < 0.5, LOG_A, LOG_B)
    return importance_weighted_bound(log_weights, replicates, k, chunk).numpy()


@pytest.mark.parametrize("k,chunk", [(1, 1), (2, 1), (4, 3), (16, 5)])
def test_two_point_weights_match_the_closed_form_mean(k, chunk):
    bounds = _two_point_bounds(k, 20000, chunk)
    standard_error = bounds.std() / np.sqrt(len(bounds))
    assert abs(bounds.mean() - _two_point_mean_bound(k)) < 5 * standard_error + 1e-6


def test_the_bound_grows_with_k_in_expectation_towards_log_mean_weight():
    expected = [_two_point_mean_bound(k) for k in (1, 2, 4, 8, 32)]
    measured = [_two_point_bounds(k, 20000, 4).mean() for k in (1, 2, 4, 8, 32)]
    assert np.all(np.diff(expected) > 0) and np.all(np.diff(measured) > 0)
    log_mean_weight = np.log((np.exp(LOG_A) + np.exp(LOG_B)) / 2)  # log p(x): the limit
    assert measured[-1] < log_mean_weight and log_mean_weight - measured[-1] < 0.1


def test_a_model_with_the_exact_posterior_gets_log_p_x_for_every_k():
    """A linear-Gaussian model through the VAE's own importance-weighted code (sampling z from
    q, tiling the images, p(x|z) + p(z) - q(z|x), chunking): with q(z|x) the exact posterior
    every weight equals p(x), so the bound is log p(x) for any K and chunk size. Pairing a z
    with another image's x, or a missing/extra term, breaks the equality."""
    from tfgen.models import VAE
    tfd = __import__("tensorflow_probability").distributions
    latent, side, noise = 3, 2, 0.3
    # Orthogonal columns (W^T W = c I) keep the exact posterior diagonal, as q(z|x) is.
    w = np.linalg.qr(np.random.default_rng(1).normal(size=(side * side, latent)))[0] * 1.7
    c = 1.7 ** 2
    post_var = 1.0 / (1.0 + c / noise ** 2)

    class LinearGaussianVAE(VAE):
        def _observed(self, images):
            return tf.reshape(tf.cast(images, tf.float32) / 255.0, [-1, side * side])

        def posterior(self, images):
            mean = post_var / noise ** 2 * tf.matmul(self._observed(images), w.astype(np.float32))
            return tfd.Independent(tfd.Normal(mean, tf.fill(tf.shape(mean),
                                                           float(np.sqrt(post_var)))), 1)

        def reconstruction_log_prob(self, z, images):
            mean = tf.matmul(z, w.T.astype(np.float32))
            return tf.reduce_sum(tfd.Normal(mean, noise).log_prob(self._observed(images)), -1)

        def iw_elements_per_image(self):
            return 1

    images = np.random.default_rng(2).integers(0, 256, (5, side, side, 1)).astype(np.uint8)
    x = images.reshape(5, -1).astype(np.float64) / 255.0
    cov = w @ w.T + noise ** 2 * np.eye(side * side)
    log_px = -0.5 * (np.einsum("bi,ij,bj->b", x, np.linalg.inv(cov), x)
                     + np.linalg.slogdet(2 * np.pi * cov)[1])
    for chunk_elements in (1, 2, 5 * 3):  # chunks of 1, 1 and 3 samples for the 5 images
        model = LinearGaussianVAE((side, side, 1), likelihood="bernoulli", latent_dim=latent,
                                  iw_chunk_elements=chunk_elements, filters=2, conv_layers=2,
                                  downsamples=1)
        for k in (1, 4, 9):
            got = model.importance_weighted_log_prob(tf.constant(images), k, 7).numpy()
            np.testing.assert_allclose(got, log_px, rtol=1e-4, atol=1e-3)
