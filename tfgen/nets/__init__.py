"""Network architectures (encoders, decoders; GAN generators and critics) models plug in."""

from tfgen.nets.conv import ConvDecoder, ConvEncoder

__all__ = ["ConvDecoder", "ConvEncoder"]

# GAN generators and critics, by name (``--generator`` / ``--critic``).
from tfgen.nets.registry import (  # noqa: E402
    CRITICS,
    GENERATORS,
    NetOptions,
    critic_names,
    generator_names,
    make_critic,
    make_generator,
)

__all__ += ["CRITICS", "GENERATORS", "NetOptions", "critic_names", "generator_names",
            "make_critic", "make_generator"]
