"""Generative adversarial networks: WGAN-GP (Gulrajani et al. 2017, thesis ch. 3) and baselines.

One Keras model holds a generator ``G: z -> x`` and a critic ``D: x -> R`` (both from
:mod:`tfgen.nets`), two optimizers and a ``train_step`` that follows Algorithm 1 of the thesis:

    for each generator iteration (one ``train_step``, one batch from the trainer):
        for t = 1..n_critic:                    # each on its OWN real minibatch
            x ~ P_r (minibatch t of the batch), z ~ p(z), ε ~ U[0, 1] per example
            x̃ = G(z);  x̂ = εx + (1−ε)x̃
            L = D(x̃) − D(x) + λ(‖∇D(x̂)‖₂ − 1)²   (or the dcgan / lsgan / clipped loss)
            w <- critic optimizer step on mean L
        θ <- generator optimizer step on mean −D(G(z))

**Batches.** The trainer's batch (``--batch_size``) is what one generator iteration consumes: it
holds ``n_critic`` real minibatches of ``m = batch_size / n_critic`` examples, so each critic update
sees fresh data and the generator update draws ``m`` latents. The thesis' m = 64 with n_critic = 5
is ``--batch_size=320``. Minibatch t is every n_critic-th example starting at t (a strided split),
which keeps the minibatches identical under tf.distribute (each replica splits its contiguous
shard the same way; the per-replica batch must be divisible by n_critic). Losses are summed over a
replica's examples and divided by the *global* minibatch ``m``, so replicas sum to the
single-device gradient; all noise (z, ε, fake labels) is drawn for the global minibatch from
stateless seeds (config seed, generator step, purpose) and sliced per replica.

**Steps.** ``model.optimizer`` is the generator's optimizer, so the trainer's step counter
(checkpoints, ``--train_steps``, resume) counts generator iterations; ``model.critic_optimizer``
takes ``n_critic`` steps per generator step. ``save_weights`` writes both optimizers' state.

**Data.** Images are uint8 ``[B, H, W, C]`` at every public boundary and scaled to [-1, 1]
internally (generators end in tanh); toy point sets are float32 ``[B, 2]`` used as they are; text
is float32 ``[B, L, V]``: one-hot characters for real data, a softmax over the vocabulary per
position from the generator, which the critic takes directly (no sampling step, §3.5.4; decode by
argmax with :class:`tfgen.data.sources.text.CharCodec`). ``sample(num, seed)`` returns uint8
images (float32 points / softmax rows); ``critic(x)`` the raw critic value or logit, float32
``[B]`` (never a sigmoid).

**AC-GAN** (``conditional``): the generator sees ``[z, one_hot(y)]`` and the critic has K extra
class logits; the critic adds ``acgan_scale``·CE(y, class logits of real x) with the dataset's
labels, the generator ``acgan_scale_generator``·CE(ỹ, class logits of G(z, ỹ)) for uniform ỹ.
``sample`` cycles through the classes (sample i has class i mod K); ``sample_class(labels, seed)``
draws one sample per given label (also a served signature).

**Precision.** Networks run in the global dtype policy; critic outputs, losses and the gradient
penalty are float32. Under mixed_float16 both optimizers scale their losses (and the penalty's
inner gradient uses the critic optimizer's loss scale).
"""

from __future__ import annotations

import dataclasses

import keras
import tensorflow as tf

from tfgen.data.spec import IMAGE, POINTS, TEXT
from tfgen.data.transforms import scale_to_uint8, scale_to_unit
from tfgen.losses import GANLoss, auxiliary_classifier_loss, get_loss, gradient_penalty
from tfgen.models.base import (
    GenerativeModel,
    global_batch_normal,
    replica_info,
    seed_pair,
)
from tfgen.models.signatures import Signature, SignatureTable, checked, data_spec, verb_signatures
from tfgen.nets.registry import NetOptions, has_batch_norm, make_critic, make_generator
from tfgen.utils.config import CheckedConfig, field

#: Networks ``generator="auto"`` / ``critic="auto"`` pick for each data kind.
_AUTO_NETS = {POINTS: "toy_mlp", TEXT: "text_cnn", IMAGE: "dcgan"}


