"""Write a dataset once as sharded, already-resized uint8 TFRecords (read back by
:mod:`tfgen.data.sources.prepared`, ``--dataset=prepared:PATH``).

Inputs (:func:`prepare`'s ``source``):

* a registered name or ``npz:PATH`` (:func:`tfgen.data.registry.open_source`; TFDS data must
  already be prepared, or downloads allowed);
* ``folder:PATH`` — the layout rules of :mod:`tfgen.data.sources.folder` (class subfolders,
  ``train/``+``test/`` or a seed-independent ~10% test carve-out, channels from the first image),
  but files are streamed and decoded by TensorFlow rather than held in memory;
* ``lmdb:PATH`` — an LSUN LMDB export (values are JPEG bytes, read in key order; needs ``pip
  install lmdb``). ``PATH`` is one LMDB environment (a folder with ``data.mdb``; test is the
  ~10% carve-out) or a folder holding ``*_train_lmdb`` and ``*_val_lmdb`` (train and test).

Every image is center-cropped to a square and resized to S x S with
:func:`tfgen.data.transforms.center_crop_resize` (bilinear, antialiased; what ``load`` does to
TFDS images), unlabelled images get label -1.

**De-duplication** (``dedup=True``): each resized image is reduced to a key — grey (ITU-R 601
luma), area-averaged to an 8 x 8 thumbnail, each of the 64 values quantized to
``dedup_levels`` levels (``floor(v * levels / 256)``) — and an image whose key was already seen
(train first, then test, so no test image repeats a train key) is dropped. It removes exact
duplicates and near-duplicates whose thumbnails quantize alike; near-duplicates that straddle a
quantization boundary survive, and distinct images with equal coarse thumbnails (e.g. two
nearly uniform frames) are dropped. Radford et al. (DCGAN, 2015) de-duplicated LSUN bedrooms
differently: a 3072-128-3072 denoising autoencoder on 32 x 32 center crops, its ReLU codes
binarized into a semantic hash, and hash collisions removed (~275,000 images); this filter is a
cheap approximation of theirs, not a reproduction.

**Atomicity**: everything is written to ``<output>.partial`` (removed first if an earlier run
left one: a prepare is not resumable), ``manifest.json`` is written last, and the folder is then
renamed to ``<output>``. A set without a manifest is never read as complete.
"""

from __future__ import annotations

import datetime
import glob
import json
import os
import pathlib
import shutil
from collections.abc import Callable, Iterator

import numpy as np
import tensorflow as tf
from absl import logging

from tfgen.data import splits, transforms
from tfgen.data.sources import prepared
from tfgen.data.sources.base import ArraySplit
from tfgen.data.sources.folder import FolderSource

LMDB_PREFIX = "lmdb:"
RESIZE_METHOD = ("center crop to a square, then tf.image.resize bilinear with antialias, "
                 "rounded (tfgen.data.transforms.center_crop_resize)")
DEDUP_SIDE = 8


class _Input:
    """A resolved input: per part a dataset of (uint8 [H, W, C] at any size, int64 label)."""

    def __init__(self, parts: dict[str, tf.data.Dataset], channels: int, num_classes: int,
                 description: str):
        self.parts, self.channels = parts, channels
        self.num_classes, self.description = num_classes, description


def _as_dataset(data) -> tf.data.Dataset:
    if isinstance(data, ArraySplit):
        return tf.data.Dataset.from_tensor_slices((data.images, np.asarray(data.labels, np.int64)))
    return data.dataset


def _registered(name: str, data_dir: str | None, download: bool | None) -> _Input:
    from tfgen.data import registry

    spec, source = registry.open_source(name, data_dir=data_dir, download=download)
    if spec.kind != "image":
        raise ValueError(f"prepare writes images; {name!r} is {spec.kind} data")
    parts = {part: _as_dataset(source.read(part)) for part in prepared.PARTS}
    return _Input(parts, spec.shape[2], spec.num_classes, name)


