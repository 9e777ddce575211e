"""MaskedConv2D / MaskedRowConv2D: causality by gradients, one-position outputs, configs."""

import numpy as np
import pytest
import tensorflow as tf
from causality_helpers import assert_causal, dependency_maps, raster_index

from tfgen.layers import MaskedConv2D, MaskedRowConv2D, shift_down, shift_right


@pytest.mark.parametrize("channels", [1, 3])
def test_mask_a_layer_reading_the_image_is_strictly_causal(channels):
    layer = MaskedConv2D(channels * 2, 5, "A", data_channels=channels)
    assert_causal(dependency_maps(layer, (5, 5, channels), 2))


def test_mask_b_sees_its_own_and_earlier_colours_at_the_centre_only():
    layer = MaskedConv2D(3, 3, "B", data_channels=3)  # one output channel per colour
    maps = dependency_maps(layer, (4, 4, 3), 1)
    i = raster_index(2, 1, 1, 4, 3)  # output G at (2, 1)
    centre = maps[i, 2, 1]
    assert centre[0] > 0 and centre[1] > 0 and centre[2] == 0  # sees R, G; not B
    assert np.all(maps[i, 2, 2:] == 0) and np.all(maps[i, 3:] == 0)  # nothing right / below
    assert maps[i, 1, 2].all()  # the row above, right of the centre, is open


def test_pixel_output_equals_the_full_convolution():
    layer = MaskedConv2D(4, 5, "B", data_channels=1, activation="tanh")
    x = tf.random.stateless_normal([2, 6, 7, 1], seed=[1, 2])
    full = layer(x).numpy()
    p, (r, c) = 2, (4, 1)
    padded = tf.pad(x, [[0, 0], [p, 0], [p, p], [0, 0]])
    rows_above = padded[:, r:r + p]  # padded rows r-p .. r-1, all columns
    context = layer.row_context(rows_above)
    window = padded[:, r + p, c:c + p + 1]  # current row, columns c-p .. c
    np.testing.assert_allclose(layer.pixel_output(window, context[:, c]).numpy(),
                               full[:, r, c], atol=1e-6)


def test_row_conv_sees_only_the_current_row_to_the_left():
    layer = MaskedRowConv2D(3, 5, "A", data_channels=3)
    maps = dependency_maps(layer, (3, 5, 3), 1)
    assert_causal(maps)
    i = raster_index(1, 3, 2, 5, 3)  # output B at (1, 3)
    assert np.all(maps[i, 0] == 0) and maps[i, 1, 1:3].all()  # columns 1, 2 (p = 2)
    assert maps[i, 1, 3, :2].all() and maps[i, 1, 3, 2] == 0  # R, G of the pixel itself


def test_shifts():
    x = tf.reshape(tf.range(1, 7, dtype=tf.float32), [1, 2, 3, 1])
    np.testing.assert_array_equal(shift_down(x)[0, :, :, 0], [[0, 0, 0], [1, 2, 3]])
    np.testing.assert_array_equal(shift_right(x)[0, :, :, 0], [[0, 1, 2], [0, 4, 5]])


@pytest.mark.parametrize("cls,args", [(MaskedConv2D, (6, 3, "A", 3)),
                                      (MaskedRowConv2D, (6, 3, "B", 3))])
def test_config_round_trip_rebuilds_the_same_layer(cls, args):
    layer = cls(*args, output_group_splits=2)
    x = tf.random.stateless_normal([1, 4, 4, 3], seed=[0, 0])
    y = layer(x)
    clone = cls.from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy())
    assert clone.get_config() == layer.get_config()


def test_errors_name_the_valid_choices():
    with pytest.raises(ValueError, match="odd"):
        MaskedConv2D(4, 2, "A")
    with pytest.raises(ValueError, match="mask_type"):
        MaskedConv2D(4, 3, "b")
