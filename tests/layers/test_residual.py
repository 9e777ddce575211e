"""ResidualBlock / SubpixelConv2D shapes; weight-normalized masked convs keep their mask; the gated
masked residual PixelCNN is causal over RGB pixels and over latent positions."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from causality_helpers import assert_causal, dependency_maps, raster_index

from tfgen.layers import GatedResidualPixelCNN, MaskedConv2D, ResidualBlock, SubpixelConv2D


@pytest.mark.parametrize("resample,size,expected", [(None, 7, 7), ("down", 7, 4),
                                                    ("down", 8, 4), ("up", 3, 6)])
def test_residual_block_resamples(resample, size, expected):
    block = ResidualBlock(5, resample, batch_norm=resample != "up")
    out = block(tf.random.stateless_normal([2, size, size, 3], [0, 1]), training=True)
    assert out.shape == (2, expected, expected, 5)
    assert block.shortcut is not None and (block.norm is None) == (resample == "up")


def test_residual_block_keeps_an_identity_shortcut_and_rejects_unknown_resampling():
    block = ResidualBlock(3)
    x = tf.random.stateless_normal([1, 4, 4, 3], [0, 2])
    block(x)
    assert block.shortcut is None
    with pytest.raises(ValueError, match=r"valid names: \['down', 'up'\]"):
        ResidualBlock(3, "upsample")


def test_subpixel_conv_doubles_the_map():
    assert SubpixelConv2D(4, 3)(tf.zeros([1, 3, 5, 2])).shape == (1, 6, 10, 4)


@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_weight_normalized_masked_conv_keeps_its_mask(mask_type):
    layer = MaskedConv2D(6, 5, mask_type, data_channels=3, weight_norm=True,
                         scale_initializer=keras.initializers.Constant(2.0))
    maps = dependency_maps(layer, (4, 4, 3), 2)
    if mask_type == "A":
        assert_causal(maps)
    kernel = layer.masked_kernel().numpy()
    mask = layer.mask[:layer.pad + 1]
    assert np.all(kernel[mask == 0] == 0)
    norms = np.sqrt((kernel ** 2).sum(axis=(0, 1, 2)))
    open_channels = mask.sum(axis=(0, 1, 2)) > 0
    np.testing.assert_allclose(norms[open_channels], 2.0, rtol=1e-5)
    layer.kernel.assign(layer.kernel * 7.0)  # the direction, not the scale, is learned there
    np.testing.assert_allclose(layer.masked_kernel().numpy(), kernel, rtol=1e-5, atol=1e-7)


def test_gated_residual_pixelcnn_is_causal_over_rgb_pixels():
    embedding = 2
    net = GatedResidualPixelCNN(3 * 2, 2, 6, data_channels=3, embedding_dim=embedding)
    cond = tf.random.stateless_normal([1, 4, 4, 3], [5, 5])
    net(tf.zeros([1, 4, 4, 3]), condition_map=cond)
    n = 4 * 4 * 3

    def fn(x):  # a differentiable stand-in for the embedding with the same channel groups
        return net.from_embedded(tf.repeat(x, embedding, axis=-1), tf.tile(cond, [n, 1, 1, 1]))

    maps = dependency_maps(fn, (4, 4, 3), 2)
    assert_causal(maps)
    for channel in range(3):
        i = raster_index(2, 2, channel, 4, 3)
        assert maps[i, 2, 2, :channel].all() and maps[i, 2, 1].all() and maps[i, 1, 2].all()


def test_gated_residual_pixelcnn_over_latents_masks_positions_not_channels():
    net = GatedResidualPixelCNN(2 * 4, 1, 8, data_channels=1)
    z = tf.random.stateless_normal([1, 3, 3, 4], [1, 1])
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = net(z)[0, 1, 1]  # position 4 in raster order
    grad = np.abs(tape.gradient(out, z).numpy()[0]).sum(-1).reshape(-1)  # per position
    assert np.all(grad[4:] == 0) and np.all(grad[:4] > 0)
