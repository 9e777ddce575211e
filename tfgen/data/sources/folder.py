"""``folder:PATH`` — a tree of PNG/JPEG files.

Layout rules:

* If ``PATH/train`` and ``PATH/test`` are both folders they are the splits; otherwise all of
  ``PATH`` is one pool and test is a seed-independent ~10% carve-out (:mod:`tfgen.data.splits`).
* In a split folder each subfolder is a class: sorted subfolder names → labels 0, 1, ...
  (taken from ``train``; ``test`` may only use those names). Images are found recursively inside
  a class folder. A split folder with images and no subfolders is unlabelled (labels -1); images
  next to class subfolders are an error. Names starting with '.' are ignored.
* Channels: the first image (sorted order) decides — a greyscale mode ('1', 'L', 'LA', 'I', 'F',
  'I;16') gives C=1 ('L'), anything else C=3 ('RGB', alpha dropped); every image is converted.
* Every image is center-cropped to a square and resized to ``image_size`` (default 64) with
  PIL bilinear (antialiased when shrinking).

Images are decoded eagerly with PIL when a split is read (held in memory as uint8 [N, S, S, C]),
so a corrupt file fails at ``load`` with an error naming it. Meant for small custom sets.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
from PIL import Image

from tfgen.data import splits
from tfgen.data.sources.base import ArraySplit, SourceInfo

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
DEFAULT_SIZE = 64
_GREY_MODES = ("1", "L", "LA", "I", "F", "I;16", "I;16B", "I;16L")


def _visible(path: pathlib.Path) -> bool:
    return not path.name.startswith(".")


def _images_under(directory: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in directory.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and all(_visible(q) for q in p.relative_to(directory).parents if q.name)
                  and _visible(p))


def _list_split(directory: pathlib.Path, classes: list[str] | None
                ) -> tuple[list[pathlib.Path], list[int], list[str]]:
    """Files and labels of one split folder; ``classes`` fixes the class names (for test)."""
    subdirs = sorted(p.name for p in directory.iterdir() if p.is_dir() and _visible(p))
    loose = sorted(p for p in directory.iterdir()
                   if p.is_file() and _visible(p) and p.suffix.lower() in IMAGE_SUFFIXES)
    if subdirs and loose:
        raise ValueError(f"{directory}: expected either class subfolders or images, found both "
                         f"(subfolders {subdirs[:5]}, image {loose[0]})")
    if not subdirs:
        if classes:
            raise ValueError(f"{directory}: expected class subfolders {classes}, found none")
        return loose, [-1] * len(loose), []
    names = classes if classes is not None else subdirs
    unknown = sorted(set(subdirs) - set(names))
    if unknown:
        raise ValueError(f"{directory}: expected class subfolders among {names}, found {unknown}")
    files, labels = [], []
    for label, name in enumerate(names):
        if (directory / name).is_dir():
            found = _images_under(directory / name)
            files += found
            labels += [label] * len(found)
    return files, labels, names


def decode_image(path: pathlib.Path, size: int, mode: str) -> np.ndarray:
    """Decode one file → uint8 [size, size, 1 or 3]; ValueError naming the file if it fails."""
    try:
        with Image.open(path) as im:
            im = im.convert(mode)
            w, h = im.size
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            im = im.crop((left, top, left + side, top + side))
            if side != size:
                im = im.resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(im, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise ValueError(f"{path}: cannot decode image ({type(e).__name__}: {e})") from e
    return array.reshape(size, size, -1)


class FolderSource:
    """Indexes a folder tree on construction; decodes a split's images when it is read."""

    def __init__(self, root: str | os.PathLike, image_size: int | None = None):
        self.root = pathlib.Path(root)
        self.size = image_size or DEFAULT_SIZE
        if not self.root.is_dir():
            raise FileNotFoundError(f"image folder {self.root} does not exist")
        self.has_splits = (self.root / "train").is_dir() and (self.root / "test").is_dir()
        if self.has_splits:
            self.train_files, self.train_labels, self.classes = _list_split(
                self.root / "train", None)
            self.test_files, self.test_labels, _ = _list_split(
                self.root / "test", self.classes if self.classes else [])
        else:
            self.train_files, self.train_labels, self.classes = _list_split(self.root, None)
        if not self.train_files:
            raise ValueError(f"{self.root}: expected PNG/JPEG files {IMAGE_SUFFIXES}, found none")
        self.mode = self._mode_of(self.train_files[0])

    @staticmethod
    def _mode_of(path: pathlib.Path) -> str:
        try:
            with Image.open(path) as im:
                return "L" if im.mode in _GREY_MODES else "RGB"
        except (OSError, ValueError, SyntaxError) as e:
            raise ValueError(f"{path}: cannot decode image ({type(e).__name__}: {e})") from e

    def info(self) -> SourceInfo:
        return SourceInfo(shape=(None, None, 1 if self.mode == "L" else 3),
                          num_classes=len(self.classes), default_size=DEFAULT_SIZE)

    def _decode(self, files: list[pathlib.Path]) -> np.ndarray:
        channels = 1 if self.mode == "L" else 3
        out = np.empty([len(files), self.size, self.size, channels], np.uint8)
        for i, path in enumerate(files):
            out[i] = decode_image(path, self.size, self.mode)
        return out

    def read(self, part: str) -> ArraySplit:
        if self.has_splits:
            files, labels = ((self.test_files, self.test_labels) if part == "test"
                             else (self.train_files, self.train_labels))
            return ArraySplit(self._decode(files), np.asarray(labels, np.int64).reshape(-1))
        mask = splits.carve_test_mask(len(self.train_files))
        indices = np.flatnonzero(mask if part == "test" else ~mask)
        labels = np.asarray(self.train_labels, np.int64).reshape(-1)[indices]
        return ArraySplit(self._decode([self.train_files[i] for i in indices]), labels,
                          indices.astype(np.int64))
