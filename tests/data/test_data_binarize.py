"""Dynamic binarization (frozen for eval, redrawn per epoch for training) and pixel transforms."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfgen.data as data
from data_helpers import collect
from tfgen.data import transforms

N = 40


@pytest.fixture
def grey_npz(write_npz):
    """N grey 12x12 images with mid-range values; label i = index i (to align epochs)."""
    x = np.random.default_rng(0).integers(30, 226, size=(N, 12, 12), dtype=np.uint8)
    return f"npz:{write_npz(x=x, y=np.arange(N))}", x


def _by_label(images, labels):
    return images[np.argsort(labels)]


def test_eval_binarization_is_frozen(grey_npz):
    name, _ = grey_npz
    for split in ("validation", "test"):
        a, la = collect(data.load(name, split, binarize=True, seed=7)[0])
        ds, spec = data.load(name, split, binarize=True, seed=7)
        b, lb = collect(ds)
        c, _ = collect(ds)  # iterate the same dataset again
        assert spec.binarized and set(np.unique(a)) <= {0, 255} and len(a) > 0
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
        d, _ = collect(data.load(name, split, binarize=True, seed=8)[0])
        assert not np.array_equal(a, d)


def test_binarization_is_bernoulli_of_intensity():
    grey = tf.fill([200, 50, 50, 1], tf.constant(64, tf.uint8))
    out = transforms.binarize(grey, seed=3).numpy()
    assert set(np.unique(out)) == {0, 255}
    assert abs((out == 255).mean() - 64 / 255) < 0.01
    edge = transforms.binarize(tf.constant([0, 255], tf.uint8), seed=1).numpy()
    np.testing.assert_array_equal(edge, [0, 255])  # 0 and 255 are deterministic


def test_training_binarization_fresh_per_epoch_and_deterministic(grey_npz):
    name, x = grey_npz

    def two_epochs(seed, pipeline_seed=0):
        ds, _ = data.load(name, "train", binarize=True, seed=seed, validation_fraction=0.0)
        n = int(ds.cardinality()) if int(ds.cardinality()) > 0 else None
        epochs = list(data.make_pipeline(ds, n, training=True, seed=pipeline_seed).take(2))
        return [_by_label(e[0].numpy(), e[1].numpy()) for e in epochs], n

    (e1, e2), n = two_epochs(seed=1)
    assert set(np.unique(e1)) <= {0, 255}
    assert not np.array_equal(e1, e2)  # fresh draw per epoch (cache holds grey images)
    mean_p = x.astype(np.float64).mean() / 255  # draws follow the grey intensities
    assert abs((e1 == 255).mean() - mean_p) < 0.03 and abs((e2 == 255).mean() - mean_p) < 0.03
    (f1, f2), _ = two_epochs(seed=1)
    np.testing.assert_array_equal(e1, f1)  # deterministic given the seeds
    np.testing.assert_array_equal(e2, f2)
    (g1, _), _ = two_epochs(seed=2)
    assert not np.array_equal(e1, g1)
    (h1, _), _ = two_epochs(seed=1, pipeline_seed=5)
    assert not np.array_equal(e1, h1)


def test_bare_training_split_redraws_each_iteration(grey_npz):
    name, _ = grey_npz
    ds, spec = data.load(name, "train", binarize=True, seed=3)
    assert spec.binarized
    a, b = collect(ds)[0], collect(ds)[0]
    assert set(np.unique(a)) <= {0, 255} and not np.array_equal(a, b)
    again, _ = data.load(name, "train", binarize=True, seed=3)
    np.testing.assert_array_equal(collect(again)[0], a)  # same sequence of draws given seed


def test_training_redraw_without_repeat(grey_npz):
    name, _ = grey_npz
    ds, _ = data.load(name, "train", binarize=True, validation_fraction=0.0)
    pipe = data.make_pipeline(ds, 8, training=True, repeat=False, shuffle_buffer=1)
    a = np.concatenate([b[0].numpy() for b in pipe])
    b = np.concatenate([b[0].numpy() for b in pipe])
    assert a.shape[0] == b.shape[0] > 0 and not np.array_equal(a, b)


def test_binarized_fashion_mnist_is_binary(fashion_dir, empty_tfds_dir):
    ds, spec = data.load("binarized_fashion_mnist", "test", data_dir=empty_tfds_dir)
    assert spec.binarized and spec.shape == (28, 28, 1)
    images, _ = next(iter(ds.batch(500)))
    assert set(np.unique(images.numpy())) == {0, 255}


def test_binarize_refused_for_colour(write_npz):
    path = write_npz(x=np.zeros([4, 5, 5, 3], np.uint8))
    with pytest.raises(ValueError, match="greyscale"):
        data.load(f"npz:{path}", binarize=True)
    with pytest.raises(ValueError, match="greyscale"):
        data.get_spec("cifar10", binarize=True)


def test_scale_to_unit_and_dequantize():
    x = tf.constant([[0, 1, 127, 128, 254, 255]], tf.uint8)
    np.testing.assert_allclose(transforms.scale_to_unit(x).numpy()[0, [0, -1]], [-1.0, 1.0])
    assert transforms.scale_to_unit(x).dtype == tf.float32
    big = tf.cast(tf.tile(tf.range(256)[None], [400, 1]), tf.uint8)
    d = transforms.dequantize(big, seed=4).numpy()
    assert d.dtype == np.float32 and d.min() >= 0.0 and d.max() < 1.0
    np.testing.assert_array_equal(np.floor(d * 256).astype(int), big.numpy())  # in its bin
    np.testing.assert_allclose((d * 256 - big.numpy()).mean(), 0.5, atol=0.01)
    np.testing.assert_array_equal(d, transforms.dequantize(big, seed=4).numpy())
    assert not np.array_equal(d, transforms.dequantize(big, seed=5).numpy())


@pytest.mark.parametrize("shape, size", [((10, 30, 1), 4), ((30, 10, 3), 7), ((9, 9, 1), 9)])
def test_center_crop_resize(shape, size):
    image = np.zeros(shape, np.uint8)
    h, w, _ = shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    image[top:top + side, left:left + side] = 180  # only the center square is non-zero
    out = transforms.center_crop_resize(tf.constant(image), size)
    assert out.shape == (size, size, shape[2]) and out.dtype == tf.uint8
    assert np.all(out.numpy() == 180)
    ramp = np.tile(np.arange(0, 256, 8, dtype=np.uint8)[None, :, None], [32, 1, 1])  # 32x32
    small = transforms.center_crop_resize(tf.constant(ramp), 8).numpy()[0, :, 0].astype(int)
    assert np.all(np.diff(small) > 0)  # geometry preserved: still increasing left to right


def test_unit_scaling_round_trips_every_uint8_value():
    x = tf.cast(tf.range(256), tf.uint8)
    unit = transforms.scale_to_unit(x)
    assert float(tf.reduce_min(unit)) == -1.0 and float(tf.reduce_max(unit)) == 1.0
    np.testing.assert_array_equal(transforms.scale_to_uint8(unit).numpy(), x.numpy())
    out_of_range = transforms.scale_to_uint8(tf.constant([-2.0, 1.5, -1.0 + 0.4 / 127.5]))
    np.testing.assert_array_equal(out_of_range.numpy(), [0, 255, 0])  # clipped, rounded
    assert out_of_range.dtype == tf.uint8


def test_white_is_always_white_and_black_always_black():
    """p = x / 255 exactly: a pixel of 255 never binarizes to 0 (a /256 would, 1 in 256)."""
    for value in (0, 255):
        out = transforms.binarize(tf.fill([100_000], tf.constant(value, tf.uint8)), seed=7)
        assert np.all(out.numpy() == value)


def test_perturbation_replaces_at_rate_mu_with_uniform_values():
    """Each subpixel is replaced with probability mu by a value uniform on {0, ..., 255}."""
    mu, n, value = 0.3, 200_000, 100
    out = transforms.perturb_pixels(tf.fill([n], tf.constant(value, tf.uint8)), mu, 11).numpy()
    changed = out[out != value].astype(np.int64)
    # A replacement draws the old value again with probability 1/256; binomial sd ~0.001.
    assert abs(changed.size / n - mu * 255 / 256) < 0.005
    counts = np.bincount(changed, minlength=256)
    assert counts[value] == 0 and np.all(np.delete(counts, value) > 0)  # 0 and 255 included
    assert abs(changed.mean() - (255 * 256 / 2 - value) / 255) < 1.0
