"""tfgen.data: a registry of named datasets and their input pipelines.

``load(name, split)`` gives an unbatched ``tf.data.Dataset`` of ``(image, label)`` — image uint8
[H, W, C] in [0, 255], label int64 (-1 when unlabelled) — or ``(float32 [2], 0)`` for the toy 2-D
point sets, plus a :class:`DatasetSpec`. ``make_pipeline`` batches it for training or evaluation.
Pixel transforms that models use (``scale_to_unit`` and its inverse ``scale_to_uint8``,
``dequantize``, ``binarize``) live in :mod:`tfgen.data.transforms`.
"""

from tfgen.data.pipeline import make_pipeline
from tfgen.data.registry import dataset_names, get_spec, load
from tfgen.data.spec import DataNotFoundError, DatasetSpec
from tfgen.data.transforms import binarize, dequantize, scale_to_uint8, scale_to_unit

__all__ = [
    "DataNotFoundError",
    "DatasetSpec",
    "binarize",
    "dataset_names",
    "dequantize",
    "get_spec",
    "load",
    "make_pipeline",
    "scale_to_uint8",
    "scale_to_unit",
]
