"""train/serving_config.py: models.config and batching.config for TF Serving, parsed back with TF
Serving's protos; batched signatures have a None batch dimension."""

import os
import subprocess
import sys

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf import wrappers_pb2

from export_fakes import FactorizedModel

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_models import IMAGES, TINY  # noqa: E402
from tfgen.export import export_model
from tfgen.export.serving_config import batching_config, models_config
from tfgen.models import build_model, model_names

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _batching_parameters_class():
    """tensorflow.serving.BatchingParameters (session_bundle_config.proto, fields 1-4), which
    tensorflow-serving-api does not ship: declared here with TF Serving's field numbers."""
    file = descriptor_pb2.FileDescriptorProto(
        name="tfgen_test_batching.proto", package="tensorflow.serving",
        dependency=["google/protobuf/wrappers.proto"])
    message = file.message_type.add(name="BatchingParameters")
    for number, name in enumerate(["max_batch_size", "batch_timeout_micros",
                                   "max_enqueued_batches", "num_batch_threads"], start=1):
        message.field.add(name=name, number=number, type=descriptor_pb2.FieldDescriptorProto.
                          TYPE_MESSAGE, type_name=".google.protobuf.Int64Value",
                          label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters"))


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    """Two export roots, saved_models/a (versions 1, 2) and saved_models/b (version 1)."""
    base = tmp_path_factory.mktemp("saved_models")
    for name, versions in (("a", 2), ("b", 1)):
        for _ in range(versions):
            export_model(FactorizedModel(), root=str(base), name=name)
    return base


@pytest.mark.slow
def test_command_writes_configs_tf_serving_parses(roots, tmp_path, monkeypatch):
    from tensorflow_serving.config import model_server_config_pb2

    monkeypatch.chdir(roots.parent)  # relative --export paths become absolute base paths
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "train", "serving_config.py"),
         f"--export={roots.name}/a", f"--export={roots.name}/b/", f"--output_dir={tmp_path}",
         "--max_batch_size=16", "--batch_timeout_micros=2000"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": REPO})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "models.config"),
                                     str(tmp_path / "batching.config")]
    config = text_format.Parse((tmp_path / "models.config").read_text(),
                               model_server_config_pb2.ModelServerConfig())
    assert [(c.name, c.base_path, c.model_platform) for c in config.model_config_list.config] == [
        ("a", str(roots / "a"), "tensorflow"), ("b", str(roots / "b"), "tensorflow")]
    batching = text_format.Parse((tmp_path / "batching.config").read_text(),
                                 _batching_parameters_class()())
    assert (batching.max_batch_size.value, batching.batch_timeout_micros.value,
            batching.num_batch_threads.value, batching.max_enqueued_batches.value) == (
        16, 2000, 4, 100)


def test_refuses_exports_without_a_numeric_version(roots, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"--export .*empty: no numeric version directory"):
        models_config([str(roots / "a"), str(tmp_path / "empty")])
    with pytest.raises(ValueError, match="it is itself a version directory"):
        models_config([str(roots / "a" / "1")])
    (tmp_path / "half" / "3").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"version\(s\) \[3\] hold no saved_model.pb"):
        models_config([str(tmp_path / "half")])
    with pytest.raises(ValueError, match=r"distinct names.*\['a'\]"):
        models_config([str(roots / "a"), str(roots / "a")])


@pytest.mark.parametrize("params, message", [
    ({"max_batch_size": 0}, "--max_batch_size must be an integer >= 1; got 0"),
    ({"batch_timeout_micros": -1}, "--batch_timeout_micros must be an integer >= 0"),
    ({"num_batch_threads": 2.5}, "--num_batch_threads must be an integer >= 1; got 2.5"),
    ({"max_enqueued_batches": True}, "--max_enqueued_batches must be an integer"),
    ({"allowed_batch_sizes": 4}, r"unknown batching parameters \['allowed_batch_sizes'\]"),
])
def test_batching_flags_are_validated(params, message):
    with pytest.raises(ValueError, match=message):
        batching_config(**params)


def test_batched_signatures_have_a_none_batch_dimension_and_sample_scalars():
    for name in model_names():
        model = build_model(name, IMAGES, seed=1, **TINY[name])
        for method, signature in model.serving_signatures().items():
            for spec in signature.inputs:
                if spec.shape.rank:  # a batched input: any batch size
                    assert spec.shape[0] is None, (name, method, spec)
                else:
                    assert spec.name in ("num_samples", "seed"), (name, method, spec)
        assert [s.shape.rank for s in model.serving_signatures()["sample"].inputs] == [0, 0], name
