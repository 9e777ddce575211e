"""Lossless codec floor: round trips, mosaics, bits/dim accounting."""

from __future__ import annotations

import numpy as np
import pytest

from tfgen.evaluation import codecs


def _images(n=6, shape=(12, 10, 3), seed=0):
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(rng.integers(-3, 4, size=(n, *shape)), axis=2)  # photo-like gradients
    return np.clip(smooth + 128, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("codec", codecs.CODECS)
@pytest.mark.parametrize("channels", [1, 3])
def test_lossless_round_trip(codec, channels):
    images = _images(shape=(12, 10, channels))
    for image in images:
        assert np.array_equal(codecs.decode(codecs.encode(image, codec), channels), image)
    whole = codecs.mosaic(images)
    assert np.array_equal(codecs.decode(codecs.encode(whole, codec), channels), whole)


def test_mosaic_layout_has_no_padding():
    assert codecs.mosaic_grid(6) == (2, 3) and codecs.mosaic_grid(7) == (1, 7)
    assert codecs.mosaic_grid(16) == (4, 4)
    images = _images()
    whole = codecs.mosaic(images)
    assert whole.shape == (2 * 12, 3 * 10, 3)
    assert np.array_equal(whole[12:24, 10:20], images[4])  # row-major: image 4 is row 1, col 1


def test_bits_per_dim_accounting_and_floor():
    images = _images(n=16)
    per_image = sum(len(codecs.encode(x, "webp")) for x in images) * 8 / images.size
    assert codecs.bits_per_dim(images, "webp") == pytest.approx(per_image)
    floor = codecs.lossless_floor(images)
    assert set(floor) == {"webp_per_image", "webp_mosaic", "png_per_image", "png_mosaic"}
    assert 0 < floor["webp_mosaic"] < floor["webp_per_image"]  # one header, shared statistics
    assert 0 < floor["webp_mosaic"] < 8 and floor["webp_mosaic"] < floor["png_mosaic"]


def test_wide_mosaic_is_split_under_the_webp_limit(monkeypatch):
    monkeypatch.setattr(codecs, "WEBP_MAX_SIDE", 25)  # 7 images of width 10 → split in halves
    images = _images(n=7)
    sizes = []
    real = codecs.encode
    monkeypatch.setattr(codecs, "encode", lambda x, c: sizes.append(x.shape) or real(x, c))
    codecs.bits_per_dim(images, "webp", as_mosaic=True)
    assert all(max(s[:2]) <= 25 for s in sizes) and sum(s[1] // 10 * s[0] // 12
                                                        for s in sizes) == 7


def test_bad_inputs():
    with pytest.raises(ValueError, match="unknown codec 'jpeg'"):
        codecs.bits_per_dim(_images(), "jpeg")
    with pytest.raises(ValueError, match="uint8"):
        codecs.bits_per_dim(_images().astype(np.float32))
    with pytest.raises(ValueError, match="empty"):
        codecs.bits_per_dim(np.zeros([0, 4, 4, 3], np.uint8))
