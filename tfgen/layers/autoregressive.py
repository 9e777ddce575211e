"""An autoregressive network over a latent feature map, conditioned on a context map: the
shift-and-scale network of one inverse autoregressive flow step (Kingma et al. 2016).

The latent map ``z`` ``[B, h, w, c]`` is ordered like an image in PixelCNN: positions row by row,
left to right, and within a position by channel (``c`` colour groups, one channel each), which is
exactly the order of ``tf.reshape(z, [B, h * w * c])``. Output ``k`` (of ``num_outputs``, e.g.
the IAF's ``m`` and ``s``) at flat index ``i`` depends on ``z`` only through flat indices ``< i``
(MADE's masks, Germain et al. 2015, as masked convolutions: a mask-A
:class:`~tfgen.layers.MaskedConv2D` reads ``z``, mask-B ones follow), and on the context ``h``
freely (``h`` is a function of the data, not of ``z``). This is openai/iaf's ``ar_multiconv2d``
(masked 3x3 convolutions over positions and channels, context added after the first layer) with
the causal direction of :mod:`tfgen.layers.masks`.

Shapes: ``z`` ``[B, h, w, c]``, ``context`` ``[B, h, w, any]`` -> a tuple of ``num_outputs``
maps ``[B, h, w, c]``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.masked import MaskedConv2D


@keras.saving.register_keras_serializable(package="tfgen")
class AutoregressiveConvNet(keras.layers.Layer):
    """MADE-style masked convolutional network over a latent map, conditioned on a context map.

    Args:
      hidden_filters: width of the hidden masked layers (at least the latent channels ``c``,
        so that every channel has a hidden group).
      hidden_layers: masked hidden layers (>= 1): a mask-A ``kernel_size`` conv of ``z`` plus an
        unmasked ``1 x 1`` conv of the context, then ``hidden_layers - 1`` mask-B convs, each
        followed by ``activation``.
      kernel_size: odd spatial kernel of the masked convolutions (1: each position on its own,
        autoregressive over channels only).
      num_outputs: output maps, each with ``c`` channels (2: IAF's ``m`` and ``s``).
      output_scale: stddev scale of the output layer's initial weights (small: the flow starts
        near the identity).
    """

    def __init__(self, hidden_filters: int, hidden_layers: int = 2, kernel_size: int = 3,
                 num_outputs: int = 2, activation="elu", output_scale: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.hidden_filters = int(hidden_filters)
        self.hidden_layers = int(hidden_layers)
        self.kernel_size = int(kernel_size)
        self.num_outputs = int(num_outputs)
        self.activation = keras.activations.get(activation)
        self.output_scale = float(output_scale)
        if self.hidden_layers < 1:
            raise ValueError(f"hidden_layers must be >= 1; got {hidden_layers}")
        if self.num_outputs < 1:
            raise ValueError(f"num_outputs must be >= 1; got {num_outputs}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number; got {kernel_size}")

    def build(self, z_shape, context_shape=None):
        channels = int(z_shape[-1])
        if self.hidden_filters < channels:
            raise ValueError(f"hidden_filters ({self.hidden_filters}) must be >= the latent "
                             f"channels ({channels}): every channel needs a hidden group")
        self.latent_channels = channels
        hidden = [MaskedConv2D(self.hidden_filters, self.kernel_size,
                               "A" if i == 0 else "B", data_channels=channels,
                               dtype=self.dtype_policy, name=f"masked{i}")
                  for i in range(self.hidden_layers)]
        self.hidden = hidden
        self.context_conv = keras.layers.Conv2D(self.hidden_filters, 1, use_bias=False,
                                                dtype=self.dtype_policy, name="context")
        self.output_conv = MaskedConv2D(
            self.num_outputs * channels, self.kernel_size, "B", data_channels=channels,
            output_group_splits=self.num_outputs,
            kernel_initializer=keras.initializers.RandomNormal(stddev=self.output_scale),
            dtype=self.dtype_policy, name="output")
        shape = tuple(z_shape)
        hidden_shape = shape[:-1] + (self.hidden_filters,)
        for i, layer in enumerate(hidden):
            layer.build(shape if i == 0 else hidden_shape)
        if context_shape is not None:
            self.context_conv.build(tuple(context_shape))
        self.output_conv.build(hidden_shape)

    def call(self, z, context=None):
        x = self.hidden[0](z)
        if context is not None:
            x = x + self.context_conv(context)
        x = self.activation(x)
        for layer in self.hidden[1:]:
            x = self.activation(layer(x))
        return tuple(tf.split(self.output_conv(x), self.num_outputs, axis=-1))

    def get_config(self):
        return {**super().get_config(), "hidden_filters": self.hidden_filters,
                "hidden_layers": self.hidden_layers, "kernel_size": self.kernel_size,
                "num_outputs": self.num_outputs,
                "activation": keras.activations.serialize(self.activation),
                "output_scale": self.output_scale}
