"""PixelVAE: causality of p(x|z), bounds in nats, training on real data, export, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.models.pixelvae import PixelVAE
from tfgen.nets.pixelvae import PixelVAEEncoder, UpsamplingDecoder, encoder_sizes

DECODERS = ("upsample", "cond_bias")


def small_pixelvae(decoder="upsample", image_shape=(28, 28, 1), likelihood="bernoulli", **kw):
    config = {"latent_dim": 4, "ar_layers": 2, "filters": 8, "encoder_filters": 4,
              "kernel_size": 3, "first_kernel_size": 5}
    config.update(kw)
    keras.utils.set_random_seed(0)  # the same weights whichever tests ran before in the process
    model = PixelVAE(image_shape, likelihood=likelihood, decoder=decoder, **config)
    model.build_for()
    return model


def binary_images(n, seed=0, shape=(28, 28, 1)):
    x = tf.random.stateless_uniform([n, *shape], seed=[seed, 0]) < 0.3
    return tf.cast(x, tf.uint8) * 255


def input_gradient(model, z, x, row, col, channel=0):
    """d params[0, row, col, channel] / d x[0]: float ``[H, W, C]``."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model.decoder_params(z, x)[0, row, col, channel]
    grad = tape.gradient(out, x)
    return np.zeros(x.shape[1:], np.float32) if grad is None else grad.numpy()[0]


@pytest.mark.parametrize("decoder,gated", [("upsample", True), ("cond_bias", True),
                                           ("upsample", False)])
def test_decoder_given_z_is_causal_in_raster_order(decoder, gated):
    model = small_pixelvae(decoder, gated=gated)
    z = tf.random.stateless_normal([1, 4], [1, 2])
    x = tf.random.stateless_uniform([1, 28, 28, 1], [3, 4], -1.0, 1.0)
    for row, col in [(0, 0), (5, 9), (13, 27), (27, 0), (27, 27)]:
        grad = np.abs(input_gradient(model, z, x, row, col)[..., 0]).reshape(-1)
        position = row * 28 + col
        assert grad[position:].max() == 0.0, (row, col)
        neighbour = position - 28 if row > 0 else position - 1  # above, else to the left
        if position > 0:  # and it does see the past
            assert grad[neighbour] > 0.0, (row, col)


def test_colour_channels_are_causal_within_a_pixel():
    model = small_pixelvae("upsample", image_shape=(8, 8, 3), likelihood="categorical",
                           filters=6)
    z = tf.random.stateless_normal([1, 4], [1, 2])
    x = tf.random.stateless_uniform([1, 8, 8, 3], [3, 4], -1.0, 1.0)
    row, col = 4, 5
    for channel in range(3):  # parameters of channel c occupy c * 256 .. c * 256 + 255
        grad = np.abs(input_gradient(model, z, x, row, col, channel * 256))
        flat = grad.reshape(8 * 8, 3)
        here = row * 8 + col
        assert flat[here + 1:].max() == 0.0
        assert flat[here, channel:].max() == 0.0, channel
        if channel > 0:
            assert flat[here, :channel].min() > 0.0, channel


@pytest.mark.parametrize("decoder", DECODERS)
def test_importance_weighted_bound_exceeds_elbo_and_terms_add_up(decoder):
    model = small_pixelvae(decoder)
    x = binary_images(4)
    terms = model.elbo(x, 3)
    np.testing.assert_allclose(terms["elbo"].numpy(), -(terms["recon"] + terms["kl"]).numpy(),
                               rtol=1e-6)
    assert np.all(terms["kl"].numpy() >= 0) and np.all(terms["recon"].numpy() > 0)
    elbo = np.mean([model.elbo(x, s)["elbo"].numpy() for s in range(10)], axis=0)
    iw = model.importance_weighted_log_prob(x, 200, 0).numpy()
    assert iw.shape == (4,) and np.all(iw >= elbo), (iw, elbo)


def test_factorized_decoder_without_pixelcnn_layers_samples_in_one_pass():
    model = small_pixelvae("upsample", ar_layers=0)
    x = binary_images(2)
    grad = input_gradient(model, tf.zeros([1, 4]), model.likelihood.network_input(x), 10, 10)
    assert np.abs(grad).max() == 0.0  # p(x|z) does not look at x at all
    images = model.decode(tf.zeros([2, 4]), 1)
    assert images.shape == (2, 28, 28, 1) and images.dtype == tf.uint8
    with pytest.raises(ValueError, match="cond_bias.*ar_layers >= 1"):
        PixelVAE((28, 28, 1), likelihood="bernoulli", decoder="cond_bias", ar_layers=0)


