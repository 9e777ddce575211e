"""TF Serving warm-up requests: ``assets.extra/tf_serving_warmup_requests`` in every export.

TF Serving replays this TFRecord file of ``PredictionLog`` protos when it loads a version, before
the version takes traffic, so the first client does not pay for graph initialisation
(https://www.tensorflow.org/tfx/serving/saved_model_warmup). One ``PredictRequest`` per signature
of the model's table, with the small valid inputs of :func:`tfgen.export.examples.example_inputs`
(one image of zeros, ``num_samples = 1``, ``seed = 0``, ...).

The protos come from ``tensorflow-serving-api`` (``pip install 'tfgen[serving]'``), imported only
here and only when needed; without it an export still succeeds, without warm-up requests.
"""

from __future__ import annotations

import os

import tensorflow as tf

from tfgen.export.examples import example_inputs

WARMUP_FILENAME = "tf_serving_warmup_requests"
PACKAGE = "tensorflow-serving-api"


def serving_apis():
    """``tensorflow_serving.apis`` (its ``model_pb2``, ``predict_pb2``, ``prediction_log_pb2``), or
    ImportError naming the package to install."""
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError as e:
        raise ImportError(f"TF Serving's protos need the {PACKAGE} package (not installed: {e}); "
                          f"pip install 'tfgen[serving]' or pip install '{PACKAGE}==2.21.*'"
                          ) from e
    return model_pb2, predict_pb2, prediction_log_pb2


def warmup_logs(model_name: str, signatures: dict[str, tuple[tf.TensorSpec, ...]]) -> list:
    """One ``PredictionLog`` per ``{signature name: input specs}`` entry, batch 1."""
    model_pb2, predict_pb2, prediction_log_pb2 = serving_apis()
    logs = []
    for method, specs in signatures.items():
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=model_name, signature_name=method))
        for key, value in example_inputs(specs, batch=1).items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
        logs.append(prediction_log_pb2.PredictionLog(
            predict_log=prediction_log_pb2.PredictLog(request=request)))
    return logs


def write_warmup(savedmodel_dir: str, model_name: str,
                 signatures: dict[str, tuple[tf.TensorSpec, ...]]) -> str:
    """Write ``assets.extra/tf_serving_warmup_requests`` into ``savedmodel_dir``; its path."""
    logs = warmup_logs(model_name, signatures)
    path = os.path.join(savedmodel_dir, "assets.extra", WARMUP_FILENAME)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    return path


def read_warmup(path: str) -> list:
    """The ``PredictionLog`` protos of a warm-up file (a SavedModel directory or the file)."""
    if os.path.isdir(path):
        path = os.path.join(path, "assets.extra", WARMUP_FILENAME)
    _, _, prediction_log_pb2 = serving_apis()
    return [prediction_log_pb2.PredictionLog.FromString(record.numpy())
            for record in tf.data.TFRecordDataset(path)]
