"""IDX files (the MNIST/Fashion-MNIST format) and the local Fashion-MNIST source built on them.

IDX layout: two zero bytes, a type code, the number of dimensions n, then n big-endian uint32
sizes, then the data in C order (big-endian for multi-byte types). Files may be gzipped.
"""

from __future__ import annotations

import gzip
import os
import pathlib

import numpy as np

from tfgen.data.sources.base import ArraySplit

_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

FASHION_MNIST_ENV = "TFGEN_FASHION_MNIST_DIR"
FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: str | os.PathLike, *, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a native-endian numpy array.

    Args:
      path: the file.
      ndim: if given, the number of dimensions the file must have.

    Returns:
      Array of the file's shape; uint8 for the MNIST image/label files.

    Raises:
      ValueError: naming the file, on a bad magic number, unknown type code, wrong number of
        dimensions, or a length that does not match the header.
    """
    path = pathlib.Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"{path}: corrupt gzip stream ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(
            f"{path}: not an IDX file: expected magic bytes 00 00 <type in "
            f"{sorted(hex(t) for t in _IDX_TYPES)}> <ndim>, "
            f"found {raw[:4].hex(' ') or 'an empty file'}")
    dtype, n = _IDX_TYPES[raw[2]], raw[3]
    if ndim is not None and n != ndim:
        raise ValueError(f"{path}: expected an IDX file with {ndim} dimensions, found {n}")
    header = 4 + 4 * n
    if len(raw) < header:
        raise ValueError(f"{path}: truncated header: {n} dimensions need {header} bytes, "
                         f"found {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=n, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: header says shape {shape} of {dtype.name} ({expected} bytes "
                         f"with header), found {len(raw)} bytes")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory: pathlib.Path, stem: str) -> pathlib.Path | None:
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def fashion_mnist_dir() -> pathlib.Path | None:
    """The folder holding the Fashion-MNIST IDX files, or None.

    ``$TFGEN_FASHION_MNIST_DIR`` when set (and only it), else the Debian package
    ``dataset-fashion-mnist``'s ``/usr/share/datasets/fashion-mnist``. A folder counts when all
    four files (``.gz`` or plain) are in it.
    """
    env = os.environ.get(FASHION_MNIST_ENV)
    directory = pathlib.Path(env) if env else pathlib.Path(FASHION_MNIST_DEBIAN_DIR)
    stems = [s for pair in _FASHION_FILES.values() for s in pair]
    return directory if all(_find(directory, s) for s in stems) else None


class FashionMnistIdx:
    """Fashion-MNIST from its four IDX files: train 60000 and test 10000 images, uint8
    [28, 28, 1], labels 0..9."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = pathlib.Path(directory)

    def read(self, part: str) -> ArraySplit:
        image_stem, label_stem = _FASHION_FILES[part]
        image_path = _find(self.directory, image_stem) or self.directory / (image_stem + ".gz")
        label_path = _find(self.directory, label_stem) or self.directory / (label_stem + ".gz")
        images = read_idx(image_path, ndim=3)
        labels = read_idx(label_path, ndim=1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise ValueError(f"{image_path}, {label_path}: expected uint8 IDX data, found "
                             f"{images.dtype} images and {labels.dtype} labels")
        if len(images) != len(labels):
            raise ValueError(f"{image_path}: {len(images)} images but {label_path} has "
                             f"{len(labels)} labels")
        return ArraySplit(images[..., None], labels.astype(np.int64))
