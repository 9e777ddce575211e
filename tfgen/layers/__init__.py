"""PixelCNN building blocks: masked convolutions, gated blocks, whole stacks, and the caches that
run them one position at a time for fast sampling."""

from tfgen.layers.autoregressive import AutoregressiveConvNet
from tfgen.layers.gated import GatedPixelCNNBlock, gate, pad_for_vertical
from tfgen.layers.gated_residual import (GatedMaskedResidualBlock, GatedResidualPixelCNN,
                                         PixelEmbedding)
from tfgen.layers.masked import MaskedConv2D, MaskedRowConv2D, shift_down, shift_right
from tfgen.layers.masks import causal_mask, centre_mask, channel_groups
from tfgen.layers.residual import ResidualBlock, SubpixelConv2D
from tfgen.layers.stacks import GatedPixelCNNStack, MaskedResidualBlock, PixelCNNStack

__all__ = [
    "AutoregressiveConvNet",
    "GatedMaskedResidualBlock",
    "GatedPixelCNNBlock",
    "GatedPixelCNNStack",
    "GatedResidualPixelCNN",
    "MaskedConv2D",
    "MaskedResidualBlock",
    "MaskedRowConv2D",
    "PixelCNNStack",
    "PixelEmbedding",
    "ResidualBlock",
    "SubpixelConv2D",
    "causal_mask",
    "centre_mask",
    "channel_groups",
    "gate",
    "pad_for_vertical",
    "shift_down",
    "shift_right",
]
