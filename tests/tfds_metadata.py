"""A TFDS data_dir in which a dataset looks prepared (its metadata only): pair it with
``tfds.testing.mock_data(data_dir=...)``, which supplies the examples."""

from __future__ import annotations

import os


def write_tfds_metadata(name: str, data_dir: str | os.PathLike, splits) -> None:
    """Write ``name``'s dataset_info under ``data_dir`` with ``splits`` of 10 examples each."""
    import tensorflow_datasets as tfds

    builder = tfds.builder(name, data_dir=str(data_dir))
    template = tfds.core.ShardedFileTemplate(
        data_dir=builder.data_path, template="{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}",
        dataset_name=builder.name, filetype_suffix="tfrecord")
    builder.info.set_splits(tfds.core.SplitDict([
        tfds.core.SplitInfo(name=s, shard_lengths=[10], num_bytes=0,
                            filename_template=template.replace(split=s))
        for s in splits]))
    builder.data_path.mkdir(parents=True, exist_ok=True)
    builder.info.write_to_directory(builder.data_path)
