"""Pixel transforms, declared once: binarization, scaling, dequantization, crop-and-resize.

All randomness is stateless (explicit seeds), so every transform is reproducible exactly.

Dynamic binarization has three forms, one per place it is used:

* :func:`binarize_by_position` keys each element's draw by ``(seed, position in the stream)``.
  On an un-repeated split (``load`` of validation/test) that is a *frozen* binarization: the same
  arrays on every iteration and every call. After ``repeat()`` (the training pipeline) the
  position keeps counting, so each epoch gets a fresh draw that is still a pure function of the
  seed — resuming with ``ds.skip(steps)`` reproduces it exactly.
* :func:`binarize_redrawn` draws a fresh binarization each time the dataset is iterated (what
  ``load(..., split="train", binarize=True)`` returns). It remembers its grey source, so
  :func:`tfgen.data.make_pipeline` can cache the *grey* images and binarize after the cache
  (see :func:`redraw_source`).
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

SeedLike = int | tf.Tensor

_EVAL_SALT = 0x5EED_B1  # separates the frozen (eval) key stream from the training one
_TRAIN_SALT = 0x5EED_B2


def _as_seed(seed: SeedLike) -> tf.Tensor:
    """An int or a shape-[2] integer tensor → a shape-[2] int64 stateless seed."""
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    seed = tf.cast(tf.convert_to_tensor(seed), tf.int64)
    if seed.shape.rank == 0:
        return tf.stack([seed, tf.constant(0, tf.int64)])
    return seed


def scale_to_unit(images: tf.Tensor) -> tf.Tensor:
    """Pixel values in [0, 255] (uint8 or float, any shape) → float32 in [-1, 1] (0 ↦ -1,
    255 ↦ 1): the one [-1, 1] scaling of tfgen's networks; :func:`scale_to_uint8` inverts it."""
    return tf.cast(images, tf.float32) / 127.5 - 1.0


