"""AutoregressiveConvNet: output i of each map depends on z only through flat indices j < i (the
row-major order of the latent map), on some j < i indeed, and on the context freely."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.layers import AutoregressiveConvNet


def _jacobians(net, shape, context_channels=3, batch=2, seed=0):
    """[(d out_k / d z) per output map k], each float64 ``[batch, D, D]`` (flat row-major), and
    the gradient of the summed outputs w.r.t. the context."""
    size = int(np.prod(shape))
    z = tf.random.stateless_normal([batch, size], seed=[seed, 0])
    context = tf.random.stateless_normal([batch, *shape[:2], context_channels], seed=[seed, 1])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([z, context])
        outs = net(tf.reshape(z, [batch, *shape]), context)
        flat = [tf.reshape(o, [batch, size]) for o in outs]
        total = tf.add_n([tf.reduce_sum(f) for f in flat])
    jacobians = [tape.batch_jacobian(f, z).numpy().astype(np.float64) for f in flat]
    return jacobians, tape.gradient(total, context).numpy()


@pytest.mark.parametrize("shape,kernel_size,hidden_layers", [
    ((1, 3, 2), 3, 2),  # the 6-dim latent of the flow tests
    ((2, 2, 3), 3, 1),  # rows: the row above is "earlier"
    ((3, 2, 2), 5, 3),
])
def test_outputs_depend_only_on_earlier_latents(shape, kernel_size, hidden_layers):
    net = AutoregressiveConvNet(8, hidden_layers, kernel_size, num_outputs=2, output_scale=0.5)
    jacobians, _ = _jacobians(net, shape)
    size = int(np.prod(shape))
    later_or_same = np.triu(np.ones((size, size), bool))  # [i, j] with j >= i
    for jac in jacobians:
        assert np.all(jac[:, later_or_same] == 0.0), np.argwhere(jac[0] * later_or_same)
        # ... and every output but the first sees some earlier latent.
        for i in range(1, size):
            assert np.abs(jac[:, i, :i]).max() > 0, i


def test_kernel_size_one_is_autoregressive_over_channels_only():
    shape = (2, 2, 3)
    net = AutoregressiveConvNet(6, 2, kernel_size=1, output_scale=0.5)
    jacobians, _ = _jacobians(net, shape)
    channels = shape[-1]
    position = np.arange(np.prod(shape)) // channels
    other_position = position[:, None] != position[None, :]
    for jac in jacobians:
        assert np.all(jac[:, other_position] == 0.0)
        assert np.all(jac[:, np.triu(np.ones_like(other_position))] == 0.0)
        assert np.abs(jac[:, 1, 0]).max() > 0  # channel 1 sees channel 0 of its position


def test_the_first_output_depends_on_the_context_only_and_the_context_matters():
    net = AutoregressiveConvNet(4, 2, 3, output_scale=0.5)
    jacobians, context_grad = _jacobians(net, (1, 3, 2))
    assert all(np.all(jac[:, 0] == 0.0) for jac in jacobians)
    assert np.abs(context_grad).max() > 0
    # ... and a change of the context changes the first output.
    z = tf.zeros([1, 1, 3, 2])
    first = [o.numpy()[0, 0, 0, 0] for o in net(z, tf.zeros([1, 1, 3, 3]))]
    second = [o.numpy()[0, 0, 0, 0] for o in net(z, tf.ones([1, 1, 3, 3]))]
    assert first != second


def test_outputs_are_one_map_per_output_with_the_latent_shape():
    net = AutoregressiveConvNet(4, 1, 3, num_outputs=3)
    outs = net(tf.zeros([5, 2, 3, 4]), tf.zeros([5, 2, 3, 1]))
    assert len(outs) == 3 and all(o.shape == (5, 2, 3, 4) for o in outs)
    assert len(net.trainable_weights) == 2 + 1 + 2  # masked0 kernel/bias, context, output


@pytest.mark.parametrize("kwargs,message", [
    (dict(hidden_filters=2), "hidden_filters .2. must be >= the latent channels .4."),
    (dict(hidden_filters=8, hidden_layers=0), "hidden_layers must be >= 1"),
    (dict(hidden_filters=8, kernel_size=2), "kernel_size must be a positive odd number"),
])
def test_bad_settings_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AutoregressiveConvNet(**kwargs)(tf.zeros([1, 2, 2, 4]), tf.zeros([1, 2, 2, 1]))


def test_config_round_trip():
    net = AutoregressiveConvNet(8, 3, 5, num_outputs=2, output_scale=0.1, name="ar")
    clone = AutoregressiveConvNet.from_config(net.get_config())
    assert clone.get_config() == net.get_config()
