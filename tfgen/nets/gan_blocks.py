"""Building blocks shared by the GAN generators and critics.

Normalization (``"batch" | "layer" | "none"``), activations (``"relu" | "leaky_relu" | "tanh" |
"gated"``), resampling convolutions (nearest-neighbour upsampling, mean pooling) and residual
blocks. Functions take and return symbolic Keras tensors (NHWC or NLC); each creates named layers.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.data.spec import IMAGE, KINDS, TEXT
from tfgen.utils.registry import check_name

NORMS = ("batch", "layer", "none")
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "gated")


@keras.saving.register_keras_serializable(package="tfgen")
class GatedActivation(keras.layers.Layer):
    """Gated multiplicative nonlinearity: ``[..., 2F]`` -> ``tanh(a) · σ(b)`` ``[..., F]`` where
    ``a, b`` are the two halves of the last axis (as in gated PixelCNN)."""

    def call(self, x):
        a, b = tf.split(x, 2, axis=-1)
        return tf.tanh(a) * tf.sigmoid(b)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)


def normalize(x, kind: str, name: str):
    """Batch norm, layer norm over all non-batch axes (per-example, safe with a gradient
    penalty), or identity."""
    check_name(kind, NORMS, "normalization")
    if kind == "batch":
        return keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    if kind == "layer":
        axes = list(range(1, len(x.shape)))
        return keras.layers.LayerNormalization(axis=axes, name=f"{name}_ln")(x)
    return x


def activate(x, kind: str, name: str):
    """Apply a pointwise nonlinearity (``gated`` halves the channel count)."""
    check_name(kind, ACTIVATIONS, "activation")
    if kind == "gated":
        return GatedActivation(name=f"{name}_gate")(x)
    if kind == "leaky_relu":
        return keras.layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)
    return keras.layers.Activation(kind, name=f"{name}_{kind}")(x)


def width(filters: int, activation: str) -> int:
    """Channels a layer must produce so that ``activation`` leaves ``filters`` (2x when gated)."""
    return 2 * filters if activation == "gated" else filters


def dense_block(x, units: int, norm: str, activation: str, name: str):
    """Dense -> norm -> nonlinearity (``units`` outputs after the nonlinearity)."""
    x = keras.layers.Dense(width(units, activation), name=name)(x)
    return activate(normalize(x, norm, name), activation, name)


def upsample_conv(x, filters: int, kernel: int, name: str):
    """Nearest-neighbour 2x upsampling then a ``kernel`` x ``kernel`` convolution."""
    x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up")(x)
    return keras.layers.Conv2D(filters, kernel, padding="same", name=name)(x)


def conv_mean_pool(x, filters: int, kernel: int, name: str):
    """A ``kernel`` x ``kernel`` convolution then 2x2 mean pooling."""
    x = keras.layers.Conv2D(filters, kernel, padding="same", name=name)(x)
    return keras.layers.AveragePooling2D(2, name=f"{name}_pool")(x)


def mean_pool_conv(x, filters: int, kernel: int, name: str):
    """2x2 mean pooling then a ``kernel`` x ``kernel`` convolution."""
    x = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(x)
    return keras.layers.Conv2D(filters, kernel, padding="same", name=name)(x)


def residual_block(x, filters: int, resample: str | None, norm: str, name: str,
                   first: bool = False):
    """Pre-activation residual block with two 3x3 convolutions (thesis appendix B.3).

    ``resample``: ``"up"`` (nearest-neighbour upsampling before the first convolution),
    ``"down"`` (mean pooling after the second convolution) or ``None``. The shortcut is the
    identity when shape and width are unchanged, else the same resampling and a 1x1 convolution.
    ``first`` drops the leading norm/ReLU (the critic's first block sees raw pixels).
    """
    h = x
    if not first:
        h = activate(normalize(h, norm, f"{name}_n1"), "relu", f"{name}_a1")
    if resample == "up":
        h = upsample_conv(h, filters, 3, f"{name}_conv1")
    else:
        h = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(h)
    h = activate(normalize(h, norm, f"{name}_n2"), "relu", f"{name}_a2")
    if resample == "down":
        h = conv_mean_pool(h, filters, 3, f"{name}_conv2")
    else:
        h = keras.layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(h)

    return keras.layers.Add(name=f"{name}_add")(
        [_shortcut(x, filters, resample, name), h])


def bottleneck_block(x, filters: int, resample: str | None, norm: str, name: str,
                     residual_scale: float = 0.3):
    """Pre-activation bottleneck block (1x1 -> 3x3 -> 1x1, three convolution layers).

    The residual branch narrows to ``filters // 2`` channels, resamples at its 3x3 convolution
    (``"up"``: nearest-neighbour upsampling first; ``"down"``: mean pooling after) and is scaled by
    ``residual_scale`` before the sum, which keeps activations bounded in 100-layer stacks.
    """
    mid = max(1, filters // 2)
    h = activate(normalize(x, norm, f"{name}_n1"), "relu", f"{name}_a1")
    h = keras.layers.Conv2D(mid, 1, name=f"{name}_conv1")(h)
    h = activate(normalize(h, norm, f"{name}_n2"), "relu", f"{name}_a2")
    if resample == "up":
        h = upsample_conv(h, mid, 3, f"{name}_conv2")
    elif resample == "down":
        h = conv_mean_pool(h, mid, 3, f"{name}_conv2")
    else:
        h = keras.layers.Conv2D(mid, 3, padding="same", name=f"{name}_conv2")(h)
    h = activate(normalize(h, norm, f"{name}_n3"), "relu", f"{name}_a3")
    h = keras.layers.Conv2D(filters, 1, name=f"{name}_conv3")(h)
    h = keras.layers.Rescaling(residual_scale, name=f"{name}_scale")(h)

    return keras.layers.Add(name=f"{name}_add")(
        [_shortcut(x, filters, resample, name), h])


def _shortcut(x, filters: int, resample: str | None, name: str):
    """The residual branch's skip path: identity, or a 1x1 conv resampled like the block."""
    if resample is None and x.shape[-1] == filters:
        return x
    if resample == "up":
        return upsample_conv(x, filters, 1, f"{name}_shortcut")
    if resample == "down":
        return mean_pool_conv(x, filters, 1, f"{name}_shortcut")
    return keras.layers.Conv2D(filters, 1, name=f"{name}_shortcut")(x)


def residual_block_1d(x, filters: int, kernel: int, name: str, residual_scale: float = 0.3):
    """1-D residual block: ReLU -> conv(k) -> ReLU -> conv(k), scaled by ``residual_scale`` and
    added to the input. ``[B, L, filters]`` -> same."""
    h = keras.layers.Activation("relu", name=f"{name}_a1")(x)
    h = keras.layers.Conv1D(filters, kernel, padding="same", name=f"{name}_conv1")(h)
    h = keras.layers.Activation("relu", name=f"{name}_a2")(h)
    h = keras.layers.Conv1D(filters, kernel, padding="same", name=f"{name}_conv2")(h)
    h = keras.layers.Rescaling(residual_scale, name=f"{name}_scale")(h)
    return keras.layers.Add(name=f"{name}_add")([x, h])


def output_activation(x, data_kind: str, name: str):
    """The generator's last nonlinearity for the data kind, in float32: tanh for images
    ``[H, W, C]`` (pixels in [-1, 1]), a softmax over the vocabulary for text ``[L, V]``, none
    for points."""
    check_name(data_kind, KINDS, "data kind")
    if data_kind == IMAGE:
        return keras.layers.Activation("tanh", dtype="float32", name=f"{name}_tanh")(x)
    if data_kind == TEXT:
        return keras.layers.Softmax(axis=-1, dtype="float32", name=f"{name}_softmax")(x)
    return keras.layers.Activation("linear", dtype="float32", name=f"{name}_linear")(x)
