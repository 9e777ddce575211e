"""Lossless image codecs as a floor for density models: bits/dim of coding uint8 images with
WebP (lossless) and PNG.

A density model's test NLL in bits/dim is a code length (arithmetic coding gets within a few bits
of it per image), so a general-purpose lossless coder on the same pixels is the bar a model must
clear. Two ways to count:

* **per image** — each image its own file: ``8 * sum(bytes) / (B * H * W * C)``. Includes every
  file's container and header overhead (tens of bytes: a visible share of a 32 x 32 patch);
* **mosaic** — the same images tiled row-major into one picture (rows x cols with rows the largest
  divisor of B not above sqrt(B), so no padding pixels; split in halves while wider or taller than
  WebP's 16383 px limit), coded once: one header, and the coder may share statistics across
  images. ``8 * bytes / (B * H * W * C)``.

Settings: WebP ``lossless=True, quality=100, method=6`` (Pillow/libwebp's strongest lossless
effort); PNG ``optimize=True, compress_level=9`` (Pillow/zlib). Greyscale images are coded as
Pillow's mode "L" (WebP stores them as RGB internally); bits/dim still divides by C = 1.
"""

from __future__ import annotations

import io
import math

import numpy as np

CODECS = ("webp", "png")
WEBP_MAX_SIDE = 16383
_SAVE_OPTIONS = {"webp": dict(format="WEBP", lossless=True, quality=100, method=6),
                 "png": dict(format="PNG", optimize=True, compress_level=9)}


def checked_images(images) -> np.ndarray:
    """``images`` as a uint8 [B, H, W, C] array (C in 1, 3, 4); ValueError naming what was found."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(f"expected uint8 images [B, H, W, C] with C in (1, 3, 4); found "
                         f"{images.dtype} {list(images.shape)}")
    return images


def _check_codec(codec: str) -> None:
    if codec not in CODECS:
        raise ValueError(f"unknown codec {codec!r}; expected one of {list(CODECS)}")


def encode(image, codec: str) -> bytes:
    """One uint8 [H, W, C] image (C in 1, 3, 4) → the bytes of a lossless ``codec`` file."""
    from PIL import Image

    _check_codec(codec)
    image = checked_images(np.asarray(image)[None])[0]
    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(
        buffer, **_SAVE_OPTIONS[codec])
    return buffer.getvalue()


def decode(data: bytes, channels: int) -> np.ndarray:
    """Bytes of a PNG/WebP file → uint8 [H, W, channels] (1: grey, 3: RGB, 4: RGBA)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        array = np.asarray(im.convert({1: "L", 3: "RGB", 4: "RGBA"}[channels]), np.uint8)
    return array.reshape(array.shape[0], array.shape[1], channels)


def mosaic_grid(n: int) -> tuple[int, int]:
    """(rows, cols) with rows * cols == n and rows the largest divisor of n <= sqrt(n)."""
    rows = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
    return rows, n // rows


def mosaic(images) -> np.ndarray:
    """uint8 [B, H, W, C] → one [rows*H, cols*W, C] picture, images row-major (see
    :func:`mosaic_grid`)."""
    images = checked_images(images)
    b, h, w, c = images.shape
    rows, cols = mosaic_grid(b)
    return images.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(
        rows * h, cols * w, c)


def _mosaic_bytes(images: np.ndarray, codec: str) -> int:
    rows, cols = mosaic_grid(len(images))
    h, w = images.shape[1:3]
    if len(images) > 1 and max(rows * h, cols * w) > WEBP_MAX_SIDE:
        half = len(images) // 2
        return _mosaic_bytes(images[:half], codec) + _mosaic_bytes(images[half:], codec)
    return len(encode(mosaic(images), codec))


def bits_per_dim(images, codec: str = "webp", *, as_mosaic: bool = False) -> float:
    """Bits per subpixel of coding ``images`` (uint8 [B, H, W, C]) losslessly with ``codec``,
    each image its own file or, with ``as_mosaic``, all of them as one mosaic."""
    _check_codec(codec)
    images = checked_images(images)
    if len(images) == 0:
        raise ValueError("expected at least one image, found an empty batch")
    total = (_mosaic_bytes(images, codec) if as_mosaic
             else sum(len(encode(image, codec)) for image in images))
    return 8.0 * total / images.size


def lossless_floor(images) -> dict[str, float]:
    """Bits/dim of ``images`` under every codec, per image and as a mosaic:
    ``{"webp_per_image", "webp_mosaic", "png_per_image", "png_mosaic"}``."""
    return {f"{codec}_{how}": bits_per_dim(images, codec, as_mosaic=how == "mosaic")
            for codec in CODECS for how in ("per_image", "mosaic")}