@dataclasses.dataclass
class GANConfig(CheckedConfig):
    """Hyperparameters of :class:`GAN` (each is also a ``train/run.py`` flag)."""

    loss: str = field("wgan-gp", "GAN objective: wgan-gp | wgan-clip | dcgan | lsgan")
    generator: str = field("auto", "generator net (auto: toy_mlp for points, text_cnn for text, "
                                   "dcgan for images); see tfgen.nets.generator_names()")
    critic: str = field("auto", "critic net (auto: toy_mlp for points, text_cnn for text, dcgan "
                                "for images); see tfgen.nets.critic_names()")
    latent_dim: int = field(128, "dimensionality of z ~ N(0, I)", minimum=1)
    n_critic: int = field(0, "critic updates per generator update, each on its own minibatch of "
                             "batch_size / n_critic real examples (0: the loss' default, 5 for "
                             "wgan-gp/wgan-clip, 1 for dcgan/lsgan)", minimum=0)
    gp_weight: float = field(10.0, "gradient penalty coefficient lambda (wgan-gp)", minimum=0.0)
    one_sided_penalty: bool = field(False, "penalize only gradient norms above 1 (wgan-gp)")
    clip_value: float = field(0.01, "critic weights are clipped to [-c, c] (wgan-clip)",
                              minimum=0.0)
    generator_dim: int = field(0, "base width of the generator (0: the architecture's default)",
                               minimum=0)
    critic_dim: int = field(0, "base width of the critic (0: the architecture's default)",
                            minimum=0)
    generator_norm: str = field("auto", "generator normalization: batch | layer | none | auto "
                                        "(auto: the architecture's default)")
    critic_norm: str = field("none", "critic normalization: none | layer | batch (batch is "
                                     "refused with a gradient penalty)")
    resnet_depth: int = field(101, "convolution layers of the deep 'resnet' nets", minimum=1)
    mlp_layers: int = field(0, "hidden layers of the 'toy_mlp' / 'mlp' nets (0: their default, "
                               "3 / 4; the thesis' Fig. 3.1b uses 12)", minimum=0)
    beta1: float = field(-1.0, "Adam beta_1 of both optimizers (-1: the loss' default)",
                         minimum=-1.0, maximum=1.0)
    beta2: float = field(-1.0, "Adam beta_2 of both optimizers (-1: the loss' default)",
                         minimum=-1.0, maximum=1.0)
    lr_decay_steps: int = field(0, "if > 0, both learning rates decay linearly to 0 over this "
                                   "many generator iterations", minimum=0)
    conditional: bool = field(False, "AC-GAN: class-conditional generator, auxiliary classifier "
                                     "head on the critic (labels from the dataset)")
    num_classes: int = field(0, "classes of a conditional GAN (0: the dataset's)", minimum=0)
    acgan_scale: float = field(1.0, "weight of the critic's class loss on real data (AC-GAN)",
                               minimum=0.0)
    acgan_scale_generator: float = field(0.1, "weight of the generator's class loss on its "
                                              "samples (AC-GAN)", minimum=0.0)


