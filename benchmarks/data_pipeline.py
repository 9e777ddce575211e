"""Benchmark: input-pipeline images/s, prepared TFRecord shards vs decoding JPEG files every epoch.

  .venv/bin/python benchmarks/data_pipeline.py                       # 2000 JPEGs, 64 px
  .venv/bin/python benchmarks/data_pipeline.py --num_images=500 --epochs=2 --image_size=32

The images: ``--num_images`` JPEG files (quality 90, ``--source_side`` px square) cut at seeded
random positions (and flips) from the two photographs scikit-learn ships (``china.jpg``,
``flower.jpg``), written to ``benchmarks/scratch/data_pipeline/jpegs``. Then, on the same files:

* ``jpeg_decode_each_epoch``: ``tf.data`` read_file → decode_jpeg → center crop + resize to
  ``--image_size`` (:func:`tfgen.data.transforms.center_crop_resize`, AUTOTUNE parallel) →
  batch → prefetch: the work a folder pipeline without a cache repeats every epoch;
* ``prepare``: ``train/prepare_data.py``'s :func:`tfgen.data.prepare.prepare` of the same
  folder once (its wall time is reported, not a rate);
* ``prepared_reader`` / ``prepared_reader_nondeterministic``: the shards through
  :class:`~tfgen.data.sources.prepared.PreparedSource` (train and test parts) → batch →
  prefetch, with the deterministic order the registry uses and with tf.data's sloppy order;
* ``prepared_load_make_pipeline``: ``tfgen.data.load("prepared:DIR", "train")`` →
  ``make_pipeline(training=True, cache=False)``: what training reads (validation carve-out,
  shuffle buffer, repeat), for ``epochs x`` the train split's batches.

Every path is iterated once untimed (warm-up: graph tracing, the OS file cache), then timed over
``--epochs`` passes; images/s = images delivered / seconds. Writes
``benchmarks/results/data_pipeline.json``.
"""

from __future__ import annotations

import datetime
import os
import shutil
import time

import numpy as np
import tensorflow as tf
from absl import app, flags
from PIL import Image

from tfgen import data
from tfgen.data.prepare import prepare
from tfgen.data.sources.prepared import PreparedSource
from tfgen.data.transforms import center_crop_resize
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_integer("num_images", 2000, "JPEG files to generate", lower_bound=1)
flags.DEFINE_integer("source_side", 256, "side of the generated JPEGs", lower_bound=8)
flags.DEFINE_integer("image_size", 64, "output side S", lower_bound=1)
flags.DEFINE_integer("batch_size", 64, "batch size", lower_bound=1)
flags.DEFINE_integer("epochs", 3, "timed passes per path", lower_bound=1)
flags.DEFINE_string("output", os.path.join(HERE, "results", "data_pipeline.json"), "result file")
FLAGS = flags.FLAGS


def make_jpegs(directory: str, n: int, side: int) -> list[str]:
    """``n`` seeded crops of scikit-learn's sample photographs as JPEG files."""
    from sklearn.datasets import load_sample_images

    photos = load_sample_images().images
    rng = np.random.default_rng(0)
    os.makedirs(directory, exist_ok=True)
    files = []
    for i in range(n):
        photo = photos[i % len(photos)]
        top = rng.integers(0, photo.shape[0] - side + 1)
        left = rng.integers(0, photo.shape[1] - side + 1)
        crop = photo[top:top + side, left:left + side]
        if rng.integers(2):
            crop = crop[:, ::-1]
        files.append(os.path.join(directory, f"{i:06d}.jpg"))
        Image.fromarray(np.ascontiguousarray(crop)).save(files[-1], quality=90)
    return files


def rate(make_ds, epochs: int, steps: int | None = None) -> dict:
    """Images/s of iterating ``make_ds()`` (a batched dataset) ``epochs`` times after a warm-up
    pass (``steps`` batches per pass when the dataset repeats forever)."""

    def one_pass(ds):
        images = 0
        for batch, _ in (ds.take(steps) if steps else ds):
            images += int(batch.shape[0])
        return images

    one_pass(make_ds())
    start = time.perf_counter()
    images = 0
    ds = make_ds()
    for _ in range(epochs):
        images += one_pass(ds)
    seconds = time.perf_counter() - start
    return {"images": images, "seconds": seconds, "images_per_second": images / seconds}


def main(argv):
    del argv
    size, batch = FLAGS.image_size, FLAGS.batch_size
    scratch = os.path.join(HERE, "scratch", "data_pipeline")
    shutil.rmtree(scratch, ignore_errors=True)
    files = make_jpegs(os.path.join(scratch, "jpegs"), FLAGS.num_images, FLAGS.source_side)
    jpeg_bytes = sum(os.path.getsize(f) for f in files)

    def jpeg_pipeline():
        def decode(path):
            image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
            return center_crop_resize(image, size), tf.constant(-1, tf.int64)

        return (tf.data.Dataset.from_tensor_slices(files)
                .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                .batch(batch).prefetch(tf.data.AUTOTUNE))

    results = {"jpeg_decode_each_epoch": rate(jpeg_pipeline, FLAGS.epochs)}
    out = os.path.join(scratch, "prepared")
    start = time.perf_counter()
    manifest = prepare(f"folder:{os.path.join(scratch, 'jpegs')}", out, size, progress=False)
    results["prepare"] = {"seconds": time.perf_counter() - start,
                          "images": sum(p["count"] for p in manifest["parts"].values())}
    shard_bytes = sum(os.path.getsize(os.path.join(out, s))
                      for p in manifest["parts"].values() for s in p["shards"])

    def reader(deterministic):
        source = PreparedSource(out, deterministic=deterministic)
        return lambda: (source.read("train").dataset.concatenate(source.read("test").dataset)
                        .batch(batch).prefetch(tf.data.AUTOTUNE))

    results["prepared_reader"] = rate(reader(True), FLAGS.epochs)
    results["prepared_reader_nondeterministic"] = rate(reader(False), FLAGS.epochs)
    train, _ = data.load(f"prepared:{out}", "train")
    steps = sum(1 for _ in train) // batch
    results["prepared_load_make_pipeline"] = rate(
        lambda: data.make_pipeline(data.load(f"prepared:{out}", "train")[0], batch,
                                   training=True, cache=False), FLAGS.epochs, steps)
    jpeg_rate = results["jpeg_decode_each_epoch"]["images_per_second"]
    result = {
        "benchmark": "data_pipeline", "num_images": FLAGS.num_images,
        "source_side": FLAGS.source_side, "image_size": size, "batch_size": batch,
        "epochs": FLAGS.epochs, "jpeg_megabytes": jpeg_bytes / 1e6,
        "shard_megabytes": shard_bytes / 1e6, "results": results,
        "speedup_prepared_vs_jpeg": results["prepared_reader"]["images_per_second"] / jpeg_rate,
        "machine": machine_info(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    write_json(FLAGS.output, result)
    summary = ", ".join(f"{k} {v['images_per_second']:.0f} img/s" for k, v in results.items()
                        if "images_per_second" in v)
    print(f"wrote {FLAGS.output}: {summary}; prepare {results['prepare']['seconds']:.1f} s")


if __name__ == "__main__":
    app.run(main)
