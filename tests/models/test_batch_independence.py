"""Row i of every batched verb depends only on image i (and the seed): no latent, sample or
statistic of one image may reach another's result. A bound that pairs z drawn for image b with
image a (a mis-tiled or reversed batch axis) is invisible in means and in K = 1 checks, but
changes row 0 here. Every registered model, with its tiny config; weights that start at zero
(posterior heads, output layers) are randomized first, since a posterior that ignores x would
hide the mixing."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.models import build_model, model_names

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_models import IMAGES, TINY  # noqa: E402

VERBS = {  # verb -> call on (model, images, seed)
    "log_prob": lambda m, x, s: m.log_prob(x),
    "importance_weighted_log_prob": lambda m, x, s: m.importance_weighted_log_prob(x, 3, s),
    "elbo": lambda m, x, s: m.elbo(x, s),
    "encode": lambda m, x, s: m.encode(x),
    "critic": lambda m, x, s: m.critic(x),
}


def _randomize_zero_weights(model: keras.Model, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for w in model.weights:
        value = np.array(w)
        if w.trainable and value.size > 1 and not value.any():
            w.assign(rng.normal(0.0, 0.3, value.shape).astype(value.dtype))


@pytest.fixture(scope="module", params=model_names())
def model(request):
    keras.utils.set_random_seed(0)
    config = {**TINY[request.param], **({"conditional": False}
                                        if TINY[request.param].get("conditional") else {})}
    built = build_model(request.param, IMAGES, seed=1, **config)
    built.build_for()
    _randomize_zero_weights(built)
    return built


def _rows(out) -> dict[str, np.ndarray]:
    return {k: np.array(v) for k, v in (out.items() if isinstance(out, dict) else
                                        [("out", out)])}


def test_each_row_depends_only_on_its_own_image(model):
    rng = np.random.default_rng(3)
    images = (rng.random((3, *IMAGES.shape)) < 0.5).astype(np.uint8) * 255
    first = tf.constant(images[[0, 1]])
    other = tf.constant(images[[0, 2]])  # same first image, another second one
    verbs = [v for v in VERBS if v in model.serving_methods]
    assert verbs, type(model).__name__
    second_rows_differ = False
    for verb in verbs:
        seed = tf.constant(5)
        a, b = _rows(VERBS[verb](model, first, seed)), _rows(VERBS[verb](model, other, seed))
        for key in a:
            np.testing.assert_allclose(a[key][0], b[key][0], rtol=1e-5, atol=1e-5,
                                       err_msg=f"{type(model).__name__}.{verb}[{key}]: row 0 "
                                               "changed with row 1")
            second_rows_differ |= not np.allclose(a[key][1], b[key][1])
    assert second_rows_differ, "the second images should change some second row"
