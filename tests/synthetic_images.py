"""Three-class grayscale images that a tiny CNN separates quickly, for classifier-based tests."""

import numpy as np


def three_class_images(rng: np.random.Generator, count: int, size: int, band: tuple[int, int],
                       corner: int, noise_max: int, bright: int):
    """(uint8 ``[count, size, size, 1]``, int64 ``[count]``): noise below ``noise_max`` with a
    bright row band (class 0), column band (class 1) or bottom-right corner (class 2)."""
    y = rng.integers(0, 3, count)
    x = rng.integers(0, noise_max, (count, size, size, 1)).astype(np.uint8)
    x[y == 0, band[0]:band[1], :, 0] = bright
    x[y == 1, :, band[0]:band[1], 0] = bright
    x[y == 2, corner:, corner:, 0] = bright
    return x, y
