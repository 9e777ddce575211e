"""VAE: bounds in nats, verbs, config round trip."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.models import VAE, build_model


def small_vae(likelihood="bernoulli", **kw):
    model = VAE((28, 28, 1), likelihood=likelihood, latent_dim=4, filters=8, conv_layers=4,
                **kw)
    model.build_for()
    return model


def binary_images(n, seed=0):
    x = tf.random.stateless_uniform([n, 28, 28, 1], seed=[seed, 0]) < 0.3
    return tf.cast(x, tf.uint8) * 255


def test_importance_weighted_bound_with_large_k_exceeds_elbo():
    # For an untrained VAE the gap E[IW_1000] - E[ELBO] is small (~0.05-0.15 nats here, where
    # one ELBO draw has a std of ~0.4), so the ELBO is averaged over 100 draws: the mean over
    # the images must exceed it clearly, and no image may fall 4 standard errors below it.
    keras.utils.set_random_seed(0)
    model = small_vae()
    x = binary_images(6)
    draws = np.stack([model.elbo(x, s)["elbo"].numpy() for s in range(100)])
    elbo, standard_error = draws.mean(0), draws.std(0) / np.sqrt(len(draws))
    iw = model.importance_weighted_log_prob(x, 1000, 0).numpy()
    assert iw.shape == (6,)
    assert iw.mean() - elbo.mean() > 4 * standard_error.mean() / np.sqrt(len(iw)), (iw, elbo)
    assert np.all(iw >= elbo - 4 * standard_error), (iw, elbo, standard_error)


def test_k1_bound_matches_elbo_in_expectation():
    model = small_vae()
    x = binary_images(4)
    n = 200
    # Traced once each and called with tensor seeds (400 eager calls dominated this test).
    iw_fn = tf.function(lambda s: model.importance_weighted_log_prob(x, 1, s))
    elbo_fn = tf.function(lambda s: model.elbo(x, s)["elbo"])
    iw1 = np.stack([iw_fn(tf.constant(s)).numpy() for s in range(n)])
    elbo = np.stack([elbo_fn(tf.constant(1000 + s)).numpy() for s in range(n)])
    diff = iw1.mean(0) - elbo.mean(0)
    stderr = np.sqrt(iw1.var(0) / n + elbo.var(0) / n)
    assert np.all(np.abs(diff) < 4 * stderr + 1e-3), (diff, stderr)


def test_chunked_bound_is_deterministic_and_agrees_with_one_chunk():
    """Chunks draw their own samples, so values agree statistically (untrained model, K=200: within 2 nats)."""
    x = binary_images(3)
    model = small_vae()
    chunked = small_vae(iw_chunk_elements=28 * 28 * 3 * 4)  # 4 samples per chunk of 3 images
    chunked.set_weights(model.get_weights())
    a = chunked.importance_weighted_log_prob(x, 200, 7).numpy()
    np.testing.assert_array_equal(a, chunked.importance_weighted_log_prob(x, 200, 7).numpy())
    np.testing.assert_allclose(a, model.importance_weighted_log_prob(x, 200, 7).numpy(), atol=2.0)


def test_elbo_terms_are_consistent_and_kl_nonnegative():
    model = small_vae()
    out = model.elbo(binary_images(5), 3)
    np.testing.assert_allclose(out["elbo"].numpy(), -(out["recon"] + out["kl"]).numpy(), rtol=1e-6)
    assert np.all(out["kl"].numpy() >= 0) and np.all(out["recon"].numpy() > 0)


def test_verbs_shapes_dtypes_and_seeds():
    model = small_vae()
    x = binary_images(3)
    code = model.encode(x)
    assert code["mean"].shape == (3, 4) and np.all(code["stddev"].numpy() > 0)
    recon = model.decode(code["mean"], 1)
    assert recon.dtype == tf.uint8 and recon.shape == (3, 28, 28, 1)
    a, b, c = model.sample(5, 1), model.sample(5, 1), model.sample(5, 2)
    assert a.dtype == tf.uint8 and a.shape == (5, 28, 28, 1)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


@pytest.mark.parametrize("likelihood", ["categorical", "logistic"])
def test_eight_bit_likelihoods_give_finite_bounds(likelihood):
    model = VAE((8, 8, 3), likelihood=likelihood, latent_dim=3, filters=4, conv_layers=3,
                downsamples=1, mixture_components=2)
    x = tf.cast(tf.random.stateless_uniform([2, 8, 8, 3], [0, 1], maxval=256, dtype=tf.int32),
                tf.uint8)
    iw = model.importance_weighted_log_prob(x, 10, 0).numpy()
    assert np.all(np.isfinite(iw)) and np.all(iw < 0)


def test_kl_warmup_weight_rises_linearly():
    import keras
    model = small_vae(kl_warmup_steps=10)
    model.compile(keras.optimizers.Adam())
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(5)
    assert float(model.kl_weight(True)) == pytest.approx(0.5)
    assert float(model.kl_weight(False)) == 1.0


def test_get_config_rebuilds_the_same_model():
    model = small_vae()
    clone = VAE.from_config(model.get_config())
    clone.build_for()
    clone.set_weights(model.get_weights())
    x = binary_images(2)
    np.testing.assert_allclose(clone.elbo(x, 1)["elbo"].numpy(), model.elbo(x, 1)["elbo"].numpy())


def test_build_model_rejects_unknown_names_and_fields():
    from tfgen.data import DatasetSpec
    spec = DatasetSpec(name="t", shape=(28, 28, 1), num_classes=10, kind="image", binarized=True)
    with pytest.raises(ValueError, match="valid names: \\[.*'vae'.*\\]"):
        build_model("vea", spec)
    with pytest.raises(ValueError, match="latent_dim"):
        build_model("vae", spec, latent_dims=3)
    assert build_model("vae", spec, filters=4, conv_layers=3, downsamples=1).likelihood.name \
        == "bernoulli"
