"""Image grids for sample sheets, and atomic PNG writing."""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np
from PIL import Image


def image_grid(images: np.ndarray, rows: int | None = None, pad: int = 1,
               pad_value: int = 0) -> np.ndarray:
    """Tile uint8 ``[N, H, W, C]`` images row by row into one uint8 ``[H', W', C]`` image.

    Image ``i`` goes to row ``i // cols``, column ``i % cols``; ``rows`` defaults to a near-square
    layout (``cols = ceil(sqrt(N))``), and ``cols = ceil(N / rows)``. ``pad`` pixels of
    ``pad_value`` separate the tiles and frame the grid, so ``H' = rows * (H + pad) + pad`` and
    ``W' = cols * (W + pad) + pad``; unused cells are ``pad_value`` too.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[0] == 0:
        raise ValueError(f"image_grid expects uint8 [N, H, W, C] with N >= 1; got "
                         f"{images.dtype} {list(images.shape)}")
    n, h, w, c = images.shape
    if rows is None:
        rows = math.ceil(n / math.ceil(math.sqrt(n)))
    if not 1 <= rows <= n:
        raise ValueError(f"rows must be in [1, {n}] for {n} images; got {rows}")
    if pad < 0 or not 0 <= pad_value <= 255:
        raise ValueError(f"pad must be >= 0 and pad_value in [0, 255]; got {pad}, {pad_value}")
    cols = math.ceil(n / rows)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), pad_value, np.uint8)
    for i, image in enumerate(images):
        y, x = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        grid[y:y + h, x:x + w] = image
    return grid


def save_png(path: str, image: np.ndarray) -> None:
    """Write uint8 ``[H, W, C]`` (C in 1, 3, 4) or ``[H, W]`` as a PNG, atomically.

    The PNG is written to a temporary file in the target directory and moved into place with
    ``os.replace``, so readers never see a partial file. Parent directories are created.
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3
                                                           and image.shape[-1] in (3, 4))):
        raise ValueError(f"save_png expects uint8 [H, W] or [H, W, C] with C in (1, 3, 4); got "
                         f"{image.dtype} {list(np.shape(image))}")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".png", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            Image.fromarray(image).save(f, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