def scale_to_uint8(x: tf.Tensor) -> tf.Tensor:
    """float in [-1, 1] (any shape) → uint8 pixels in [0, 255], rounded to the nearest value and
    clipped; ``scale_to_uint8(scale_to_unit(images)) == images`` for every uint8 value."""
    x = tf.cast(x, tf.float32)
    return tf.cast(tf.round(tf.clip_by_value((x + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)


def dequantize(images: tf.Tensor, seed: SeedLike) -> tf.Tensor:
    """Uniform dequantization: uint8 x (any shape) → float32 (x + u) / 256 in [0, 1), u ~ U[0, 1).

    Args:
      images: uint8 tensor in [0, 255].
      seed: int or shape-[2] integer tensor (stateless seed).
    """
    x = tf.cast(images, tf.float32)
    u = tf.random.stateless_uniform(tf.shape(images), seed=_as_seed(seed), dtype=tf.float32)
    # x + u can round up to x + 1 in float32; keep every value inside its own bin [x, x+1)/256.
    return tf.minimum((x + u) / 256.0, tf.math.nextafter((x + 1.0) / 256.0, 0.0))


def binarize(images: tf.Tensor, seed: SeedLike) -> tf.Tensor:
    """Stochastic binarization: pixel p = x/255 becomes 255 with probability p, else 0.

    Args:
      images: uint8 tensor in [0, 255] (any shape).
      seed: int or shape-[2] integer tensor (stateless seed).

    Returns:
      uint8 tensor of the same shape with values in {0, 255}.
    """
    p = tf.cast(images, tf.float32) / 255.0
    u = tf.random.stateless_uniform(tf.shape(images), seed=_as_seed(seed), dtype=tf.float32)
    return tf.where(u < p, tf.constant(255, tf.uint8), tf.constant(0, tf.uint8))


def center_crop_resize(image: tf.Tensor, size: int) -> tf.Tensor:
    """Center-crop an image to a square, then resize it to ``size`` x ``size``.

    Args:
      image: uint8 [H, W, C] (H, W may be dynamic).
      size: output side in pixels.

    Returns:
      uint8 [size, size, C]; bilinear resampling with antialiasing (area-like when shrinking),
      rounded and clipped to [0, 255]. An image already ``size`` x ``size`` is returned unchanged.
    """
    shape = tf.shape(image)
    h, w = shape[0], shape[1]
    side = tf.minimum(h, w)
    crop = tf.image.crop_to_bounding_box(image, (h - side) // 2, (w - side) // 2, side, side)

    def _resize() -> tf.Tensor:
        resized = tf.image.resize(crop, [size, size], method="bilinear", antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)

    out = tf.cond(tf.equal(side, size), lambda: crop, _resize)
    return tf.ensure_shape(out, [size, size, image.shape[-1]])


def binarize_at(images: tf.Tensor, seed: SeedLike, position: tf.Tensor, *,
                training: bool = False) -> tf.Tensor:
    """:func:`binarize` with the stateless seed ``fold_in(fold_in(seed, salt), position)``.

    ``position`` is an int64 scalar: an example's index (frozen eval binarization) or a running
    element counter (training). ``training`` picks a separate salt so the two never coincide.
    """
    key = tf.random.experimental.stateless_fold_in(
        _as_seed(seed), _TRAIN_SALT if training else _EVAL_SALT)
    return binarize(images, tf.random.experimental.stateless_fold_in(key, position))


def binarize_by_position(ds: tf.data.Dataset, seed: SeedLike, *, training: bool = False
                         ) -> tf.data.Dataset:
    """Binarize the images of an ``(image, label)`` dataset, keyed by stream position.

    Element k gets :func:`binarize_at` ``(image, seed, k)``. On a finite split this is a frozen
    binarization; after ``repeat()`` each epoch is a fresh draw, reproducible given ``seed``.
    """

    def _apply(position, element):
        image, label = element
        return binarize_at(image, seed, position, training=training), label

    return ds.enumerate().map(_apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


@dataclasses.dataclass(frozen=True)
class RedrawBinarization:
    """Marks a dataset whose binarization is redrawn each iteration (see :func:`redraw_source`).

    Attributes:
      source: the grey ``(uint8 image, int64 label)`` dataset before binarization.
      seed: the seed given to :func:`binarize_redrawn`.
    """

    source: tf.data.Dataset
    seed: int


_REDRAW_ATTR = "_tfgen_redraw_binarization"


def binarize_redrawn(ds: tf.data.Dataset, seed: int) -> tf.data.Dataset:
    """Binarize an ``(image, label)`` dataset with a fresh draw on every iteration.

    Iteration e of the returned dataset uses the e-th seed of a ``Dataset.random(seed,
    rerandomize_each_iteration=True)`` stream, so the sequence of draws is reproducible given
    ``seed`` (and TF's global seed, which ``Dataset.random`` mixes in). The grey source is recorded
    on the returned object: caching *this* dataset would freeze its first draw, so
    :func:`tfgen.data.make_pipeline` caches the source and binarizes after the cache.
    """
    redraw = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def _apply(element, r):
        image, label = element
        return binarize(image, tf.stack([r, tf.constant(seed, tf.int64)])), label

    out = tf.data.Dataset.zip(ds, redraw).map(
        _apply, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    setattr(out, _REDRAW_ATTR, RedrawBinarization(source=ds, seed=seed))
    return out


def redraw_source(ds: tf.data.Dataset) -> RedrawBinarization | None:
    """The :class:`RedrawBinarization` recorded by :func:`binarize_redrawn` on ``ds``, if any.

    Only the object ``binarize_redrawn`` returned carries it: a dataset derived from it by further
    tf.data ops does not.
    """
    return getattr(ds, _REDRAW_ATTR, None)


def perturb_pixels(images: tf.Tensor, probability: float, seed: SeedLike) -> tf.Tensor:
    """Ren et al. (2019)'s background-model noise: each subpixel becomes a uniform random value.

    Every element of ``images`` is independently replaced, with probability ``probability``
    (the paper's mu), by a value drawn uniformly from {0, ..., 255}.

    Args:
      images: uint8 tensor in [0, 255] (any shape, e.g. a batch ``[B, H, W, C]``).
      probability: mu in [0, 1]; 0 returns ``images`` unchanged.
      seed: int or shape-[2] integer tensor (stateless seed).

    Returns:
      uint8 tensor of the same shape.
    """
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"perturbation probability must be in [0, 1], found {probability}")
    key = _as_seed(seed)
    replace = tf.random.stateless_uniform(tf.shape(images), seed=key) < probability
    values = tf.random.stateless_uniform(
        tf.shape(images), seed=tf.random.experimental.stateless_fold_in(key, 1),
        minval=0, maxval=256, dtype=tf.int32)
    return tf.where(replace, tf.cast(values, tf.uint8), images)
