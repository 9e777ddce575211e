"""The IAF bijectors: log-determinants against autodiff Jacobians, inverse round trips, the fused
forward pass against tfb's Chain, and the conditioning on the context."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.distributions.iaf import (
    InverseAutoregressiveStep,
    forward_and_log_det,
    iaf_flow,
)
from tfgen.layers import AutoregressiveConvNet

tfb = tfp.bijectors
SHAPE = (1, 3, 2)  # a 6-dim latent
D = 6
N = 4


@pytest.fixture(scope="module")
def networks():
    keras.utils.set_random_seed(0)
    # A large output scale: the steps are far from the identity.
    return [AutoregressiveConvNet(4, 2, 3, output_scale=0.7, name=f"step{t}") for t in range(2)]


def _inputs(seed=0):
    x = tf.random.stateless_normal([N, D], seed=[seed, 0])
    context = tf.random.stateless_normal([N, 1, 3, 3], seed=[seed, 1])
    return x, context


def _autodiff_log_det(flow, x):
    x = tf.identity(x)  # a fresh tensor: no cached forward from tfb's bijector cache
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = flow.forward(x)
    jacobian = tape.batch_jacobian(y, x).numpy().astype(np.float64)
    sign, log_det = np.linalg.slogdet(jacobian)
    assert np.all(sign != 0)
    return log_det, jacobian


@pytest.mark.parametrize("steps", [1, 2])
def test_log_det_matches_the_autodiff_jacobian(networks, steps):
    x, context = _inputs()
    flow = iaf_flow(networks[:steps], SHAPE, context)
    expected, jacobian = _autodiff_log_det(flow, x)
    fused = forward_and_log_det(flow, tf.identity(x))[1].numpy()
    tfb_api = flow.forward_log_det_jacobian(tf.identity(x), event_ndims=1).numpy()
    np.testing.assert_allclose(fused, expected, atol=1e-4)
    np.testing.assert_allclose(tfb_api, expected, atol=1e-4)
    assert np.abs(expected).max() > 0.1  # a flow far from volume preserving
    if steps == 2:  # the reversal between steps: no longer triangular in either order
        assert np.abs(np.triu(jacobian, 1)).max() > 0 and np.abs(np.tril(jacobian, -1)).max() > 0


def test_one_step_is_lower_triangular_with_sigmoid_diagonal(networks):
    x, context = _inputs(1)
    step = InverseAutoregressiveStep(networks[0], SHAPE, context)
    _, jacobian = _autodiff_log_det(step, x)
    assert np.all(np.triu(jacobian, 1) == 0.0)
    _, log_sigma = step.shift_and_log_sigma(x)
    np.testing.assert_allclose(np.diagonal(jacobian, axis1=1, axis2=2), np.exp(log_sigma),
                               rtol=1e-5)
    assert np.all(np.exp(log_sigma) < 1.0) and np.all(np.exp(log_sigma) > 0.0)


def test_fused_forward_equals_the_chain(networks):
    x, context = _inputs(2)
    flow = iaf_flow(networks, SHAPE, context)
    y, log_det = forward_and_log_det(flow, tf.identity(x))
    np.testing.assert_allclose(y, flow.forward(tf.identity(x)), atol=1e-6)
    np.testing.assert_allclose(log_det, flow.forward_log_det_jacobian(tf.identity(x), 1),
                               atol=1e-5)
    assert np.abs(y - x).max() > 0.1


def test_inverse_round_trips(networks):
    x, context = _inputs(3)
    flow = iaf_flow(networks, SHAPE, context)
    y = forward_and_log_det(flow, tf.identity(x))[0]
    back = flow.inverse(tf.identity(y))
    np.testing.assert_allclose(back, x, atol=1e-4)
    np.testing.assert_allclose(flow.forward(tf.identity(back)), y, atol=1e-4)
    # The inverse log-det is minus the forward one at the preimage.
    np.testing.assert_allclose(flow.inverse_log_det_jacobian(tf.identity(y), 1),
                               -flow.forward_log_det_jacobian(tf.identity(x), 1), atol=1e-4)


def test_the_flow_is_conditioned_on_the_context(networks):
    x, context = _inputs(4)
    a = forward_and_log_det(iaf_flow(networks, SHAPE, context), x)
    b = forward_and_log_det(iaf_flow(networks, SHAPE, context + 1.0), x)
    assert np.abs(a[0] - b[0]).max() > 1e-3
    assert np.abs(a[1] - b[1]).max() > 1e-3
    # Row i is transformed with context row i only.
    swapped = tf.concat([context[:1], context[2:3], context[1:2], context[3:]], 0)
    c = forward_and_log_det(iaf_flow(networks, SHAPE, swapped), x)
    np.testing.assert_allclose(c[0][0], a[0][0], atol=1e-6)
    np.testing.assert_allclose(c[0][3], a[0][3], atol=1e-6)
    assert np.abs(c[0][1] - a[0][1]).max() > 1e-3


def test_no_steps_is_the_identity():
    x, _ = _inputs(5)
    y, log_det = forward_and_log_det(iaf_flow([], SHAPE), x)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(log_det, np.zeros(N))
