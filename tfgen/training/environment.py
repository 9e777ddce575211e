"""Distribution strategy and mixed-precision set-up, chosen by name."""

from __future__ import annotations

import contextlib
from typing import Iterator

import keras
import tensorflow as tf
from tensorflow.python.framework import config as tf_config

PRECISIONS = ("off", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


@contextlib.contextmanager
def precision_policy(policy: str) -> Iterator[None]:
    """Within the block, Keras' global dtype policy is ``off`` (float32), ``mixed_float16`` or
    ``mixed_bfloat16``; the previous policy is restored on exit.

    Layers take the policy when they are built, so build the model inside the block. Models
    compute their likelihoods, KL terms and penalties in float32 whatever the policy; under
    ``mixed_float16`` Keras wraps the optimizer in a ``LossScaleOptimizer`` at compile time.
    """
    if policy not in PRECISIONS:
        raise ValueError(f"Unknown mixed_precision {policy!r}; valid: {list(PRECISIONS)}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32" if policy == "off" else policy)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


@contextlib.contextmanager
def op_determinism(enabled: bool) -> Iterator[None]:
    """Within the block (``enabled``), TensorFlow's ops run deterministically
    (``tf.config.experimental.enable_op_determinism``): kernels whose CPU or GPU implementation
    may sum in a thread-dependent order take a deterministic one, so a rerun or a resumed run
    gives the same bits even on a loaded machine (slower on GPU). The previous setting is
    restored on exit (TensorFlow's public API can only turn it on, so the query and the reset
    use its ``tensorflow.python.framework.config`` functions)."""
    was = tf_config.is_op_determinism_enabled()
    if enabled and not was:
        tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if enabled and not was:
            tf_config.disable_op_determinism()


def make_strategy(name: str, tpu_address: str = "") -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all local GPUs, or CPU), ``multiworker`` (reads
    ``TF_CONFIG``) or ``tpu`` (``tpu_address``, empty for the local/Colab TPU)."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu_address)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, tf.errors.NotFoundError) as err:
            raise RuntimeError(f"--strategy=tpu but no TPU could be found ({err}); use "
                               f"--strategy=default or mirrored on this machine") from err
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"Unknown strategy {name!r}; valid: {list(STRATEGIES)}")
