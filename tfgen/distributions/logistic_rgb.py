"""PixelCNN++'s per-pixel mixture of discretized logistics with linear channel dependence
(Salimans et al. 2017, eq. 3 and §2.2).

One categorical over ``K`` components per *pixel* (shared by its channels), and inside component
``k`` the channels in order R -> G -> B, each a discretized logistic whose location depends
linearly on the channels before it::

    p(x) = sum_k pi_k  L(x_R | mu_R,k,                                  s_R,k)
                       L(x_G | mu_G,k + a_k x_R,                        s_G,k)
                       L(x_B | mu_B,k + b_k x_R + c_k x_G,              s_B,k)

with ``x_c`` the *observed* (or already drawn) value on the [-1, 1] scale (``v / 127.5 - 1``) and
``a, b, c = tanh(raw)``. ``L`` is :func:`~tfgen.distributions.logistic.discretized_logistic_log_prob`
in pixel units (exact edges at 0 and 255, no cancellation): the one implementation shared with the
per-channel ``--likelihood=logistic``, whose [-1, 1] -> pixel-unit mapping this follows
(location ``(mean + 1) * 127.5``, scale ``127.5 * exp(max(log_scale, -7))``).

**Parameter layout** per pixel (last axis, ``P = K * (1 + 2C + C(C-1)/2)``; 10K for RGB, 3K for
greyscale, where there is no coupling)::

    [ logits (K) | means (C x K) | log-scales (C x K) | coefficients (C(C-1)/2 x K) ]

means and log-scales channel-major (``[c * K + k]``); the coefficients of channel ``c`` on the
channels ``j < c`` in the order (1,0), (2,0), (2,1) = (a, b, c) for RGB.

The likelihood declares ``joint_channels``: autoregressive samplers draw a pixel's channels in
one step from the pixel's parameters (:meth:`DiscretizedLogisticRGBMixture.draw`). It is not in
the ``--likelihood`` registry: its parameters are per pixel, not ``C x params_per_channel``, so
the per-channel decoders (VAE, PixelVAE) cannot host it; :class:`tfgen.models.PixelCNNPP` owns it.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_probability as tfp

from tfgen.distributions.logistic import PIXEL_MAX, discretized_logistic_log_prob
from tfgen.distributions.pixel import PixelLikelihood, _check_pixels

tfd = tfp.distributions

_HALF_RANGE = PIXEL_MAX / 2.0  # 127.5: [-1, 1] <-> [0, 255]
_NUM_VALUES = PIXEL_MAX + 1


def num_coefficients(channels: int) -> int:
    """Coupling coefficients per component: one per pair ``j < c`` (3 for RGB, 0 greyscale)."""
    return channels * (channels - 1) // 2


def params_per_pixel(num_components: int, channels: int) -> int:
    """``K * (1 + 2C + C(C-1)/2)``: 10K for RGB, 3K for greyscale."""
    return num_components * (1 + 2 * channels + num_coefficients(channels))


def _inverse_cdf(log_probs: tf.Tensor, uniform: tf.Tensor) -> tf.Tensor:
    """Index ``k`` with ``cdf[k - 1] <= u * total < cdf[k]``: int32 ``[B]`` from ``[B, V]``
    (the rule of :mod:`tfgen.sampling.draws`)."""
    cdf = tf.cumsum(tf.nn.softmax(log_probs, axis=-1), axis=-1)
    threshold = uniform[:, None] * cdf[:, -1:]
    return tf.minimum(tf.reduce_sum(tf.cast(cdf <= threshold, tf.int32), axis=-1),
                      tf.shape(log_probs)[-1] - 1)


class DiscretizedLogisticRGBMixture(PixelLikelihood):
    """The PixelCNN++ likelihood: a per-pixel mixture of ``num_components`` discretized
    logistics over a pixel's ``channels`` (R -> G -> B coupled linearly; see the module).

    ``params``: ``[B, H, W, P]`` on the [-1, 1] scale (layout in the module docstring);
    log-probabilities are float32 nats per image, also for float16 params.
    """

    name = "logistic_rgb"
    joint_channels = True
    #: Not per channel: a pixel's parameters are shared by its channels (see ``params_width``).
    params_per_channel = None
    min_log_scale = -7.0  # as DiscretizedLogisticMixture: scale >= 0.116 pixel units

    def __init__(self, num_components: int = 10, channels: int = 3):
        if num_components < 1:
            raise ValueError(f"num_components must be >= 1, got {num_components}")
        if channels < 1:
            raise ValueError(f"channels must be >= 1, got {channels}")
        self.num_components = int(num_components)
        self.channels = int(channels)
        self.params_width = params_per_pixel(self.num_components, self.channels)

    def params_per_pixel(self, channels: int) -> int:
        """Parameters per pixel for ``channels`` (must be this likelihood's ``channels``)."""
        if int(channels) != self.channels:
            raise ValueError(f"the {self.name} likelihood was built for {self.channels} "
                             f"channel(s); got images of {channels}")
        return self.params_width

    # -- the PixelLikelihood interface ------------------------------------------------------
    def network_input(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.float32) / _HALF_RANGE - 1.0

    def targets(self, images):
        return tf.cast(_check_pixels(images, self.name), tf.float32)

    def to_images(self, values):
        return tf.cast(tf.clip_by_value(tf.round(values), 0.0, float(PIXEL_MAX)), tf.uint8)

    def distribution(self, params):
        return PixelLogisticMixture(params, self)

    def log_prob(self, params, images):
        """log p(images | params): float32 ``[B]``, nats per image."""
        self._check_width(params, images.shape[-1])
        return tf.reduce_sum(self.pixel_log_prob(params, self.targets(images)), axis=[1, 2])

    def get_config(self):
        return {"name": self.name, "num_components": self.num_components,
                "channels": self.channels}

    # -- per pixel --------------------------------------------------------------------------
    def _check_width(self, params, channels):
        width = params.shape[-1]
        if channels is not None and int(channels) != self.channels:
            raise ValueError(f"the {self.name} likelihood was built for {self.channels} "
                             f"channel(s); got images of {channels}")
        if width is not None and width != self.params_width:
            raise ValueError(
                f"{self.name} likelihood: params have {width} values per pixel, but "
                f"{self.num_components} components over {self.channels} channel(s) need "
                f"K * (1 + 2C + C(C-1)/2) = {self.params_width}")

    def split(self, params: tf.Tensor):
        """``[..., P]`` -> (logits ``[..., K]``, means ``[..., C, K]`` on [-1, 1], log-scales
        ``[..., C, K]`` clipped below at -7, coefficients ``[..., C(C-1)/2, K]`` tanh'd), float32."""
        params = tf.cast(params, tf.float32)
        k, c = self.num_components, self.channels
        logits, means, log_scales, coeffs = tf.split(
            params, [k, c * k, c * k, num_coefficients(c) * k], axis=-1)
        lead = tf.shape(params)[:-1]

        def grid(t, rows):
            return tf.reshape(t, tf.concat([lead, [rows, k]], 0))

        return (logits, grid(means, c),
                tf.maximum(grid(log_scales, c), self.min_log_scale),
                tf.tanh(grid(coeffs, num_coefficients(c))))

    @staticmethod
    def coupled_mean(means, coeffs, scaled, channel: int) -> tf.Tensor:
        """Channel ``channel``'s location on [-1, 1] per component ``[..., K]``: its mean plus
        ``coeff * x_j`` for the channels ``j < channel`` (``scaled`` ``[..., C]`` on [-1, 1])."""
        mean = means[..., channel, :]
        first = channel * (channel - 1) // 2
        for j in range(channel):
            mean = mean + coeffs[..., first + j, :] * scaled[..., j:j + 1]
        return mean

    def locations(self, params: tf.Tensor, values: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(loc, scale) in pixel units ``[..., C, K]`` given the pixels' ``values`` ``[..., C]``
        (0..255): channel ``c``'s loc depends on ``values[..., :c]`` only."""
        _, means, log_scales, coeffs = self.split(params)
        scaled = tf.cast(values, tf.float32) / _HALF_RANGE - 1.0
        lead = tf.broadcast_dynamic_shape(tf.shape(means)[:-2], tf.shape(scaled)[:-1])

        def spread(t, trailing):  # broadcast the leading (pixel) axes of params and values
            return tf.broadcast_to(t, tf.concat([lead, tf.shape(t)[-trailing:]], 0))

        means, log_scales, coeffs = spread(means, 2), spread(log_scales, 2), spread(coeffs, 2)
        scaled = spread(scaled, 1)
        mean = tf.stack([self.coupled_mean(means, coeffs, scaled, c)
                         for c in range(self.channels)], axis=-2)
        return (mean + 1.0) * _HALF_RANGE, _HALF_RANGE * tf.exp(log_scales)

    def pixel_log_prob(self, params: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
        """log p(pixel) in nats per pixel, float32 ``[...]``: ``params`` ``[..., P]``,
        ``values`` ``[..., C]`` integers 0..255 (any numeric dtype)."""
        logits = self.split(params)[0]
        loc, scale = self.locations(params, values)
        values = tf.cast(values, tf.float32)[..., None]  # [..., C, 1] against [..., C, K]
        per_component = tf.reduce_sum(discretized_logistic_log_prob(values, loc, scale), -2)
        return tf.reduce_logsumexp(tf.nn.log_softmax(logits) + per_component, axis=-1)

    def draw(self, params: tf.Tensor, uniforms: tf.Tensor) -> tf.Tensor:
        """One pixel per row, all channels: ``params`` ``[B, P]``, ``uniforms`` ``[B, C]`` in
        [0, 1) -> uint8 ``[B, C]`` (the samplers' ``joint_channels`` draw).

        Exact inverse-CDF sampling of the joint, one uniform per channel: R from its marginal
        ``sum_k pi_k L_k(R)``, then G from ``p(G | R) = sum_k w_k L_k(G | R)`` with the
        component posterior ``w_k ∝ pi_k L_k(R)``, then B given R, G alike. (Drawing the
        component first would need a ``C + 1``-th uniform per position; this is the same
        distribution from the samplers' ``C`` per-position uniforms.)
        """
        logits, means, log_scales, coeffs = self.split(params)
        scales = _HALF_RANGE * tf.exp(log_scales)  # [B, C, K]
        support = tf.range(_NUM_VALUES, dtype=tf.float32)[None, :, None]  # [1, 256, 1]
        log_weights = tf.nn.log_softmax(logits)  # [B, K]: the component posterior so far
        zero = tf.zeros_like(logits[:, 0])
        drawn, scaled = [], []  # values so far: int32 [B] and on [-1, 1]
        for c in range(self.channels):
            current = tf.stack(scaled + [zero] * (self.channels - c), axis=-1)  # [B, C]
            loc = (self.coupled_mean(means, coeffs, current, c) + 1.0) * _HALF_RANGE  # [B, K]
            per_value = discretized_logistic_log_prob(support, loc[:, None, :],
                                                      scales[:, None, c, :])  # [B, 256, K]
            marginal = tf.reduce_logsumexp(log_weights[:, None, :] + per_value, axis=-1)
            value = _inverse_cdf(marginal, tf.cast(uniforms[:, c], tf.float32))  # int32 [B]
            log_weights = tf.nn.log_softmax(
                log_weights + tf.gather(per_value, value, axis=1, batch_dims=1))
            drawn.append(value)
            scaled.append(tf.cast(value, tf.float32) / _HALF_RANGE - 1.0)
        return tf.cast(tf.stack(drawn, axis=-1), tf.uint8)

    def ancestral_sample(self, params: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Draw every pixel of ``params`` ``[..., P]`` at once: the component once per pixel
        (shared by its channels), then R, G given R, B given R, G, each ``clip(round(loc + scale
        * logit(u)))``; float32 ``[..., C]`` holding integers 0..255. ``seed``: stateless
        int32 ``[2]``."""
        logits, means, log_scales, coeffs = self.split(params)
        seeds = tfp.random.split_seed(seed, n=self.channels + 1)
        lead = tf.shape(logits)[:-1]
        flat_logits = tf.reshape(logits, [-1, self.num_components])
        component = tf.random.stateless_categorical(flat_logits, 1, seed=seeds[0])[:, 0]
        one_hot = tf.reshape(tf.one_hot(component, self.num_components), tf.shape(logits))
        scales = _HALF_RANGE * tf.exp(log_scales)
        values, scaled = [], []
        for c in range(self.channels):
            pad = tf.zeros(tf.concat([lead, [self.channels - c]], 0))
            current = tf.concat(scaled + [pad], -1) if scaled else pad
            mean = self.coupled_mean(means, coeffs, current, c)
            loc = tf.reduce_sum(one_hot * (mean + 1.0) * _HALF_RANGE, -1)
            scale = tf.reduce_sum(one_hot * scales[..., c, :], -1)
            u = tf.random.stateless_uniform(lead, seed=seeds[c + 1], minval=1e-7,
                                            maxval=1.0 - 1e-7)
            value = tf.clip_by_value(tf.round(loc + scale * (tf.math.log(u) - tf.math.log1p(-u))),
                                     0.0, float(PIXEL_MAX))
            values.append(value)
            scaled.append((value / _HALF_RANGE - 1.0)[..., None])
        return tf.stack(values, axis=-1)


class PixelLogisticMixture(tfd.Distribution):
    """:class:`DiscretizedLogisticRGBMixture` over whole images: batch ``[B]``, event
    ``[H, W, C]``; values float32 integers 0..255 (``likelihood.targets``)."""

    def __init__(self, params, likelihood: DiscretizedLogisticRGBMixture,
                 validate_args=False, allow_nan_stats=True, name="PixelLogisticMixture"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            self._params = tf.cast(params, tf.float32)
            self._likelihood = likelihood
            likelihood._check_width(self._params, None)
            super().__init__(dtype=tf.float32, reparameterization_type=tfd.NOT_REPARAMETERIZED,
                             validate_args=validate_args, allow_nan_stats=allow_nan_stats,
                             parameters=parameters, name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(params=tfp.util.ParameterProperties(event_ndims=3))

    def _event_shape(self):
        return self._params.shape[-3:-1].concatenate([self._likelihood.channels])

    def _event_shape_tensor(self):
        return tf.concat([tf.shape(self._params)[-3:-1], [self._likelihood.channels]], 0)

    def _batch_shape(self):
        return self._params.shape[:-3]

    def _batch_shape_tensor(self):
        return tf.shape(self._params)[:-3]

    def _log_prob(self, x):
        return tf.reduce_sum(self._likelihood.pixel_log_prob(self._params, x), axis=[-2, -1])

    def _sample_n(self, n, seed=None):
        seed = tfp.random.sanitize_seed(seed)
        params = tf.broadcast_to(self._params, tf.concat([[n], tf.shape(self._params)], 0))
        return self._likelihood.ancestral_sample(params, seed)
