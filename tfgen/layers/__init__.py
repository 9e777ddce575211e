"""PixelCNN building blocks: masked convolutions, gated blocks, whole stacks, and the caches that
run them one position at a time for fast sampling; PixelCNN++'s shifted convolutions, gated
ResNet block and network."""

from tfgen.layers.autoregressive import AutoregressiveConvNet
from tfgen.layers.gated import GatedPixelCNNBlock, gate, pad_for_vertical
from tfgen.layers.gated_residual import (GatedMaskedResidualBlock, GatedResidualPixelCNN,
                                         PixelEmbedding)
from tfgen.layers.masked import MaskedConv2D, MaskedRowConv2D, shift_down, shift_right
from tfgen.layers.masks import causal_mask, centre_mask, channel_groups
from tfgen.layers.pixelcnn_pp import PixelCNNPPNetwork
from tfgen.layers.residual import ResidualBlock, SubpixelConv2D
from tfgen.layers.shifted import (DownRightShiftedConv2D, DownRightShiftedConv2DTranspose,
                                  DownShiftedConv2D, DownShiftedConv2DTranspose, GatedResnet,
                                  concat_elu, down_shift, right_shift)
from tfgen.layers.stacks import GatedPixelCNNStack, MaskedResidualBlock, PixelCNNStack

__all__ = [
    "AutoregressiveConvNet",
    "DownRightShiftedConv2D",
    "DownRightShiftedConv2DTranspose",
    "DownShiftedConv2D",
    "DownShiftedConv2DTranspose",
    "GatedMaskedResidualBlock",
    "GatedPixelCNNBlock",
    "GatedPixelCNNStack",
    "GatedResidualPixelCNN",
    "GatedResnet",
    "MaskedConv2D",
    "MaskedResidualBlock",
    "MaskedRowConv2D",
    "PixelCNNPPNetwork",
    "PixelCNNStack",
    "PixelEmbedding",
    "ResidualBlock",
    "SubpixelConv2D",
    "causal_mask",
    "centre_mask",
    "channel_groups",
    "concat_elu",
    "down_shift",
    "gate",
    "pad_for_vertical",
    "right_shift",
    "shift_down",
    "shift_right",
]
