"""``prepared:PATH`` — a directory of sharded, already-resized uint8 TFRecords written once by
``train/prepare_data.py`` (:mod:`tfgen.data.prepare`), streamed instead of decoded every epoch.

Layout of ``PATH``::

  manifest.json                 written last: its presence marks a complete set
  train-00000.tfrecord ...      tf.train.Example records: "image" (bytes: raw uint8 H*W*C,
  test-00000.tfrecord ...       row-major HWC) and "label" (int64, -1 when unlabelled)

``manifest.json`` holds ``format`` (:data:`FORMAT`), ``shape`` [H, W, C], ``num_classes``,
``source``, ``resize`` (how the pixels were made), ``parts`` ({"train"/"test": {"count",
"shards", "shard_counts"}}), ``dedup`` (null or what the filter removed) and ``created``.

Reading interleaves the shards (``cycle_length`` :data:`CYCLE_LENGTH`, one record from each in
turn) with parallel parsing and prefetch. With ``deterministic=True`` (what the registry uses)
the order is a fixed function of the manifest, so example i is the same example on every run
and machine — the validation carve-out of :mod:`tfgen.data.splits` hashes that position.
``deterministic=False`` lets tf.data hand out whichever record is ready first (faster on slow
disks; the order, and so a carve-out, is no longer stable).
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from tfgen.data.sources.base import SourceInfo, StreamSplit

FORMAT = "tfgen-prepared-v1"
MANIFEST = "manifest.json"
PARTS = ("train", "test")
CYCLE_LENGTH = 8
_PARSE_BATCH = 256
_FEATURES = {"image": tf.io.FixedLenFeature([], tf.string),
             "label": tf.io.FixedLenFeature([], tf.int64)}


def serialize(image, label: int) -> bytes:
    """One record: a uint8 [H, W, C] numpy image and its int label → tf.train.Example bytes."""
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[image.tobytes()])),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def read_manifest(root: str | os.PathLike) -> dict | None:
    """The manifest of a complete prepared set at ``root``, or None when there is none (no
    directory, or a directory without ``manifest.json``). ValueError when it is malformed."""
    path = os.path.join(root, MANIFEST)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        try:
            manifest = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: expected a JSON manifest, found unreadable JSON "
                             f"({e})") from e
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: expected format {FORMAT!r}, found {manifest.get('format')!r}")
    missing = [p for p in PARTS if p not in manifest.get("parts", {})]
    if missing or len(manifest.get("shape", ())) != 3:
        raise ValueError(f"{path}: expected 'shape' [H, W, C] and parts {list(PARTS)}, found "
                         f"shape {manifest.get('shape')} and parts "
                         f"{sorted(manifest.get('parts', {}))}")
    return manifest


class PreparedSource:
    """Streams a prepared directory (see the module docstring)."""

    def __init__(self, root: str | os.PathLike, *, deterministic: bool = True):
        self.root = os.fspath(root)
        self.deterministic = deterministic
        manifest = read_manifest(self.root)
        if manifest is None:
            reason = ("does not exist" if not os.path.isdir(self.root) else
                      f"has no {MANIFEST} (an interrupted prepare leaves '<output>.partial', "
                      f"never a manifest)")
            raise FileNotFoundError(
                f"prepared data directory {self.root} {reason}; write one with `python "
                f"train/prepare_data.py --source=NAME_OR_folder:PATH_OR_lmdb:PATH "
                f"--output={self.root} --image_size=S`")
        self.manifest = manifest
        self.shape = tuple(int(d) for d in manifest["shape"])

    def info(self) -> SourceInfo:
        return SourceInfo(shape=self.shape, num_classes=int(self.manifest.get("num_classes", 0)))

    def count(self, part: str) -> int:
        return int(self.manifest["parts"][part]["count"])

    def files(self, part: str) -> list[str]:
        return [os.path.join(self.root, s) for s in self.manifest["parts"][part]["shards"]]

    def read(self, part: str) -> StreamSplit:
        files = self.files(part)
        shape = self.shape
        if not files:
            empty = (tf.zeros([0, *shape], tf.uint8), tf.zeros([0], tf.int64))
            return StreamSplit(tf.data.Dataset.from_tensor_slices(empty))

        def _parse(records):
            parsed = tf.io.parse_example(records, _FEATURES)
            images = tf.reshape(tf.io.decode_raw(parsed["image"], tf.uint8), [-1, *shape])
            return images, parsed["label"]

        ds = tf.data.Dataset.from_tensor_slices(files).interleave(
            tf.data.TFRecordDataset, cycle_length=min(len(files), CYCLE_LENGTH), block_length=1,
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=self.deterministic)
        ds = ds.batch(_PARSE_BATCH).map(_parse, num_parallel_calls=tf.data.AUTOTUNE,
                                        deterministic=self.deterministic)
        return StreamSplit(ds.unbatch().prefetch(tf.data.AUTOTUNE))
