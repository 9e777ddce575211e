"""PixelCNN++'s shifted convolutions and gated ResNet block (Salimans et al. 2017, §2.4-2.5).

Instead of masks, PixelCNN++ pads before a ``VALID`` convolution so that an output only sees
inputs on one side (openai/pixel-cnn ``nn.py``):

- **down-shifted** (``[2, 3]`` kernel): output ``(r, c)`` sees rows ``r - 1 .. r`` and columns
  ``c - 1 .. c + 1`` of its input (pad 1 row on top, 1 column each side); after a first layer
  whose output is moved down a row (:func:`down_shift`) it is the "u" stream of everything above.
- **down-right-shifted** (``[2, 2]``): output ``(r, c)`` sees rows ``r - 1 .. r``, columns
  ``c - 1 .. c``; after a first layer moved right (:func:`right_shift`), the "ul" stream of
  everything above and to the left.
- their **transposed** versions (stride 2 in the network's upsampling) crop the ``VALID``
  output so that the same causal shift holds at the finer resolution.

Every layer here is a Keras 3 layer with ``get_config``; ``weight_norm`` reparameterizes each
kernel per output channel as ``g * v / ||v||`` (Salimans & Kingma 2016) with ``g`` starting at
``scale_init`` (no data-dependent initialization). Shapes are NHWC.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def down_shift(x: tf.Tensor) -> tf.Tensor:
    """``[B, H, W, C]`` moved down one row (zeros enter at the top)."""
    return tf.pad(x, [[0, 0], [1, 0], [0, 0], [0, 0]])[:, :-1]


def right_shift(x: tf.Tensor) -> tf.Tensor:
    """``[B, H, W, C]`` moved right one column (zeros enter on the left)."""
    return tf.pad(x, [[0, 0], [0, 0], [1, 0], [0, 0]])[:, :, :-1]


def concat_elu(x: tf.Tensor) -> tf.Tensor:
    """``elu([x, -x])`` on the channel axis (doubles the channels)."""
    return tf.nn.elu(tf.concat([x, -x], axis=-1))


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    return tuple(int(v) for v in value)


class _ShiftedBase(keras.layers.Layer):
    """A (transposed) convolution with a padding rule; subclasses set ``transpose`` and
    ``centred`` (columns padded on both sides: down-shifted) and the default kernel."""

    transpose = False
    centred = True
    default_kernel = (2, 3)

    def __init__(self, filters: int, kernel_size=None, strides=1, weight_norm: bool = False,
                 scale_init: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = _pair(kernel_size if kernel_size is not None else self.default_kernel)
        self.strides = _pair(strides)
        self.weight_norm = bool(weight_norm)
        self.scale_init = float(scale_init)
        if self.centred and self.kernel_size[1] % 2 == 0:
            raise ValueError(f"{type(self).__name__} needs an odd kernel width; got "
                             f"{self.kernel_size}")

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        kh, kw = self.kernel_size
        shape = ((kh, kw, self.filters, in_channels) if self.transpose
                 else (kh, kw, in_channels, self.filters))
        if self.weight_norm:
            initializer = keras.initializers.RandomNormal(stddev=0.05)
        else:  # He-like, scaled like weight norm's g
            initializer = keras.initializers.VarianceScaling(self.scale_init ** 2, "fan_in")
        self.kernel = self.add_weight(name="kernel", shape=shape, initializer=initializer)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
        self.scale = (self.add_weight(name="scale", shape=(self.filters,),
                                      initializer=keras.initializers.Constant(self.scale_init))
                      if self.weight_norm else None)

    def effective_kernel(self, dtype) -> tf.Tensor:
        kernel = tf.cast(self.kernel, tf.float32)
        if self.scale is not None:
            axes = [0, 1, 3] if self.transpose else [0, 1, 2]
            norm_sq = tf.reduce_sum(tf.square(kernel), axis=axes, keepdims=True)
            scale = tf.reshape(tf.cast(self.scale, tf.float32),
                               [1, 1, -1, 1] if self.transpose else [1, 1, 1, -1])
            kernel = kernel * scale * tf.math.rsqrt(tf.maximum(norm_sq, 1e-12))
        return tf.cast(kernel, dtype)

    def call(self, x):
        kh, kw = self.kernel_size
        kernel = self.effective_kernel(x.dtype)
        if not self.transpose:
            left = (kw - 1) // 2 if self.centred else kw - 1
            right = (kw - 1) // 2 if self.centred else 0
            x = tf.pad(x, [[0, 0], [kh - 1, 0], [left, right], [0, 0]])
            y = tf.nn.conv2d(x, kernel, self.strides, "VALID")
        else:
            sh, sw = self.strides
            shape = tf.shape(x)
            height, width = shape[1] * sh, shape[2] * sw
            out_shape = tf.stack([shape[0], height + kh - 1, width + kw - 1, self.filters])
            y = tf.nn.conv2d_transpose(x, kernel, out_shape, self.strides, "VALID")
            first_col = (kw - 1) // 2 if self.centred else 0
            y = y[:, :height, first_col:first_col + width]  # the causal crop (openai nn.py)
            if x.shape[1] is not None and x.shape[2] is not None:
                y = tf.ensure_shape(y, [None, x.shape[1] * sh, x.shape[2] * sw, self.filters])
        return y + tf.cast(self.bias, y.dtype)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "weight_norm": self.weight_norm, "scale_init": self.scale_init}


@keras.saving.register_keras_serializable(package="tfgen")
class DownShiftedConv2D(_ShiftedBase):
    """Output ``(r, c)`` sees input rows ``r - kh + 1 .. r`` and columns ``c - (kw-1)/2 ..
    c + (kw-1)/2`` (default kernel ``[2, 3]``); stride 2 halves the size (rounding up)."""


@keras.saving.register_keras_serializable(package="tfgen")
class DownRightShiftedConv2D(_ShiftedBase):
    """Output ``(r, c)`` sees input rows ``r - kh + 1 .. r``, columns ``c - kw + 1 .. c``
    (default kernel ``[2, 2]``)."""

    centred = False
    default_kernel = (2, 2)


@keras.saving.register_keras_serializable(package="tfgen")
class DownShiftedConv2DTranspose(_ShiftedBase):
    """The transposed down-shifted conv: ``[B, h, w, C]`` -> ``[B, h * s, w * s, filters]``;
    output rows ``s*i .. s*i + s - 1`` take input rows ``<= i``."""

    transpose = True


@keras.saving.register_keras_serializable(package="tfgen")
class DownRightShiftedConv2DTranspose(_ShiftedBase):
    """The transposed down-right-shifted conv (default kernel ``[2, 2]``)."""

    transpose = True
    centred = False
    default_kernel = (2, 2)


def _replica_slice_uniform(shape: tf.Tensor, seed: tf.Tensor, dtype) -> tf.Tensor:
    """Uniforms for this replica's slice of the global batch (``shape`` is the local one): the
    same noise per example whatever the number of replicas (as
    :func:`tfgen.models.base.global_batch_normal`)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        replicas, replica = tf.distribute.get_strategy().num_replicas_in_sync, 0
    else:
        replicas, replica = ctx.num_replicas_in_sync, ctx.replica_id_in_sync_group
    if replicas == 1:
        return tf.random.stateless_uniform(shape, seed=seed, dtype=dtype)
    local = shape[0]
    full = tf.random.stateless_uniform(tf.concat([[local * replicas], shape[1:]], 0),
                                       seed=seed, dtype=dtype)
    replica = tf.cast(replica, tf.int32)
    return full[replica * local:(replica + 1) * local]


