"""TensorFlow Datasets as a source, used only when its data is already prepared — or when
downloading is explicitly allowed (``TFGEN_ALLOW_DOWNLOAD=1`` or ``download=True``).

``tensorflow_datasets`` is imported lazily (inside functions). Reading uses
``shuffle_files=False`` and one file at a time, so example i is the same example on every
run (the validation carve-out hashes that index).
"""

from __future__ import annotations

import dataclasses
import os

import tensorflow as tf

from tfgen.data.sources.base import StreamSplit

ALLOW_DOWNLOAD_ENV = "TFGEN_ALLOW_DOWNLOAD"


@dataclasses.dataclass(frozen=True)
class TfdsConfig:
    """How a registry name maps onto a TFDS dataset.

    Attributes:
      tfds_name: e.g. ``"lsun/bedroom"``.
      parts: our part ("train"/"test") → TFDS split name.
      label_key: feature holding int labels, or None (labels -1).
      zero_one: images are {0, 1} and are scaled to {0, 255}.
    """

    tfds_name: str
    parts: dict[str, str] = dataclasses.field(
        default_factory=lambda: {"train": "train", "test": "test"})
    label_key: str | None = "label"
    zero_one: bool = False


def download_allowed(download: bool | None) -> bool:
    """``download`` if given, else whether ``$TFGEN_ALLOW_DOWNLOAD`` is "1"/"true"/"yes"."""
    if download is not None:
        return download
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes")


def default_data_dir() -> str:
    """Where TFDS keeps prepared data when no ``data_dir`` is given."""
    import tensorflow_datasets as tfds  # lazy: slow import

    return str(tfds.core.constants.DATA_DIR)


def prepared_builder(tfds_name: str, data_dir: str | None):
    """The TFDS builder if ``tfds_name`` is prepared in ``data_dir`` (TFDS default when None),
    else None. Never downloads."""
    import tensorflow_datasets as tfds

    root = data_dir or default_data_dir()
    if not tf.io.gfile.isdir(os.path.join(root, tfds_name.split("/")[0].split(":")[0])):
        return None  # nothing there; skips TFDS' "variant folder" warnings on every load
    builder = tfds.builder(tfds_name, data_dir=data_dir)
    return builder if builder.is_prepared() else None


def download_and_prepare(tfds_name: str, data_dir: str | None):
    """Download and prepare with TFDS (network); returns the builder."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(tfds_name, data_dir=data_dir)
    builder.download_and_prepare()
    return builder


def how_to_prepare(tfds_name: str, data_dir: str | None) -> str:
    """One sentence on how to get the data, for :class:`DataNotFoundError` messages."""
    target = data_dir or default_data_dir()
    return (f"prepare it once with `tfds build {tfds_name} --data_dir={target}` (needs network), "
            f"or set {ALLOW_DOWNLOAD_ENV}=1 (or pass download=True) to let tfgen download it")


class TfdsSource:
    """Reads a prepared TFDS dataset as ``(image uint8 HWC, label int64)`` streams."""

    def __init__(self, builder, config: TfdsConfig):
        self.builder = builder
        self.config = config

    def read(self, part: str) -> StreamSplit:
        import tensorflow_datasets as tfds

        ds = self.builder.as_dataset(
            split=self.config.parts[part], shuffle_files=False,
            read_config=tfds.ReadConfig(interleave_cycle_length=1, try_autocache=False))
        label_key, zero_one = self.config.label_key, self.config.zero_one

        def _convert(example):
            image = example["image"]
            if zero_one:
                image = image * tf.constant(255, tf.uint8)
            label = (tf.cast(example[label_key], tf.int64) if label_key
                     else tf.constant(-1, tf.int64))
            return image, label

        return StreamSplit(ds.map(_convert, num_parallel_calls=tf.data.AUTOTUNE,
                                  deterministic=True))
