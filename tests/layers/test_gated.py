"""GatedPixelCNNBlock: the vertical stack never sees the current row, conditions, config."""

import numpy as np
import pytest
import tensorflow as tf
from causality_helpers import assert_causal, dependency_maps

from tfgen.layers import GatedPixelCNNBlock


@pytest.mark.parametrize("channels", [1, 3])
def test_first_block_is_strictly_causal_in_both_outputs(channels):
    block = GatedPixelCNNBlock(channels * 2, 3, first=True, data_channels=channels)

    def horizontal(x):
        return block(x, x)[1]

    assert_causal(dependency_maps(horizontal, (4, 5, channels), 2))

    def vertical(x):  # one "parameter" per colour: every colour group sees only rows above
        v = block(x, x)[0]
        return tf.repeat(tf.reduce_sum(v, -1, keepdims=True), channels, -1)

    maps = dependency_maps(vertical, (4, 5, channels), 1)
    for r in range(4):
        i = r * 5 * channels  # output (r, 0, R)
        assert np.all(maps[i:i + 5 * channels, r:] == 0), f"vertical row {r} sees row >= {r}"


def test_later_block_has_a_residual_horizontal_stack():
    block = GatedPixelCNNBlock(4, 3, first=False)
    v = tf.random.stateless_normal([2, 4, 4, 4], seed=[0, 1])
    h = tf.random.stateless_normal([2, 4, 4, 4], seed=[0, 2])
    _, out = block(v, h)
    no_res = GatedPixelCNNBlock(4, 3, residual=False)
    no_res(v, h)
    no_res.set_weights(block.get_weights())
    np.testing.assert_allclose((out - no_res(v, h)[1]).numpy(), h.numpy(), atol=1e-6)


def test_conditions_shift_both_stacks():
    block = GatedPixelCNNBlock(4, 3, first=True)
    x = tf.random.stateless_normal([2, 4, 4, 1], seed=[0, 1])
    base_v, base_h = block(x, x)
    vec = tf.one_hot([0, 1], 3)
    cmap = tf.random.stateless_normal([2, 4, 4, 5], seed=[0, 3])
    v, h = block(x, x, condition_vector=vec, condition_map=cmap)
    assert v.shape == base_v.shape and h.shape == base_h.shape
    assert not np.allclose(v, base_v) and not np.allclose(h, base_h)
    names = {w.path.split("/")[-2] for w in block.weights}
    assert {"condition_vector", "condition_map"} <= names


def test_config_round_trip():
    block = GatedPixelCNNBlock(6, 5, first=True, data_channels=3, residual=False, name="b")
    config = block.get_config()
    clone = GatedPixelCNNBlock.from_config(config)
    assert clone.get_config() == config
    x = tf.random.stateless_normal([1, 5, 5, 3], seed=[4, 4])
    out = block(x, x)
    clone(x, x)
    clone.set_weights(block.get_weights())
    for a, b in zip(out, clone(x, x)):
        np.testing.assert_allclose(a.numpy(), b.numpy())
