"""PixelCNN / Gated PixelCNN: exact likelihood, causality, cached == naive sampling, training on
real Fashion-MNIST, export."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "layers"))
from causality_helpers import assert_causal, dependency_maps

from tfgen.data import DatasetSpec
from tfgen.models import GatedPixelCNN, PixelCNN, build_model
from tfgen.sampling import cached_sample, naive_sample

KINDS = {"pixelcnn": PixelCNN, "gated_pixelcnn": GatedPixelCNN}


def small(kind, shape=(6, 6, 1), likelihood="bernoulli", sharpen=0.0, **kw):
    """A tiny model; ``sharpen`` scales the output layer so that draws depend strongly on the
    conditionals (an untrained net is nearly uniform)."""
    keras.utils.set_random_seed(0)  # deterministic initial weights
    kw = {"ar_layers": 2, "filters": 6 if shape[-1] == 3 else 8, "kernel_size": 3,
          "first_kernel_size": 3, **kw}
    model = KINDS[kind](shape, likelihood=likelihood, **kw)
    model.build_for()
    if sharpen:
        out = model.network.output_conv
        out.kernel.assign(out.kernel * sharpen)
        out.bias.assign(tf.random.stateless_normal(out.bias.shape, seed=[3, 3]))
    return model


def random_images(n, shape, likelihood, seed=0):
    x = tf.random.stateless_uniform((n,) + shape, [seed, 1], maxval=256, dtype=tf.int32)
    if likelihood == "bernoulli":
        x = tf.where(x >= 128, 255, 0)
    return tf.cast(x, tf.uint8)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("channels,likelihood", [(1, "bernoulli"), (3, "categorical")])
def test_model_network_is_causal_in_raster_and_colour_order(kind, channels, likelihood):
    model = small(kind, (4, 4, channels), likelihood)
    assert_causal(dependency_maps(model.network, (4, 4, channels),
                                  model.likelihood.params_per_channel))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("channels,likelihood", [(1, "bernoulli"), (3, "categorical")])
def test_log_prob_is_the_chain_rule_sum_of_per_position_conditionals(kind, channels,
                                                                     likelihood):
    """Position i's conditional comes from a pass that sees only positions < i (the rest
    zeroed); summing them must give the one-pass log_prob."""
    shape = (3, 4, channels)
    model = small(kind, shape, likelihood, sharpen=3.0)
    x = random_images(2, shape, likelihood, seed=5)
    n = int(np.prod(shape))
    order = np.arange(n).reshape(shape)
    total = np.zeros(2)
    for i in range(n):
        seen = tf.constant((order < i)[None], tf.uint8)
        params = model.params(x * seen)  # positions >= i replaced by 0
        r, c, g = np.argwhere(order == i)[0]
        p = model.likelihood.params_per_channel
        logits = params[:, r, c, g * p:(g + 1) * p]
        value = x[:, r, c, g]
        if likelihood == "bernoulli":
            on = tf.cast(value >= 128, tf.float32)
            lp = -tf.nn.sigmoid_cross_entropy_with_logits(on, logits[:, 0])
        else:
            lp = -tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(value, tf.int32),
                                                                 logits)
        total += lp.numpy()
    np.testing.assert_allclose(model.log_prob(x).numpy(), total, rtol=1e-5, atol=1e-4)
    loss, metrics = model.compute_objective(x, None, False)
    np.testing.assert_allclose(loss.numpy(), -total, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(metrics["bits_per_dim"].numpy(), -total / (n * np.log(2)),
                               rtol=1e-5)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("channels,likelihood", [(1, "bernoulli"), (3, "categorical")])
def test_cached_sampler_draws_the_same_images_as_the_naive_one(kind, channels, likelihood):
    model = small(kind, (5, 6, channels), likelihood, sharpen=4.0)
    for seed in (0, 1):
        cached = cached_sample(model, 3, seed, jit_compile=False).numpy()
        np.testing.assert_array_equal(cached, naive_sample(model, 3, seed).numpy())
    assert not np.array_equal(cached, cached_sample(model, 3, 0, jit_compile=False).numpy())
    # XLA-compiled loops draw the same images (the uniforms are drawn outside XLA).
    np.testing.assert_array_equal(cached_sample(model, 3, 1, jit_compile=True).numpy(), cached)


@pytest.mark.parametrize("kind", list(KINDS))
def test_conditional_cached_equals_naive_and_labels_matter(kind):
    model = small(kind, (5, 5, 1), sharpen=4.0, conditional=True, num_classes=3)
    for block in model.network.blocks:  # make the class matter visibly in the samples
        dense = block.condition_vector_dense
        dense.kernel.assign(dense.kernel * 10.0)
    labels = tf.constant([2, 0, 1, 2])
    cached = cached_sample(model, 4, 9, labels).numpy()
    np.testing.assert_array_equal(cached, naive_sample(model, 4, 9, labels).numpy())
    np.testing.assert_array_equal(model.sample_class(labels, 9).numpy(), cached)
    # sample() cycles the classes 0, 1, 2, 0, ...
    np.testing.assert_array_equal(model.sample(4, 9).numpy(),
                                  model.sample_class(tf.constant([0, 1, 2, 0]), 9).numpy())
    zeros = model.sample_class(tf.constant([0, 0, 0, 0]), 9).numpy()
    assert not np.array_equal(zeros, model.sample_class(tf.constant([1, 1, 1, 1]), 9).numpy())
    by_class = [model.params(zeros, tf.fill([4], k)).numpy() for k in (0, 1)]
    assert np.abs(by_class[0] - by_class[1]).mean() > 0.02  # logits move with the class


def test_conditional_log_prob_is_the_class_marginal():
    model = small("gated_pixelcnn", conditional=True, num_classes=3)
    x = random_images(2, (6, 6, 1), "bernoulli")
    per_class = np.stack([model.log_prob_class(x, tf.fill([2], k)).numpy() for k in range(3)])
    expected = np.log(np.exp(per_class.astype(np.float64)).mean(0))
    np.testing.assert_allclose(model.log_prob(x).numpy(), expected, rtol=1e-5)
    loss, _ = model.compute_objective(x, None, True, labels=tf.constant([1, 2]))
    np.testing.assert_allclose(loss.numpy(), -per_class[[1, 2], [0, 1]], rtol=1e-6)


@pytest.mark.parametrize("kind", list(KINDS))
def test_samples_are_valid_deterministic_uint8_images(kind):
    model = small(kind, (5, 5, 3), "categorical")
    a, b = model.sample(4, 1), model.sample(4, 1)
    assert a.dtype == tf.uint8 and a.shape == (4, 5, 5, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), model.sample(4, 2).numpy())
    assert len(np.unique(a.numpy())) > 20  # untrained: spread over [0, 255]
    binary = small(kind).sample(3, 0).numpy()
    assert set(np.unique(binary)) <= {0, 255} and binary.shape == (3, 6, 6, 1)


@pytest.mark.slow
def test_a_few_training_steps_on_fashion_mnist_lower_the_loss():
    from tfgen.data import load, make_pipeline
    keras.utils.set_random_seed(0)
    ds, spec = load("binarized_fashion_mnist", "train")
    model = build_model("gated_pixelcnn", spec, ar_layers=2, filters=16, kernel_size=3)
    assert model.likelihood.name == "bernoulli"
    batches = iter(make_pipeline(ds.take(512), batch_size=32, training=True, seed=0))
    held_out = next(batches)
    model.build_for()
    model.compile_for_training(3e-3)
    before = float(tf.reduce_mean(model.compute_objective(held_out[0], None, False)[0]))
    for _ in range(25):
        model.train_step(next(batches))
    after = float(tf.reduce_mean(model.compute_objective(held_out[0], None, False)[0]))
    assert after < before - 50, (before, after)  # nats per image


def test_build_model_fills_likelihood_and_num_classes_from_the_spec():
    spec = DatasetSpec(name="t", shape=(8, 8, 3), num_classes=5, kind="image", binarized=False)
    model = build_model("pixelcnn", spec, conditional=True, ar_layers=1, filters=6)
    assert model.likelihood.name == "categorical" and model.num_classes == 5
    unlabelled = DatasetSpec(name="u", shape=(8, 8, 1), num_classes=0, kind="image",
                             binarized=True)
    with pytest.raises(ValueError, match="num_classes >= 1"):
        build_model("gated_pixelcnn", unlabelled, conditional=True)
    with pytest.raises(ValueError, match="bernoulli"):
        GatedPixelCNN((8, 8, 1), likelihood="logistic")


@pytest.mark.parametrize("kind", list(KINDS))
def test_get_config_rebuilds_the_same_model(kind):
    model = small(kind, conditional=True, num_classes=2)
    clone = KINDS[kind].from_config(model.get_config())
    clone.build_for()
    clone.set_weights(model.get_weights())
    x = random_images(2, (6, 6, 1), "bernoulli")
    np.testing.assert_allclose(clone.log_prob(x).numpy(), model.log_prob(x).numpy(), rtol=1e-6)
