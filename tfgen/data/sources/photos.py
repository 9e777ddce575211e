"""``photo_patches`` — S x S colour patches of real photographs that Python packages ship, for
offline experiments on natural images (TFDS cannot download everywhere).

The photographs (label = position in :data:`PHOTOS`; licences as the packages state them):

====  ===============  =====================================  ========  ==========================
label name             file                                   H x W     licence (as stated)
====  ===============  =====================================  ========  ==========================
0     astronaut        scikit-image skimage/data/astronaut.png  512x512  public domain (NASA)
1     chelsea          skimage/data/chelsea.png               300x451   CC0 (Stefan van der Walt)
2     coffee           skimage/data/coffee.png                400x600   CC0 (Rachel Michetti)
3     motorcycle_left  skimage/data/motorcycle_left.png       500x741   Middlebury 2014 stereo;
                                                                        scikit-image BSD-3-Clause
4     rocket           skimage/data/rocket.jpg                427x640   public domain (SpaceX)
5     china            scikit-learn sklearn/datasets/images/  427x640   CC BY 2.0 (danielbuechele)
                       china.jpg
6     flower           sklearn/datasets/images/flower.jpg     427x640   CC BY 2.0 (flickr vultilion)
====  ===============  =====================================  ========  ==========================

Left out of scikit-image's data: greyscale images, charts and logos (``color``, ``logo``,
``horse``, ``chessboard_RGB``, ``phantom``), microscopy and medical images (``ihc``,
``retina``), the telescope composite ``hubble_deep_field`` and ``motorcycle_right`` (the other
half of the stereo pair: nearly the same pixels as ``motorcycle_left``).

Splits, from disjoint pixels: in each photo of width W the columns ``[0, 4W // 5)`` are the
**train region** and ``[4W // 5, W)`` (the rightmost >= 20%) the **test region**. Each region is
tiled from its top-left corner with non-overlapping S x S patches (a remainder narrower than S is
dropped), photo by photo in label order, row-major; so no test pixel is in any train patch and
the set is a fixed function of S. The regions do not depend on S. Patches of one flat colour
(every pixel the same RGB: the black corner of ``astronaut``, clipped sky) are dropped from both
splits, and so is a test patch equal byte for byte to a train patch (one at S = 8), so no test
patch was seen in training. Validation is the usual seeded carve-out of the train patches. S (``--image_size``, default 32) may be at most 91, the width of
the narrowest test region (chelsea's), so every photo has test patches.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os

import numpy as np

from tfgen.data.sources.base import ArraySplit, SourceInfo
from tfgen.data.spec import DataNotFoundError

DEFAULT_SIZE = 32
TRAIN_FRACTION_NUMERATOR, TRAIN_FRACTION_DENOMINATOR = 4, 5


@dataclasses.dataclass(frozen=True)
class Photo:
    name: str
    package: str  # importable package whose folder holds the file
    path: str  # relative to that folder
    shape: tuple[int, int]  # (H, W)


PHOTOS = (
    Photo("astronaut", "skimage", "data/astronaut.png", (512, 512)),
    Photo("chelsea", "skimage", "data/chelsea.png", (300, 451)),
    Photo("coffee", "skimage", "data/coffee.png", (400, 600)),
    Photo("motorcycle_left", "skimage", "data/motorcycle_left.png", (500, 741)),
    Photo("rocket", "skimage", "data/rocket.jpg", (427, 640)),
    Photo("china", "sklearn", "datasets/images/china.jpg", (427, 640)),
    Photo("flower", "sklearn", "datasets/images/flower.jpg", (427, 640)),
)
INFO = SourceInfo(shape=(None, None, 3), num_classes=len(PHOTOS), default_size=DEFAULT_SIZE)
_PIP = {"skimage": "scikit-image", "sklearn": "scikit-learn"}


def split_column(width: int) -> int:
    """First column of the test region of a photo ``width`` pixels wide."""
    return width * TRAIN_FRACTION_NUMERATOR // TRAIN_FRACTION_DENOMINATOR


def max_size() -> int:
    """The largest S that gives every photo at least one test patch."""
    return min(p.shape[1] - split_column(p.shape[1]) for p in PHOTOS)


def _file(photo: Photo) -> str:
    spec = importlib.util.find_spec(photo.package)  # finds the folder without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataNotFoundError(
            f"photo_patches needs the sample photographs that {_PIP[photo.package]} ships "
            f"({photo.package}/{photo.path}); install it with `pip install "
            f"{_PIP[photo.package]}` (or `pip install tfgen[photos]`)")
    path = os.path.join(list(spec.submodule_search_locations)[0], photo.path)
    if not os.path.isfile(path):
        raise DataNotFoundError(f"photo_patches: expected {path} in the installed "
                                f"{_PIP[photo.package]}, found no such file; reinstall it with "
                                f"`pip install --force-reinstall {_PIP[photo.package]}`")
    return path


@functools.lru_cache(maxsize=None)
def load_photo(name: str) -> np.ndarray:
    """The photo ``name`` of :data:`PHOTOS` as uint8 [H, W, 3] (read-only)."""
    from PIL import Image

    photo = {p.name: p for p in PHOTOS}[name]
    path = _file(photo)
    with Image.open(path) as im:
        array = np.asarray(im.convert("RGB"), np.uint8)
    if array.shape[:2] != photo.shape:
        raise ValueError(f"{path}: expected a {photo.shape[0]}x{photo.shape[1]} photograph, "
                         f"found {array.shape[0]}x{array.shape[1]} (another package version?)")
    array.setflags(write=False)
    return array


def patch_corners(size: int, part: str) -> list[tuple[int, int, int]]:
    """(label, top, left) of every patch of ``part`` ("train"/"test") at side ``size``, in order."""
    corners = []
    for label, photo in enumerate(PHOTOS):
        height, width = photo.shape
        split = split_column(width)
        start, stop = (0, split) if part == "train" else (split, width)
        for top in range(0, height - size + 1, size):
            for left in range(start, stop - size + 1, size):
                corners.append((label, top, left))
    return corners


class PhotoPatches:
    """The ``photo_patches`` source at patch side ``size``."""

    def __init__(self, size: int | None = None):
        self.size = int(size or DEFAULT_SIZE)
        if self.size > max_size():
            raise ValueError(f"photo_patches: expected image_size <= {max_size()} (the narrowest "
                             f"test region, chelsea's, is {max_size()} px wide), found {self.size}")

    def _tiles(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """Every tile of ``part`` that is not one flat colour: (uint8 images, int64 labels)."""
        corners = patch_corners(self.size, part)
        s = self.size
        images = np.empty([len(corners), s, s, 3], np.uint8)
        for i, (label, top, left) in enumerate(corners):
            images[i] = load_photo(PHOTOS[label].name)[top:top + s, left:left + s]
        labels = np.array([label for label, _, _ in corners], np.int64)
        pixels = images.reshape(len(images), -1, 3)
        keep = ~np.all(pixels == pixels[:, :1], axis=(1, 2))
        return images[keep], labels[keep]

    def read(self, part: str) -> ArraySplit:
        images, labels = self._tiles(part)
        if part == "test":  # no test patch repeats a train patch byte for byte
            seen = {x.tobytes() for x in self._tiles("train")[0]}
            keep = np.array([x.tobytes() not in seen for x in images], bool)
            images, labels = images[keep], labels[keep]
        return ArraySplit(images, labels)