def test_unknown_decoder_is_rejected_with_the_valid_names():
    with pytest.raises(ValueError, match=r"valid names: \['cond_bias', 'upsample'\]"):
        PixelVAE((28, 28, 1), likelihood="bernoulli", decoder="upsampling")


@pytest.mark.parametrize("size", [28, 32, 27, 16])
def test_encoder_and_upsampling_decoder_fit_any_image_size(size):
    assert encoder_sizes(28) == [28, 14, 8, 4]  # the appendix: pad 7x7 to 8x8
    encoder = PixelVAEEncoder((size, size, 1), 6, filters=4)
    assert encoder(tf.zeros([2, size, size, 1])).shape == (2, 6)
    decoder = UpsamplingDecoder((size, size, 1), filters=4)
    assert decoder(tf.zeros([2, 3])).shape == (2, size, size, 4)


def test_networks_rebuild_from_their_config():
    from tfgen.nets.pixelvae import PixelVAEDecoder
    for net in (PixelVAEEncoder((28, 28, 1), 6, filters=4), UpsamplingDecoder((27, 27, 1), 4),
                PixelVAEDecoder((8, 8, 3), 768, "cond_bias", filters=6, num_layers=2)):
        config = net.get_config()
        assert type(net).from_config(config).get_config() == config


def test_appendix_encoder_layer_shapes():
    encoder = PixelVAEEncoder((28, 28, 1), 2 * 64, filters=32)
    encoder(tf.zeros([1, 28, 28, 1]))
    kernels = [v.shape for v in encoder.trainable_variables if len(v.shape) == 4]
    assert [k[-1] for k in kernels] == [32, 32, 32, 64, 64, 64, 64, 64, 64]
    assert encoder.head.kernel.shape == (4 * 4 * 64, 128)


@pytest.mark.parametrize("decoder", DECODERS)
def test_cached_decode_equals_naive_and_is_deterministic_given_the_seed(decoder):
    model = small_pixelvae(decoder, image_shape=(7, 6, 1))
    z = tf.random.stateless_normal([3, 4], [0, 1])
    cached = tf.function(lambda z, seed: model.decode(z, seed))
    naive = tf.function(lambda z, seed: model.decode(z, seed, sampler="naive"))
    a, b, c = cached(z, 5), cached(z, 5), cached(z, 6)
    assert a.dtype == tf.uint8 and a.shape == (3, 7, 6, 1)
    assert set(np.unique(a.numpy())) <= {0, 255}
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())
    np.testing.assert_array_equal(a.numpy(), naive(z, 5).numpy())


def test_ungated_decoder_uses_z_and_samples_identically_with_both_samplers():
    keras.utils.set_random_seed(0)  # the init must not depend on which tests ran before
    model = small_pixelvae("upsample", image_shape=(5, 6, 1), gated=False, ar_layers=1)
    assert type(model.decoder.pixel).__name__ == "PixelCNNStack"
    x = model.likelihood.network_input(binary_images(1, shape=(5, 6, 1)))
    params = [model.decoder_params(tf.fill([1, 4], v), x).numpy() for v in (-2.0, 2.0)]
    # z reaches p(x|z): a decoder without a path from z gives exactly equal parameters (an
    # untrained ungated stack's dependence can be as small as 8e-5, so no larger threshold).
    assert np.abs(params[0] - params[1]).max() > 0
    z = tf.random.stateless_normal([3, 4], [0, 1])
    cached = tf.function(lambda z: model.decode(z, 4))
    naive = tf.function(lambda z: model.decode(z, 4, sampler="naive"))
    np.testing.assert_array_equal(cached(z).numpy(), naive(z).numpy())


def test_cached_decode_equals_naive_for_colour_images():
    model = small_pixelvae("upsample", image_shape=(4, 5, 3), likelihood="categorical",
                           filters=6)
    z = tf.random.stateless_normal([2, 4], [0, 1])
    cached = tf.function(lambda z: model.decode(z, 9))
    naive = tf.function(lambda z: model.decode(z, 9, sampler="naive"))
    np.testing.assert_array_equal(cached(z).numpy(), naive(z).numpy())