@keras.saving.register_keras_serializable(package="tfgen")
class GatedResnet(keras.layers.Layer):
    """PixelCNN++'s gated ResNet block (openai/pixel-cnn ``nn.gated_resnet``)::

        c1 = conv(concat_elu(x)) [+ nin(concat_elu(aux))]
        c2 = conv(dropout(concat_elu(c1)))  [+ W h  (class conditioning)]   (2 * filters)
        out = x + c2[:F] * sigmoid(c2[F:])

    ``conv`` is a down-shifted (``kind="down"``, ``[2, 3]``) or down-right-shifted
    (``"down_right"``, ``[2, 2]``) convolution, so the block keeps its stream's causality;
    ``aux`` (``aux=True``) is the skip input from the other stream / the up pass, a 1x1 map.
    Dropout is stateless: it needs ``seed`` (int32 ``[2]``) when ``training``.
    """

    KINDS = {"down": DownShiftedConv2D, "down_right": DownRightShiftedConv2D}

    def __init__(self, filters: int, kind: str = "down", aux: bool = False,
                 conditional: bool = False, dropout: float = 0.0, weight_norm: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if kind not in self.KINDS:
            raise ValueError(f"GatedResnet kind must be one of {sorted(self.KINDS)}; got "
                             f"{kind!r}")
        self.filters, self.kind = int(filters), kind
        self.aux, self.conditional = bool(aux), bool(conditional)
        self.dropout, self.weight_norm = float(dropout), bool(weight_norm)
        conv = self.KINDS[kind]
        self.conv_in = conv(self.filters, weight_norm=weight_norm, name="conv_in")
        self.conv_out = conv(2 * self.filters, weight_norm=weight_norm, scale_init=0.1,
                             name="conv_out")
        self.aux_nin = keras.layers.Dense(self.filters, name="aux_nin") if self.aux else None
        self.condition_dense = (keras.layers.Dense(
            2 * self.filters, use_bias=False, name="condition_dense",
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.05))
            if self.conditional else None)

    def build(self, x_shape, aux_shape=None, condition_shape=None):
        x_shape = tuple(x_shape)
        doubled = x_shape[:-1] + (2 * int(x_shape[-1]),)  # concat_elu doubles the channels
        self.conv_in.build(doubled)
        self.conv_out.build(x_shape[:-1] + (2 * self.filters,))
        if self.aux_nin is not None and aux_shape is not None:
            aux_shape = tuple(aux_shape)
            self.aux_nin.build(aux_shape[:-1] + (2 * int(aux_shape[-1]),))
        if self.condition_dense is not None and condition_shape is not None:
            self.condition_dense.build(tuple(condition_shape))

    def call(self, x, aux=None, condition=None, training=False, seed=None):
        if (aux is None) == self.aux:
            raise ValueError(f"GatedResnet(aux={self.aux}) got "
                             f"aux={'None' if aux is None else 'a tensor'}")
        if (condition is None) == self.conditional:
            raise ValueError(f"GatedResnet(conditional={self.conditional}) got "
                             f"condition={'None' if condition is None else 'a tensor'}")
        c1 = self.conv_in(concat_elu(x))
        if aux is not None:
            c1 = c1 + self.aux_nin(concat_elu(tf.cast(aux, c1.dtype)))
        c1 = concat_elu(c1)
        if training and self.dropout > 0.0:
            if seed is None:
                raise ValueError("GatedResnet with dropout needs a stateless seed when training")
            keep = _replica_slice_uniform(tf.shape(c1), seed, c1.dtype) >= self.dropout
            c1 = tf.where(keep, c1 / (1.0 - self.dropout), tf.zeros_like(c1))
        c2 = self.conv_out(c1)
        if condition is not None:
            c2 = c2 + self.condition_dense(tf.cast(condition, c2.dtype))[:, None, None, :]
        a, b = tf.split(c2, 2, axis=-1)
        return x + a * tf.sigmoid(b)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kind": self.kind,
                "aux": self.aux, "conditional": self.conditional, "dropout": self.dropout,
                "weight_norm": self.weight_norm}