def _folder(path: str) -> _Input:
    folder = FolderSource(path)
    channels = 1 if folder.mode == "L" else 3
    if folder.has_splits:
        files = {"train": (folder.train_files, folder.train_labels),
                 "test": (folder.test_files, folder.test_labels)}
    else:
        mask = splits.carve_test_mask(len(folder.train_files))
        files = {part: ([folder.train_files[i] for i in np.flatnonzero(m)],
                        [folder.train_labels[i] for i in np.flatnonzero(m)])
                 for part, m in (("train", ~mask), ("test", mask))}

    def _decode(file, label):
        image = tf.io.decode_image(tf.io.read_file(file), channels=channels,
                                   expand_animations=False)
        return image, label

    parts = {part: tf.data.Dataset.from_tensor_slices(
        (tf.constant([str(f) for f in names], tf.string, shape=[len(names)]),
         np.asarray(labels, np.int64).reshape(-1)))
        .map(_decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        for part, (names, labels) in files.items()}
    return _Input(parts, channels, len(folder.classes), f"folder:{path}")


def _lmdb_values(path: str) -> Callable[[], Iterator[bytes]]:
    try:
        import lmdb
    except ImportError as e:
        raise ImportError("reading an LSUN LMDB export needs the lmdb package: "
                          "`pip install lmdb`") from e

    def _values():
        env = lmdb.open(path, readonly=True, lock=False, readahead=False, max_readers=4)
        try:
            with env.begin(write=False) as txn:
                for _, value in txn.cursor():
                    yield value
        finally:
            env.close()

    return _values


def _lmdb(path: str) -> _Input:
    root = pathlib.Path(path)
    train = sorted(glob.glob(str(root / "*_train_lmdb")))
    val = sorted(glob.glob(str(root / "*_val_lmdb")))
    if (root / "data.mdb").is_file():
        pools = {"train": str(root)}
    elif len(train) == 1 and len(val) == 1:
        pools = {"train": train[0], "test": val[0]}
    else:
        found = (sorted(p.name for p in root.iterdir())[:8] if root.is_dir()
                 else "no such folder")
        raise FileNotFoundError(
            f"{root}: expected an LMDB environment (data.mdb) or one *_train_lmdb and one "
            f"*_val_lmdb folder (the LSUN export, e.g. bedroom_train_lmdb), found {found}")

    def _stream(lmdb_path):
        values = tf.data.Dataset.from_generator(
            _lmdb_values(lmdb_path), output_signature=tf.TensorSpec([], tf.string))
        return values.map(lambda v: (tf.io.decode_image(v, channels=3, expand_animations=False),
                                     tf.constant(-1, tf.int64)),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)

    if "test" in pools:
        parts = {part: _stream(p) for part, p in pools.items()}
    else:  # one pool: the seed-independent test carve-out of tfgen.data.splits
        pool = _stream(pools["train"]).enumerate()
        parts = {part: pool.filter(lambda i, _, want=(part == "test"): tf.equal(
            splits.in_test_carveout(i), want)).map(lambda i, el: el)
            for part in prepared.PARTS}
    return _Input(parts, 3, 0, f"lmdb:{path}")


def resolve_input(source: str, data_dir: str | None = None,
                  download: bool | None = None) -> _Input:
    """The input named by ``source`` (see the module docstring)."""
    from tfgen.data import registry

    if source.startswith(LMDB_PREFIX):
        return _lmdb(source[len(LMDB_PREFIX):])
    if source.startswith(registry.FOLDER_PREFIX):
        return _folder(source[len(registry.FOLDER_PREFIX):])
    if source.startswith(registry.PREPARED_PREFIX):
        raise ValueError(f"{source!r} is prepared already; expected a registered name, "
                         f"'npz:PATH', 'folder:PATH' or '{LMDB_PREFIX}PATH'")
    return _registered(source, data_dir, download)


def dedup_key(image: np.ndarray, levels: int) -> bytes:
    """The de-duplication key of a uint8 [H, W, C] image (see the module docstring)."""
    from PIL import Image

    grey = image[..., 0] if image.shape[-1] == 1 else np.asarray(
        Image.fromarray(image[..., :3]).convert("L"))
    thumb = np.asarray(Image.fromarray(grey).resize((DEDUP_SIDE, DEDUP_SIDE),
                                                    Image.Resampling.BOX), np.int32)
    return (thumb * levels // 256).astype(np.uint8).tobytes()


def _progress(total: int | None, description: str):
    """A tqdm bar when tqdm is installed; else an object that logs every 10 000 images."""
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=description, unit="img", mininterval=2.0)
    except ImportError:
        class _Log:
            n = 0

            def update(self, k):
                before, self.n = self.n, self.n + k
                if before // 10_000 != self.n // 10_000:
                    logging.info("%s: %d images", description, self.n)

            def close(self):
                logging.info("%s: %d images, done", description, self.n)

        return _Log()


class _ShardWriter:
    """Writes records into ``<part>-NNNNN.tfrecord`` shards of at most ``per_shard`` records."""

    def __init__(self, directory: str, part: str, per_shard: int):
        self.directory, self.part, self.per_shard = directory, part, per_shard
        self.shards: list[str] = []
        self.counts: list[int] = []
        self._writer = None

    def write(self, record: bytes) -> None:
        if self._writer is None or self.counts[-1] == self.per_shard:
            self._close_shard()
            self.shards.append(f"{self.part}-{len(self.shards):05d}.tfrecord")
            self.counts.append(0)
            self._writer = tf.io.TFRecordWriter(os.path.join(self.directory, self.shards[-1]))
        self._writer.write(record)
        self.counts[-1] += 1

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> dict:
        self._close_shard()
        return {"count": sum(self.counts), "shards": self.shards, "shard_counts": self.counts}


def prepare(source: str, output: str, image_size: int, *, examples_per_shard: int = 10_000,
            dedup: bool = False, dedup_levels: int = 16, max_examples: int | None = None,
            data_dir: str | None = None, download: bool | None = None,
            overwrite: bool = False, progress: bool = True) -> dict:
    """Write ``source`` as a prepared set at ``output``; returns the manifest.

    Args:
      source: a registered name, ``npz:PATH``, ``folder:PATH`` or ``lmdb:PATH``.
      output: the directory to create (it must not exist unless ``overwrite``).
      image_size: the side S of the stored S x S images.
      examples_per_shard: records per TFRecord file.
      dedup: drop exact and near-duplicate images (see the module docstring).
      dedup_levels: quantization levels of the de-duplication thumbnail, 2..256.
      max_examples: stop each part after this many written images (a quick sample).
      data_dir, download: as in :func:`tfgen.data.load` (TFDS inputs).
      overwrite: replace an existing prepared set at ``output``.
      progress: show a progress bar (tqdm, or log lines when tqdm is missing).

    Raises:
      FileExistsError: ``output`` exists and ``overwrite`` is False.
      ValueError / FileNotFoundError / DataNotFoundError: bad arguments, missing input data.
    """
    if not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"image_size must be a positive int, found {image_size!r}")
    if examples_per_shard < 1:
        raise ValueError(f"examples_per_shard must be >= 1, found {examples_per_shard}")
    if not 2 <= dedup_levels <= 256:
        raise ValueError(f"dedup_levels must be in [2, 256], found {dedup_levels}")
    output = os.path.abspath(output)
    if os.path.exists(output) and not overwrite:
        raise FileExistsError(f"{output} exists; pass overwrite=True (--overwrite) to replace it")
    data = resolve_input(source, data_dir, download)
    partial = output + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    seen: set[bytes] = set()
    parts, removed = {}, {}
    for part in prepared.PARTS:
        ds = data.parts[part].map(
            lambda image, label: (transforms.center_crop_resize(image, image_size), label),
            num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
        writer = _ShardWriter(partial, part, examples_per_shard)
        bar = _progress(None, f"{part} {data.description}") if progress else None
        removed[part] = 0
        for image, label in ds.as_numpy_iterator():
            if dedup:
                key = dedup_key(image, dedup_levels)
                if key in seen:
                    removed[part] += 1
                    continue
                seen.add(key)
            writer.write(prepared.serialize(image, label))
            if bar is not None:
                bar.update(1)
            if max_examples is not None and sum(writer.counts) >= max_examples:
                break
        if bar is not None:
            bar.close()
        parts[part] = writer.close()
    manifest = {
        "format": prepared.FORMAT, "shape": [image_size, image_size, data.channels],
        "num_classes": data.num_classes, "source": data.description, "resize": RESIZE_METHOD,
        "parts": parts, "max_examples": max_examples,
        "dedup": ({"method": f"{DEDUP_SIDE}x{DEDUP_SIDE} grey thumbnail (area average), "
                             f"{dedup_levels} levels, exact key match",
                   "levels": dedup_levels, "removed": removed} if dedup else None),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    with open(os.path.join(partial, prepared.MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
    if os.path.exists(output):
        shutil.rmtree(output)
    os.replace(partial, output)
    return manifest
