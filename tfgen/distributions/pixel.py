"""Pixel likelihoods p(x | params) over uint8 images, built on ``tfp.distributions``.

A likelihood turns the raw output of a network, ``params`` of shape ``[B, H, W, C * P]`` (``P`` =
``params_per_channel``), into a distribution whose event is a whole image ``[H, W, C]``. It also
owns how raw ``uint8`` images in ``[0, 255]`` become network inputs and ``log_prob`` targets, so a
model built on it accepts raw images at every public boundary. All log-probabilities are in nats
per image and are computed in float32 (also under mixed precision).
"""

from __future__ import annotations

import abc
import math
import operator

import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.distributions.logistic import PIXEL_MAX, DiscretizedLogistic

tfd = tfp.distributions

_BINARY_THRESHOLD = 128  # uint8 pixels >= this are "on" for the Bernoulli likelihood.


class PixelLikelihood(abc.ABC):
    """Maps network outputs to a distribution over uint8 images ``[H, W, C]``."""

    name: str = ""
    params_per_channel: int = 1
    #: dtype of drawn values (samplers build their output in it).
    value_dtype: tf.DType = tf.uint8
    #: False: autoregressive samplers draw a pixel's channels one at a time (R -> G -> B).
    joint_channels: bool = False

    @abc.abstractmethod
    def network_input(self, images: tf.Tensor) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` in [0, 255] -> float32 in [-1, 1], the input a network sees."""

    @abc.abstractmethod
    def targets(self, images: tf.Tensor) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` -> the values ``distribution(...).log_prob`` scores."""

    @abc.abstractmethod
    def distribution(self, params: tf.Tensor) -> tfd.Distribution:
        """float ``[B, H, W, C * P]`` -> distribution with event shape ``[H, W, C]``."""

    @abc.abstractmethod
    def to_images(self, values: tf.Tensor) -> tf.Tensor:
        """Samples of ``distribution`` -> uint8 ``[B, H, W, C]`` in [0, 255]."""

    def log_prob(self, params: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """log p(images | params): float32 ``[B]``, nats per image.

        ``params`` must hold ``P`` values for each of the images' ``C`` channels: a distribution
        over more channels would broadcast the images across them and sum a wrong number."""
        width, channels = params.shape[-1], images.shape[-1]
        if None not in (width, channels) and width != channels * self.params_per_channel:
            raise ValueError(
                f"{self.name} likelihood: params have {width} values per pixel, but images of "
                f"{channels} channel(s) need {channels} x {self.params_per_channel} = "
                f"{channels * self.params_per_channel}")
        return self.distribution(params).log_prob(self.targets(images))

    def sample(self, params: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Draw one image per row of ``params`` with a stateless ``seed`` (int32 ``[2]``) -> uint8."""
        return self.to_images(self.distribution(params).sample(seed=seed))

    def get_config(self) -> dict:
        return {"name": self.name}


def _check_pixels(images: tf.Tensor, likelihood: str) -> tf.Tensor:
    """``images`` as a tensor, refusing float (and bool) images: the likelihoods score integer
    pixel values 0..255, and casting e.g. [0, 1] or dequantized floats would give a plausible
    but meaningless likelihood."""
    images = tf.convert_to_tensor(images)
    if not images.dtype.is_integer:
        raise TypeError(f"the {likelihood} likelihood expects uint8 images with values in "
                        f"[0, 255]; got {images.dtype.name}. Pass the raw 8-bit images (a model "
                        "does its own scaling and binarization).")
    return images


def _split_channels(params: tf.Tensor, per_channel: int) -> tf.Tensor:
    """``[B, H, W, C * P]`` -> float32 ``[B, H, W, C, P]``."""
    params = tf.cast(params, tf.float32)
    shape = tf.shape(params)  # the last axis may be statically unknown (a sampler's slice)
    return tf.reshape(params, tf.concat([shape[:-1], [-1, per_channel]], axis=0))


class Bernoulli(PixelLikelihood):
    """Binary pixels: a uint8 pixel is 1 when ``>= 128``. Binarized data arrives as {0, 255}."""

    name = "bernoulli"
    params_per_channel = 1

    def network_input(self, images):
        return self.targets(images) * 2.0 - 1.0

    def targets(self, images):
        return tf.cast(_check_pixels(images, self.name) >= _BINARY_THRESHOLD, tf.float32)

    def distribution(self, params):
        logits = tf.cast(params, tf.float32)
        return tfd.Independent(tfd.Bernoulli(logits=logits, dtype=tf.float32), 3)

    def to_images(self, values):
        return tf.cast(values, tf.uint8) * 255


