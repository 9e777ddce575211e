"""PixelCNN++: causality of the whole network (Jacobians: nothing from the pixel itself or later,
no blind spot), the exact sampler against a slow float64 reference, a training step (finite,
nats, bits/dim, the per-step learning-rate decay), class conditioning, mixed precision and the
registry. The generic Keras/export/batch-independence checks cover it through
``tests/tiny_models.py``."""

import math
import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.data import DatasetSpec
from tfgen.models import PixelCNNPP, build_model
from tfgen.sampling import naive_sample, sampling_uniforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "distributions"))
from test_logistic_rgb import ref_draw  # noqa: E402

SHAPE = (8, 8, 3)
TINY = dict(nr_resnet=1, nr_filters=8, nr_logistic_mix=2, dropout=0.5)
IMAGES = np.random.default_rng(0).integers(0, 256, (4, *SHAPE)).astype(np.uint8)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    built = PixelCNNPP(SHAPE, seed=3, **TINY)
    built.build_for()
    return built


def test_network_is_causal_in_raster_order_with_no_blind_spot(model):
    height, width, channels = SHAPE
    x = tf.random.stateless_uniform([1, *SHAPE], seed=[1, 1], minval=-1.0, maxval=1.0)
    weights = tf.random.stateless_normal([model.likelihood.params_width], seed=[2, 2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(model.network(x, training=False) * weights, -1)[0]  # [H, W]
    jac = np.abs(tape.jacobian(out, x).numpy()[:, :, 0]).sum(-1) > 0  # [H, W, H, W]
    for i in range(height):
        for j in range(width):
            seen = jac[i, j].reshape(-1)
            here = i * width + j
            assert not seen[here:].any(), f"({i}, {j}) sees itself or a later pixel"
            # no blind spot: the earlier pixels nearby, incl. the row above to the right (the
            # original PixelCNN's blind spot); far ones need a deeper net than this tiny one
            near = [r * width + col for r in range(max(i - 3, 0), i + 1)
                    for col in range(max(j - 3, 0), min(j + 4, width)) if r * width + col < here]
            assert seen[near].all(), f"({i}, {j}) misses earlier pixels near it"
    earlier = np.tril(np.ones((height * width,) * 2, bool), -1)  # [here, there]: there < here
    seen_all = jac.reshape(height * width, height * width)
    assert seen_all[earlier].mean() > 0.9  # far pixels too, at 3 resolutions
    assert seen_all[-1, 0]  # the last pixel sees the first


def test_log_prob_is_float32_nats_and_the_likelihood_of_the_params(model):
    images = tf.constant(IMAGES)
    log_p = model.log_prob(images)
    assert log_p.dtype == tf.float32 and log_p.shape == (4,)
    assert np.all(np.isfinite(log_p.numpy())) and np.all(log_p.numpy() < 0)
    params = model.params(images)
    assert params.shape == (4, *SHAPE[:2], 20)  # 10K for RGB, K = 2
    per_pixel = model.likelihood.pixel_log_prob(params, tf.cast(images, tf.float32))
    np.testing.assert_allclose(log_p.numpy(), per_pixel.numpy().sum((1, 2)), rtol=1e-6)
    with pytest.raises(TypeError, match="expects uint8"):
        model.log_prob(tf.cast(images, tf.float32))


@pytest.fixture(scope="module")
def conditional():
    """A 4x4 RGB class-conditional model (3 classes)."""
    keras.utils.set_random_seed(0)
    spec = DatasetSpec("tiny", (4, 4, 3), num_classes=3, kind="image", binarized=False)
    built = build_model("pixelcnn_pp", spec, seed=1, nr_resnet=1, nr_filters=4,
                        nr_logistic_mix=2, conditional=True)
    built.build_for()
    for block in built.network.up_u[0] + built.network.dn_ul[2]:  # let the class show
        block.condition_dense.kernel.assign(block.condition_dense.kernel * 20.0)
    return built


def test_sampler_equals_a_slow_float64_reference(conditional):
    labels, seed = np.array([2, 0], np.int32), 11
    got = conditional.sample_class(tf.constant(labels), seed).numpy()
    shape = conditional.image_shape
    assert got.dtype == np.uint8 and got.shape == (2, *shape)
    height, width, channels = shape
    k = conditional.config.nr_logistic_mix
    uniforms = sampling_uniforms(seed, 2, height * width * channels).numpy()  # [HWC, N]
    images = np.zeros((2, *shape), np.uint8)
    for r in range(height):
        for c in range(width):
            params = conditional.params(tf.constant(images), tf.constant(labels)).numpy()
            start = (r * width + c) * channels
            for b in range(2):
                images[b, r, c] = ref_draw(params[b, r, c].astype(np.float64),
                                           uniforms[start:start + channels, b], k, channels)
    np.testing.assert_array_equal(got, images)
    # sample(3) cycles the classes 0, 1, 2; another seed draws other images
    np.testing.assert_array_equal(conditional.sample(3, seed).numpy(), naive_sample(
        conditional, 3, seed, tf.constant([0, 1, 2])).numpy())
    assert not np.array_equal(conditional.sample_class(tf.constant(labels), seed + 1).numpy(),
                              got)


def test_a_training_step_is_finite_in_nats_and_decays_the_learning_rate():
    keras.utils.set_random_seed(1)
    trained = PixelCNNPP(SHAPE, seed=3, **TINY)
    trained.build_for()
    trained.compile_for_training(1e-3)
    before = [w.numpy() for w in trained.trainable_weights]
    images = tf.constant(IMAGES)
    eval_loss = -float(np.mean(trained.log_prob(images).numpy()))
    dims = math.prod(SHAPE) * math.log(2.0)
    logs = {k: float(v) for k, v in trained.train_step((images,)).items()}  # eager: no trace
    assert all(np.isfinite(v) for v in logs.values())
    assert logs["loss"] != pytest.approx(eval_loss, rel=1e-6)  # dropout is on in training
    assert abs(logs["loss"] - eval_loss) < 0.1 * eval_loss
    np.testing.assert_allclose(logs["bits_per_dim"], logs["loss"] / dims, rtol=1e-5)
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in zip(before, trained.trainable_weights))
    assert all(np.all(np.isfinite(w.numpy())) for w in trained.trainable_weights)
    assert int(trained.optimizer.iterations) == 1
    rate = trained.optimizer.learning_rate
    np.testing.assert_allclose(float(rate), 1e-3 * 0.999995, rtol=1e-7)
    for tracker in trained.metrics:
        tracker.reset_state()
    test = {k: float(v) for k, v in trained.test_step((images,)).items()}  # no dropout
    np.testing.assert_allclose(test["loss"], -np.mean(trained.log_prob(images).numpy()),
                               rtol=1e-5)
    np.testing.assert_allclose(test["bits_per_dim"], test["loss"] / dims, rtol=1e-5)


def test_dropout_in_training_is_seeded_by_the_step_seed(model):
    images = tf.constant(IMAGES[:2])
    a, _ = model.compute_objective(images, tf.constant([1, 2]), True)
    b, _ = model.compute_objective(images, tf.constant([1, 2]), True)
    c, _ = model.compute_objective(images, tf.constant([1, 3]), True)
    evaluation, _ = model.compute_objective(images, tf.constant([1, 2]), False)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, evaluation)
    np.testing.assert_allclose(evaluation, -model.log_prob(images).numpy(), rtol=1e-6)


