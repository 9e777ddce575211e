"""Caches that let a masked convolution run one position at a time (Ramachandran et al. 2017,
"Fast Generation for Convolutional Autoregressive Models").

For a ``k x k`` :class:`~tfgen.layers.MaskedConv2D` (``p = k // 2``) the output at ``(r, c)`` is
the contribution of the ``p`` rows above — the same for the whole row, computed once per row with
one convolution when the previous row is complete — plus the current row's columns ``c - p .. c``.
A cache (a dict of tensors, usable as a ``tf.while_loop`` variable) holds:

- ``rows``: ``[B, p, W + 2p, C_in]``, the layer input's last ``p`` complete rows (zero padded);
- ``row``: ``[W, B, C_in]``, the current row's inputs so far (column-major for cheap writes);
- ``window``: ``[B, p, C_in]``, the inputs at columns ``c - p .. c - 1``;
- ``context``: ``[W, B, F]``, :meth:`MaskedConv2D.row_context` of ``rows`` for every column.

All zeros at the start is exactly the convolution's zero padding above the image.
"""

from __future__ import annotations

import tensorflow as tf

Cache = dict


def pad_columns(row: tf.Tensor, pad: int) -> tf.Tensor:
    """``[B, W, C]`` -> ``[B, W + 2p, C]`` with zeros on both sides."""
    return tf.pad(row, [[0, 0], [pad, pad], [0, 0]])


def push_row(rows: tf.Tensor, row: tf.Tensor) -> tf.Tensor:
    """Drop the oldest of ``rows`` ``[B, n, W', C]`` and append ``row`` ``[B, W', C]``."""
    return tf.concat([rows[:, 1:], row[:, None]], axis=1)


def write_column(row: tf.Tensor, col: tf.Tensor, value: tf.Tensor) -> tf.Tensor:
    """``row`` ``[W, B, C]`` with column ``col`` replaced by ``value`` ``[B, C]``."""
    return tf.tensor_scatter_nd_update(row, tf.reshape(col, [1, 1]), value[None])


def slide_window(window: tf.Tensor, value: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(``[B, p + 1, C]`` window ending at ``value`` ``[B, C]``, the next ``[B, p, C]`` window)."""
    full = tf.concat([window, value[:, None]], axis=1)
    return full, full[:, 1:]


def replace_last(window: tf.Tensor, value: tf.Tensor) -> tf.Tensor:
    """``window`` ``[B, p, C]`` with its newest column replaced by ``value`` ``[B, C]`` (no-op for
    ``p = 0``)."""
    if window.shape[1] == 0:
        return window
    return tf.concat([window[:, :-1], value[:, None]], axis=1)


def conv_cache_start(conv, batch: tf.Tensor, width: int, in_channels: int,
                     dtype=tf.float32) -> Cache:
    """An all-zero cache for ``conv`` (a :class:`MaskedConv2D` with ``k > 1``)."""
    p = conv.pad
    return {"rows": tf.zeros(tf.stack([batch, p, width + 2 * p, in_channels]), dtype),
            "row": tf.zeros(tf.stack([width, batch, in_channels]), dtype),
            "window": tf.zeros(tf.stack([batch, p, in_channels]), dtype),
            "context": tf.zeros(tf.stack([width, batch, conv.filters]), dtype)}


def conv_cache_begin_row(conv, cache: Cache) -> Cache:
    """Move the finished row into ``rows`` and compute the new row's ``context``."""
    finished = tf.transpose(cache["row"], [1, 0, 2])
    rows = push_row(cache["rows"], pad_columns(finished, conv.pad))
    context = tf.transpose(tf.cast(conv.row_context(rows), rows.dtype), [1, 0, 2])
    return {"rows": rows, "row": tf.zeros_like(cache["row"]),
            "window": tf.zeros_like(cache["window"]), "context": context}


def conv_cache_pixel(conv, cache: Cache, col: tf.Tensor, value: tf.Tensor
                     ) -> tuple[tf.Tensor, Cache]:
    """``conv``'s output ``[B, F]`` at column ``col`` given its input there, ``value`` ``[B, C]``;
    and the cache advanced past that column."""
    window, next_window = slide_window(cache["window"], value)
    out = conv.pixel_output(window, tf.gather(cache["context"], col))
    return out, {**cache, "window": next_window, "row": write_column(cache["row"], col, value)}


def conv_cache_commit(cache: Cache, col: tf.Tensor, value: tf.Tensor) -> Cache:
    """A cache advanced past ``col`` by :func:`conv_cache_pixel`, with the input at ``col``
    replaced by ``value`` ``[B, C]`` (the pixel once all its channels are drawn)."""
    return {**cache, "window": replace_last(cache["window"], value),
            "row": write_column(cache["row"], col, value)}
