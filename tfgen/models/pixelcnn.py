"""PixelCNN (van den Oord et al. 2016, "Pixel Recurrent Neural Networks") and Gated PixelCNN
(van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders").

``p(x) = prod_i p(x_i | x_<i)`` over positions in raster order (row, column, colour channel R ->
G -> B), each factor a Bernoulli (binarized data) or 256-way categorical (8-bit data) from
:mod:`tfgen.distributions`. The network (:mod:`tfgen.layers.stacks`) computes every factor's
parameters in one pass, so ``log_prob`` and the training loss are **exact** (nats per image);
sampling is sequential and uses the cached sampler of :mod:`tfgen.sampling`.

Class-conditional models (``conditional=True``) add a one-hot label to every gated block's (or
residual block's) pre-activations and model ``p(x | y)``:

- training (``compute_objective`` with labels) minimizes ``-log p(x | y)``;
- ``log_prob(images)`` is the exact marginal ``log sum_y p(y) p(x | y)`` under a uniform
  ``p(y) = 1 / num_classes`` (one pass per class); ``log_prob_class(images, labels)`` is
  ``log p(x | y)``;
- ``sample(num_samples, seed)`` cycles the classes ``0, 1, ..., K - 1, 0, ...``;
  ``sample_class(labels, seed)`` draws one image per given label.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfgen.distributions import bits_per_dim, get_likelihood
from tfgen.layers import GatedPixelCNNStack, PixelCNNStack
from tfgen.data.spec import IMAGE
from tfgen.models.base import GenerativeModel
from tfgen.models.conditional import ClassConditional
from tfgen.sampling import cached_sample
from tfgen.utils.config import CheckedConfig, field

SUPPORTED_LIKELIHOODS = ("bernoulli", "categorical")


@dataclasses.dataclass
class PixelCNNConfig(CheckedConfig):
    """Hyperparameters of :class:`PixelCNN` (each is also a ``train/run.py`` flag)."""

    ar_layers: int = field(6, "autoregressive layers: residual blocks after the 7x7 mask-A conv "
                              "(pixelcnn) or gated blocks including the first (gated_pixelcnn)",
                           minimum=1)
    filters: int = field(64, "feature maps of the autoregressive stack", minimum=1)
    first_kernel_size: int = field(7, "kernel of the first (mask-A) layer (thesis: 7)", minimum=1)
    kernel_size: int = field(3, "odd kernel size of the masked convs after the first", minimum=1)
    likelihood: str = field("auto", "bernoulli | categorical | auto (bernoulli for binarized "
                                    "data, categorical for 8-bit)")
    conditional: bool = field(False, "class-conditional: a one-hot label enters every block")
    num_classes: int = field(-1, "classes of a conditional model; -1: the dataset's", minimum=-1)


@dataclasses.dataclass
class GatedPixelCNNConfig(PixelCNNConfig):
    """Hyperparameters of :class:`GatedPixelCNN` (the thesis' MNIST PixelVAE decoder stack:
    32 filters, a 7x7 block then 5x5 blocks, two gated 1x1 layers)."""

    filters: int = field(32, "feature maps of the autoregressive stack", minimum=1)
    kernel_size: int = field(5, "odd kernel size of the gated blocks after the first", minimum=1)
    head_layers: int = field(2, "gated 1x1 layers between the last block and the output conv",
                             minimum=0)


@keras.saving.register_keras_serializable(package="tfgen")
class PixelCNN(ClassConditional, GenerativeModel):
    """PixelCNN over uint8 images ``[H, W, C]``; every log-density in nats per image."""

    metric_names = ("bits_per_dim",)
    Config = PixelCNNConfig

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind)
        self.config = self.Config(**config)
        cfg = self.config
        if cfg.likelihood not in SUPPORTED_LIKELIHOODS:
            raise ValueError(f"{type(self).__name__} supports likelihood in "
                             f"{list(SUPPORTED_LIKELIHOODS)}; got {cfg.likelihood!r} (resolve "
                             "'auto' with tfgen.models.build_model)")
        self.likelihood = get_likelihood(cfg.likelihood)
        self.init_classes(cfg.conditional, cfg.num_classes)
        self.network = self.build_network(self.image_shape[-1] * self.likelihood.params_per_channel)

    def build_network(self, output_channels: int) -> keras.layers.Layer:
        cfg = self.config
        return PixelCNNStack(output_channels, cfg.ar_layers, cfg.filters, cfg.kernel_size,
                             cfg.first_kernel_size, self.image_shape[-1], name="pixelcnn")

    # -- likelihood -----------------------------------------------------------------------
    def params(self, images: tf.Tensor, labels=None) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` -> float32 ``[B, H, W, C * P]`` likelihood parameters (of
        ``p(x | y)`` when conditional; ``labels`` int ``[B]``)."""
        conditions = self.label_conditions(labels)
        out = self.network(self.likelihood.network_input(images), **conditions)
        return tf.cast(out, tf.float32)

    def compute_objective(self, images, seed, training, labels=None):
        del seed, training  # exact likelihood: no noise, no dropout
        if self.num_classes and labels is not None:
            log_px = self.log_prob_class(images, labels)
        else:
            log_px = self.log_prob(images)
        return -log_px, {"bits_per_dim": bits_per_dim(log_px, self.image_shape)}

    # -- sampling -------------------------------------------------------------------------
    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """uint8 ``[num_samples, H, W, C]`` with the cached sampler (conditional models cycle the
        classes). Eager calls run XLA-compiled loops, traced ones (exports) plain graph ops; see
        :func:`tfgen.sampling.cached_sample`."""
        return cached_sample(self, num_samples, seed)

    def sample_class(self, labels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """One image per label: int ``[N]`` -> uint8 ``[N, H, W, C]`` (conditional models)."""
        self.require_conditional()
        labels = tf.convert_to_tensor(labels)
        return cached_sample(self, tf.shape(labels)[0], seed, labels)

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}


@keras.saving.register_keras_serializable(package="tfgen")
class GatedPixelCNN(PixelCNN):
    """Gated PixelCNN: a 7x7 mask-A gated block, ``ar_layers - 1`` gated blocks of
    ``kernel_size``, ``head_layers`` gated 1x1 layers and a 1x1 output conv; no blind spot."""

    Config = GatedPixelCNNConfig

    def build_network(self, output_channels: int) -> keras.layers.Layer:
        cfg = self.config
        return GatedPixelCNNStack(output_channels, cfg.ar_layers, cfg.filters, cfg.kernel_size,
                                  cfg.first_kernel_size, self.image_shape[-1],
                                  head_layers=cfg.head_layers, name="gated_pixelcnn")
