"""Batching pipelines for training and evaluation over :func:`tfgen.data.load` datasets."""

from __future__ import annotations

import tensorflow as tf

from tfgen.data import transforms


def make_pipeline(ds: tf.data.Dataset, batch_size: int, *, training: bool, seed: int = 0,
                  shuffle_buffer: int = 10_000, cache: bool = True,
                  drop_remainder: bool | None = None, repeat: bool | None = None
                  ) -> tf.data.Dataset:
    """Batch an unbatched ``(image, label)`` dataset.

    training: cache → shuffle(shuffle_buffer, seed, reshuffled every epoch) → repeat → batch
      (drop_remainder=True) → prefetch.
    eval: cache → batch (remainder kept) → prefetch.

    ``drop_remainder`` and ``repeat`` default to ``training``. The result is a deterministic
    function of ``seed`` (and TF's global seed, which tf.data's shuffle mixes in), so a resumed
    run reproduces the stream exactly with ``make_pipeline(...).skip(steps)``.

    Dynamic binarization of a ``load(..., split="train", binarize=True)`` dataset is applied
    *after* the cache, so the cache holds grey images and every epoch gets a fresh draw. With
    ``repeat`` the draw is keyed by (load seed, ``seed``, running element counter) — exact under
    ``skip``; without ``repeat`` it is redrawn on each iteration. Pass the dataset exactly as
    ``load`` returned it: a dataset derived from it by other tf.data ops loses this (caching it
    would freeze the first draw).

    Args:
      ds: unbatched ``(image uint8 [H, W, C], label int64)`` (or ``(float32 [2], label)``).
      batch_size: examples per batch.
      training: training or evaluation pipeline.
      seed: shuffle (and training binarization) seed.
      shuffle_buffer: shuffle buffer size (training only).
      cache: cache in memory after the first pass (turn off for data larger than RAM).
      drop_remainder: drop a last partial batch; default ``training``.
      repeat: repeat forever; default ``training``.

    Returns:
      A dataset of ``(images [B, H, W, C] uint8, labels [B] int64)`` batches.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, found {batch_size}")
    drop_remainder = training if drop_remainder is None else drop_remainder
    repeat = training if repeat is None else repeat
    redraw = transforms.redraw_source(ds)
    if redraw is not None:
        ds = redraw.source  # grey images; binarized below, after cache/shuffle/repeat
    if cache:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if redraw is not None:
        if repeat:
            ds = transforms.binarize_by_position(
                ds, tf.constant([redraw.seed, seed], tf.int64), training=True)
        else:  # one int seed for Dataset.random, mixing the load seed and this seed
            ds = transforms.binarize_redrawn(ds, redraw.seed * 1_000_003 + seed)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
