"""Benchmark: the lossless-codec floor (bits/dim) on a dataset split, for density models to beat.

  .venv/bin/python benchmarks/codec_floor.py                          # photo_patches test, 32 px
  .venv/bin/python benchmarks/codec_floor.py --dataset=cifar10 --sizes=32 --max_examples=1000

Codes the split's images (uint8, as ``tfgen.data.load`` gives them) with
:func:`tfgen.evaluation.codecs.lossless_floor`: WebP lossless and PNG, each image its own file
and all images as one mosaic. Writes ``benchmarks/results/codec_floor_<dataset>.json``.
"""

from __future__ import annotations

import datetime
import os
import time

import numpy as np
from absl import app, flags

from tfgen import data
from tfgen.evaluation.codecs import lossless_floor
from tfgen.utils.machine import machine_info
from tfgen.utils.records import write_json

HERE = os.path.dirname(os.path.abspath(__file__))
flags.DEFINE_string("dataset", "photo_patches", "dataset name")
flags.DEFINE_enum("split", "test", ["train", "validation", "test"], "split")
flags.DEFINE_list("sizes", ["32"], "image sizes (--image_size of the dataset)")
flags.DEFINE_integer("max_examples", None, "code at most this many images (the first ones)",
                     lower_bound=1)
flags.DEFINE_string("output", "", "result file (default results/codec_floor_<dataset>.json)")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    rows = []
    for size in (int(s) for s in FLAGS.sizes):
        ds, spec = data.load(FLAGS.dataset, FLAGS.split, image_size=size)
        images = np.stack([x.numpy() for x, _ in ds])[:FLAGS.max_examples]
        start = time.perf_counter()
        floor = lossless_floor(images)
        rows.append({"image_size": size, "shape": list(spec.shape), "count": len(images),
                     "bits_per_dim": floor, "seconds": time.perf_counter() - start})
        print(f"{FLAGS.dataset} {FLAGS.split} {size}px, {len(images)} images: "
              + ", ".join(f"{k} {v:.3f}" for k, v in floor.items()) + " bits/dim")
    output = FLAGS.output or os.path.join(
        HERE, "results", f"codec_floor_{FLAGS.dataset.replace(':', '_').replace('/', '_')}.json")
    write_json(output, {"benchmark": "codec_floor", "dataset": FLAGS.dataset,
                        "split": FLAGS.split, "results": rows, "machine": machine_info(),
                        "date": datetime.datetime.now(datetime.timezone.utc).isoformat()})
    print(f"wrote {output}")


if __name__ == "__main__":
    app.run(main)
