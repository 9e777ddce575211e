"""Hierarchical PixelVAE: causality at both levels, KL and bounds in nats, both samplers, training,
export, mixed precision, sizes. One tiny 8x8x3 model per module."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from tfgen.models.hierarchical_pixelvae import FACTORIZED_BOUND, HierarchicalPixelVAE
from tfgen.nets.hierarchical_pixelvae import level_sizes

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "layers"))
from causality_helpers import assert_causal, dependency_maps, raster_index  # noqa: E402

SHAPE = (8, 8, 3)
TINY = dict(latent_channels=3, latent_dim=4, embedding_dim=2, dim_0=4, dim_1=4, dim_2=6,
            dim_top=6, pixel_filters=6, latent_filters=6, pixel_blocks=1, latent_blocks=1,
            log_prob_samples=4)


def build(shape=SHAPE, **overrides):
    import keras
    keras.utils.set_random_seed(0)
    model = HierarchicalPixelVAE(shape, likelihood="categorical", **{**TINY, **overrides})
    model.build_for()
    return model


def images(n, seed=0, shape=SHAPE):
    return tf.cast(tf.random.stateless_uniform([n, *shape], [seed, 1], 0, 256, tf.int32),
                   tf.uint8)


@pytest.fixture(scope="module")
def model():
    """The tiny model with its latent prior's output opened: it starts at zero (p(z1|z2) =
    N(0, softplus(0)^2) whatever z1_<i and z2), which would hide the dependencies tested here."""
    model = build()
    model.prior1.output_conv.scale.assign(tf.ones_like(model.prior1.output_conv.scale))
    return model


def test_sizes_follow_the_thesis_and_any_side():
    assert level_sizes(32, 32) == {"bottom": [(32, 32), (16, 16), (8, 8)],
                                   "top": [(8, 8), (4, 4)]}
    assert level_sizes(64, 64)["top"] == [(16, 16), (8, 8), (4, 4)]
    assert level_sizes(28, 28) == {"bottom": [(28, 28), (14, 14), (7, 7)],
                                   "top": [(7, 7), (4, 4)]}
    assert level_sizes(4, 4)["top"] == [(1, 1)]


def test_latent_prior_is_causal_over_positions_and_sees_z2(model):
    """d params(z1 position i) / d z1 is zero at positions >= i (raster order) and nonzero at
    the position just before; params depend on z2. On a 4x4 map through the same network."""
    cond = tf.random.stateless_normal([1, 4, 4, TINY["dim_2"]], [3, 3])
    z1 = tf.random.stateless_normal([1, 4, 4, TINY["latent_channels"]], [4, 4])
    for i in (0, 5, 10, 15):
        with tf.GradientTape() as tape:
            tape.watch(z1)
            out = tf.reduce_sum(model.prior1(z1, condition_map=cond)[0, i // 4, i % 4]
                                * tf.range(1.0, 2.0 * TINY["latent_channels"] + 1))
        grad = np.abs(tape.gradient(out, z1).numpy()[0]).sum(-1).reshape(-1)
        assert np.all(grad[i:] == 0), i
        assert i == 0 or grad[i - 1] > 0, i
    z = tf.random.stateless_normal([1, *model.latent_shape], [5, 5])
    lp = [model.latent_log_prob(z, tf.fill([1, TINY["latent_dim"]], v)).numpy() for v in (-1., 1.)]
    assert lp[0] != lp[1]


def test_pixel_decoder_masks_are_causal_over_rgb(model):
    """Gradients of (pixel i, channel c)'s logits w.r.t. the embedded image: only earlier
    pixels and earlier channels of pixel i."""
    e, n = TINY["embedding_dim"], 8 * 8 * 3
    cond = tf.random.stateless_normal([1, 8, 8, TINY["dim_0"]], [6, 6])

    def fn(x):
        return model.pixel.from_embedded(tf.repeat(x, e, -1), tf.tile(cond, [n, 1, 1, 1]))

    maps = dependency_maps(fn, SHAPE, 256)
    assert_causal(maps)
    for channel in range(3):
        i = raster_index(3, 4, channel, 8, 3)
        assert maps[i, 3, 4, :channel].all() and maps[i, 3, 3].all() and maps[i, 2, 4].all()


def test_kl_z2_is_the_closed_form_and_terms_add_up(model):
    x = images(3)
    terms, code = model.elbo(x, 1), model.encode(x)
    mu, sd = code["mean"].numpy().astype(np.float64), code["stddev"].numpy().astype(np.float64)
    closed = 0.5 * np.sum(mu ** 2 + sd ** 2 - 1.0 - 2.0 * np.log(sd), axis=1)
    np.testing.assert_allclose(terms["kl_z2"].numpy(), closed, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(terms["kl"], terms["kl_z1"] + terms["kl_z2"], rtol=1e-6)
    np.testing.assert_allclose(terms["elbo"], -(terms["recon"] + terms["kl"]), rtol=1e-6)
    assert code["z1_mean"].shape == (3, 2, 2, 3) and code["mean"].shape == (3, 4)


def test_importance_weighted_bound_exceeds_the_elbo_and_equals_it_for_k1(model):
    x = images(4, seed=2)
    seeds = [tf.constant(s) for s in range(30)]
    elbo_fn = tf.function(lambda s: model.elbo(x, s)["elbo"])
    iw_fn = tf.function(lambda k, s: model.importance_weighted_log_prob(x, k, s))
    elbos = np.array([elbo_fn(s).numpy() for s in seeds])  # [30, 4]
    iw = iw_fn(tf.constant(64), seeds[0]).numpy()
    assert iw.shape == (4,) and np.mean(iw) > elbos.mean(), (iw, elbos.mean(0))
    k1 = np.array([iw_fn(tf.constant(1), s).numpy() for s in seeds])
    tolerance = 3 * np.sqrt((elbos.var(0) + k1.var(0)) / 30) + 0.1
    assert np.all(np.abs(k1.mean(0) - elbos.mean(0)) < tolerance), (k1.mean(0), elbos.mean(0))


def test_cached_and_naive_samplers_draw_the_same_z1_and_images(model):
    z2 = tf.random.stateless_normal([2, TINY["latent_dim"]], [7, 7])
    latents = {s: tf.function(lambda z, s=s: model.sample_latents(z, 4, s))(z2).numpy()
               for s in ("cached", "naive")}
    assert latents["cached"].shape == (2, *model.latent_shape)
    np.testing.assert_allclose(latents["cached"], latents["naive"], atol=1e-5)
    pictures = {s: tf.function(lambda n, s=s: model.sample(n, 5, sampler=s))(2).numpy()
                for s in ("cached", "naive")}
    assert pictures["cached"].dtype == np.uint8 and pictures["cached"].shape == (2, *SHAPE)
    np.testing.assert_array_equal(pictures["cached"], pictures["naive"])


def test_sample_levels_holds_the_other_levels_fixed(model):
    traced = tf.function(lambda a, b, c: model.sample_levels(2, a, b, c))

    def run(a, b, c):  # tensor seeds: one trace for all calls, not one per Python value
        return traced(tf.constant(a), tf.constant(b), tf.constant(c))

    base = run(1, 2, 3).numpy()
    np.testing.assert_array_equal(base, run(1, 2, 3).numpy())
    assert not np.array_equal(base, run(1, 2, 4).numpy())  # pixel noise only
    assert not np.array_equal(base, run(9, 2, 3).numpy())  # top-level noise only
    recon = tf.function(lambda x: model.reconstruct(x, 1, "z2"))(images(2))  # traced: cheaper
    assert recon.shape == (2, *SHAPE) and recon.dtype == tf.uint8
    drawn = model.reconstruct(images(2), 1, "z1", sample_posterior=True).numpy()
    np.testing.assert_array_equal(drawn, model.reconstruct(images(2), 1, "z1",
                                                           sample_posterior=True).numpy())
    assert not np.array_equal(drawn, model.reconstruct(images(2), 1, "z1").numpy())
    with pytest.raises(ValueError, match=r"valid names: \['z1', 'z2'\]"):
        model.reconstruct(images(1), 1, "z3")


def test_a_few_steps_lower_the_loss_on_fixed_data():
    model = build()
    model.compile_for_training(3e-3)
    x = images(16, seed=3)
    losses = [float(model.train_on_batch(x, return_dict=True)["loss"]) for _ in range(8)]
    assert np.all(np.isfinite(losses)) and np.mean(losses[-2:]) < losses[0] - 20.0, losses


def test_warmups_and_learning_rate_decay_follow_the_original_code():
    model = build(kl1_warmup_steps=4, kl2_warmup_steps=2, lr_decay_steps=3, lr_decay_factor=0.5)
    model.compile_for_training(1e-3)
    alpha1, alpha2 = model.kl_weights(True)
    assert np.isclose(alpha1, 0.25) and np.isclose(alpha2, 0.5 * 0.25)
    model.optimizer.iterations.assign(6)
    assert np.isclose(float(model.optimizer.learning_rate), 1e-3 * 0.25)


def test_mixed_bfloat16_step_is_finite_with_float32_terms():
    from tfgen.training.environment import precision_policy
    with precision_policy("mixed_bfloat16"):
        model = build()
        model.compile_for_training(1e-3)
    assert model.pixel.compute_dtype == "bfloat16"
    logs = model.train_on_batch(images(4), return_dict=True)
    assert all(np.isfinite(float(v)) for v in logs.values())
    loss, terms = model.compute_objective(images(2), tf.constant([0, 1]), False)
    assert loss.dtype == tf.float32 and all(t.dtype == tf.float32 for t in terms.values())


@pytest.mark.slow
def test_exports_and_serves_every_verb(model, tmp_path):
    from tfgen.export import export_model, load_exported
    exported = load_exported(export_model(model, root=str(tmp_path), name="hpvae"))
    assert set(exported.methods) == {"log_prob", "sample", "encode", "decode", "decode_top",
                                     "elbo", "importance_weighted_log_prob"}
    x = images(2).numpy()
    code = exported.encode(x)
    np.testing.assert_allclose(code["z1_mean"], model.encode(x)["z1_mean"], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(exported.decode(code["z1_mean"], 3)["images"],
                                  model.decode(code["z1_mean"], 3).numpy())
    top = exported.call("decode_top", z=code["mean"], seed=3)["images"]
    np.testing.assert_array_equal(top, model.decode_top(code["mean"], 3).numpy())
    assert exported.sample(2, 1)["images"].shape == (2, *SHAPE)
    np.testing.assert_allclose(exported.log_prob(x)["log_prob"], model.log_prob(x).numpy(),
                               rtol=1e-4)
    assert set(exported.elbo(x, 1)) == {"elbo", "kl", "recon", "kl_z1", "kl_z2"}


def test_without_autoregression_no_output_depends_on_the_pixels_or_on_other_z1_positions():
    """autoregressive=False: the two-level VAE. p(x|z1)'s parameters at every pixel do not
    depend on x at all and p(z1|z2)'s not on z1 (exactly equal for any x or z1; no masked
    layer remains); samples are one draw per level; the ELBO still adds up and trains."""
    vae = build(autoregressive=False)
    assert not any("masked" in type(layer).__name__.lower() or "pixelcnn" in layer.name
                   for layer in vae._flatten_layers())
    condition = tf.random.stateless_normal([2, 8, 8, TINY["dim_0"]], [1, 2])
    first = vae.pixel_params(condition, images(2, seed=1)).numpy()
    huge = vae.pixel_params(1e4 * condition, None).numpy()  # soft-bounded: no overflow
    assert np.all(np.abs(huge) <= FACTORIZED_BOUND) and np.abs(huge).max() > 1
    np.testing.assert_array_equal(first, vae.pixel_params(condition, images(2, seed=9)).numpy())
    latent_cond = tf.random.stateless_normal([1, 2, 2, TINY["dim_2"]], [3, 4])
    z1s = [tf.random.stateless_normal([1, 2, 2, TINY["latent_channels"]], [s, 0])
           for s in (5, 6)]
    np.testing.assert_array_equal(vae.latent_params(latent_cond, z1s[0]).numpy(),
                                  vae.latent_params(latent_cond, z1s[1]).numpy())
    terms = vae.elbo(images(3), 1)
    np.testing.assert_allclose(terms["elbo"], -(terms["recon"] + terms["kl"]), rtol=1e-6)
    run = tf.function(lambda a, b, c: vae.sample_levels(2, a, b, c))
    base = run(1, 2, 3).numpy()
    assert base.shape == (2, *SHAPE) and base.dtype == np.uint8
    np.testing.assert_array_equal(base, run(1, 2, 3).numpy())
    assert not np.array_equal(base, run(1, 2, 4).numpy())
    assert vae.reconstruct(images(2), 1, "z2").shape == (2, *SHAPE)
    assert np.isfinite(vae.importance_weighted_log_prob(images(2), 3, 0).numpy()).all()


@pytest.mark.slow
def test_training_image_grids_draw_its_reconstructions(tmp_path):
    """The trainer's ImageGrids callback reconstructs through the model's ``reconstruct`` (its
    ``decode`` takes z1, not encode's z2 ``mean``)."""
    from tfgen.training.callbacks import ImageGrids
    model = build()
    model.compile_for_training(1e-3)
    grids = ImageGrids(str(tmp_path / "images"), str(tmp_path / "tb"), num_samples=2,
                       reference_images=images(2).numpy())
    grids.set_model(model)
    grids.on_train_begin()
    grids.on_epoch_end(0)
    assert sorted(os.listdir(tmp_path / "images")) == ["reconstructions-0000000.png",
                                                       "samples-0000000.png"]
