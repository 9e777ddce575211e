"""The importance-weighted bound's chunked log-mean-exp, and its refusal of mis-shaped weights."""

import numpy as np
import pytest
import tensorflow as tf

from tfgen.evaluation.likelihood import importance_weighted_bound

WEIGHTS = np.random.default_rng(0).normal(0.0, 3.0, [7, 3]).astype(np.float32)  # [K, B]


def _from_table(num, index, transpose=False):
    start = tf.reduce_sum(tf.minimum(2, 7 - 2 * tf.range(index)))  # 2 per chunk before this
    w = tf.constant(WEIGHTS)[start:start + num]
    return tf.transpose(w) if transpose else w


def test_chunks_give_the_log_mean_exp_of_all_weights():
    got = importance_weighted_bound(_from_table, 3, 7, 2).numpy()
    want = np.log(np.mean(np.exp(WEIGHTS.astype(np.float64)), axis=0))
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_log_weights_without_the_sample_axis_are_refused():
    """[B] weights would reduce to one number shared by every example."""
    with pytest.raises(ValueError, match=r"must return \[num, batch_size\].*\(3,\)"):
        importance_weighted_bound(lambda n, i: tf.reduce_mean(_from_table(n, i), 0), 3, 7, 2)


def test_log_weights_of_the_wrong_count_are_refused():
    """One row whatever ``num``: the mean would divide K samples' worth by too few."""
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"must return \[num, batch_size\]"):
        tf.function(lambda: importance_weighted_bound(lambda n, i: _from_table(1, i), 3, 7, 2))()
