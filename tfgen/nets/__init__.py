"""Network architectures (encoders, decoders; GAN generators and critics) models plug in."""

from tfgen.nets.conv import ConvDecoder, ConvEncoder

__all__ = ["ConvDecoder", "ConvEncoder"]
