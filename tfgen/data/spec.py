"""What a dataset is, independent of how it is read: :class:`DatasetSpec` and the data errors."""

from __future__ import annotations

import dataclasses

SPLITS = ("train", "validation", "test")
IMAGE = "image"
POINTS = "points"
TEXT = "text"


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Static description of the elements a :func:`tfgen.data.load` dataset yields.

    Attributes:
      name: Registry name the dataset was loaded by (``"mnist"``, ``"npz:/path/x.npz"``, ...).
      shape: Shape of one element's first component: ``(H, W, C)`` for images (uint8 in
        [0, 255]), ``(2,)`` for toy 2-D point sets (float32), ``(L, V)`` for text (float32
        one-hot characters: L positions over a vocabulary of V).
      num_classes: Number of label values ``0..num_classes-1``; 0 when unlabelled (labels are -1).
      kind: ``"image"``, ``"points"`` or ``"text"``.
      binarized: True when images only take the values {0, 255}.
      vocabulary: text only: ``vocabulary[i]`` is the character of one-hot index i (index 0
        pads, 1 stands for unknown characters; see :mod:`tfgen.data.sources.text`).
    """

    name: str
    shape: tuple[int, ...]
    num_classes: int
    kind: str
    binarized: bool
    vocabulary: tuple[str, ...] = ()

    @property
    def num_dims(self) -> int:
        """Number of scalars per element (H*W*C for images): the divisor of bits/dim."""
        n = 1
        for d in self.shape:
            n *= d
        return n


class DataNotFoundError(FileNotFoundError):
    """The data for a dataset is not on this machine and may not be downloaded.

    The message says how to get it (TFDS command, environment variable or apt package).
    """