class Categorical(PixelLikelihood):
    """A 256-way softmax per pixel and channel (PixelRNN/PixelCNN's output)."""

    name = "categorical"
    params_per_channel = 256

    def network_input(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.float32) / 127.5 - 1.0

    def targets(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.int32)

    def distribution(self, params):
        logits = _split_channels(params, self.params_per_channel)
        return tfd.Independent(tfd.Categorical(logits=logits), 3)

    def to_images(self, values):
        return tf.cast(values, tf.uint8)


class DiscretizedLogisticMixture(PixelLikelihood):
    """Per-channel mixture of ``K`` discretized logistics over the 256 pixel values (PixelCNN++).

    Per channel the network outputs ``K`` mixture logits, ``K`` locations ``mu`` and ``K``
    log-scales ``s``, all on the [-1, 1] image scale of :meth:`network_input` (openai/pixel-cnn's
    parameterization): component ``j`` is :class:`~tfgen.distributions.logistic.
    DiscretizedLogistic` with location ``(mu_j + 1) * 127.5`` and scale ``127.5 * exp(max(s_j,
    -7))`` in pixel units. So ``mu = v / 127.5 - 1`` puts the component's mode at pixel value
    ``v``, and ``P(0) = F(1/2)``, ``P(k) = F(k + 1/2) - F(k - 1/2)``, ``P(255) = 1 - F(254.5)``.
    Channels are independent given the network output (the VAE/PixelVAE decoders); PixelCNN++'s
    per-pixel mixture with linear channel dependence reuses
    :func:`~tfgen.distributions.logistic.discretized_logistic_log_prob`.
    """

    name = "logistic"
    min_log_scale = -7.0  # on the [-1, 1] scale: at least 127.5 * exp(-7) = 0.116 pixel units

    def __init__(self, num_components: int = 5):
        if num_components < 1:
            raise ValueError(f"num_components must be >= 1, got {num_components}")
        self.num_components = int(num_components)
        self.params_per_channel = 3 * self.num_components

    def network_input(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.float32) / 127.5 - 1.0

    def targets(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.float32)

    def components(self, params: tf.Tensor):
        """float ``[B, H, W, C * 3K]`` -> (logits, loc, scale), each float32 ``[B, H, W, C, K]``,
        ``loc`` and ``scale`` in pixel units."""
        logits, loc, log_scale = tf.split(_split_channels(params, self.params_per_channel), 3,
                                          axis=-1)
        half_range = PIXEL_MAX / 2.0
        loc = (loc + 1.0) * half_range
        scale = half_range * tf.exp(tf.maximum(log_scale, self.min_log_scale))
        return logits, loc, scale

    def distribution(self, params):
        logits, loc, scale = self.components(params)
        mixture = tfd.MixtureSameFamily(tfd.Categorical(logits=logits),
                                        DiscretizedLogistic(loc, scale))
        return tfd.Independent(mixture, 3)

    def to_images(self, values):
        return tf.cast(tf.clip_by_value(tf.round(values), 0.0, float(PIXEL_MAX)), tf.uint8)

    def get_config(self):
        return {"name": self.name, "num_components": self.num_components}


LIKELIHOODS = {cls.name: cls for cls in (Bernoulli, Categorical, DiscretizedLogisticMixture)}


def get_likelihood(name: str, **kwargs) -> PixelLikelihood:
    """Build a likelihood by name: ``bernoulli``, ``categorical`` or ``logistic``."""
    if name not in LIKELIHOODS:
        raise ValueError(f"Unknown pixel likelihood {name!r}; valid names: {sorted(LIKELIHOODS)}")
    cls = LIKELIHOODS[name]
    if cls is DiscretizedLogisticMixture:
        return cls(**kwargs)
    if kwargs:  # e.g. num_components: an option this likelihood would silently ignore
        raise ValueError(f"the {name} likelihood takes no options; got {sorted(kwargs)}")
    return cls()


def _is_positive_int(d) -> bool:
    try:
        return operator.index(d) > 0
    except TypeError:
        return False


def bits_per_dim(log_prob_nats: tf.Tensor, image_shape) -> tf.Tensor:
    """Convert log p(x) in nats per image to bits per dimension (a positive number)."""
    shape = tuple(image_shape)
    if len(shape) != 3 or not all(_is_positive_int(d) for d in shape):
        raise ValueError(f"bits_per_dim needs one image's shape (H, W, C) of positive ints; got "
                         f"{shape} (a batch axis or an unknown size would change the divisor)")
    dims = math.prod(operator.index(d) for d in shape)
    return -tf.cast(log_prob_nats, tf.float32) / (dims * math.log(2.0))
