"""Samplers on bare networks: cached == naive for a PixelVAE-style conditioned gated stack,
and the draws follow the network's distribution."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.distributions import get_likelihood
from tfgen.layers import GatedPixelCNNStack, PixelCNNStack
from tfgen.sampling import cached_sample_network, naive_sample_network


def sharpened(stack, shape, scale=4.0, **conditions):
    stack(tf.zeros((1,) + shape), **{k: v[:1] for k, v in conditions.items()})
    stack.output_conv.kernel.assign(stack.output_conv.kernel * scale)
    return stack


@pytest.mark.parametrize("channels,likelihood", [(1, "bernoulli"), (3, "categorical")])
def test_cached_equals_naive_with_per_image_condition_map_and_vector(channels, likelihood):
    """The PixelVAE decoder's use: a gated stack given per-image features of z."""
    lik = get_likelihood(likelihood)
    shape = (4, 5, channels)  # rows and columns beyond the 2-layer 3x3 stack's reach
    conditions = {"condition_map": tf.random.stateless_normal([3, 4, 5, 4], seed=[1, 1]) * 3,
                  "condition_vector": tf.random.stateless_normal([3, 2], seed=[1, 2])}
    stack = sharpened(GatedPixelCNNStack(channels * lik.params_per_channel, 2, 3 * channels,
                                         kernel_size=3, data_channels=channels), shape,
                      **conditions)
    naive = tf.function(lambda s: naive_sample_network(stack, lik, shape, 3, s, **conditions))
    cached = tf.function(lambda s: cached_sample_network(stack, lik, shape, 3, s, **conditions))
    a = cached(5).numpy()
    np.testing.assert_array_equal(a, naive(5).numpy())
    other = {"condition_map": -conditions["condition_map"],
             "condition_vector": conditions["condition_vector"]}
    b = cached_sample_network(stack, lik, shape, 3, 5, **other).numpy()  # eager also works
    assert not np.array_equal(a, b)


def test_independent_pixels_follow_the_output_bias():
    """With zero weights every pixel is Bernoulli(sigmoid(bias)): the sample mean must match."""
    lik = get_likelihood("bernoulli")
    stack = PixelCNNStack(1, 1, 4, kernel_size=3, first_kernel_size=3)
    stack(tf.zeros((1, 8, 8, 1)))
    stack.set_weights([np.zeros_like(w) for w in stack.get_weights()])
    stack.output_conv.bias.assign([1.0])  # p(on) = sigmoid(1) = 0.731
    images = tf.function(lambda: cached_sample_network(stack, lik, (8, 8, 1), 200, 0))()
    on = (images.numpy() == 255).mean()
    assert abs(on - 1 / (1 + np.exp(-1))) < 0.02, on


def test_eager_calls_trace_once_per_network_and_do_not_keep_it_alive():
    """Eager sampler calls reuse one tf.function per (network, sampler, likelihood, shape): new
    seeds (and, for the naive sampler, batch sizes) do not retrace; deleting the network empties
    the cache."""
    import gc
    import weakref

    from tfgen.sampling import protocol
    lik = get_likelihood("bernoulli")
    stack = PixelCNNStack(1, 1, 4, kernel_size=3, first_kernel_size=3)
    stack(tf.zeros((1, 4, 4, 1)))
    first = None
    for seed, batch in ((0, 2), (1, 2), (2, 3)):
        naive_sample_network(stack, lik, (4, 4, 1), batch, seed)
        cached_sample_network(stack, lik, (4, 4, 1), 2, seed, jit_compile=False)
        first = first or dict(protocol._COMPILED[stack])
    functions = protocol._COMPILED[stack]
    assert functions == first  # the same tf.function objects, not new ones per call
    assert sorted(key[0] for key in functions) == ["cached", "naive"]
    assert [f.experimental_get_tracing_count() for f in functions.values()] == [1, 1]
    owner = weakref.ref(stack)
    del stack, functions
    gc.collect()
    assert owner() is None


@pytest.mark.parametrize("sampler", [naive_sample_network, cached_sample_network])
def test_a_network_whose_width_does_not_fit_the_likelihood_is_refused(sampler):
    """A network made for a 3-component logistic sampled with a 2-component one would slice
    misaligned parameters and still draw plausible images."""
    shape = (2, 2, 1)
    stack = PixelCNNStack(3 * 3, 1, 4, kernel_size=3, first_kernel_size=3)
    stack(tf.zeros((1,) + shape))
    lik = get_likelihood("logistic", num_components=2)
    with pytest.raises(ValueError, match="outputs 9 parameters per pixel.*needs 1 channel"):
        tf.function(lambda: sampler(stack, lik, shape, 1, 0))()


def test_joint_channel_gaussian_draws_a_position_at_once_identically_in_both_samplers():
    """The latent prior's use: all channels of a position drawn together (one group)."""
    from tfgen.distributions import DiagonalGaussian
    from tfgen.layers import GatedResidualPixelCNN
    lik, shape = DiagonalGaussian(), (3, 4, 5)
    condition = {"condition_map": tf.random.stateless_normal([2, 3, 4, 6], seed=[2, 1])}
    net = GatedResidualPixelCNN(2 * 5, 1, 8, data_channels=1)
    net(tf.zeros((1,) + shape), condition_map=condition["condition_map"][:1])
    cached = tf.function(lambda s: cached_sample_network(net, lik, shape, 2, s, **condition))
    naive = tf.function(lambda s: naive_sample_network(net, lik, shape, 2, s, **condition))
    a = cached(3).numpy()
    assert a.dtype == np.float32 and a.shape == (2,) + shape
    np.testing.assert_allclose(a, naive(3).numpy(), atol=1e-5)
    assert not np.allclose(a, cached(4).numpy())


def test_joint_channel_gaussian_draws_follow_mean_and_stddev():
    """Zero weights: every latent is N(bias mean, softplus(bias raw)): check the moments."""
    from tfgen.distributions import DiagonalGaussian
    from tfgen.layers import GatedResidualPixelCNN
    net = GatedResidualPixelCNN(2 * 2, 1, 4, data_channels=1, weight_norm=False)
    net(tf.zeros((1, 4, 4, 2)))
    net.set_weights([np.zeros_like(w) for w in net.get_weights()])
    net.output_conv.bias.assign([1.5, 0.5, -2.0, -1.0])  # [mean, raw] per channel
    z = tf.function(lambda: cached_sample_network(net, DiagonalGaussian(), (4, 4, 2), 400,
                                                  0))().numpy()
    np.testing.assert_allclose(z.mean(axis=(0, 1, 2)), [1.5, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=(0, 1, 2)), np.log1p(np.exp([0.5, -1.0])), rtol=0.05)
