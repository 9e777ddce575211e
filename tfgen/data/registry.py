"""The registry of named datasets: name → source, resolution (TFDS / local files / download),
splits, class exclusion and binarization. Public entry points: :func:`load`, :func:`get_spec`,
:func:`dataset_names`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence

import numpy as np
import tensorflow as tf

from tfgen.data import splits, transforms
from tfgen.data.sources import idx, photos, text, toy2d
from tfgen.data.sources.base import Source, SourceInfo
from tfgen.data.sources.folder import FolderSource
from tfgen.data.sources.npz import NpzSource
from tfgen.data.sources.prepared import PreparedSource, read_manifest
from tfgen.data.sources.tfds_source import (TfdsConfig, TfdsSource, download_allowed,
                                            download_and_prepare, how_to_prepare,
                                            prepared_builder)
from tfgen.data.spec import IMAGE, POINTS, SPLITS, TEXT, DataNotFoundError, DatasetSpec
from tfgen.utils.config import MAX_IMAGE_SIZE, MAX_SEQUENCE_LENGTH

NPZ_PREFIX = "npz:"
FOLDER_PREFIX = "folder:"
PREPARED_PREFIX = "prepared:"
#: Where registered names look for a prepared copy first: ``$TFGEN_DATA_DIR/<name>_<size>``.
DATA_DIR_ENV = "TFGEN_DATA_DIR"
#: Other names for registered datasets (``--dataset=lsun`` is LSUN bedrooms).
ALIASES = {"lsun": "lsun_bedroom"}


@dataclasses.dataclass(frozen=True)
class _Options:
    data_dir: str | None
    download: bool
    image_size: int | None  # the output side (for sources that resize while decoding); the
    # sequence length for text
    use_prepared: bool = True  # registered names read $TFGEN_DATA_DIR/<name>_<size> first


@dataclasses.dataclass(frozen=True)
class _Entry:
    """A registered name: static info (for specs) and how to open its data."""

    info: Callable[[str], SourceInfo]  # argument after "npz:"/"folder:" ("" for plain names)
    open: Callable[[str, _Options], Source]


def _fashion_mnist_local() -> Source | None:
    directory = idx.fashion_mnist_dir()
    return idx.FashionMnistIdx(directory) if directory is not None else None


def _fashion_mnist_hint() -> str:
    env = os.environ.get(idx.FASHION_MNIST_ENV)
    return (f"; or install the Debian package `dataset-fashion-mnist` (files in "
            f"{idx.FASHION_MNIST_DEBIAN_DIR}) or set ${idx.FASHION_MNIST_ENV} to a folder with "
            f"train-/t10k-{{images-idx3,labels-idx1}}-ubyte[.gz]"
            + (f" (it is {env!r}, which lacks them)" if env else ""))


def prepared_dir(name: str, image_size: int) -> str | None:
    """``$TFGEN_DATA_DIR/<name>_<image_size>`` (``name`` after resolving aliases), or None when
    ``$TFGEN_DATA_DIR`` is unset: where ``train/prepare_data.py`` writes a registered name by
    default and where :func:`load` looks for it first."""
    root = os.environ.get(DATA_DIR_ENV)
    return os.path.join(root, f"{ALIASES.get(name, name)}_{image_size}") if root else None


def _prepared_copy(name: str, opts: _Options, info: SourceInfo) -> Source | None:
    """The prepared copy of a registered name at ``prepared_dir``, if one is complete there;
    ValueError when its images are not the ones the name gives."""
    path = prepared_dir(name, opts.image_size) if opts.use_prepared and opts.image_size else None
    if path is None or read_manifest(path) is None:
        return None
    source = PreparedSource(path)
    expected = (opts.image_size, opts.image_size, info.shape[2])
    if source.shape != expected:
        raise ValueError(f"{path}: expected prepared images of shape {expected} for {name!r}, "
                         f"found {source.shape}")
    return source


def _tfds_entry(name: str, config: TfdsConfig, info: SourceInfo, *,
                local: Callable[[], Source | None] | None = None,
                local_hint: Callable[[], str] = lambda: "") -> _Entry:
    """A TFDS-backed name. Order: prepared shards in ``$TFGEN_DATA_DIR/<name>_<size>`` →
    prepared TFDS copy → ``local()`` files → download (only when allowed) →
    :class:`DataNotFoundError` (with ``how_to_prepare`` + ``local_hint()``)."""

    def _open(_: str, opts: _Options) -> Source:
        if (source := _prepared_copy(name, opts, info)) is not None:
            return source
        builder = prepared_builder(config.tfds_name, opts.data_dir)
        if builder is not None:
            return TfdsSource(builder, config)
        if local is not None and (source := local()) is not None:
            return source
        if opts.download:
            return TfdsSource(download_and_prepare(config.tfds_name, opts.data_dir), config)
        hint = how_to_prepare(config.tfds_name, opts.data_dir)
        hint += local_hint()
        if config.tfds_name.startswith("lsun"):
            target = (prepared_dir(name, opts.image_size)
                      or f"${DATA_DIR_ENV}/{name}_{opts.image_size}")
            hint += ("; preparing LSUN with TFDS needs `pip install tensorflow-io` (lmdb "
                     "reader); or convert the LSUN LMDB export (bedroom_train_lmdb, "
                     "bedroom_val_lmdb) yourself with `pip install lmdb` and `python "
                     f"train/prepare_data.py --source=lmdb:DIR --output={target} "
                     f"--image_size={opts.image_size}`")
        else:
            hint += (f"; after that, `python train/prepare_data.py --source={name} "
                     f"--image_size={opts.image_size}` with ${DATA_DIR_ENV} set writes resized "
                     f"shards that {name!r} then reads first")
        raise DataNotFoundError(
            f"TFDS dataset {config.tfds_name!r} is not prepared in "
            f"{opts.data_dir or 'the default TFDS data_dir'} and downloads are off: {hint}.")

    return _Entry(info=lambda _: info, open=_open)


_GREY28 = (28, 28, 1)
_NO_SPLITS_TEST_IS_VALIDATION = {"train": "train", "test": "validation"}


def _imagenet(size: int) -> dict[str, _Entry]:
    """``imagenet<size>``: Chrabaszcz et al.'s labelled ImageNet32/64 (TFDS ``imagenet_resized``);
    ``downsampled_imagenet<size>``: van den Oord et al.'s unlabelled set (TFDS
    ``downsampled_imagenet``), the one the published PixelCNN/PixelVAE numbers used."""
    return {
        f"imagenet{size}": _tfds_entry(
            f"imagenet{size}", TfdsConfig(f"imagenet_resized/{size}x{size}",
                                          parts=_NO_SPLITS_TEST_IS_VALIDATION),
            SourceInfo((size, size, 3), 1000)),
        f"downsampled_imagenet{size}": _tfds_entry(
            f"downsampled_imagenet{size}",
            TfdsConfig(f"downsampled_imagenet/{size}x{size}",
                       parts=_NO_SPLITS_TEST_IS_VALIDATION, label_key=None),
            SourceInfo((size, size, 3), 0)),
    }


_ENTRIES: dict[str, _Entry] = {
    "mnist": _tfds_entry("mnist", TfdsConfig("mnist"), SourceInfo(_GREY28, 10)),
    "fashion_mnist": _tfds_entry("fashion_mnist", TfdsConfig("fashion_mnist"),
                                 SourceInfo(_GREY28, 10), local=_fashion_mnist_local,
                                 local_hint=_fashion_mnist_hint),
    "binarized_fashion_mnist": _tfds_entry(
        "binarized_fashion_mnist", TfdsConfig("fashion_mnist"),
        SourceInfo(_GREY28, 10, force_binarize=True),
        local=_fashion_mnist_local, local_hint=_fashion_mnist_hint),
    "binarized_mnist": _tfds_entry(
        "binarized_mnist", TfdsConfig("binarized_mnist", label_key=None, zero_one=True),
        SourceInfo(_GREY28, 0, binary=True)),
    "cifar10": _tfds_entry("cifar10", TfdsConfig("cifar10"), SourceInfo((32, 32, 3), 10)),
    "lsun_bedroom": _tfds_entry(
        "lsun_bedroom",
        TfdsConfig("lsun/bedroom", parts=_NO_SPLITS_TEST_IS_VALIDATION, label_key=None),
        SourceInfo((None, None, 3), 0, default_size=64)),
    **_imagenet(32),
    **_imagenet(64),
    "photo_patches": _Entry(info=lambda _: photos.INFO,
                            open=lambda _, opts: photos.PhotoPatches(opts.image_size)),
    **{name: _Entry(info=lambda _: toy2d.INFO, open=lambda _, __, n=name: toy2d.Toy2DSource(n))
       for name in toy2d.NAMES},
    **{name: _Entry(info=lambda _, n=name: text.info(n),
                    open=lambda _, opts, n=name: text.TextSource(n, opts.image_size))
       for name in text.CORPORA},
}
_ENTRIES.update({alias: _ENTRIES[name] for alias, name in ALIASES.items()})
_PREFIXED: dict[str, _Entry] = {
    NPZ_PREFIX: _Entry(info=lambda path: NpzSource(path).info(),
                       open=lambda path, _: NpzSource(path)),
    FOLDER_PREFIX: _Entry(info=lambda path: FolderSource(path).info(),
                          open=lambda path, opts: FolderSource(path, opts.image_size)),
    PREPARED_PREFIX: _Entry(info=lambda path: PreparedSource(path).info(),
                            open=lambda path, _: PreparedSource(path)),
    text.TEXT_PREFIX: _Entry(info=lambda path: text.info(text.TEXT_PREFIX + path),
                             open=lambda path, opts: text.TextSource(text.TEXT_PREFIX + path,
                                                                     opts.image_size)),
}


def dataset_names() -> list[str]:
    """Sorted registered names, aliases included (plus the ``npz:PATH``, ``folder:PATH``,
    ``prepared:PATH`` and ``text:PATH`` forms, not listed)."""
    return sorted(_ENTRIES)


def _lookup(name: str) -> tuple[_Entry, str]:
    for prefix, entry in _PREFIXED.items():
        if name.startswith(prefix):
            if not name[len(prefix):]:
                raise ValueError(f"dataset name {name!r} needs a path after {prefix!r}")
            return entry, name[len(prefix):]
    if name in _ENTRIES:
        return _ENTRIES[name], ""
    raise ValueError(f"unknown dataset {name!r}; expected one of {dataset_names()}, "
                     f"or '{NPZ_PREFIX}PATH' (a .npz file) or '{FOLDER_PREFIX}PATH' (image folder) or "
                     f"'{PREPARED_PREFIX}PATH' (train/prepare_data.py output) or "
                     f"'{text.TEXT_PREFIX}PATH' (text, one sentence per line)")




def _spec(name: str, info: SourceInfo, image_size: int | None, binarize: bool) -> DatasetSpec:
    if info.kind == POINTS:
        if image_size is not None or binarize:
            raise ValueError(f"{name!r} is a 2-D point set: expected image_size=None and "
                             f"binarize=False, found image_size={image_size}, binarize={binarize}")
        return DatasetSpec(name, tuple(info.shape), info.num_classes, POINTS, False)
    if image_size is not None and (not isinstance(image_size, (int, np.integer))
                                   or isinstance(image_size, bool) or image_size < 1):
        raise ValueError(f"image_size must be a positive int or None, found {image_size!r}")
    limit = MAX_SEQUENCE_LENGTH if info.kind == TEXT else MAX_IMAGE_SIZE
    if image_size is not None and image_size > limit:
        what = "a text sequence length" if info.kind == TEXT else "an image side"
        raise ValueError(f"image_size={image_size} for {name!r} is over the largest {what} "
                         f"tfgen accepts, {limit}: one batch would not fit in memory")
    if info.kind == TEXT:
        if binarize:
            raise ValueError(f"{name!r} is text: expected binarize=False")
        length = int(image_size) if image_size is not None else info.shape[0]
        return DatasetSpec(name, (length, info.shape[1]), 0, TEXT, False,
                           vocabulary=tuple(info.vocabulary))
    h, w, c = info.shape
    if image_size is not None:
        shape = (int(image_size), int(image_size), c)
    elif h is None or w is None:
        shape = (info.default_size, info.default_size, c)
    else:
        shape = (h, w, c)
    if info.binary and shape != tuple(info.shape):
        raise ValueError(f"{name!r} is statically binarized at {h}x{w}; resizing it would break "
                         f"the binarization (found image_size={image_size})")
    binarize = binarize or info.force_binarize
    if binarize and c != 1:
        raise ValueError(f"binarize=True needs a greyscale dataset; {name!r} has {c} channels")
    return DatasetSpec(name, shape, info.num_classes, IMAGE, binarize or info.binary)


def get_spec(name: str, image_size: int | None = None, binarize: bool = False) -> DatasetSpec:
    """The :class:`DatasetSpec` that :func:`load` would return, without reading pixel data.

    Registered names need no data on disk; ``npz:`` reads the archive's headers (and labels),
    ``folder:`` lists the tree and opens the first image; text names read their corpus (to fit
    the vocabulary).
    """
    entry, arg = _lookup(name)
    return _spec(name, entry.info(arg), image_size, binarize)


def open_source(name: str, image_size: int | None = None, *, data_dir: str | None = None,
                download: bool | None = None) -> tuple[DatasetSpec, Source]:
    """The spec of ``name`` and its resolved source, whose ``read("train"/"test")`` gives the
    source's own parts (no validation carve-out; images at their stored size, which
    :func:`load` would crop and resize to ``spec.shape``). A prepared copy in
    ``$TFGEN_DATA_DIR`` is skipped: this is what ``train/prepare_data.py`` reads from."""
    entry, arg = _lookup(name)
    spec = _spec(name, entry.info(arg), image_size, False)
    opts = _Options(data_dir=data_dir, download=download_allowed(download),
                    image_size=spec.shape[0] if spec.kind in (IMAGE, TEXT) else None,
                    use_prepared=False)
    return spec, entry.open(arg, opts)


def load(name: str, split: str = "train", *, image_size: int | None = None,
         exclude_classes: Sequence[int] = (), binarize: bool = False, seed: int = 0,
         validation_fraction: float = 0.1, data_dir: str | None = None,
         download: bool | None = None) -> tuple[tf.data.Dataset, DatasetSpec]:
    """Load a split of a named dataset.

    Args:
      name: a name from :func:`dataset_names`, ``"npz:PATH"``, ``"folder:PATH"``,
        ``"prepared:PATH"`` or ``"text:PATH"``. A registered image name reads the prepared
        shards in ``$TFGEN_DATA_DIR/<name>_<S>`` first when that directory is complete (S the
        output side; aliases resolved: ``lsun`` → ``lsun_bedroom_64``).
      split: ``"train"``, ``"validation"`` or ``"test"``. Validation is a seeded carve-out of the
        source's train split (see :mod:`tfgen.data.splits`); train is the rest of it.
      image_size: output side S for images (center crop to square, then resize); None keeps
        the native size (64 for ``lsun_bedroom`` and folders). For text it is
        the sequence length L (None: 32).
      exclude_classes: labels removed from train and validation only; test keeps every class
        (leave-classes-out OOD experiments).
      binarize: dynamic binarization of a greyscale dataset. For ``split="train"`` the draw is
        fresh on every iteration (and per epoch through :func:`tfgen.data.make_pipeline`); for
        validation/test it is frozen, keyed by (seed, example index).
      seed: seeds the validation carve-out and the binarization.
      validation_fraction: expected fraction of the train split given to validation, in [0, 1).
      data_dir: TFDS data directory (TFDS default when None).
      download: allow TFDS downloads; None reads ``$TFGEN_ALLOW_DOWNLOAD``. Never downloads
        otherwise.

    Returns:
      ``(dataset, spec)``: an unbatched dataset of ``(image uint8 [H, W, C] in [0, 255],
      label int64 scalar)`` — ``(float32 [2], label 0)`` for point sets, ``(float32 one-hot
      [L, V], label -1)`` for text (see :mod:`tfgen.data.sources.text`) — and its spec.

    Raises:
      ValueError: unknown name/split, bad arguments, malformed files.
      DataNotFoundError: the data is not available locally and downloading is off.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), found {validation_fraction}")
    entry, arg = _lookup(name)
    info = entry.info(arg)
    spec = _spec(name, info, image_size, binarize)
    exclude = tuple(int(c) for c in exclude_classes)
    if exclude and (spec.num_classes == 0
                    or any(not 0 <= c < spec.num_classes for c in exclude)):
        raise ValueError(f"exclude_classes must be labels of {name!r} in "
                         f"[0, {spec.num_classes}), found {list(exclude)}"
                         + (" (the dataset is unlabelled)" if spec.num_classes == 0 else ""))
    if exclude and set(exclude) >= set(range(spec.num_classes)) and split != "test":
        raise ValueError(f"exclude_classes {sorted(set(exclude))} removes every class of "
                         f"{name!r}: no {split} data would be left; keep at least one of its "
                         f"{spec.num_classes} classes")

    opts = _Options(data_dir=data_dir, download=download_allowed(download),
                    image_size=spec.shape[0] if spec.kind in (IMAGE, TEXT) else None)
    part = "test" if split == "test" else "train"
    ds = splits.select(entry.open(arg, opts).read(part), split, seed, validation_fraction,
                       exclude)

    if spec.kind == IMAGE and tuple(ds.element_spec[1].shape) != spec.shape:
        size = spec.shape[0]
        ds = ds.map(lambda i, image, label: (i, transforms.center_crop_resize(image, size), label),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if spec.kind == TEXT:
        vocab = spec.shape[1]
        return ds.map(lambda i, codes, label: (
            tf.one_hot(tf.cast(codes, tf.int32), vocab, dtype=tf.float32), label)), spec
    dynamic = spec.binarized and not info.binary
    if dynamic and split != "train":
        # Frozen: keyed by (seed, the example's index in its source), identical on every call.
        ds = ds.map(lambda i, image, label: (transforms.binarize_at(image, seed, i), label),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds, spec
    ds = ds.map(lambda i, image, label: (image, label))
    if dynamic:
        ds = transforms.binarize_redrawn(ds, seed)
    return ds, spec
