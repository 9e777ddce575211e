"""The PixelCNN++ network (Salimans et al. 2017, Fig. 2; openai/pixel-cnn ``model.py``).

Two causal streams run side by side: ``u`` (down-shifted: everything *above* the pixel) and
``ul`` (down-right-shifted, fed by ``u``: everything above and to the *left*), which together
see every earlier pixel in raster order (no blind spot). Three resolutions:

- **up pass**: ``nr_resnet`` gated ResNet blocks per stream at full size, a stride-2 shifted
  conv, ``nr_resnet`` blocks at 1/2, a stride-2 conv, ``nr_resnet`` blocks at 1/4; every
  output is kept (the ``u_list`` / ``ul_list``).
- **down pass**: ``nr_resnet`` blocks at 1/4, a stride-2 shifted *transposed* conv,
  ``nr_resnet + 1`` blocks at 1/2, another, ``nr_resnet + 1`` blocks at full size; each block
  takes the matching up-pass output as its ``aux`` input (``ul`` blocks also take ``u``):
  the skip connections.

The output is a 1x1 map of ``elu(ul)`` to the likelihood's parameters per pixel. Class
conditioning (``num_classes`` > 0) adds a linear map of the one-hot label inside every block.
Sizes that do not halve evenly are handled by cropping the upsampled maps at the bottom/right
(which keeps causality). ``call(x, condition_vector=None, training=False, seed=None)``: ``x`` the
likelihood's network input ``[B, H, W, C]`` on [-1, 1]; dropout (training only) is stateless,
each block's seed folded from ``seed``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgen.layers.shifted import (
    DownRightShiftedConv2D,
    DownRightShiftedConv2DTranspose,
    DownShiftedConv2D,
    DownShiftedConv2DTranspose,
    GatedResnet,
    down_shift,
    right_shift,
)


def _crop_to(x: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """``x`` cropped at the bottom/right to ``like``'s height and width."""
    if x.shape[1] is not None and like.shape[1] is not None:
        return x[:, :like.shape[1], :like.shape[2]]
    return x[:, :tf.shape(like)[1], :tf.shape(like)[2]]


@keras.saving.register_keras_serializable(package="tfgen")
class PixelCNNPPNetwork(keras.layers.Layer):
    """Image ``[B, H, W, C]`` -> likelihood parameters ``[B, H, W, output_channels]``; the
    output at ``(r, c)`` depends on the input at raster positions before ``(r, c)`` only."""

    def __init__(self, output_channels: int, nr_resnet: int = 5, nr_filters: int = 160,
                 dropout: float = 0.5, num_classes: int = 0, weight_norm: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.output_channels, self.nr_resnet = int(output_channels), int(nr_resnet)
        self.nr_filters, self.dropout = int(nr_filters), float(dropout)
        self.num_classes, self.weight_norm = int(num_classes), bool(weight_norm)
        f, wn, n = self.nr_filters, self.weight_norm, self.nr_resnet

        def block(kind, aux, name):
            return GatedResnet(f, kind, aux=aux, conditional=self.num_classes > 0,
                               dropout=self.dropout, weight_norm=wn, name=name)

        self.u_in = DownShiftedConv2D(f, (2, 3), weight_norm=wn, name="u_in")
        self.ul_in_down = DownShiftedConv2D(f, (1, 3), weight_norm=wn, name="ul_in_down")
        self.ul_in_right = DownRightShiftedConv2D(f, (2, 1), weight_norm=wn, name="ul_in_right")
        # up pass: 3 stages of n blocks; stride-2 convs between them
        self.up_u = [[block("down", False, f"up{s}_u{i}") for i in range(n)] for s in range(3)]
        self.up_ul = [[block("down_right", True, f"up{s}_ul{i}") for i in range(n)]
                      for s in range(3)]
        self.down_u_conv = [DownShiftedConv2D(f, (2, 3), 2, weight_norm=wn, name=f"u_down{s}")
                            for s in range(2)]
        self.down_ul_conv = [DownRightShiftedConv2D(f, (2, 2), 2, weight_norm=wn,
                                                    name=f"ul_down{s}") for s in range(2)]
        # down pass: n blocks at 1/4, n + 1 at 1/2 and at full size; transposed convs between
        sizes = (n, n + 1, n + 1)
        self.dn_u = [[block("down", True, f"dn{s}_u{i}") for i in range(k)]
                     for s, k in enumerate(sizes)]
        self.dn_ul = [[block("down_right", True, f"dn{s}_ul{i}") for i in range(k)]
                      for s, k in enumerate(sizes)]
        self.up_u_conv = [DownShiftedConv2DTranspose(f, (2, 3), 2, weight_norm=wn,
                                                     name=f"u_up{s}") for s in range(2)]
        self.up_ul_conv = [DownRightShiftedConv2DTranspose(f, (2, 2), 2, weight_norm=wn,
                                                           name=f"ul_up{s}") for s in range(2)]
        self.output_nin = keras.layers.Dense(self.output_channels, name="output_nin")

    def call(self, x, condition_vector=None, training=False, seed=None):
        if (condition_vector is None) != (self.num_classes == 0):
            raise ValueError(f"PixelCNNPPNetwork(num_classes={self.num_classes}) needs a "
                             "condition_vector exactly when num_classes > 0")
        if training and self.dropout > 0.0 and seed is None:
            raise ValueError("PixelCNNPPNetwork: training with dropout needs a stateless seed")
        counter = iter(range(1 << 20))

        def run(blk, h, aux=None):
            block_seed = (None if seed is None else
                          tf.random.experimental.stateless_fold_in(seed, next(counter)))
            return blk(h, aux=aux, condition=condition_vector, training=training,
                       seed=block_seed)

        ones = tf.ones_like(x[..., :1])  # tells the image from the zero padding
        x = tf.concat([x, ones], axis=-1)
        u = down_shift(self.u_in(x))
        ul = down_shift(self.ul_in_down(x)) + right_shift(self.ul_in_right(x))
        u_list, ul_list = [u], [ul]
        for stage in range(3):
            if stage > 0:
                u_list.append(self.down_u_conv[stage - 1](u_list[-1]))
                ul_list.append(self.down_ul_conv[stage - 1](ul_list[-1]))
            for blk_u, blk_ul in zip(self.up_u[stage], self.up_ul[stage]):
                u_list.append(run(blk_u, u_list[-1]))
                ul_list.append(run(blk_ul, ul_list[-1], u_list[-1]))

        u, ul = u_list.pop(), ul_list.pop()
        for stage in range(3):
            if stage > 0:
                u = _crop_to(self.up_u_conv[stage - 1](u), u_list[-1])
                ul = _crop_to(self.up_ul_conv[stage - 1](ul), ul_list[-1])
            for blk_u, blk_ul in zip(self.dn_u[stage], self.dn_ul[stage]):
                u = run(blk_u, u, u_list.pop())
                ul = run(blk_ul, ul, tf.concat([u, ul_list.pop()], axis=-1))
        assert not u_list and not ul_list, (len(u_list), len(ul_list))
        return self.output_nin(tf.nn.elu(ul))

    def get_config(self):
        return {**super().get_config(), "output_channels": self.output_channels,
                "nr_resnet": self.nr_resnet, "nr_filters": self.nr_filters,
                "dropout": self.dropout, "num_classes": self.num_classes,
                "weight_norm": self.weight_norm}