def test_class_conditioning_enters_and_log_prob_is_the_marginal(conditional):
    assert conditional.num_classes == 3 and conditional.likelihood.params_width == 20
    images = tf.constant(IMAGES[:2, :4, :4])
    per_class = np.stack([conditional.log_prob_class(images, tf.fill([2], k)).numpy()
                          for k in range(3)])
    assert not np.allclose(per_class[0], per_class[1])
    want = np.logaddexp.reduce(per_class, axis=0) - np.log(3)
    np.testing.assert_allclose(conditional.log_prob(images).numpy(), want, rtol=1e-5)
    with pytest.raises(ValueError, match="unconditional"):
        PixelCNNPP((4, 4, 3), nr_resnet=1, nr_filters=2).sample_class(tf.constant([0]), 1)


def test_mixed_precision_log_prob_stays_float32():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        half = PixelCNNPP((4, 4, 3), seed=1, nr_resnet=1, nr_filters=4, nr_logistic_mix=2)
        half.build_for()
        assert half.network.compute_dtype == "float16"
        log_p = half.log_prob(tf.constant(IMAGES[:2, :4, :4]))
        assert log_p.dtype == tf.float32 and np.all(np.isfinite(log_p.numpy()))
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_registry_builds_it_for_8_bit_and_binarized_images_and_checks_the_config():
    for binarized in (False, True):
        spec = DatasetSpec("tiny", (4, 4, 3), num_classes=0, kind="image",
                           binarized=binarized)
        built = build_model("pixelcnn_pp", spec, nr_resnet=1, nr_filters=4)
        assert isinstance(built, PixelCNNPP) and built.config.nr_logistic_mix == 10
    grey = DatasetSpec("grey", (4, 4, 1), num_classes=0, kind="image", binarized=False)
    assert build_model("pixelcnn_pp", grey, nr_logistic_mix=5).likelihood.params_width == 15
    defaults = PixelCNNPP.Config()
    assert (defaults.nr_resnet, defaults.nr_filters, defaults.nr_logistic_mix,
            defaults.dropout, defaults.lr_decay) == (5, 160, 10, 0.5, 0.999995)
    with pytest.raises(ValueError, match=r"nr_filters \(--nr_filters\) must be >= 1"):
        PixelCNNPP((4, 4, 3), nr_filters=0)
    with pytest.raises(ValueError, match="conditional=True needs num_classes"):
        PixelCNNPP((4, 4, 3), conditional=True)
    points = DatasetSpec("toy", (2,), num_classes=0, kind="points", binarized=False)
    with pytest.raises(ValueError, match="models image data"):
        build_model("pixelcnn_pp", points)
