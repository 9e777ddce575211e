"""TF Serving warm-up requests written with every export: read back, parsed, replayed against the
SavedModel; an export without tensorflow-serving-api still succeeds, with one warning."""

import logging
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from export_fakes import FactorizedModel, LatentModel
from tfgen.export import export_model, load_exported, warmup


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return load_exported(export_model(LatentModel(), root=str(tmp_path_factory.mktemp("w")),
                                      name="latent"))


def test_warmup_requests_replay_against_the_saved_model(exported):
    logs = warmup.read_warmup(exported.path)
    requests = [log.predict_log.request for log in logs]
    assert [r.model_spec.signature_name for r in requests] == list(LatentModel.serving_methods)
    assert {r.model_spec.name for r in requests} == {"latent"}
    for request in requests:
        method = request.model_spec.signature_name
        specs = exported.input_specs(method)
        inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
        assert set(inputs) == set(specs), method
        for key, value in inputs.items():
            assert value.dtype == specs[key].dtype.as_numpy_dtype, (method, key)
            assert specs[key].shape.is_compatible_with(value.shape), (method, key)
        outputs = exported._loaded.signatures[method](
            **{k: tf.constant(v) for k, v in inputs.items()})
        for key, value in outputs.items():  # a batch of one: one image, num_samples = 1
            assert value.shape[0] == 1, (method, key, value.shape)
        if method == "sample":
            assert inputs == {"num_samples": 1, "seed": 0}
            assert outputs["images"].shape == (1, 4, 4, 1)
        if method == "log_prob":
            np.testing.assert_array_equal(inputs["images"], np.zeros([1, 4, 4, 1], np.uint8))


def test_without_tensorflow_serving_api_export_warns_once_and_skips_warmup(
        tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tensorflow_serving.apis", None)  # import fails
    with pytest.raises(ImportError, match="pip install 'tfgen\\[serving\\]'"):
        warmup.serving_apis()
    with caplog.at_level(logging.WARNING, logger="tfgen.export"):
        path = export_model(FactorizedModel(), root=str(tmp_path), name="m")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "tensorflow-serving-api" in warnings[0].getMessage()
    assert os.listdir(os.path.join(path, "assets.extra")) == ["tfgen_config.json"]
    assert load_exported(path).sample(2, seed=0)["images"].shape == (2, 4, 4, 1)
