"""What a dataset is, independent of how it is read: :class:`DatasetSpec` and the data errors."""

from __future__ import annotations

import dataclasses

SPLITS = ("train", "validation", "test")
IMAGE = "image"
POINTS = "points"
TEXT = "text"
#: Each data kind and the rank of its element shape: images ``(H, W, C)``, points ``(D,)``, text
#: ``(L, V)``.
KIND_RANKS = {IMAGE: 3, POINTS: 1, TEXT: 2}
KINDS = tuple(KIND_RANKS)


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


def check_kind(kind: str, shape, valid: tuple[str, ...] = KINDS, what: str = "data") -> str:
    """``kind`` after checking that it is one of ``valid`` and that ``shape`` has its rank.

    The kind is what a :class:`DatasetSpec` says, never guessed from the shape; a shape of the
    wrong rank is an error naming the shape the kind needs. ``what`` names the caller in errors.
    """
    if kind not in valid:
        raise ValueError(f"{what} takes data kinds {list(valid)}; got {kind!r}")
    if len(tuple(shape)) != KIND_RANKS[kind]:
        expected = {IMAGE: "(H, W, C)", POINTS: "(D,)", TEXT: "(L, V)"}[kind]
        raise ValueError(f"{what}: {kind} data has shape {expected}; got {tuple(shape)}")
    return kind


class DataNotFoundError(FileNotFoundError):
    """The data for a dataset is not on this machine and may not be downloaded.

    The message says how to get it (TFDS command, environment variable or apt package).
    """
