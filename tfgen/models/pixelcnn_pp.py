"""PixelCNN++ (Salimans, Karpathy, Chen & Kingma 2017, "PixelCNN++: Improving the PixelCNN with
Discretized Logistic Mixture Likelihood and Other Modifications").

``p(x) = prod_i p(x_i | x_<i)`` over *pixels* in raster order, each factor the per-pixel mixture
of discretized logistics with linear R -> G -> B dependence
(:class:`tfgen.distributions.DiscretizedLogisticRGBMixture`), its parameters from the two-stream
down/up network of :mod:`tfgen.layers.pixelcnn_pp` (gated ResNet blocks, concat_elu, dropout,
stride-2 shifted convs and transposed convs, skip connections). ``log_prob`` and the loss are
exact, in nats per image; train/test metrics add bits/dim. Training uses dropout (stateless,
seeded per step) and Adam with the paper's per-step exponential decay ``lr * lr_decay^step``.

It models 8-bit images; binarized data ({0, 255}) is in the likelihood's support, so it trains
on binarized datasets too (its NLL is then that of the {0, 255} values under a 256-valued
model, comparable with a Bernoulli model's).

**Sampling** (:meth:`PixelCNNPP.sample`) is exact and sequential: the naive sampler of
:mod:`tfgen.sampling` runs the whole network once per pixel and draws the pixel's channels
together (``joint_channels``: ``H * W`` passes, not ``3 H W``). There is no cached sampler: a
cache through this network (Ramachandran et al. 2017 did one for exactly this architecture) must
keep per-resolution caches on a schedule (a stride-2 layer's output changes every second row
and column; a transposed conv emits 2x2 blocks; the ``ul`` stream reads the full ``u`` stream
at every resolution), i.e. a second implementation of every layer, which this library has not
taken on for PixelCNN++: sampling is not the model's measured use here (likelihoods are).

Class-conditional models (``conditional=True``) follow :class:`tfgen.models.PixelCNN`:
``log_prob`` is the marginal over a uniform class prior, ``log_prob_class`` is ``log p(x | y)``,
``sample`` cycles the classes and ``sample_class`` draws given labels.
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfgen.data.spec import IMAGE
from tfgen.distributions import DiscretizedLogisticRGBMixture, bits_per_dim
from tfgen.layers.pixelcnn_pp import PixelCNNPPNetwork
from tfgen.models.base import GenerativeModel
from tfgen.models.conditional import ClassConditional
from tfgen.sampling import naive_sample
from tfgen.utils.config import CheckedConfig, field


@dataclasses.dataclass
class PixelCNNPPConfig(CheckedConfig):
    """Hyperparameters of :class:`PixelCNNPP` (each is also a ``train/run.py`` flag); the
    defaults are the paper's CIFAR-10 model."""

    nr_resnet: int = field(5, "gated ResNet blocks per stage of each stream (6 stages; the two "
                                 "upsampling stages get one more)", minimum=0)
    nr_filters: int = field(160, "feature maps of the PixelCNN++ streams", minimum=1)
    nr_logistic_mix: int = field(10, "discretized logistic components per pixel", minimum=1)
    dropout: float = field(0.5, "dropout rate inside every gated ResNet block (training only)",
                           minimum=0.0, maximum=0.99)
    weight_norm: bool = field(True, "weight-normalized convolutions (g starts at 1; 0.1 for "
                                    "each block's second conv; no data-dependent init)")
    lr_decay: float = field(0.999995, "learning rate multiplied by this every step (paper: "
                                      "0.999995); 1 keeps it constant", minimum=0.0, maximum=1.0)
    conditional: bool = field(False, "class-conditional: a one-hot label enters every block")
    num_classes: int = field(-1, "classes of a conditional model; -1: the dataset's", minimum=-1)


@keras.saving.register_keras_serializable(package="tfgen")
class PixelCNNPP(ClassConditional, GenerativeModel):
    """PixelCNN++ over uint8 images ``[H, W, C]``; every log-density in nats per image."""

    metric_names = ("bits_per_dim",)
    Config = PixelCNNPPConfig
    data_kinds = (IMAGE,)

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind)
        self.config = self.Config(**config)
        cfg = self.config
        channels = self.image_shape[-1]
        self.likelihood = DiscretizedLogisticRGBMixture(cfg.nr_logistic_mix, channels)
        self.init_classes(cfg.conditional, cfg.num_classes)
        self.network = PixelCNNPPNetwork(
            self.likelihood.params_per_pixel(channels), nr_resnet=cfg.nr_resnet,
            nr_filters=cfg.nr_filters, dropout=cfg.dropout, num_classes=self.num_classes,
            weight_norm=cfg.weight_norm, name="pixelcnn_pp")

    def learning_rate_schedule(self, learning_rate: float):
        """``learning_rate * lr_decay ** step`` (the paper's 0.999995 per step)."""
        if self.config.lr_decay >= 1.0:
            return learning_rate
        return keras.optimizers.schedules.ExponentialDecay(learning_rate, 1,
                                                           self.config.lr_decay)

    # -- likelihood -----------------------------------------------------------------------
    def params(self, images: tf.Tensor, labels=None, training: bool = False,
               seed: tf.Tensor | None = None) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` -> float32 ``[B, H, W, P]`` mixture parameters (of
        ``p(x | y)`` when conditional; ``labels`` int ``[B]``). ``training``: dropout from the
        stateless ``seed``."""
        conditions = self.label_conditions(labels)
        out = self.network(self.likelihood.network_input(images), training=training,
                           seed=seed, **conditions)
        return tf.cast(out, tf.float32)

    def compute_objective(self, images, seed, training, labels=None):
        images = tf.convert_to_tensor(images)
        if self.num_classes and labels is None:
            log_px = self.log_prob(images)  # evaluation without labels: the marginal
        else:
            params = self.params(images, labels if self.num_classes else None,
                                 training=training, seed=seed)
            log_px = self.likelihood.log_prob(params, images)
        return -log_px, {"bits_per_dim": bits_per_dim(log_px, self.image_shape)}

    # -- sampling -------------------------------------------------------------------------
    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """uint8 ``[num_samples, H, W, C]``, exact: the naive sampler, one network pass per
        pixel (conditional models cycle the classes); see the module docstring for why there is
        no cached path."""
        return naive_sample(self, num_samples, seed)

    def sample_class(self, labels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """One image per label: int ``[N]`` -> uint8 ``[N, H, W, C]`` (conditional models)."""
        self.require_conditional()
        labels = tf.convert_to_tensor(labels)
        return naive_sample(self, tf.shape(labels)[0], seed, labels)

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}
