"""Likelihood estimates for latent-variable models (nats per image).

The importance-weighted bound (Burda et al. 2016) is
``log p(x) >= E[log (1/K) sum_k p(x, z_k) / q(z_k | x)]`` with ``z_k ~ q(z | x)``; it equals the
ELBO for ``K = 1`` and tightens as ``K`` grows (the thesis uses ``K = 5000``). Samples are drawn
in chunks and combined with a running log-sum-exp, so memory stays bounded for any ``K``.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf


def importance_weighted_bound(log_weights_fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
                              batch_size: tf.Tensor, num_samples: tf.Tensor,
                              chunk_size: tf.Tensor) -> tf.Tensor:
    """``log (1/K) sum_k w_k`` for each example, computed ``chunk_size`` samples at a time.

    Args:
      log_weights_fn: ``(num, chunk_index) -> float32 [num, B]`` log importance weights
        ``log p(x, z) - log q(z | x)`` for ``num`` fresh samples; ``chunk_index`` (int32) lets
        it derive a distinct stateless seed per chunk.
      batch_size: ``B``, int32 scalar.
      num_samples: ``K >= 1``, int32 scalar.
      chunk_size: samples per chunk, int32 scalar ``>= 1``.

    Returns:
      float32 ``[B]``: the importance-weighted lower bound on log p(x), in nats.
    """
    num_samples = tf.convert_to_tensor(num_samples, tf.int32)
    chunk_size = tf.maximum(tf.convert_to_tensor(chunk_size, tf.int32), 1)
    tf.debugging.assert_positive(num_samples, message="num_samples must be >= 1")
    running = tf.fill(tf.reshape(batch_size, [1]), float("-inf"))

    def body(done, index, running):
        num = tf.minimum(chunk_size, num_samples - done)
        log_weights = tf.cast(log_weights_fn(num, index), tf.float32)
        # A [B] result, or one row whatever num, would broadcast into a plausible wrong bound.
        if log_weights.shape.rank != 2:
            raise ValueError(f"log_weights_fn(num, index) must return [num, batch_size] log "
                             f"weights; got shape {log_weights.shape}")
        check = tf.debugging.assert_equal(
            tf.shape(log_weights), tf.stack([num, tf.cast(batch_size, tf.int32)]),
            message="log_weights_fn(num, index) must return [num, batch_size] log weights")
        with tf.control_dependencies([check]):
            chunk = tf.reduce_logsumexp(log_weights, axis=0)
        return done + num, index + 1, tf.experimental.numpy.logaddexp(running, chunk)

    _, _, total = tf.while_loop(lambda done, index, running: done < num_samples, body,
                                (tf.constant(0), tf.constant(0), running))
    return total - tf.math.log(tf.cast(num_samples, tf.float32))
