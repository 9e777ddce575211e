"""PixelCNN++'s per-pixel RGB mixture: exhaustive normalization over all 256^3 colours, a float64
NumPy reference of the paper's formula (on [-1, 1], bin half-width 1/255, edges at 0 and 255),
tfp's quantized logistics where the parameterization matches, the R -> G -> B order, and both
samplers (the samplers' inverse-CDF ``draw`` and the ancestral ``sample``) against references."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.distributions import DiscretizedLogisticRGBMixture

tfd = tfp.distributions


def random_params(rng, num_pixels, k, c, spread=1.0):
    """Raw parameters ``[num_pixels, P]`` in the documented layout, moderate scales."""
    n_coef = c * (c - 1) // 2
    logits = rng.normal(size=(num_pixels, k))
    means = rng.uniform(-0.9, 0.9, size=(num_pixels, c * k))
    log_scales = rng.uniform(-3.5, -1.0, size=(num_pixels, c * k)) * spread
    coeffs = rng.normal(size=(num_pixels, n_coef * k))
    return np.concatenate([logits, means, log_scales, coeffs], axis=1)


# -- the paper's formula in float64 (Salimans et al. 2017, eq. 2-3; openai nn.py's loss) -------

def _log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_unpack(params, k, c):
    params = np.asarray(params, np.float64)
    n_coef = c * (c - 1) // 2
    logits = params[..., :k]
    means = params[..., k:k + c * k].reshape(params.shape[:-1] + (c, k))
    log_scales = np.maximum(params[..., k + c * k:k + 2 * c * k], -7.0).reshape(
        params.shape[:-1] + (c, k))
    coeffs = np.tanh(params[..., k + 2 * c * k:]).reshape(params.shape[:-1] + (n_coef, k))
    return logits, means, log_scales, coeffs


def ref_channel_probs(params, k, c, channel, previous, values):
    """P_k(x_channel = values | x_<channel = previous) per component: ``[len(values), K]``,
    float64, from the CDF difference on [-1, 1] with half-width 1/255; ``params`` one pixel."""
    _, means, log_scales, coeffs = ref_unpack(params, k, c)
    x_prev = np.asarray(previous, np.float64) / 127.5 - 1.0
    mean = means[channel].copy()
    pairs = [(cc, j) for cc in range(c) for j in range(cc)]
    for j in range(channel):
        mean = mean + coeffs[pairs.index((channel, j))] * x_prev[j]
    v = np.asarray(values, np.float64)[:, None]
    x = v / 127.5 - 1.0
    inv_s = np.exp(-log_scales[channel])
    cdf_plus = _sigmoid(inv_s * (x - mean + 1.0 / 255.0))
    cdf_min = _sigmoid(inv_s * (x - mean - 1.0 / 255.0))
    return np.where(v == 0, cdf_plus, np.where(v == 255, 1.0 - cdf_min, cdf_plus - cdf_min))


def ref_log_prob(params, values, k, c):
    """log p(pixel) of one pixel's ``values`` (``[C]`` ints), float64."""
    logits = ref_unpack(params, k, c)[0]
    total = _log_softmax(logits)
    for channel in range(c):
        total = total + np.log(ref_channel_probs(params, k, c, channel, values[:channel],
                                                 [values[channel]])[0])
    m = total.max()
    return m + np.log(np.exp(total - m).sum())


def ref_draw(params, uniforms, k, c):
    """The samplers' rule in float64: R from its marginal by inverse CDF, then G | R, B | R, G
    with the component posterior."""
    log_w = _log_softmax(ref_unpack(params, k, c)[0])
    out = []
    for channel in range(c):
        probs = ref_channel_probs(params, k, c, channel, out, np.arange(256))  # [256, K]
        marginal = (np.exp(log_w) * probs).sum(-1)
        cdf = np.cumsum(marginal)
        value = int(min((cdf <= uniforms[channel] * cdf[-1]).sum(), 255))
        out.append(value)
        log_w = _log_softmax(log_w + np.log(probs[value]))
    return out


# -- tests -------------------------------------------------------------------------------------

def test_parameter_counts_follow_the_paper():
    assert DiscretizedLogisticRGBMixture(10, 3).params_width == 100  # 10K for RGB
    assert DiscretizedLogisticRGBMixture(5, 1).params_width == 15  # 3K for greyscale
    assert DiscretizedLogisticRGBMixture(4, 3).params_per_pixel(3) == 40
    with pytest.raises(ValueError, match="built for 3 channel"):
        DiscretizedLogisticRGBMixture(4, 3).params_per_pixel(1)


