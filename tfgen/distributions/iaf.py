"""Inverse autoregressive flow (Kingma et al. 2016) as ``tfp.bijectors``.

One step is :class:`InverseAutoregressiveStep`, the paper's numerically stable update (its
Algorithm/Eq. 14): with ``[m, s] = AR(z, h)`` autoregressive in ``z`` (output ``i`` sees
``z_<i`` only) and conditioned on a context ``h``,

    sigma = sigmoid(s + forget_bias),    z' = sigma * z + (1 - sigma) * m,

so the Jacobian ``dz'/dz`` is lower triangular with diagonal ``sigma`` and
``log |det| = sum_i log sigma_i``. The forward pass (sampling from the posterior, scoring its own
samples) is one network evaluation; the inverse is sequential (``D`` evaluations) and only
serves ``log_prob`` of arbitrary points and the tests.

:func:`iaf_flow` chains ``T`` steps with the order reversed between them (``tfb.Permute``), as a
``tfb.Chain``; :func:`forward_and_log_det` runs such a chain forward and sums the log
determinants in a single pass (``Chain.forward`` then ``forward_log_det_jacobian`` would evaluate
every autoregressive network twice).

Events are flat latent vectors ``[N, D]`` (``event_ndims = 1``); a step reshapes them to the
network's latent map ``[N, h, w, c]`` (``D = h * w * c``, row-major: the network's autoregressive
order is the flat order). The context is bound when the bijector is built and has ``N`` rows.
The networks are Keras 3 layers owned (and saved) by the model, never by the bijector.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors

#: Initial offset of ``s``: ``sigma = sigmoid(s + 1)`` starts near 0.73, so each step starts
#: close to keeping ``z`` (the paper: "s ... sufficiently positive, close to +1 or +2").
FORGET_BIAS = 1.0


class InverseAutoregressiveStep(tfb.Bijector):
    """One IAF step ``z' = sigmoid(s) * z + (1 - sigmoid(s)) * m`` on flat ``[N, D]`` events.

    Args:
      network: callable ``(z_map [N, h, w, c], context) -> (m, s)`` maps of the same shape,
        autoregressive in the flat order (e.g. :class:`tfgen.layers.AutoregressiveConvNet`).
      latent_shape: ``(h, w, c)``.
      context: the conditioning input passed to ``network`` (``[N, ...]``), or None.
      forget_bias: added to ``s`` before the sigmoid.
    """

    def __init__(self, network, latent_shape: Sequence[int], context=None,
                 forget_bias: float = FORGET_BIAS, validate_args: bool = False,
                 name: str = "inverse_autoregressive_step"):
        parameters = dict(locals())
        self._network = network
        self._latent_shape = tuple(int(d) for d in latent_shape)
        self._context = context
        self._forget_bias = float(forget_bias)
        super().__init__(forward_min_event_ndims=1, is_constant_jacobian=False,
                         validate_args=validate_args, parameters=parameters, name=name)

    @classmethod
    def _parameter_properties(cls, dtype):
        return {}

    @property
    def event_size(self) -> int:
        return math.prod(self._latent_shape)

    def shift_and_log_sigma(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """``x`` float32 ``[N, D]`` -> (m, log sigma), float32 ``[N, D]``."""
        z_map = tf.reshape(x, (-1,) + self._latent_shape)
        m, s = self._network(z_map, self._context)
        flat = tf.shape(x)
        m = tf.reshape(tf.cast(m, tf.float32), flat)
        s = tf.reshape(tf.cast(s, tf.float32), flat)
        return m, tf.math.log_sigmoid(s + self._forget_bias)

    def forward_and_log_det(self, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(y ``[N, D]``, log |det dy/dx| ``[N]``) from one network evaluation."""
        m, log_sigma = self.shift_and_log_sigma(x)
        sigma = tf.exp(log_sigma)
        return sigma * x + (1.0 - sigma) * m, tf.reduce_sum(log_sigma, axis=-1)

    def _forward(self, x):
        return self.forward_and_log_det(x)[0]

    def _forward_log_det_jacobian(self, x):
        return self.forward_and_log_det(x)[1]

    def _inverse(self, y):
        # Fixed-point iteration x <- (y - (1 - sigma(x)) m(x)) / sigma(x): after k rounds the
        # first k flat dimensions are exact (they depend on earlier ones only), so D rounds
        # invert exactly.
        def body(i, x):
            m, log_sigma = self.shift_and_log_sigma(x)
            sigma = tf.exp(log_sigma)
            return i + 1, (y - (1.0 - sigma) * m) / sigma

        _, x = tf.while_loop(lambda i, x: i < self.event_size, body,
                             (tf.constant(0), tf.zeros_like(y)))
        return x


def reverse_permutation(event_size: int) -> tfb.Bijector:
    """``tfb.Permute`` reversing a flat ``[N, D]`` event (volume preserving)."""
    return tfb.Permute(permutation=np.arange(event_size)[::-1].copy(), name="reverse")


def iaf_flow(networks: Sequence, latent_shape: Sequence[int], context=None,
             forget_bias: float = FORGET_BIAS) -> tfb.Bijector:
    """``len(networks)`` IAF steps (network ``t`` drives step ``t``, applied first to last) with
    the flat order reversed between consecutive steps, as a ``tfb.Chain`` on ``[N, D]``
    events; ``tfb.Identity`` for no networks."""
    size = math.prod(int(d) for d in latent_shape)
    applied = []  # in application order
    for t, network in enumerate(networks):
        if t:
            applied.append(reverse_permutation(size))
        applied.append(InverseAutoregressiveStep(network, latent_shape, context, forget_bias,
                                                 name=f"iaf_step{t}"))
    if not applied:
        return tfb.Identity()
    return tfb.Chain(applied[::-1], name="iaf")  # a Chain applies its last bijector first


def forward_and_log_det(flow: tfb.Bijector, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(``flow.forward(x)``, ``flow.forward_log_det_jacobian(x, event_ndims=1)``) of a chain
    :func:`iaf_flow` builds, evaluating each step's network once. ``x`` float32 ``[N, D]``."""
    parts = list(flow.bijectors)[::-1] if isinstance(flow, tfb.Chain) else [flow]
    log_det = tf.zeros(tf.shape(x)[:-1], x.dtype)
    for part in parts:
        if isinstance(part, InverseAutoregressiveStep):
            x, step_log_det = part.forward_and_log_det(x)
            log_det += step_log_det
        elif part.is_constant_jacobian and isinstance(part, (tfb.Permute, tfb.Identity)):
            x = part.forward(x)  # volume preserving
        else:
            log_det += part.forward_log_det_jacobian(x, event_ndims=1)
            x = part.forward(x)
    return x, log_det
