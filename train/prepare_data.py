"""Write a dataset once as sharded, resized uint8 TFRecords, read back by ``--dataset=prepared:DIR``
(or, for a registered name, by the name itself when ``$TFGEN_DATA_DIR`` is set).

  python train/prepare_data.py --source=cifar10 --image_size=32 --output=/data/cifar10_32
  TFGEN_DATA_DIR=/data python train/prepare_data.py --source=lsun --image_size=64
      # → /data/lsun_bedroom_64, which `--dataset=lsun` then reads
  python train/prepare_data.py --source=lmdb:/data/lsun --output=/data/lsun_bedroom_64 \\
      --image_size=64 --dedup    # the LSUN LMDB export (bedroom_train_lmdb, bedroom_val_lmdb)
  python train/prepare_data.py --source=folder:/photos --image_size=128 --output=/data/photos

See :mod:`tfgen.data.prepare` for the inputs, the resize, the de-duplication filter and the
atomic write. Prints the manifest as JSON on stdout; exit status 1 with a message on stderr when
the input is missing or the arguments do not fit.
"""

from __future__ import annotations

import json
import sys

from absl import app, flags

from tfgen.utils.config import MAX_IMAGE_SIZE  # light: absl only, no TensorFlow

FLAGS = flags.FLAGS


def define_flags(flag_values: flags.FlagValues = FLAGS) -> None:
    """Define this command's flags (only when it runs, so importing it defines none)."""
    flags.DEFINE_string("source", None, "what to prepare: a registered dataset name (e.g. lsun, "
                        "cifar10), npz:PATH, folder:PATH or lmdb:PATH (LSUN LMDB export)",
                        flag_values=flag_values)
    flags.DEFINE_string("output", "", "directory to write (default for registered names: "
                        "$TFGEN_DATA_DIR/<name>_<image_size>)", flag_values=flag_values)
    flags.DEFINE_integer("image_size", None, "side S of the stored S x S images (default: the "
                         "dataset's own size; required for folder: and lmdb:)", lower_bound=1,
                         upper_bound=MAX_IMAGE_SIZE,
                         flag_values=flag_values)
    flags.DEFINE_integer("examples_per_shard", 10_000, "records per TFRecord shard",
                         lower_bound=1, flag_values=flag_values)
    flags.DEFINE_bool("dedup", False, "drop exact and near-duplicate images (8x8 grey thumbnail "
                      "key; see tfgen.data.prepare)", flag_values=flag_values)
    flags.DEFINE_integer("dedup_levels", 16, "quantization levels of the de-duplication key",
                         lower_bound=2, upper_bound=256, flag_values=flag_values)
    flags.DEFINE_integer("max_examples", None, "write at most this many images per part",
                         lower_bound=1, flag_values=flag_values)
    flags.DEFINE_string("data_dir", None, "TFDS data directory (registered TFDS names)",
                        flag_values=flag_values)
    flags.DEFINE_bool("download", False, "let TFDS download a registered name",
                      flag_values=flag_values)
    flags.DEFINE_bool("overwrite", False, "replace an existing prepared set at --output",
                      flag_values=flag_values)


def _output_and_size(flag_values: flags.FlagValues) -> tuple[str, int]:
    from tfgen.data import registry
    from tfgen.data.prepare import LMDB_PREFIX

    source = flag_values.source
    registered = not source.startswith((LMDB_PREFIX, registry.FOLDER_PREFIX,
                                        registry.NPZ_PREFIX))
    size = flag_values.image_size
    if size is None:
        if not registered:
            raise ValueError(f"--image_size is required for {source!r}")
        size = registry.get_spec(source).shape[0]
    output = flag_values.output or (registry.prepared_dir(source, size) if registered else None)
    if not output:
        raise ValueError(f"--output is required for {source!r}"
                         + (f" (or set ${registry.DATA_DIR_ENV})" if registered else ""))
    return output, size


def main(argv, flag_values: flags.FlagValues = FLAGS) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {list(argv[1:])}")
    from tfgen.data.prepare import prepare

    try:
        output, size = _output_and_size(flag_values)
        manifest = prepare(flag_values.source, output, size,
                           examples_per_shard=flag_values.examples_per_shard,
                           dedup=flag_values.dedup, dedup_levels=flag_values.dedup_levels,
                           max_examples=flag_values.max_examples,
                           data_dir=flag_values.data_dir, download=flag_values.download,
                           overwrite=flag_values.overwrite, progress=True)
    except (ValueError, FileNotFoundError, FileExistsError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps({"output": output, **manifest}, indent=2))
    return 0


def run_in_process(argv) -> int:
    """Parse ``argv`` into fresh flags and run :func:`main` (tests)."""
    flag_values = flags.FlagValues()
    define_flags(flag_values)
    remaining = flag_values(list(argv))
    if flag_values.source is None:
        raise app.UsageError("--source is required")
    return main(remaining, flag_values)


if __name__ == "__main__":
    define_flags()
    flags.mark_flag_as_required("source")
    app.run(main)