def test_wrong_params_width_is_a_clear_error():
    lik = DiscretizedLogisticRGBMixture(2, 3)
    with pytest.raises(ValueError, match=r"params have 21 values.*= 20"):
        lik.log_prob(tf.zeros([1, 2, 2, 21]), tf.zeros([1, 2, 2, 3], tf.uint8))
    with pytest.raises(TypeError, match="expects uint8"):
        lik.log_prob(tf.zeros([1, 2, 2, 20]), tf.zeros([1, 2, 2, 3], tf.float32))


def test_sums_to_one_over_all_256_cubed_colours():
    k, c = 2, 3
    lik = DiscretizedLogisticRGBMixture(k, c)
    params = random_params(np.random.default_rng(0), 1, k, c)[0]
    params[k + 2 * c * k:] *= 3.0  # strong coupling: locations pushed past the edges
    chunk = 16  # values of R per chunk: 16 x 65536 colours

    @tf.function(jit_compile=True)
    def chunk_mass(p, r0):
        r = tf.cast(r0 + tf.range(chunk), tf.float32)
        g, b = tf.meshgrid(tf.range(256.0), tf.range(256.0), indexing="ij")
        values = tf.stack([tf.repeat(r, 65536), tf.tile(tf.reshape(g, [-1]), [chunk]),
                           tf.tile(tf.reshape(b, [-1]), [chunk])], axis=1)
        return tf.reduce_sum(tf.cast(tf.exp(lik.pixel_log_prob(p[None], values)), tf.float64))

    p = tf.constant(params, tf.float32)
    total = sum(float(chunk_mass(p, tf.constant(r0))) for r0 in range(0, 256, chunk))
    assert abs(total - 1.0) < 1e-4, total


def test_log_prob_matches_the_float64_reference_including_the_edges():
    rng = np.random.default_rng(1)
    for k, c in ((3, 3), (2, 1), (1, 3)):
        lik = DiscretizedLogisticRGBMixture(k, c)
        params = random_params(rng, 12, k, c)
        values = rng.integers(0, 256, size=(12, c))
        values[0], values[1] = 0, 255  # both edges in every channel
        values[2, 0], values[3, -1] = 255, 0  # mixed
        got = lik.pixel_log_prob(tf.constant(params, tf.float32),
                                 tf.constant(values, tf.float32)).numpy()
        want = [ref_log_prob(p, v, k, c) for p, v in zip(params, values)]
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5, err_msg=f"K={k} C={c}")
        # the image-level log_prob sums the pixels (nats per image)
        image = lik.log_prob(tf.constant(params.reshape(1, 3, 4, -1), tf.float32),
                             tf.constant(values.reshape(1, 3, 4, c), tf.uint8))
        np.testing.assert_allclose(image.numpy(), [np.sum(want)], rtol=1e-5)


