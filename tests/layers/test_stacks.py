"""Whole PixelCNN stacks: causality, the blind spot, and incremental == full computation."""

import numpy as np
import pytest
import tensorflow as tf
from causality_helpers import assert_causal, dependency_maps, earlier_pixels_missed

from tfgen.layers import GatedPixelCNNStack, PixelCNNStack


def small_stack(kind, channels, params=2, **kw):
    if kind == "gated":
        return GatedPixelCNNStack(channels * params, 2, channels * 2, kernel_size=3,
                                  first_kernel_size=3, data_channels=channels, **kw)
    return PixelCNNStack(channels * params, 2, channels * 4, kernel_size=3,
                         first_kernel_size=3, data_channels=channels, **kw)


@pytest.mark.parametrize("kind", ["gated", "plain"])
@pytest.mark.parametrize("channels", [1, 3])
def test_outputs_never_depend_on_the_current_or_later_positions(kind, channels):
    assert_causal(dependency_maps(small_stack(kind, channels), (4, 4, channels), 2))


def test_gated_stack_has_no_blind_spot_but_plain_stack_of_same_depth_does():
    shape, target = (8, 8, 1), (7, 2)
    gated = GatedPixelCNNStack(1, 3, 8, kernel_size=5, first_kernel_size=7)  # 7x7, 5x5, 5x5
    plain = PixelCNNStack(1, 2, 8, kernel_size=5, first_kernel_size=7)  # 7x7, 5x5, 5x5
    gated_maps = dependency_maps(gated, shape, 1, repeats=2)
    plain_maps = dependency_maps(plain, shape, 1, repeats=2)
    assert_causal(gated_maps)
    assert_causal(plain_maps)
    assert earlier_pixels_missed(gated_maps, *target, 1) == []
    # Up and to the right of a masked stack's receptive field: the blind spot.
    assert earlier_pixels_missed(plain_maps, *target, 1) == [(6, 6, 0), (6, 7, 0)]


def teacher_forced_incremental(stack, x, **conditions):
    """Run begin_row/pixel over every position with the true inputs -> ``[B, H, W, out]``."""
    batch, height, width, _ = x.shape
    state = stack.start(batch, height, width, **conditions)
    assert set(state) == {"const", "row", "pixel"}
    rows = []
    for r in range(height):
        state = stack.begin_row(state, r)
        row = []
        for c in range(width):
            params, state = stack.pixel(state, r, c, x[:, r, c])
            row.append(params)
        rows.append(tf.stack(row, 1))
    return tf.stack(rows, 1).numpy()


@pytest.mark.parametrize("kind", ["gated", "plain"])
@pytest.mark.parametrize("channels", [1, 3])
def test_incremental_computation_equals_the_full_network(kind, channels):
    stack = small_stack(kind, channels, params=3)
    x = tf.random.stateless_normal([2, 4, 5, channels], seed=[channels, 0])
    conditions = {"condition_vector": tf.one_hot([1, 2], 3),
                  "condition_map": tf.random.stateless_normal([2, 4, 5, 2], seed=[9, 9])}
    full = stack(x, **conditions).numpy()
    np.testing.assert_allclose(teacher_forced_incremental(stack, x, **conditions), full,
                               atol=1e-5)
    unconditional = stack(x).numpy()
    assert not np.allclose(unconditional, full)
    np.testing.assert_allclose(teacher_forced_incremental(stack, x), unconditional, atol=1e-5)


@pytest.mark.parametrize("kind", ["gated", "plain"])
def test_stack_config_round_trip(kind):
    stack = small_stack(kind, 3)
    config = stack.get_config()
    clone = type(stack).from_config(config)
    assert clone.get_config() == config
    x = tf.random.stateless_normal([1, 4, 4, 3], seed=[0, 5])
    y = stack(x)
    clone(x)
    clone.set_weights(stack.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy())
