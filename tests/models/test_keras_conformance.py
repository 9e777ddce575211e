"""Every Keras entry point works on every registered model (issue 15), in the style of
keras-hub's shared model test harness: a model added to the registry is checked by adding only
its tiny config to ``tests/tiny_models.py``.

Entry points: ``fit`` / ``evaluate`` / ``train_on_batch`` / ``test_on_batch`` on a uint8 array,
on ``(images, labels)``, on ``(images, None)`` and on a ``tf.data.Dataset`` of either;
``predict`` / ``predict_on_batch`` (``call``: the per-example loss in nats, or a GAN's critic
value, float32 ``[B]``); ``save`` + ``keras.models.load_model`` giving the same outputs.
"""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.models import build_model, model_names

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_models import IMAGES, TINY  # noqa: E402

N = 10  # examples; a GAN's batch of 10 holds its n_critic = 5 minibatches of 2
IMAGES_U8 = (np.random.default_rng(0).random((N, *IMAGES.shape)) < 0.5).astype(np.uint8) * 255
LABELS = np.arange(N, dtype=np.int64) % IMAGES.num_classes


def _build(name: str, **overrides):
    keras.utils.set_random_seed(0)
    model = build_model(name, IMAGES, seed=1, **{**TINY[name], **overrides})
    model.build_for()
    model.compile_for_training(1e-2)
    return model


def _weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.trainable_weights]


def _moved(before, model) -> bool:
    return any(np.abs(a - b).max() > 0 for a, b in zip(before, _weights(model)))


def _finite(logs: dict) -> bool:
    return bool(logs) and all(np.isfinite(float(v)) for v in logs.values())


@pytest.fixture(scope="module", params=model_names())
def model_name(request):
    return request.param


@pytest.fixture(scope="module")
def unconditional(model_name):
    """The registered model, unconditional where its tiny config is conditional."""
    conditional = {"conditional": False} if TINY[model_name].get("conditional") else {}
    return _build(model_name, **conditional)


FIT_INPUTS = {
    "array": lambda: ((IMAGES_U8,), {}),
    "array+labels": lambda: ((IMAGES_U8, LABELS), {}),
    "dataset": lambda: ((tf.data.Dataset.from_tensor_slices(IMAGES_U8).batch(N),), {}),
    "dataset+labels": lambda: (
        (tf.data.Dataset.from_tensor_slices((IMAGES_U8, LABELS)).batch(N),), {}),
}


@pytest.mark.parametrize("inputs", list(FIT_INPUTS))
def test_fit_and_evaluate(unconditional, inputs):
    args, _ = FIT_INPUTS[inputs]()
    batch = {} if "dataset" in inputs else {"batch_size": N}
    before = _weights(unconditional)
    history = unconditional.fit(*args, epochs=1, verbose=0, **batch)
    assert _moved(before, unconditional)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert _finite(unconditional.evaluate(*args, verbose=0, return_dict=True, **batch))


@pytest.mark.parametrize("labels", ["none", "given", "explicit_none"])
def test_train_and_test_on_batch(unconditional, labels):
    args = {"none": (IMAGES_U8,), "given": (IMAGES_U8, LABELS),
            "explicit_none": (IMAGES_U8, None)}[labels]
    before = _weights(unconditional)
    assert _finite(unconditional.train_on_batch(*args, return_dict=True))
    assert _moved(before, unconditional)
    after = _weights(unconditional)
    assert _finite(unconditional.test_on_batch(*args, return_dict=True))
    assert not _moved(after, unconditional)  # testing does not train


def test_predict_returns_what_call_documents(unconditional):
    expected = unconditional(tf.constant(IMAGES_U8)).numpy()
    assert expected.shape == (N,) and expected.dtype == np.float32
    np.testing.assert_allclose(unconditional.predict(IMAGES_U8, batch_size=N, verbose=0),
                               expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(unconditional.predict_on_batch(IMAGES_U8), expected,
                               rtol=1e-5, atol=1e-5)


def test_save_and_load_model_give_the_same_outputs(unconditional, tmp_path):
    path = str(tmp_path / "model.keras")
    unconditional.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(unconditional)
    verb = "log_prob" if "log_prob" in unconditional.serving_methods else "critic"
    want = getattr(unconditional, verb)(tf.constant(IMAGES_U8))
    got = getattr(loaded, verb)(tf.constant(IMAGES_U8))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-5)


CONDITIONAL = sorted(name for name, config in TINY.items() if config.get("conditional"))


@pytest.mark.parametrize("name", CONDITIONAL)
def test_a_conditional_model_without_labels_is_a_clear_error(name):
    model = _build(name)
    for call in (lambda: model.train_on_batch(IMAGES_U8),
                 lambda: model.fit(IMAGES_U8, batch_size=N, epochs=1, verbose=0),
                 lambda: model.test_on_batch(IMAGES_U8, None)):
        with pytest.raises(ValueError, match=r"conditional=True.*needs labels.*"
                                             r"--conditional=false"):
            call()
    assert _finite(model.train_on_batch(IMAGES_U8, LABELS, return_dict=True))