def test_greyscale_equals_a_tfp_mixture_of_quantized_logistics():
    k = 3
    lik = DiscretizedLogisticRGBMixture(k, 1)
    params = random_params(np.random.default_rng(2), 1, k, 1)[0]
    logits, means, log_scales, _ = ref_unpack(params, k, 1)
    loc, scale = (means[0] + 1.0) * 127.5, 127.5 * np.exp(log_scales[0])
    tfp_dist = tfd.MixtureSameFamily(
        tfd.Categorical(logits=logits),
        tfd.QuantizedDistribution(tfd.Logistic(loc - 0.5, scale), low=0.0, high=255.0))
    values = np.arange(256.0)
    want = tfp_dist.log_prob(values).numpy()
    got = lik.pixel_log_prob(tf.constant(np.tile(params, (256, 1)), tf.float32),
                             tf.constant(values[:, None], tf.float32)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_one_component_rgb_equals_a_product_of_tfp_quantized_logistics():
    lik = DiscretizedLogisticRGBMixture(1, 3)
    params = random_params(np.random.default_rng(3), 1, 1, 3)[0]
    _, means, log_scales, coeffs = ref_unpack(params, 1, 3)
    a, b, c = coeffs[:, 0]
    rng = np.random.default_rng(4)
    for r, g, bl in rng.integers(0, 256, size=(8, 3)):
        xr, xg = r / 127.5 - 1, g / 127.5 - 1
        locs = [means[0, 0], means[1, 0] + a * xr, means[2, 0] + b * xr + c * xg]
        want = sum(
            tfd.QuantizedDistribution(tfd.Logistic((m + 1) * 127.5 - 0.5,
                                                   127.5 * np.exp(s)), low=0.0, high=255.0)
            .log_prob(float(v)).numpy()
            for m, s, v in zip(locs, log_scales[:, 0], (r, g, bl)))
        got = lik.pixel_log_prob(tf.constant(params[None], tf.float32),
                                 tf.constant([[r, g, bl]], tf.float32)).numpy()[0]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_channel_order_r_then_g_given_r_then_b_given_r_and_g():
    k, c = 2, 3
    lik = DiscretizedLogisticRGBMixture(k, c)
    params = tf.constant(random_params(np.random.default_rng(5), 1, k, c), tf.float32)
    values = tf.constant([[40.0, 130.0, 220.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(values)
        loc, _ = lik.locations(params, values)  # [1, C, K]
        per_channel = [tf.reduce_sum(loc[:, ch]) for ch in range(c)]
    depends = np.array([[float(tf.reduce_sum(tf.abs(tape.gradient(per_channel[ch], values)[0, j])))
                         != 0.0 for j in range(c)] for ch in range(c)])
    np.testing.assert_array_equal(depends, [[False, False, False],   # R: on nothing
                                            [True, False, False],    # G: on R
                                            [True, True, False]])    # B: on R and G
    # and the marginal of R (the joint summed over every G, B) is R's own mixture
    p = params[0].numpy().astype(np.float64)
    g, b = np.meshgrid(np.arange(256.0), np.arange(256.0), indexing="ij")
    for r in (0, 77, 255):
        grid = np.stack([np.full(g.size, r), g.ravel(), b.ravel()], -1)
        joint = tf.exp(tf.cast(lik.pixel_log_prob(params, tf.constant(grid, tf.float32)),
                               tf.float64)).numpy().sum()
        pi = np.exp(_log_softmax(ref_unpack(p, k, c)[0]))
        want = (pi * ref_channel_probs(p, k, c, 0, [], [r])[0]).sum()
        np.testing.assert_allclose(joint, want, rtol=1e-4)


def test_float16_params_give_float32_log_probs():
    lik = DiscretizedLogisticRGBMixture(2, 3)
    params = random_params(np.random.default_rng(6), 4, 2, 3).reshape(1, 2, 2, -1)
    images = tf.constant(np.random.default_rng(7).integers(0, 256, (1, 2, 2, 3)), tf.uint8)
    out = lik.log_prob(tf.constant(params, tf.float16), images)
    assert out.dtype == tf.float32 and np.isfinite(out.numpy()).all()
    np.testing.assert_allclose(out.numpy(), lik.log_prob(
        tf.cast(tf.constant(params, tf.float16), tf.float32), images).numpy(), rtol=1e-6)


def test_draw_is_the_inverse_cdf_of_the_exact_conditionals():
    rng = np.random.default_rng(8)
    for k, c in ((3, 3), (2, 1)):
        lik = DiscretizedLogisticRGBMixture(k, c)
        params = random_params(rng, 16, k, c)
        uniforms = rng.random((16, c))
        uniforms[0], uniforms[1] = 0.0, 0.999  # near both ends of [0, 1) (float32 CDFs cannot
        # resolve tails below ~1e-7, so u -> 1 itself is no test of the rule)
        got = lik.draw(tf.constant(params, tf.float32),
                       tf.constant(uniforms, tf.float32)).numpy()
        assert got.dtype == np.uint8 and got.shape == (16, c)
        want = [ref_draw(p, u, k, c) for p, u in zip(params, uniforms)]
        np.testing.assert_array_equal(got, want)


def test_ancestral_sample_and_draw_have_the_same_distribution():
    k, c, n = 2, 3, 4000
    lik = DiscretizedLogisticRGBMixture(k, c)
    # two well-separated components with strong coupling, broad enough not to hit the edges
    params = np.array([[0.3, -0.3, -0.5, 0.4, 0.0, 0.5, -0.2, 0.3, -2.5, -2.2, -2.4, -2.0,
                        -2.6, -2.3, 1.5, -1.0, 0.8, 0.2, -0.7, 1.2]])
    grid = tf.constant(np.broadcast_to(params, (n, 1, 1, params.shape[1])), tf.float32)
    ancestral = lik.sample(grid, tf.constant([1, 2])).numpy().reshape(n, c).astype(np.float64)
    uniforms = tf.random.stateless_uniform([n, c], seed=[3, 4])
    drawn = lik.draw(grid[:, 0, 0], uniforms).numpy().astype(np.float64)
    for samples in (ancestral, drawn):
        assert samples.min() >= 0 and samples.max() <= 255
    # means and covariances agree (the coupling shows in the covariance)
    tol = 4 * ancestral.std(0) / np.sqrt(n) * np.sqrt(2)
    np.testing.assert_array_less(np.abs(ancestral.mean(0) - drawn.mean(0)), tol)
    cov_a, cov_d = np.cov(ancestral.T), np.cov(drawn.T)
    np.testing.assert_allclose(cov_a, cov_d, atol=0.12 * np.abs(cov_a).max())
    # and R's exact mean from its marginal
    pi = np.exp(_log_softmax(params[0, :k]))
    r_probs = (pi * ref_channel_probs(params[0], k, c, 0, [], np.arange(256))).sum(-1)
    assert abs((r_probs * np.arange(256)).sum() - drawn[:, 0].mean()) < tol[0]
