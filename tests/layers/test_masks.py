"""Masks: the raster order (row, column, colour) is encoded exactly."""

import numpy as np
import pytest

from tfgen.layers import causal_mask, centre_mask, channel_groups


def test_channel_groups_are_contiguous_and_repeat_per_chunk():
    np.testing.assert_array_equal(channel_groups(6, 3), [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(channel_groups(3, 3), [0, 1, 2])
    np.testing.assert_array_equal(channel_groups(12, 3, splits=2), [0, 0, 1, 1, 2, 2] * 2)
    np.testing.assert_array_equal(channel_groups(768, 3)[[0, 255, 256, 511, 512]], [0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match="at least data_channels=3"):
        channel_groups(2, 3)


def test_centre_masks_follow_rgb_order():
    rgb = np.arange(3)
    np.testing.assert_array_equal(centre_mask(rgb, rgb, "A"),
                                  [[0, 1, 1], [0, 0, 1], [0, 0, 0]])  # [in, out]
    np.testing.assert_array_equal(centre_mask(rgb, rgb, "B"),
                                  [[1, 1, 1], [0, 1, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"\['A', 'B'\]"):
        centre_mask(rgb, rgb, "C")


def test_spatial_mask_opens_rows_above_and_left_only():
    m = causal_mask(5, np.zeros(1, int), np.zeros(1, int), "A")[..., 0, 0]
    expected = np.array([[1, 1, 1, 1, 1],
                         [1, 1, 1, 1, 1],
                         [1, 1, 0, 0, 0],
                         [0, 0, 0, 0, 0],
                         [0, 0, 0, 0, 0]])
    np.testing.assert_array_equal(m, expected)
    m = causal_mask(5, np.zeros(1, int), np.zeros(1, int), "B")[..., 0, 0]
    expected[2, 2] = 1
    np.testing.assert_array_equal(m, expected)
    with pytest.raises(ValueError, match="odd"):
        causal_mask(4, np.zeros(1, int), np.zeros(1, int), "B")