class ClipConstraint(keras.constraints.Constraint):
    """Clip a weight to ``[-c, c]`` (applied by the optimizer after each update)."""

    def __init__(self, clip_value: float):
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return tf.clip_by_value(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


def _global_batch_slice(full_draw, local_batch: tf.Tensor) -> tf.Tensor:
    """This replica's contiguous slice of a tensor drawn for the global batch."""
    _, replica_id = replica_info()
    return full_draw[replica_id * local_batch:(replica_id + 1) * local_batch]


def global_batch_uniform(local_batch, seed: tf.Tensor) -> tf.Tensor:
    """U[0, 1) float32 ``[local_batch]``: this replica's slice of a global-batch draw."""
    num_replicas, _ = replica_info()
    local_batch = tf.convert_to_tensor(local_batch, tf.int32)
    full = tf.random.stateless_uniform(tf.reshape(local_batch * num_replicas, [1]), seed=seed)
    return _global_batch_slice(full, local_batch)


def global_batch_labels(local_batch, num_classes: int, seed: tf.Tensor) -> tf.Tensor:
    """Uniform class labels int32 ``[local_batch]``: this replica's slice of a global draw."""
    num_replicas, _ = replica_info()
    local_batch = tf.convert_to_tensor(local_batch, tf.int32)
    full = tf.random.stateless_uniform(tf.reshape(local_batch * num_replicas, [1]), seed=seed,
                                       minval=0, maxval=num_classes, dtype=tf.int32)
    return _global_batch_slice(full, local_batch)


def _fold(seed: tf.Tensor, data: int) -> tf.Tensor:
    return tf.random.experimental.stateless_fold_in(seed, data)


@keras.saving.register_keras_serializable(package="tfgen")
class GAN(GenerativeModel):
    """A GAN over uint8 images ``[H, W, C]``, float32 points ``[D]`` or float32 one-hot text
    ``[L, V]``: generator, critic, two optimizers; see the module docstring for the training
    step, batches and conventions."""

    metric_names = ("critic_loss", "generator_loss", "gradient_penalty", "gradient_norm",
                    "wasserstein")
    Config = GANConfig
    data_kinds = (IMAGE, POINTS, TEXT)

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **config):
        super().__init__(image_shape, seed=seed, data_kind=data_kind)
        self.config = cfg = GANConfig(**config)
        self.gan_loss: GANLoss = get_loss(cfg.loss)
        self.latent_dim = int(cfg.latent_dim)
        self.n_critic = int(cfg.n_critic or self.gan_loss.n_critic)
        if self.n_critic < 1:
            raise ValueError(f"n_critic must be >= 1 (or 0 for the loss' default); got "
                             f"{cfg.n_critic}")
        self.num_classes = int(cfg.num_classes) if cfg.conditional else 0
        if cfg.conditional and self.num_classes < 2:
            raise ValueError(f"a conditional (AC-GAN) model needs num_classes >= 2; got "
                             f"{cfg.num_classes} (a labelled dataset fills it in)")
        if self.gan_loss.gradient_penalty and cfg.critic_norm == "batch":
            raise ValueError(self._bn_message("critic_norm='batch'"))

        auto = _AUTO_NETS[self.data_kind]
        self.generator_name = auto if cfg.generator == "auto" else cfg.generator
        self.critic_name = auto if cfg.critic == "auto" else cfg.critic
        self.generator = make_generator(
            self.generator_name, self.image_shape, self.latent_dim + self.num_classes,
            NetOptions(cfg.generator_dim, cfg.generator_norm, cfg.resnet_depth, cfg.mlp_layers),
            self.data_kind)
        self.critic_net = make_critic(
            self.critic_name, self.image_shape, 1 + self.num_classes,
            NetOptions(cfg.critic_dim, cfg.critic_norm, cfg.resnet_depth, cfg.mlp_layers),
            self.data_kind)
        if self.gan_loss.gradient_penalty and has_batch_norm(self.critic_net):
            raise ValueError(self._bn_message(f"critic {self.critic_name!r} contains "
                                              "BatchNormalization"))
        if self.gan_loss.weight_clipping:
            for variable in self.critic_net.trainable_variables:
                variable.constraint = ClipConstraint(cfg.clip_value)
        if self.num_classes:
            self._trackers["classifier_loss"] = keras.metrics.Mean(name="classifier_loss")
        self.critic_optimizer = None

    @classmethod
    def default_batch_size(cls, config: dict) -> int:
        """n_critic minibatches of the thesis' m = 64 (Algorithm 1): one generator iteration's
        batch (320 for WGAN-GP's n_critic = 5, 64 for DCGAN/LSGAN)."""
        n_critic = int(config.get("n_critic") or get_loss(config.get("loss", "wgan-gp")).n_critic)
        return 64 * max(n_critic, 1)

    def _bn_message(self, found: str) -> str:
        return (f"loss {self.config.loss!r} penalizes the critic's gradient per example, which "
                f"batch normalization invalidates (it couples the examples of a batch); found "
                f"{found}. Use critic_norm='layer' or 'none' (the thesis recommends layer norm).")

    @property
    def default_learning_rate(self) -> float:  # the trainer's learning_rate=0
        return self.gan_loss.learning_rate

    # -- scaling at the boundary -----------------------------------------------------------
    def to_network(self, data: tf.Tensor) -> tf.Tensor:
        """uint8 images -> float32 in [-1, 1]; float points / text -> float32 as they are."""
        if self.data_kind == IMAGE:
            return scale_to_unit(data)
        return tf.cast(data, tf.float32)

    def from_network(self, x: tf.Tensor) -> tf.Tensor:
        """float in [-1, 1] -> uint8 images (rounded, clipped); points and text (softmax rows)
        stay float32."""
        if self.data_kind == IMAGE:
            return scale_to_uint8(x)
        return tf.cast(x, tf.float32)

    # -- networks --------------------------------------------------------------------------
    def generate(self, z: tf.Tensor, labels: tf.Tensor | None = None,
                 training: bool = False) -> tf.Tensor:
        """float32 ``[B, latent_dim]`` (+ int labels ``[B]`` if conditional) -> float32 data
        ``[B, *shape]`` at network scale."""
        z = tf.cast(z, tf.float32)
        if self.num_classes:
            z = tf.concat([z, tf.one_hot(tf.cast(labels, tf.int32), self.num_classes)], -1)
        return tf.cast(self.generator(z, training=training), tf.float32)

    def critic_outputs(self, x: tf.Tensor, training: bool = False
                       ) -> tuple[tf.Tensor, tf.Tensor]:
        """Network-scale data -> (critic value float32 ``[B]``, class logits ``[B, K]``)."""
        out = tf.cast(self.critic_net(x, training=training), tf.float32)
        return out[:, 0], out[:, 1:]

    def _critic_terms(self, x: tf.Tensor, labels, fake: tf.Tensor, fake_labels,
                      eps: tf.Tensor, training: bool, penalty: bool
                      ) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """Per-example critic loss ``[B]`` and metrics for real ``x`` and generated ``fake``."""
        d_real, logits_real = self.critic_outputs(x, training)
        d_fake, logits_fake = self.critic_outputs(fake, training)
        loss = self.gan_loss.critic_loss(d_real, d_fake)
        metrics = {"wasserstein": d_real - d_fake}
        if penalty:
            scale = (self.critic_optimizer.scale_loss(tf.constant(1.0))
                     if self.critic_optimizer is not None else 1.0)
            pen, norm = gradient_penalty(lambda v: self.critic_outputs(v, training)[0], x, fake,
                                         eps, self.config.one_sided_penalty, scale)
            metrics.update(gradient_penalty=pen, gradient_norm=norm)
            if self.gan_loss.gradient_penalty:
                loss = loss + self.config.gp_weight * pen
        if self.num_classes:
            cls = auxiliary_classifier_loss(labels, logits_real)
            metrics["classifier_loss"] = cls
            loss = loss + self.config.acgan_scale * cls
        metrics["critic_loss"] = loss
        metrics["generator_loss"] = self._generator_terms(d_fake, logits_fake, fake_labels)
        return loss, metrics

    def _generator_terms(self, d_fake, logits_fake, fake_labels) -> tf.Tensor:
        loss = self.gan_loss.generator_loss(d_fake)
        if self.num_classes:
            loss = loss + self.config.acgan_scale_generator * auxiliary_classifier_loss(
                fake_labels, logits_fake)
        return loss

    def _noise(self, local_batch, seed: tf.Tensor):
        """(z ``[b, latent_dim]``, fake labels ``[b]`` or None, ε ``[b]``) for a global draw."""
        z = global_batch_normal(tf.stack([local_batch, self.latent_dim]), _fold(seed, 0))
        labels = (global_batch_labels(local_batch, self.num_classes, _fold(seed, 1))
                  if self.num_classes else None)
        return z, labels, global_batch_uniform(local_batch, _fold(seed, 2))

    # -- objective (evaluation) and the training step -------------------------------------
    def compute_objective(self, images, seed, training, labels=None):
        """Critic loss per example (float32 ``[B]``, penalty included for wgan-gp) and metrics
        (generator loss, penalty, gradient norm, Wasserstein estimate D(x) − D(x̃))."""
        x = self.to_network(images)
        batch = tf.shape(x)[0]
        z, fake_labels, eps = self._noise(batch, seed)
        fake = self.generate(z, fake_labels, training)
        return self._critic_terms(x, labels, fake, fake_labels, eps, training, penalty=True)

    def _split(self, x: tf.Tensor, labels) -> tuple[tf.Tensor, tf.Tensor | None]:
        """The batch as n_critic minibatches: ``[b, n_critic, ...]`` (and labels ``[b, n_critic]``
        or None), minibatch t = ``[:, t]`` = examples t, t+n, t+2n, ..."""
        n = self.n_critic
        local = x.shape[0]
        if local is not None and local % n:
            num_replicas, _ = replica_info()
            raise ValueError(
                f"a replica's batch of {local} examples does not split into n_critic={n} "
                f"critic minibatches; make --batch_size a multiple of n_critic x replicas = "
                f"{n * num_replicas} (one generator iteration consumes n_critic minibatches)")
        tf.debugging.assert_equal(tf.shape(x)[0] % n, 0, message="batch % n_critic != 0")
        b = tf.shape(x)[0] // n
        xs = tf.reshape(x, tf.concat([[b, n], tf.shape(x)[1:]], 0))
        if labels is None or not self.num_classes:
            return xs, None
        return xs, tf.reshape(labels, [b, n])

    def train_step(self, data):
        if self.critic_optimizer is None:
            raise ValueError("GAN needs two optimizers: call model.compile_for_training(...) "
                             "(not model.compile) before fit")
        images, labels = self._unpack(data)
        num_replicas, _ = replica_info()
        xs, ys = self._split(self.to_network(images), labels)
        b = tf.shape(xs)[0]
        minibatch = tf.cast(b * num_replicas, tf.float32)  # the global minibatch m
        seed = self.step_seed(0)
        critic_vars = self.critic_net.trainable_variables

        def critic_update(t):
            """Critic update t (an int32 scalar) on minibatch t."""
            x = tf.gather(xs, t, axis=1)
            y = None if ys is None else tf.gather(ys, t, axis=1)
            z, fake_labels, eps = self._noise(b, _fold(seed, 10 + t))
            fake = tf.stop_gradient(self.generate(z, fake_labels, training=True))
            with tf.GradientTape() as tape:
                loss, metrics = self._critic_terms(x, y, fake, fake_labels, eps, True,
                                                   penalty=self.gan_loss.gradient_penalty)
                scaled = self.critic_optimizer.scale_loss(tf.reduce_sum(loss) / minibatch)
            grads = tape.gradient(scaled, critic_vars)
            self.critic_optimizer.apply(grads, critic_vars)
            metrics.pop("generator_loss")
            self._update(loss, metrics)
            return t + 1

        if tf.distribute.has_strategy() or self.jit_compile:
            # Optimizer updates synchronize replicas (merge_call), which a graph loop may not
            # contain; under XLA a loop of convolutions ran 20x slower on CPU (dcgan28,
            # benchmarks/gan_speed.py: 0.078 vs 1.57 it/s): unroll the n_critic updates in Python.
            for t in range(self.n_critic):
                critic_update(tf.constant(t))
        else:  # one graph loop: the body is traced once, not n_critic times (faster tracing)
            tf.while_loop(lambda t: t < self.n_critic, critic_update, [tf.constant(0)])

        z, fake_labels, _ = self._noise(b, _fold(seed, 1))
        gen_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generate(z, fake_labels, training=True)
            d_fake, logits_fake = self.critic_outputs(fake, training=True)
            gen_loss = self._generator_terms(d_fake, logits_fake, fake_labels)
            scaled = self.optimizer.scale_loss(tf.reduce_sum(gen_loss) / minibatch)
        grads = tape.gradient(scaled, gen_vars)
        self.optimizer.apply(grads, gen_vars)
        self._trackers["generator_loss"].update_state(gen_loss)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def _update(self, loss, metrics) -> None:
        self._trackers["loss"].update_state(loss)
        for name, value in metrics.items():
            self._trackers[name].update_state(value)

    def test_step(self, data):
        images, labels = self._unpack(data)
        loss, metrics = self.compute_objective(images, self.step_seed(1), False, labels=labels)
        self._update(loss, metrics)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # -- set-up ----------------------------------------------------------------------------
    def _learning_rate(self, learning_rate: float, steps_per_generator_step: int):
        if self.config.lr_decay_steps <= 0:
            return learning_rate
        return keras.optimizers.schedules.PolynomialDecay(
            learning_rate, self.config.lr_decay_steps * steps_per_generator_step,
            end_learning_rate=0.0, power=1.0)

    def compile_for_training(self, learning_rate: float = 0.0, jit_compile: bool = False) -> None:
        """Create both optimizers (the loss' defaults; ``learning_rate`` > 0 overrides both
        rates), compile with the generator's as ``model.optimizer`` and build both. Call inside
        the strategy scope."""
        lr = learning_rate or self.gan_loss.learning_rate
        betas = {"beta_1": None if self.config.beta1 < 0 else self.config.beta1,
                 "beta_2": None if self.config.beta2 < 0 else self.config.beta2}
        generator_opt = self.gan_loss.make_optimizer(self._learning_rate(lr, 1), **betas,
                                                     name="generator_optimizer")
        critic_opt = self.gan_loss.make_optimizer(self._learning_rate(lr, self.n_critic),
                                                  **betas, name="critic_optimizer")
        if self.dtype_policy.name == "mixed_float16":  # compile wraps the generator's itself
            critic_opt = keras.optimizers.LossScaleOptimizer(critic_opt)
        self.compile(optimizer=generator_opt, jit_compile=jit_compile)
        self.critic_optimizer = critic_opt
        self.optimizer.build(self.generator.trainable_variables)
        self.critic_optimizer.build(self.critic_net.trainable_variables)

    def build_for(self, batch_size: int = 2) -> None:
        """Run the objective once on zeros (the nets are built at construction)."""
        dtype = tf.uint8 if self.data_kind == IMAGE else tf.float32
        self.compute_objective(tf.zeros((batch_size,) + self.image_shape, dtype),
                               seed_pair(self.seed, 2), False,
                               labels=tf.zeros([batch_size], tf.int64))
        self.built = True

    def call(self, data, training=False):
        """Critic value float32 ``[B]`` of uint8 images / float32 points."""
        return self.critic(data)

    # -- public verbs ----------------------------------------------------------------------
    def serving_signatures(self) -> SignatureTable:
        """``sample`` (serving_default), ``critic`` (data -> ``critic`` float32 ``[B]``) and,
        for a conditional model, ``sample_class``."""
        def critic(x):
            return {"critic": checked("critic", "critic", self.critic(x), tf.float32, 1)}

        table = verb_signatures(self, ("sample",))
        table["critic"] = Signature((data_spec(self),), critic)
        if self.num_classes:
            table.update(verb_signatures(self, ("sample_class",)))
        return table

    def _latents(self, num_samples, seed) -> tf.Tensor:
        return tf.random.stateless_normal(tf.stack([num_samples, self.latent_dim]),
                                          seed=seed_pair(seed, 0))

    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """z ~ N(0, I) from ``seed``: uint8 ``[N, H, W, C]`` images (float32 ``[N, D]`` points;
        float32 ``[N, L, V]`` text, a softmax over the vocabulary per position). A conditional
        model gives sample i the class i mod K (``sample_class`` of those labels)."""
        if self.num_classes:
            return self.sample_class(tf.range(num_samples) % self.num_classes, seed)
        return self.from_network(self.generate(self._latents(num_samples, seed)))

    def sample_class(self, labels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """One sample per label (conditional models): int ``[N]`` in ``[0, num_classes)`` ->
        data ``[N, ...]`` as :meth:`sample`, with the same latents as ``sample(N, seed)``."""
        if not self.num_classes:
            raise ValueError("GAN is unconditional (conditional=False); use sample()")
        labels = tf.convert_to_tensor(labels)
        z = self._latents(tf.shape(labels)[0], seed)
        return self.from_network(self.generate(z, labels, training=False))

    def critic(self, images: tf.Tensor) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` images (float32 ``[B, D]`` points, ``[B, L, V]`` text) -> raw
        critic value / logit, float32 ``[B]``."""
        return self.critic_outputs(self.to_network(images), training=False)[0]

    @classmethod
    def resolve_config(cls, config: dict, spec) -> dict:
        """Fill in what the dataset decides: ``num_classes`` of a conditional model."""
        config = dict(config)
        if config.get("conditional") and not config.get("num_classes"):
            if spec.num_classes < 2:
                raise ValueError(f"conditional=True needs labels, but dataset {spec.name!r} has "
                                 f"{spec.num_classes} classes")
            config["num_classes"] = spec.num_classes
        return config

    def get_config(self):
        return {**super().get_config(), **dataclasses.asdict(self.config)}
