"""Caches that let a masked convolution run one position at a time (Ramachandran et al. 2017,
"Fast Generation for Convolutional Autoregressive Models").

For a ``k x k`` :class:`~tfgen.layers.MaskedConv2D` (``p = k // 2``) the output at ``(r, c)`` is
the contribution of the ``p`` rows above — the same for the whole row, computed once per row with
one convolution when the previous row is complete — plus the current row's columns ``c - p .. c``.
A cache (dicts of tensors, usable as ``tf.while_loop`` variables) holds, in its *row part*
(changed once per row):

- ``rows``: ``[B, p, W + 2p, C_in]``, the layer input's last ``p`` complete rows (zero padded);
- ``context``: ``[W, B, F]``, :meth:`MaskedConv2D.row_context` of ``rows`` for every column;

and in its *pixel part* (changed at every pixel):

- ``row``: ``[W, B, C_in]``, the current row's inputs so far (column-major for cheap writes);
- ``window``: ``[B, p * C_in]``, the inputs at columns ``c - p .. c - 1``, flattened column by
  column (so appending the new column is one concat and the product with the kernel one matmul).

Keeping the parts apart lets a sampler's per-pixel loop carry only the pixel parts: every loop
variable costs a few control-flow ops per iteration.

All zeros at the start is exactly the convolution's zero padding above the image.
"""

from __future__ import annotations

import tensorflow as tf

Cache = dict


def condition_rows(term, batch, height: int, width: int, channels: int, dtype) -> tf.Tensor:
    """A condition term (``0.0`` or broadcastable to ``[B, H, W, K]``) as ``[H, B, W, K]``
    (indexed by row inside a sampling loop)."""
    full = tf.broadcast_to(tf.cast(term, dtype), tf.stack([batch, height, width, channels]))
    return tf.transpose(full, [1, 0, 2, 3])


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
    """Flat windows: (``[B, (p + 1) * C]`` ending at ``value`` ``[B, C]``, the next
    ``[B, p * C]`` window) from ``window`` ``[B, p * C]``."""
    full = tf.concat([window, value], axis=1)
    return full, full[:, value.shape[-1]:]


def replace_last(window: tf.Tensor, value: tf.Tensor) -> tf.Tensor:
    """Flat ``window`` ``[B, p * C]`` with its newest column replaced by ``value`` ``[B, C]``
    (no-op for ``p = 0``)."""
    if window.shape[1] == 0:
        return window
    return tf.concat([window[:, :-value.shape[-1]], value], axis=1)


def conv_cache_start(conv, batch: tf.Tensor, width: int, in_channels: int,
                     dtype=tf.float32) -> tuple[Cache, Cache]:
    """All-zero ``(row part {rows, context}, pixel part {row, window})`` caches for ``conv`` (a
    :class:`MaskedConv2D`). The row part changes once per row, the pixel part at every pixel."""
    p = conv.pad
    row_part = {"rows": tf.zeros(tf.stack([batch, p, width + 2 * p, in_channels]), dtype),
                "context": tf.zeros(tf.stack([width, batch, conv.filters]), dtype)}
    pixel_part = {"row": tf.zeros(tf.stack([width, batch, in_channels]), dtype),
                  "window": tf.zeros(tf.stack([batch, p * in_channels]), dtype)}
    return row_part, pixel_part


def conv_cache_begin_row(conv, row_part: Cache, pixel_part: Cache) -> tuple[Cache, Cache]:
    """Move the finished row into ``rows``, compute the new row's ``context``, clear the row."""
    finished = tf.transpose(pixel_part["row"], [1, 0, 2])
    rows = push_row(row_part["rows"], pad_columns(finished, conv.pad))
    context = conv.row_context(rows)
    if context is None:  # a 1x1 kernel: nothing comes from the rows above
        context = tf.zeros_like(row_part["context"])
    else:
        context = tf.transpose(tf.cast(context, rows.dtype), [1, 0, 2])
    return ({"rows": rows, "context": context},
            {"row": tf.zeros_like(pixel_part["row"]),
             "window": tf.zeros_like(pixel_part["window"])})


def conv_cache_pixel(conv, row_part: Cache, pixel_part: Cache, col: tf.Tensor,
                     value: tf.Tensor, weights: dict | None = None) -> tuple[tf.Tensor, Cache]:
    """``conv``'s output ``[B, F]`` at column ``col`` given its input there, ``value`` ``[B, C]``
    (``weights``: ``conv.pixel_weights()``); and the pixel part advanced past that column."""
    window, next_window = slide_window(pixel_part["window"], value)
    out = conv.pixel_output(window, tf.gather(row_part["context"], col), weights)
    return out, {"window": next_window, "row": write_column(pixel_part["row"], col, value)}


def conv_cache_commit(pixel_part: Cache, col: tf.Tensor, value: tf.Tensor) -> Cache:
    """A pixel part advanced past ``col`` by :func:`conv_cache_pixel`, with the input at ``col``
    replaced by ``value`` ``[B, C]`` (the pixel once all its channels are drawn)."""
    return {"window": replace_last(pixel_part["window"], value),
            "row": write_column(pixel_part["row"], col, value)}


def caches_begin_row(convs, row_parts, pixel_parts, conds, row
                     ) -> tuple[list[Cache], list[Cache]]:
    """:func:`conv_cache_begin_row` for every conv; each condition (``[H, B, W, F]`` rows of
    :func:`condition_rows`, or ``None``) joins its conv's new ``context`` at ``row``."""
    new_rows, new_pixels = [], []
    for conv, row_part, pixel_part, cond in zip(convs, row_parts, pixel_parts, conds):
        row_part, pixel_part = conv_cache_begin_row(conv, row_part, pixel_part)
        if cond is not None:  # the condition row [B, W, F] joins the context [W, B, F]
            row_part["context"] += tf.transpose(tf.gather(cond, row), [1, 0, 2])
        new_rows.append(row_part)
        new_pixels.append(pixel_part)
    return new_rows, new_pixels
