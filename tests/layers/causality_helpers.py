"""Gradient-based dependency checks for autoregressive networks (shared by layer/model tests)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def raster_index(row, col, channel, width, channels):
    return (row * width + col) * channels + channel


def dependency_maps(fn, shape, params_per_channel: int, seed: int = 0, repeats: int = 1):
    """For every output position ``i = (r, c, g)`` (raster order, channel innermost), the summed
    absolute gradient of its parameters with respect to the input.

    ``fn``: float ``[N, H, W, C]`` -> ``[N, H, W, C * P]``. Every position gets its own batch row
    with its own random input (the network has no cross-batch interaction), so one backward pass
    gives all maps. Returns float64 ``[H*W*C, H, W, C]``.
    """
    height, width, channels = shape
    n = height * width * channels
    total = np.zeros((n, height, width, channels))
    select = np.zeros((n, height, width, channels * params_per_channel), np.float32)
    for r in range(height):
        for c in range(width):
            for g in range(channels):
                i = raster_index(r, c, g, width, channels)
                select[i, r, c, g * params_per_channel:(g + 1) * params_per_channel] = 1.0
    for rep in range(repeats):
        x = tf.random.stateless_normal([n, height, width, channels], seed=[seed, rep])
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = fn(x)
            # Random weights per parameter so the sum cannot cancel by symmetry.
            weights = tf.random.stateless_normal(out.shape, seed=[seed + 1, rep])
            loss = tf.reduce_sum(out * select * weights)
        total += np.abs(tape.gradient(loss, x).numpy())
    return total


def assert_causal(maps):
    """No output may depend on its own or a later input position."""
    n, height, width, channels = maps.shape
    flat = maps.reshape(n, -1)  # input positions in raster order, channel innermost
    later = np.triu(np.ones((n, n), bool))  # [i, j]: j >= i
    leaks = np.argwhere((flat != 0) & later)
    assert leaks.size == 0, (f"{len(leaks)} leaks, e.g. outputs {leaks[:5, 0]} <- inputs "
                             f"{leaks[:5, 1]} (raster indices)")


def earlier_pixels_missed(maps, row, col, channels):
    """Input positions strictly before ``(row, col, 0)`` the output there does not depend on."""
    _, height, width, _ = maps.shape
    i = raster_index(row, col, 0, width, channels)
    flat = maps[i].reshape(-1)
    return [divmod(j // channels, width) + (j % channels,) for j in range(i) if flat[j] == 0]
