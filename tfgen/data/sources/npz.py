"""``npz:PATH`` — images stored in a numpy ``.npz`` archive.

Arrays:
  ``x``: uint8 [N, H, W] or [N, H, W, C] with C in {1, 3} (required).
  ``y``: integer [N] labels >= 0 (optional; without it labels are -1).
  ``x_test`` / ``y_test``: the test split, same rules (optional; ``y_test`` exactly when ``y``).

Without ``x_test`` the test split is a seed-independent carve-out of ``x`` (about 10%, see
:mod:`tfgen.data.splits`) and train is the rest. ``num_classes`` is ``max(y) + 1``.
"""

from __future__ import annotations

import os
import pathlib
import zipfile

import numpy as np

from tfgen.data import splits
from tfgen.data.sources.base import ArraySplit, SourceInfo, unlabelled


def _header(zf: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    with zf.open(key + ".npy") as f:
        version = np.lib.format.read_magic(f)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(f)
    return tuple(shape), dtype


class NpzSource:
    """Reads and checks a ``.npz`` archive (see module docstring for the expected arrays)."""

    def __init__(self, path: str | os.PathLike):
        self.path = pathlib.Path(path)
        self._headers = self._read_headers()

    def _fail(self, expected: str, found: str) -> ValueError:
        return ValueError(f"{self.path}: expected {expected}, found {found}")

    def _read_headers(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        if not self.path.is_file():
            raise FileNotFoundError(f"npz dataset file {self.path} does not exist")
        try:
            with zipfile.ZipFile(self.path) as zf:
                keys = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
                headers = {k: _header(zf, k) for k in keys}
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise self._fail("a .npz archive (numpy.savez)", f"an unreadable file ({e})") from e
        if "x" not in headers:
            raise self._fail("an array named 'x'", f"arrays {sorted(headers) or 'none'}")
        for x_key, y_key in (("x", "y"), ("x_test", "y_test")):
            if x_key in headers:
                self._check_x(x_key, *headers[x_key], reference=headers["x"][0])
            if y_key in headers:
                if x_key not in headers:
                    raise self._fail(f"'{x_key}' next to '{y_key}'", f"only '{y_key}'")
                self._check_y(y_key, *headers[y_key], n=headers[x_key][0][0])
        if "x_test" in headers and (("y" in headers) != ("y_test" in headers)):
            raise self._fail("'y_test' exactly when 'y' is present (labels on both splits or "
                             "neither)", f"arrays {sorted(headers)}")
        return headers

    def _check_x(self, key, shape, dtype, reference) -> None:
        if dtype != np.uint8:
            raise self._fail(f"'{key}' of dtype uint8", f"{dtype}")
        if len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3)):
            raise self._fail(f"'{key}' of shape [N, H, W] or [N, H, W, C] with C in (1, 3)",
                             f"shape {shape}")
        if key != "x" and (tuple(shape[1:3]) != tuple(reference[1:3])
                           or _channels(shape) != _channels(reference)):
            raise self._fail(f"'{key}' images shaped like 'x' {reference[1:]}", f"{shape[1:]}")

    def _check_y(self, key, shape, dtype, n) -> None:
        if dtype.kind not in "iu":
            raise self._fail(f"'{key}' of an integer dtype", f"{dtype}")
        if len(shape) != 1 or shape[0] != n:
            raise self._fail(f"'{key}' of shape [{n}] (one label per image)", f"shape {shape}")

    def _load(self, key: str) -> np.ndarray:
        with np.load(self.path, allow_pickle=False) as data:
            return data[key]

    def _labels(self, key: str, n: int) -> np.ndarray:
        if key not in self._headers:
            return unlabelled(n)
        y = self._load(key).astype(np.int64)
        if y.size and y.min() < 0:
            raise self._fail(f"'{key}' labels >= 0", f"minimum {y.min()}")
        return y

    def info(self) -> SourceInfo:
        shape, _ = self._headers["x"]
        num_classes = 0
        if "y" in self._headers:
            num_classes = 1 + max(int(self._labels(k, 0).max(initial=-1))
                                  for k in ("y", "y_test") if k in self._headers)
        return SourceInfo(shape=(shape[1], shape[2], _channels(shape)), num_classes=num_classes)

    def read(self, part: str) -> ArraySplit:
        has_test = "x_test" in self._headers
        x_key, y_key = ("x_test", "y_test") if part == "test" and has_test else ("x", "y")
        x = self._load(x_key)
        if x.ndim == 3:
            x = x[..., None]
        y = self._labels(y_key, len(x))
        if has_test:
            return ArraySplit(x, y)
        mask = splits.carve_test_mask(len(x))
        indices = np.flatnonzero(mask if part == "test" else ~mask)
        return ArraySplit(x[indices], y[indices], indices.astype(np.int64))


def _channels(shape: tuple[int, ...]) -> int:
    return 1 if len(shape) == 3 else shape[3]