def test_get_config_rebuilds_the_same_model():
    model = small_pixelvae("cond_bias", kl_warmup_steps=7)
    clone = PixelVAE.from_config(model.get_config())
    clone.build_for()
    clone.set_weights(model.get_weights())
    x = binary_images(2)
    assert clone.get_config() == model.get_config()
    np.testing.assert_allclose(clone.elbo(x, 1)["elbo"].numpy(), model.elbo(x, 1)["elbo"].numpy(),
                               rtol=1e-5)


@pytest.mark.parametrize("decoder", DECODERS)
def test_trains_on_binarized_fashion_mnist(decoder):
    """A few Adam steps on real data lower the negative ELBO of held-out test images."""
    from tfgen import data
    train_ds, _ = data.load("binarized_fashion_mnist", "train")
    test_ds, _ = data.load("binarized_fashion_mnist", "test")
    model = small_pixelvae(decoder, filters=16, ar_layers=1)
    model.compile_for_training(learning_rate=3e-3)
    held_out = next(iter(test_ds.batch(64)))[0]

    def loss():
        return -float(tf.reduce_mean(model.elbo(held_out, 0)["elbo"]))

    before = loss()
    pipe = data.make_pipeline(train_ds.take(64 * 40), 32, training=True, seed=0)
    history = model.fit(pipe, steps_per_epoch=40, epochs=1, verbose=0, shuffle=False).history
    after = loss()
    assert np.isfinite(history["loss"][-1])
    assert after < before - 100.0, (before, after)  # untrained: ~545 nats


@pytest.mark.slow
@pytest.mark.parametrize("decoder", DECODERS)
def test_exports_and_serves_every_verb(decoder, tmp_path):
    from tfgen.export import export_model, load_exported
    model = small_pixelvae(decoder, image_shape=(8, 8, 1), ar_layers=1, log_prob_samples=4)
    exported = load_exported(export_model(model, root=str(tmp_path), name="pixelvae"))
    assert {"sample", "log_prob", "encode", "decode", "elbo",
            "importance_weighted_log_prob"} <= set(exported.methods)
    x = binary_images(3, shape=(8, 8, 1)).numpy()
    code = exported.encode(x)
    np.testing.assert_allclose(code["mean"], model.encode(x)["mean"].numpy(), rtol=1e-5,
                               atol=1e-6)
    decoded = exported.decode(code["mean"], 3)["images"]
    np.testing.assert_array_equal(decoded, model.decode(code["mean"], 3).numpy())
    samples = exported.sample(2, 1)["images"]
    assert samples.shape == (2, 8, 8, 1) and samples.dtype == np.uint8
    log_prob = exported.log_prob(x)
    np.testing.assert_allclose(log_prob["log_prob"], model.log_prob(x).numpy(), rtol=1e-4)
    assert np.all(log_prob["log_prob"] < 0) and np.all(log_prob["bits_per_dim"] > 0)


@pytest.mark.slow
@pytest.mark.parametrize("precision,jit_compile", [("mixed_bfloat16", False), ("off", True)])
def test_trains_under_mixed_bfloat16_and_xla(precision, jit_compile):
    """A few steps on a fixed batch: finite, falling loss; bfloat16 layers but float32 terms."""
    from tfgen.training.environment import precision_policy
    x = binary_images(16, seed=5, shape=(16, 16, 1))
    with precision_policy(precision):
        model = small_pixelvae(image_shape=(16, 16, 1), ar_layers=1)
        model.compile_for_training(learning_rate=3e-3, jit_compile=jit_compile)
    expected = "bfloat16" if precision == "mixed_bfloat16" else "float32"
    assert model.decoder.compute_dtype == expected and model.encoder.compute_dtype == expected
    assert model.jit_compile is jit_compile
    losses = [model.train_on_batch(x, tf.zeros([16], tf.int64), return_dict=True)["loss"]
              for _ in range(8)]
    assert np.all(np.isfinite(losses))
    assert np.mean(losses[-2:]) < losses[0] - 5.0, losses  # nats; untrained ~ 180
    loss, terms = model.compute_objective(x, tf.constant([0, 1]), False)
    assert loss.dtype == tf.float32 and all(t.dtype == tf.float32 for t in terms.values())
    reference = small_pixelvae(image_shape=(16, 16, 1), ar_layers=1)  # float32 copy
    reference.set_weights(model.get_weights())
    _, exact = reference.compute_objective(x, tf.constant([0, 1]), False)
    np.testing.assert_allclose(terms["kl"], exact["kl"], rtol=0.05, atol=0.05)
    np.testing.assert_allclose(terms["recon"], exact["recon"], rtol=0.02)
