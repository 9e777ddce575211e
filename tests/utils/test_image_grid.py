"""tfgen.utils.images: grid layout by pixel position, PNG round trip."""

import os

import numpy as np
import pytest
from PIL import Image

from tfgen.utils.images import image_grid, save_png


def _tiles(n, h=2, w=3, c=1):
    """Image i is filled with the value 10 * (i + 1)."""
    return np.stack([np.full((h, w, c), 10 * (i + 1), np.uint8) for i in range(n)])


def test_layout_row_major_with_padding():
    grid = image_grid(_tiles(5), rows=2, pad=1)  # 2 rows x 3 cols, last cell empty
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 1) and grid.dtype == np.uint8
    for i in range(5):
        r, c = divmod(i, 3)
        y, x = 1 + r * 3, 1 + c * 4
        assert (grid[y:y + 2, x:x + 3] == 10 * (i + 1)).all(), i
    assert grid[4:6, 9:12].max() == 0  # empty cell (row 1, col 2)
    assert grid[0].max() == grid[:, 0].max() == grid[3].max() == grid[:, 4].max() == 0  # padding
    assert (grid > 0).sum() == 5 * 6


def test_default_rows_near_square_and_pad_value():
    assert image_grid(_tiles(10), pad=0).shape == (3 * 2, 4 * 3, 1)
    assert image_grid(_tiles(4), pad=0).shape == (2 * 2, 2 * 3, 1)
    assert image_grid(_tiles(1), pad=2).shape == (6, 7, 1)
    grid = image_grid(_tiles(2, c=3), rows=1, pad=1, pad_value=255)
    assert grid.shape == (4, 9, 3)
    assert (grid[0] == 255).all() and (grid[:, 4] == 255).all()
    assert (grid[1:3, 5:8] == 20).all()


@pytest.mark.parametrize("images, rows", [
    (np.zeros((2, 2, 2, 1), np.float32), None),
    (np.zeros((2, 2, 1), np.uint8), None),
    (np.zeros((0, 2, 2, 1), np.uint8), None),
    (np.zeros((2, 2, 2, 1), np.uint8), 3),
])
def test_rejects_bad_input(images, rows):
    with pytest.raises(ValueError, match="expects uint8|rows must be"):
        image_grid(images, rows=rows)


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB"), (4, "RGBA")])
def test_save_png_round_trip(tmp_path, channels, mode):
    image = np.random.default_rng(0).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    path = tmp_path / "sub" / "grid.png"
    save_png(str(path), image)
    with Image.open(path) as png:
        assert png.mode == mode
        np.testing.assert_array_equal(np.asarray(png).reshape(image.shape), image)
    assert os.listdir(tmp_path / "sub") == ["grid.png"]  # no temp file left


def test_save_png_failure_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "grid.png"
    save_png(str(path), np.zeros((2, 2, 1), np.uint8))

    def half_written(self, f, format=None):
        f.write(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", half_written)
    with pytest.raises(OSError, match="disk full"):
        save_png(str(path), np.full((3, 3, 1), 255, np.uint8))
    assert os.listdir(tmp_path) == ["grid.png"]  # no temp file left, old file intact
    monkeypatch.undo()
    with Image.open(path) as png:
        assert png.size == (2, 2) and np.asarray(png).max() == 0
