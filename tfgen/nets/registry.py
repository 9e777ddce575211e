"""The registry of GAN architectures (``--generator`` / ``--critic``).

A generator maps float32 ``z [B, latent_dim]`` to float32 data ``[B, *shape]`` at network scale
(images in [-1, 1] via tanh, points unbounded). A critic maps float32 data ``[B, *shape]`` to raw
float32 values ``[B, output_dim]`` (1 critic value, plus K class logits for AC-GAN). Both are
functional Keras models built for a fixed shape.

:class:`NetOptions` carries the knobs the model config exposes: ``dim`` (base width; 0 takes the
architecture's default), ``norm`` (``batch | layer | none | auto``; auto takes the
architecture's default: batch norm in the DCGAN/ResNet generators, none elsewhere), ``depth``
(convolution layers of the deep ResNets) and ``mlp_layers`` (hidden layers of the ``toy_mlp`` /
``mlp`` nets; 0 takes their default, 3 / 4).

The thesis' robustness set (§3.5.1) as (generator, critic) pairs: baseline ``dcgan``/``dcgan``;
``dcgan_const``/``dcgan``; ``mlp``/``dcgan``; no normalization anywhere = ``dcgan``/``dcgan``
with ``generator_norm=none``; ``gated``/``gated``; ``tanh``/``tanh``; ``resnet``/``resnet``.
The CIFAR-10 model of appendix B.3 is ``resnet_cifar``/``resnet_cifar``; the language model's
1-D CNNs are ``text_cnn`` (data ``[L, V]``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import keras

from tfgen.data.sources import toy2d
from tfgen.data.spec import IMAGE, POINTS, TEXT, check_kind
from tfgen.nets import dcgan, fixed, resnet, text, toy
from tfgen.nets.gan_blocks import NORMS
from tfgen.utils.registry import check_name, lookup


@dataclasses.dataclass(frozen=True)
class NetOptions:
    """Architecture knobs shared by every registered net (each uses what applies to it)."""

    dim: int = 0
    norm: str = "auto"
    depth: int = 101
    mlp_layers: int = 0


@dataclasses.dataclass(frozen=True)
class NetEntry:
    """A registered architecture: ``build(shape, io_dim, dim, norm, options, data_kind) ->
    keras.Model`` (``dim`` and ``norm`` resolved to the entry's defaults, ``options`` the
    :class:`NetOptions`) for the data kinds ``data_kinds`` (:data:`tfgen.data.spec.KINDS`)."""

    build: Callable[..., keras.Model]
    default_dim: int
    default_norm: str
    data_kinds: tuple[str, ...]
    description: str


def _entry(build, dim, norm, kinds, description):
    return NetEntry(build, dim, norm, kinds, description)


GENERATORS: dict[str, NetEntry] = {
    "toy_mlp": _entry(lambda s, d, dim, norm, o, k: toy.mlp_generator(s, d, k, dim,
                                                      o.mlp_layers or 3, norm),
                      512, "none", (IMAGE, POINTS, TEXT), "3 hidden ReLU layers (gan_toy.py)"),
    "mlp": _entry(lambda s, d, dim, norm, o, k: toy.mlp_generator(s, d, k, dim,
                                                      o.mlp_layers or 4, norm),
                  512, "none", (IMAGE, POINTS, TEXT), "4-layer 512-dim ReLU MLP"),
    "dcgan": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_generator(s, d, dim, norm),
                    64, "batch", (IMAGE,), "DCGAN: BN + ReLU, transposed 5x5 convolutions"),
    "dcgan_const": _entry(
        lambda s, d, dim, norm, o, k: dcgan.dcgan_generator(s, d, dim, norm,
                                                             constant_filters=True),
        64, "none", (IMAGE,), "DCGAN without BN and with a constant filter count"),
    "tanh": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_generator(s, d, dim, norm, "tanh"),
                   64, "batch", (IMAGE,), "DCGAN with tanh nonlinearities"),
    "gated": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_generator(s, d, dim, norm,
                                                                         "gated"),
                    64, "batch", (IMAGE,), "DCGAN with gated multiplicative nonlinearities"),
    "resnet": _entry(lambda s, d, dim, norm, o, k: resnet.deep_resnet_generator(s, d, dim, norm,
                                                                                 o.depth),
                     64, "batch", (IMAGE,), "deep bottleneck ResNet, `depth` layers (101)"),
    "resnet_cifar": _entry(lambda s, d, dim, norm, o, k: resnet.cifar_resnet_generator(s, d, dim,
                                                                                        norm),
                           128, "batch", (IMAGE,), "the thesis' CIFAR-10 ResNet (appendix B.3)"),
    "text_cnn": _entry(lambda s, d, dim, norm, o, k: text.text_generator(s, d, dim),
                       512, "none", (TEXT,), "1-D residual CNN to [L, V] softmaxes (§3.5.4)"),
    **{f"real_plus_noise_{name}": _entry(
        lambda s, d, dim, norm, o, k, name=name: fixed.real_plus_noise_generator(name, s, d),
        0, "none", (POINTS,), f"frozen: {name} training points + N(0, I) (Fig. 3.1a)")
       for name in toy2d.NAMES},
}

CRITICS: dict[str, NetEntry] = {
    "toy_mlp": _entry(lambda s, d, dim, norm, o, k: toy.mlp_critic(s, d, dim,
                                                      o.mlp_layers or 3, norm),
                      512, "none", (IMAGE, POINTS, TEXT), "3 hidden ReLU layers (gan_toy.py)"),
    "mlp": _entry(lambda s, d, dim, norm, o, k: toy.mlp_critic(s, d, dim,
                                                      o.mlp_layers or 4, norm),
                  512, "none", (IMAGE, POINTS, TEXT), "4-layer 512-dim ReLU MLP"),
    "dcgan": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_critic(s, d, dim, norm),
                    64, "none", (IMAGE,), "DCGAN: strided 5x5 convolutions, leaky ReLU"),
    "tanh": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_critic(s, d, dim, norm, "tanh"),
                   64, "none", (IMAGE,), "DCGAN with tanh nonlinearities"),
    "gated": _entry(lambda s, d, dim, norm, o, k: dcgan.dcgan_critic(s, d, dim, norm, "gated"),
                    64, "none", (IMAGE,), "DCGAN with gated multiplicative nonlinearities"),
    "resnet": _entry(lambda s, d, dim, norm, o, k: resnet.deep_resnet_critic(s, d, dim, norm,
                                                                              o.depth),
                     64, "none", (IMAGE,), "deep bottleneck ResNet, `depth` layers (101)"),
    "resnet_cifar": _entry(lambda s, d, dim, norm, o, k: resnet.cifar_resnet_critic(s, d, dim,
                                                                                     norm),
                           128, "none", (IMAGE,), "the thesis' CIFAR-10 ResNet (appendix B.3)"),
    "text_cnn": _entry(lambda s, d, dim, norm, o, k: text.text_critic(s, d, dim),
                       512, "none", (TEXT,), "1-D residual CNN over [L, V] one-hots (§3.5.4)"),
}


def generator_names() -> list[str]:
    return sorted(GENERATORS)


def critic_names() -> list[str]:
    return sorted(CRITICS)


def _lookup(table: dict[str, NetEntry], role: str, name: str, shape, data_kind: str
            ) -> NetEntry:
    entry = lookup(table, name, role)
    check_kind(data_kind, shape, what=f"{role} {name!r}")
    if data_kind not in entry.data_kinds:
        fits = sorted(n for n, e in table.items() if data_kind in e.data_kinds)
        raise ValueError(f"{role} {name!r} does not take {data_kind} data (shape "
                         f"{tuple(shape)}); {role}s for {data_kind} data: {fits}")
    return entry


def _build(entry: NetEntry, shape, io_dim: int, options: NetOptions,
           data_kind: str) -> keras.Model:
    norm = entry.default_norm if options.norm == "auto" else options.norm
    check_name(norm, NORMS, "normalization")
    return entry.build(tuple(int(d) for d in shape), int(io_dim),
                       options.dim or entry.default_dim, norm, options, data_kind)


def make_generator(name: str, output_shape, latent_dim: int,
                   options: NetOptions = NetOptions(), data_kind: str = IMAGE) -> keras.Model:
    """Generator ``name``: float32 ``[B, latent_dim]`` -> float32 ``[B, *output_shape]`` of
    ``data_kind`` data (the dataset spec's kind; it picks the output nonlinearity)."""
    entry = _lookup(GENERATORS, "generator", name, output_shape, data_kind)
    return _build(entry, output_shape, latent_dim, options, data_kind)


def make_critic(name: str, input_shape, output_dim: int = 1,
                options: NetOptions = NetOptions(), data_kind: str = IMAGE) -> keras.Model:
    """Critic ``name``: float32 ``[B, *input_shape]`` of ``data_kind`` data -> float32
    ``[B, output_dim]``."""
    entry = _lookup(CRITICS, "critic", name, input_shape, data_kind)
    return _build(entry, input_shape, output_dim, options, data_kind)


def has_batch_norm(model: keras.Model) -> bool:
    """Whether any (nested) layer of ``model`` is a BatchNormalization layer."""
    return any(isinstance(layer, keras.layers.BatchNormalization)
               for layer in model._flatten_layers(include_self=False, recursive=True))
