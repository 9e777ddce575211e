"""Autoregressive masks over (row, column, colour channel) in raster order.

Pixels are ordered row by row, left to right, and within a pixel by colour channel (R -> G -> B
for ``data_channels = 3``). A feature map with ``n`` channels is split into ``data_channels``
contiguous *groups*: group ``g`` carries information that may be used to predict colour channel
``g`` of the current pixel. An image itself has one channel per group. The output of a network
with ``C * P`` channels is therefore grouped as ``C`` blocks of ``P`` likelihood parameters, the
layout :mod:`tfgen.distributions` expects.
"""

from __future__ import annotations

import numpy as np

MASK_TYPES = ("A", "B")


def channel_groups(num_channels: int, data_channels: int, splits: int = 1) -> np.ndarray:
    """The colour group (int ``[num_channels]`` in ``[0, data_channels)``) of every channel.

    ``splits`` consecutive chunks (e.g. 2 for the two halves of a gate's pre-activation) are
    each divided into ``data_channels`` contiguous groups, so channel ``i`` of every chunk has the
    same group.
    """
    if num_channels % splits:
        raise ValueError(f"{num_channels} channels cannot be split into {splits} equal chunks")
    per_chunk = num_channels // splits
    if per_chunk < data_channels:
        raise ValueError(f"need at least data_channels={data_channels} channels per chunk to "
                         f"give every colour a group; got {per_chunk}")
    return (np.arange(num_channels) % per_chunk) * data_channels // per_chunk


def check_mask_type(mask_type: str) -> str:
    if mask_type not in MASK_TYPES:
        raise ValueError(f"mask_type must be one of {list(MASK_TYPES)}; got {mask_type!r}")
    return mask_type


def centre_mask(in_groups: np.ndarray, out_groups: np.ndarray, mask_type: str) -> np.ndarray:
    """float32 ``[C_in, C_out]``: which input channels of the *current* pixel an output may see.

    Mask ``A`` (a layer reading the image): output group ``g`` sees input groups ``< g``.
    Mask ``B`` (later layers): groups ``<= g``.
    """
    check_mask_type(mask_type)
    if mask_type == "A":
        allowed = out_groups[None, :] > in_groups[:, None]
    else:
        allowed = out_groups[None, :] >= in_groups[:, None]
    return allowed.astype(np.float32)


def causal_mask(kernel_size: int, in_groups: np.ndarray, out_groups: np.ndarray,
                mask_type: str) -> np.ndarray:
    """float32 ``[k, k, C_in, C_out]`` mask of a ``k x k`` PixelCNN convolution.

    Rows above the centre are open, the centre row is open left of the centre, the centre tap
    follows :func:`centre_mask`, and everything right of/below the centre is closed.
    """
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be a positive odd number; got {kernel_size}")
    p = kernel_size // 2
    mask = np.zeros((kernel_size, kernel_size, len(in_groups), len(out_groups)), np.float32)
    mask[:p] = 1.0
    mask[p, :p] = 1.0
    mask[p, p] = centre_mask(in_groups, out_groups, mask_type)
    return mask
