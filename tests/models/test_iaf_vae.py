"""IAF-VAE: bounds in nats (K = 1 is the ELBO, larger K above it), the flowed posterior's
log-density, weights that round-trip (the flow's Keras 3 networks included), verbs, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.data import DatasetSpec
from tfgen.experiments import get_experiment
from tfgen.models import IAFVAE, build_model
from tfgen.models.base import seed_pair

SHAPE = (4, 4, 3)
EIGHT_BIT = DatasetSpec("tiny_rgb", SHAPE, num_classes=2, kind="image", binarized=False)
SMALL = dict(latent_channels=2, filters=4, downsamples=1, res_blocks=1, context_channels=2,
             flow_steps=2, flow_filters=4, flow_layers=1, mixture_components=2,
             log_prob_samples=4, encode_samples=16)


def small_model(seed=0, **overrides):
    keras.utils.set_random_seed(seed)
    model = build_model("iaf_vae", EIGHT_BIT, seed=1, **{**SMALL, **overrides})
    model.build_for()
    # Far from the identity flow of a fresh init, so the flow terms matter in every check.
    for net in model.flow_networks:
        net.output_conv.kernel.assign(net.output_conv.kernel * 50.0)
    return model


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    return tf.constant(rng.integers(0, 256, (n, *SHAPE)).astype(np.uint8))


@pytest.fixture(scope="module")
def model():
    return small_model()


def test_defaults_resolve_from_the_data():
    assert build_model("iaf_vae", EIGHT_BIT, **SMALL).config.likelihood == "logistic"
    binary = DatasetSpec("tiny_bin", (4, 4, 1), num_classes=2, kind="image", binarized=True)
    assert build_model("iaf_vae", binary, **SMALL).config.likelihood == "bernoulli"
    assert IAFVAE.Config().flow_steps == 2  # the thesis' "two levels"
    assert build_model("vae", EIGHT_BIT).config.likelihood == "categorical"  # VAE unchanged


def test_latent_is_a_flattened_feature_map(model):
    assert model.latent_shape == (2, 2, 2) and model.latent_dim == 8
    assert model.encode(images(3))["mean"].shape == (3, 8)
    assert model.sample(tf.constant(2), tf.constant(0)).shape == (2, *SHAPE)


def test_k1_bound_equals_the_elbo_of_the_same_draw(model):
    x, seed = images(3), 7
    iw = model.importance_weighted_log_prob(x, 1, seed).numpy()
    # K = 1 draws its noise with seed (seed, 3): the ELBO of exactly that draw.
    noise = tf.random.stateless_normal([1, 3, model.latent_dim], seed=[seed, 3])[0]
    recon, kl = model._elbo_terms(x, noise)
    np.testing.assert_allclose(iw, -(recon + kl).numpy(), rtol=1e-5)
    assert np.all(np.isfinite(iw))


def test_bound_with_larger_k_is_above_the_elbo_on_average(model):
    x = images(4, seed=1)
    elbo_fn = tf.function(lambda s: model.elbo(x, s)["elbo"])
    elbo = np.mean([elbo_fn(tf.constant(s)).numpy() for s in range(30)], axis=0)
    iw = model.importance_weighted_log_prob(x, 64, 0).numpy()
    assert iw.shape == (4,) and iw.dtype == np.float32 and np.all(np.isfinite(iw))
    assert np.all(iw >= elbo), (iw, elbo)
    # nats per image: an untrained 4x4x3 model is near the uniform 48 * ln 256 = 266 nats.
    assert np.all((-iw > 100) & (-iw < 1000)), iw


def test_elbo_terms_use_the_flow(model):
    x = images(2)
    out = model.elbo(x, 3)
    np.testing.assert_allclose(out["elbo"], -(out["recon"] + out["kl"]), rtol=1e-6)
    noise = tf.random.stateless_normal([2, model.latent_dim], seed=seed_pair(3, 2))
    q = model.posterior(x)
    z0 = q.loc + q.scale * noise
    z, log_q = model.push_forward(q, noise[None])
    assert np.abs(z[0] - z0).max() > 1e-2  # the flow moved z
    base = -0.5 * tf.reduce_sum(noise ** 2 + np.log(2 * np.pi), -1) - tf.reduce_sum(
        tf.math.log(q.scale), -1)
    assert np.abs(log_q[0] - base).max() > 1e-2  # ... and changed its density


def test_log_q_agrees_with_the_transformed_distribution(model):
    x = images(2, seed=2)
    q = model.posterior(x)
    z, log_q = model.posterior_sample_and_log_prob(q, 1, tf.constant([5, 0]))
    dist = model.posterior_distribution(x)
    # A fresh tensor: tfb's cache would otherwise skip the (sequential) inverse.
    np.testing.assert_allclose(dist.log_prob(tf.identity(z[0])), log_q[0], atol=1e-3)


def test_save_and_load_weights_round_trip_the_flow(model, tmp_path):
    source = model
    flow_ids = {id(v) for net in source.flow_networks for v in net.trainable_variables}
    assert flow_ids and flow_ids <= {id(v) for v in source.trainable_variables}
    assert len(flow_ids) == 2 * 5  # per step: masked0 kernel/bias, context kernel, output k/b
    path = str(tmp_path / "iaf.weights.h5")
    source.save_weights(path)
    x = images(3)
    want = source.log_prob(x).numpy()

    target = small_model(seed=1)  # other initial weights everywhere, the flow's included
    assert np.abs(target.log_prob(x).numpy() - want).max() > 1e-3
    target.load_weights(path)
    np.testing.assert_array_equal(target.log_prob(x).numpy(), want)
    for a, b in zip(source.flow_networks, target.flow_networks):
        for va, vb in zip(a.weights, b.weights):
            np.testing.assert_array_equal(np.array(va), np.array(vb))


def test_the_objective_trains_every_flow_weight(model):
    variables = [v for net in model.flow_networks for v in net.trainable_variables]
    with tf.GradientTape() as tape:
        loss, _ = model.compute_objective(images(4), tf.constant([0, 0]), True)
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, variables)
    assert all(g is not None and np.abs(g).max() > 0 for g in grads), [v.path for v in variables]


def test_encode_moments(model):
    x = images(2)
    out = model.encode(x)
    q = model.posterior(x)
    z, _ = model.posterior_sample_and_log_prob(q, 1000, tf.constant([9, 9]))
    np.testing.assert_allclose(out["mean"], tf.reduce_mean(z, 0), atol=0.6)
    assert np.all(out["stddev"].numpy() > 0)
    plain = small_model(seed=0, flow_steps=0)  # a diagonal Gaussian posterior: exact moments
    q = plain.posterior(x)
    out = plain.encode(x)
    np.testing.assert_array_equal(out["mean"], q.loc)
    np.testing.assert_array_equal(out["stddev"], q.scale)


@pytest.mark.parametrize("overrides,message", [
    (dict(flow_kernel_size=2), "flow_kernel_size .* must be odd"),
    (dict(latent_channels=8, flow_filters=4), "flow_filters = 4 is fewer than latent_channels = 8"),
    (dict(downsamples=3), "divisible by 2\\^downsamples = 8"),
    (dict(flow_steps=-1), "flow_steps .* must be >= 0"),
])
def test_bad_configs_are_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        build_model("iaf_vae", EIGHT_BIT, **{**SMALL, **overrides})


def test_config_round_trip(model):
    clone = IAFVAE.from_config(model.get_config())
    assert clone.config == model.config and clone.latent_dim == model.latent_dim


@pytest.mark.parametrize("name", ["iaf_vae_cifar10", "iaf_vae_cpu"])
def test_experiments_are_valid_configs(name):
    experiment = get_experiment(name)
    assert experiment.model == "iaf_vae"
    config = IAFVAE.Config(**experiment.model_config)
    assert config.flow_steps == 2 and config.likelihood == "logistic"
