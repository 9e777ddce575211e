"""PixelCNN++'s shifted convolutions and gated ResNet block: exact receptive fields (by
Jacobians), shapes, weight norm, dropout with stateless seeds, get_config round trips."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.layers import (
    DownRightShiftedConv2D,
    DownRightShiftedConv2DTranspose,
    DownShiftedConv2D,
    DownShiftedConv2DTranspose,
    GatedResnet,
    concat_elu,
    down_shift,
    right_shift,
)


def dependence(layer, in_hw, out_index, channels=2):
    """bool ``[h, w]``: which input positions output position ``out_index`` depends on."""
    x = tf.random.stateless_normal([1, *in_hw, channels], seed=[1, 2])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        target = tf.reduce_sum(y[0, out_index[0], out_index[1]] ** 2)
    grad = tape.gradient(target, x)[0].numpy()
    return np.abs(grad).sum(-1) > 0


def expected(in_hw, rows, cols):
    mask = np.zeros(in_hw, bool)
    for r in rows:
        for c in cols:
            if 0 <= r < in_hw[0] and 0 <= c < in_hw[1]:
                mask[r, c] = True
    return mask


def test_shifts_move_the_map_and_fill_zeros():
    x = tf.reshape(tf.range(1.0, 7.0), [1, 2, 3, 1])
    np.testing.assert_array_equal(down_shift(x)[0, :, :, 0], [[0, 0, 0], [1, 2, 3]])
    np.testing.assert_array_equal(right_shift(x)[0, :, :, 0], [[0, 1, 2], [0, 4, 5]])
    np.testing.assert_allclose(concat_elu(tf.constant([[1.0, -1.0]])),
                               [[1.0, np.expm1(-1.0), np.expm1(-1.0), 1.0]], rtol=1e-6)


@pytest.mark.parametrize("r,c", [(0, 0), (3, 2), (5, 5)])
def test_down_shifted_conv_sees_the_row_above_and_its_own_row_three_wide(r, c):
    layer = DownShiftedConv2D(3)
    np.testing.assert_array_equal(dependence(layer, (6, 6), (r, c)),
                                  expected((6, 6), [r - 1, r], [c - 1, c, c + 1]))


@pytest.mark.parametrize("r,c", [(0, 0), (3, 2), (5, 5)])
def test_down_right_shifted_conv_sees_above_and_left(r, c):
    layer = DownRightShiftedConv2D(3)
    np.testing.assert_array_equal(dependence(layer, (6, 6), (r, c)),
                                  expected((6, 6), [r - 1, r], [c - 1, c]))


@pytest.mark.parametrize("r,c", [(0, 0), (2, 3), (3, 1)])
def test_stride_two_convs_halve_and_stay_causal(r, c):
    down = DownShiftedConv2D(3, strides=2)
    assert down(tf.zeros([1, 8, 8, 2])).shape == (1, 4, 4, 3)
    assert down(tf.zeros([1, 7, 5, 2])).shape == (1, 4, 3, 3)  # rounds up
    np.testing.assert_array_equal(dependence(down, (8, 8), (r, c)),
                                  expected((8, 8), [2 * r - 1, 2 * r], [2 * c - 1, 2 * c,
                                                                        2 * c + 1]))
    right = DownRightShiftedConv2D(3, strides=2)
    np.testing.assert_array_equal(dependence(right, (8, 8), (r, c)),
                                  expected((8, 8), [2 * r - 1, 2 * r], [2 * c - 1, 2 * c]))


@pytest.mark.parametrize("r,c", [(0, 0), (3, 4), (7, 7), (6, 1)])
def test_transposed_convs_double_and_stay_causal(r, c):
    up = DownShiftedConv2DTranspose(3, strides=2)
    assert up(tf.zeros([1, 4, 3, 2])).shape == (1, 8, 6, 3)
    # output (r, c) takes input row r // 2 and the columns j with 2j - 1 <= c <= 2j + 1
    np.testing.assert_array_equal(
        dependence(up, (4, 4), (r, c)),
        expected((4, 4), [r // 2], [j for j in range(4) if 2 * j - 1 <= c <= 2 * j + 1]))
    up_right = DownRightShiftedConv2DTranspose(3, strides=2)
    np.testing.assert_array_equal(dependence(up_right, (4, 4), (r, c)),
                                  expected((4, 4), [r // 2], [c // 2]))


@pytest.mark.parametrize("cls", [DownShiftedConv2D, DownShiftedConv2DTranspose])
def test_weight_norm_makes_the_output_independent_of_the_kernel_norm(cls):
    layer = cls(4, strides=2, weight_norm=True)
    x = tf.random.stateless_normal([2, 4, 4, 3], seed=[3, 4])
    before = layer(x).numpy()
    layer.kernel.assign(layer.kernel * 7.0)
    np.testing.assert_allclose(layer(x).numpy(), before, rtol=1e-5, atol=1e-6)
    layer.scale.assign(layer.scale * 2.0)
    np.testing.assert_allclose(layer(x).numpy() - layer.bias.numpy(),
                               2.0 * (before - layer.bias.numpy()), rtol=1e-5, atol=1e-6)


def test_odd_kernel_width_required_for_the_centred_conv():
    with pytest.raises(ValueError, match="odd kernel width"):
        DownShiftedConv2D(3, (2, 2))


def _block(**kwargs):
    block = GatedResnet(4, **{"kind": "down_right", "aux": True, "conditional": True,
                              "dropout": 0.5, **kwargs})
    x = tf.random.stateless_normal([2, 4, 4, 4], seed=[1, 1])
    aux = tf.random.stateless_normal([2, 4, 4, 6], seed=[2, 2])
    cond = tf.one_hot([0, 2], 3)
    return block, x, aux, cond


def test_gated_resnet_keeps_shape_and_uses_aux_and_condition():
    block, x, aux, cond = _block()
    out = block(x, aux=aux, condition=cond)
    assert out.shape == x.shape
    assert not np.allclose(out, block(x, aux=aux * 2.0, condition=cond))
    assert not np.allclose(out, block(x, aux=aux, condition=tf.one_hot([1, 1], 3)))
    with pytest.raises(ValueError, match="aux=True"):
        block(x, condition=cond)
    with pytest.raises(ValueError, match="conditional=True"):
        block(x, aux=aux)


def test_gated_resnet_dropout_is_seeded_and_training_only():
    block, x, aux, cond = _block()
    test = block(x, aux=aux, condition=cond).numpy()
    np.testing.assert_array_equal(block(x, aux=aux, condition=cond, training=False), test)
    a = block(x, aux=aux, condition=cond, training=True, seed=tf.constant([5, 6])).numpy()
    b = block(x, aux=aux, condition=cond, training=True, seed=tf.constant([5, 6])).numpy()
    c = block(x, aux=aux, condition=cond, training=True, seed=tf.constant([5, 7])).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, test)
    with pytest.raises(ValueError, match="stateless seed"):
        block(x, aux=aux, condition=cond, training=True)


def test_gated_resnet_keeps_the_causality_of_its_conv():
    block = GatedResnet(2, kind="down")  # down-shifted: output (r, c) sees rows <= r
    x = tf.random.stateless_normal([1, 6, 6, 2], seed=[4, 4])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(block(x)[0, 2, 3] ** 2)
    seen = np.abs(tape.gradient(y, x)[0].numpy()).sum(-1) > 0
    assert not seen[3:].any() and seen[:3].any()  # no row below


@pytest.mark.parametrize("layer", [
    DownShiftedConv2D(3, (2, 3), 2, weight_norm=True, scale_init=0.1),
    DownRightShiftedConv2DTranspose(5, strides=2),
    GatedResnet(4, kind="down_right", aux=True, conditional=True, dropout=0.3,
                weight_norm=True),
], ids=lambda layer: type(layer).__name__)
def test_get_config_round_trips(layer):
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.get_config() == config
