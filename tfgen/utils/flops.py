"""Floating-point operation counts of TensorFlow functions, from the traced graph.

The count is TensorFlow's own: :func:`tf.compat.v1.profiler.profile` with the ``float_operation``
view sums the ``"flops"`` statistics registered for each op type (``ops.RegisterStatistics``),
computed from the op's static shapes. Convolutions count ``2 * output elements * kh * kw * Cin``
(``Conv2D``, and the same for its two gradient ops ``Conv2DBackpropInput``/``Filter``), matrix
products ``2 * M * N * K``, ``BiasAdd``/``Add``/``Mul``/... one per output element. Ops without
registered statistics (activations such as ``Tanh``/``Sigmoid``/``Softplus``, gathers, casts)
count 0, so the total is the multiply-add work of the network plus its element-wise arithmetic:
for the convolutional models of tfgen the convolutions dominate it.

Only ops of the traced graph itself are counted: a function whose graph calls other functions
or loops (``PartitionedCall``, ``While``, ``If``) would hide their work, so
:func:`function_flops` refuses such graphs rather than under-count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

#: Op types whose bodies (other graphs) the profiler does not look into.
NESTED_OPS = ("PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile", "If",
              "StatelessIf", "Case", "StatelessCase")


def graph_flops(graph: tf.Graph) -> int:
    """Total float operations of every op in ``graph`` (see the module docstring); int >= 0."""
    options = (tf.compat.v1.profiler.ProfileOptionBuilder(
        tf.compat.v1.profiler.ProfileOptionBuilder.float_operation())
        .with_empty_output().build())
    profile = tf.compat.v1.profiler.profile(graph=graph, cmd="op", options=options)
    return int(profile.total_float_ops)


def function_flops(fn: Callable[..., Any], *input_signature: tf.TensorSpec) -> int:
    """Float operations of one call of ``fn`` on inputs of the given (fully defined) specs.

    ``fn`` is traced once with :func:`tf.function` (a ``tf.function`` is traced as is); nothing is
    executed. Raises ``ValueError`` for a spec with unknown dimensions (the counts need static
    shapes) or when the traced graph calls nested functions or loops (their work would not be
    counted).
    """
    for spec in input_signature:
        if not spec.shape.is_fully_defined():
            raise ValueError(f"FLOP counting needs fully defined input shapes; got {spec}")
    traced = fn if isinstance(fn, tf.types.experimental.PolymorphicFunction) else tf.function(fn)
    graph = traced.get_concrete_function(*input_signature).graph
    nested = sorted({op.type for op in graph.get_operations() if op.type in NESTED_OPS})
    if nested:
        raise ValueError(f"the traced graph holds {nested} ops whose bodies the FLOP count would "
                         "miss; count a function without nested tf.functions or loops")
    return graph_flops(graph)


def flops_per_image(model, batch: int) -> dict[str, float]:
    """Float operations per image of a built, compiled tfgen model on uint8 batches of ``batch``
    images: ``forward_flops_per_image`` (the training objective's forward pass,
    ``model.compute_objective(x, seed, training=True)``: for latent models the encoder, one z
    and the teacher-forced decoder) and ``train_step_flops_per_image`` (``model.train_step``:
    forward, backward and the optimizer update)."""
    spec = tf.TensorSpec((batch,) + tuple(model.image_shape), tf.uint8)
    seed = tf.constant([0, 0], tf.int32)
    forward = function_flops(lambda x: model.compute_objective(x, seed, True)[0], spec)
    step = function_flops(model.train_step, spec)
    return {"forward_flops_per_image": forward / batch, "train_step_flops_per_image": step / batch}
