"""The WGAN-GP gradient penalty (Gulrajani et al. 2017, eq. 3.3 of the thesis).

``P(x̂) = (‖∇_x̂ D(x̂)‖₂ − 1)²`` (two-sided, the default) or ``max(0, ‖∇_x̂ D(x̂)‖₂ − 1)²``
(one-sided), at ``x̂ = ε·x + (1 − ε)·x̃`` with one ``ε ~ U[0, 1]`` per example, ``x`` real and
``x̃`` generated. The penalty is per example, so the critic must map each input to its own output:
a batch-normalized critic would couple the examples and make the per-example gradient meaningless
(see :func:`tfgen.models.gan` which refuses that combination).

All arithmetic is float32 whatever the layers' compute dtype; a small constant inside the square
root keeps the gradient of the norm finite where ``∇D = 0``.
"""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

#: Added to ``Σ g²`` inside the square root, so ``‖g‖`` has a finite gradient at ``g = 0``.
NORM_EPSILON = 1e-12


def interpolate(real: tf.Tensor, fake: tf.Tensor, eps: tf.Tensor) -> tf.Tensor:
    """``ε·real + (1 − ε)·fake`` in float32.

    Args:
      real, fake: float ``[B, ...]`` (network scale, e.g. images in [-1, 1]).
      eps: float ``[B]`` or ``[B, 1, ...]`` in [0, 1], one value per example.
    """
    real = tf.cast(real, tf.float32)
    fake = tf.cast(fake, tf.float32)
    eps = tf.cast(eps, tf.float32)
    if eps.shape.rank == 1:
        eps = tf.reshape(eps, tf.concat([tf.shape(eps), tf.ones([real.shape.rank - 1], tf.int32)],
                                        0))
    return eps * real + (1.0 - eps) * fake


def gradient_norm(critic_fn: Callable[[tf.Tensor], tf.Tensor], inputs: tf.Tensor,
                  loss_scale: tf.Tensor | float = 1.0) -> tf.Tensor:
    """``sqrt(Σ (∂D(x_i)/∂x_i)² + 1e-12)`` per example: float32 ``[B]``.

    ``critic_fn`` maps float ``[B, ...]`` to ``[B]`` (or ``[B, 1]``), each output depending only on
    its own input. ``loss_scale`` multiplies the critic output before differentiation and divides
    the gradient after, so float16 gradients do not underflow (pass the optimizer's loss scale).
    Differentiable (the caller's outer tape sees it), as the penalty's gradient needs.
    """
    inputs = tf.cast(inputs, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        out = tf.reshape(tf.cast(critic_fn(inputs), tf.float32), [-1])
        total = tf.reduce_sum(out) * tf.cast(loss_scale, tf.float32)
    grads = tape.gradient(total, inputs) / tf.cast(loss_scale, tf.float32)
    axes = list(range(1, inputs.shape.rank))
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=axes) + NORM_EPSILON)


def gradient_penalty(critic_fn: Callable[[tf.Tensor], tf.Tensor], real: tf.Tensor,
                     fake: tf.Tensor, eps: tf.Tensor, one_sided: bool = False,
                     loss_scale: tf.Tensor | float = 1.0) -> tuple[tf.Tensor, tf.Tensor]:
    """Per-example gradient penalty, unweighted (multiply by λ yourself).

    Args:
      critic_fn: float ``[B, ...]`` -> critic value ``[B]`` (or ``[B, 1]``).
      real, fake: float ``[B, ...]``, network scale.
      eps: ``[B]`` uniform [0, 1] interpolation weights, one per example.
      one_sided: penalize only norms above 1.
      loss_scale: see :func:`gradient_norm`.

    Returns:
      (penalty float32 ``[B]``, gradient norm float32 ``[B]``).
    """
    norm = gradient_norm(critic_fn, interpolate(real, fake, eps), loss_scale)
    excess = tf.nn.relu(norm - 1.0) if one_sided else norm - 1.0
    return tf.square(excess), norm
