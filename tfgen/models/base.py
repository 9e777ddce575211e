"""The base class every tfgen likelihood model shares: objective-driven train/test steps.

A subclass implements ``compute_objective(images, seed, training)`` returning a per-example loss
in nats and per-example metrics; this class turns it into Keras ``train_step``/``test_step`` that
are correct under ``tf.distribute`` (the loss is summed over the local batch and divided by the
**global** batch, since replica gradients are summed) and under mixed precision (the loss is scaled
by the optimizer's loss scale, and objectives are computed in float32 by the subclasses).

Randomness is stateless: every step derives its seed from ``(config seed, optimizer step)``, and
per-example noise is drawn for the whole global batch and sliced per replica, so one step on two
replicas matches one step on one device exactly.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any

import keras
import tensorflow as tf

from tfgen.data.spec import IMAGE, check_kind
from tfgen.models.signatures import SignatureTable, verb_signatures
from tfgen.utils.config import CheckedConfig, field

_TRAIN_SALT = 0
_TEST_SALT = 1


def replica_info() -> tuple[int, tf.Tensor]:
    """(number of replicas in sync, this replica's id as an int32 tensor)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context
        return tf.distribute.get_strategy().num_replicas_in_sync, tf.constant(0, tf.int32)
    replica_id = tf.cast(ctx.replica_id_in_sync_group, tf.int32)
    return ctx.num_replicas_in_sync, replica_id


@dataclasses.dataclass
class LatentLikelihoodConfig(CheckedConfig):
    """Config fields that every latent-variable model shares (VAE, IAF-VAE, PixelVAE,
    hierarchical PixelVAE): the pixel likelihood and the importance-weighted ``log_prob``."""

    likelihood: str = field("auto", "bernoulli | categorical | logistic | auto (from the data: "
                                    "bernoulli when binarized, else the model's 8-bit default)")
    mixture_components: int = field(5, "logistic mixture components (likelihood=logistic)",
                                    minimum=1)
    log_prob_samples: int = field(128, "importance samples K behind the log_prob verb / signature",
                                  minimum=1)
    iw_chunk_elements: int = field(1 << 24, "max float32 activations per importance chunk",
                                   minimum=1)


def seed_pair(seed: Any, salt: Any = 0) -> tf.Tensor:
    """A stateless seed (int32 ``[2]``) from an int seed and a salt."""
    return tf.stack([tf.cast(seed, tf.int32), tf.cast(salt, tf.int32)])


def global_batch_normal(local_shape: tf.Tensor, seed: tf.Tensor, dtype=tf.float32) -> tf.Tensor:
    """Standard normal noise for this replica's slice of the global batch.

    ``local_shape`` is ``[local_batch, ...]``. The noise for the whole global batch is drawn from
    the stateless ``seed`` and this replica takes its contiguous slice (tf.distribute splits a
    global batch contiguously), so results do not depend on the number of replicas.
    """
    num_replicas, replica_id = replica_info()
    local_shape = tf.convert_to_tensor(local_shape, tf.int32)
    local_batch = local_shape[0]
    full = tf.random.stateless_normal(
        tf.concat([[local_batch * num_replicas], local_shape[1:]], 0), seed=seed, dtype=dtype)
    return full[replica_id * local_batch:(replica_id + 1) * local_batch]


class GenerativeModel(keras.Model, abc.ABC):
    """A Keras model of uint8 images ``[H, W, C]`` trained on a per-example loss in nats.

    Subclasses set ``metric_names`` (names of the per-example metrics their objective returns),
    ``data_kinds`` (the :data:`tfgen.data.spec.KINDS` they model) and override
    :meth:`serving_signatures` (the verbs ``tfgen.export`` turns into signatures).

    ``data_kind`` is the dataset spec's ``kind`` (``tfgen.models.build_model`` passes it);
    ``image_shape`` is the shape of one example of that kind: ``(H, W, C)`` images, ``(D,)``
    points, ``(L, V)`` text.
    """

    metric_names: tuple[str, ...] = ()
    default_learning_rate: float = 1e-3
    #: Data kinds (``DatasetSpec.kind``) the model takes.
    data_kinds: tuple[str, ...] = (IMAGE,)

    def __init__(self, image_shape, seed: int = 0, data_kind: str = IMAGE, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.data_kind = check_kind(data_kind, self.image_shape, self.data_kinds,
                                    type(self).__name__)
        self.seed = int(seed)
        self._trackers = {name: keras.metrics.Mean(name=name)
                          for name in ("loss",) + tuple(self.metric_names)}

    # -- the objective -----------------------------------------------------------------------
    @abc.abstractmethod
    def compute_objective(self, images: tf.Tensor, seed: tf.Tensor, training: bool,
                          labels: tf.Tensor | None = None
                          ) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """uint8 ``[B, H, W, C]`` (and int64 ``[B]`` labels when the data has them; conditional
        models use them) -> (loss float32 ``[B]`` in nats, {metric: float32 ``[B]``})."""

    @property
    def metrics(self):
        return list(self._trackers.values())

    def step_seed(self, salt: int) -> tf.Tensor:
        """Stateless seed for the current optimizer step (same on every replica)."""
        step = self.optimizer.iterations if self.optimizer is not None else 0
        return tf.stack([tf.cast(self.seed * 2 + salt, tf.int32), tf.cast(step, tf.int32)])

    def _unpack(self, data) -> tuple[tf.Tensor, tf.Tensor | None]:
        """A batch ``images``, ``(images,)``, ``(images, labels)`` or Keras' ``(images, None,
        None)`` (``train_on_batch(x)``) -> (images, labels or None): unlabelled batches reach
        the model as "no labels", never as a tensor of ``None``. A class-conditional model
        (``num_classes`` > 0) refuses unlabelled batches."""
        if not isinstance(data, (tuple, list)):
            data = (data,)
        labels = data[1] if len(data) > 1 else None
        if labels is None and getattr(self, "num_classes", 0):
            raise ValueError(
                f"{type(self).__name__} is class-conditional (conditional=True) and needs labels: "
                f"pass (images, labels) batches, e.g. fit(x, y) or a dataset of (images, labels), "
                f"or build it with conditional=False (--conditional=false)")
        return tf.convert_to_tensor(data[0]), (None if labels is None
                                               else tf.convert_to_tensor(labels))

    def _update_metrics(self, loss, metrics):
        self._trackers["loss"].update_state(loss)
        for name, value in metrics.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def train_step(self, data):
        images, labels = self._unpack(data)
        num_replicas, _ = replica_info()
        global_batch = tf.cast(tf.shape(images)[0] * num_replicas, tf.float32)
        with tf.GradientTape() as tape:
            loss, metrics = self.compute_objective(images, self.step_seed(_TRAIN_SALT), True,
                                                   labels=labels)
            loss = tf.cast(loss, tf.float32)
            scaled = tf.reduce_sum(loss) / global_batch
            scaled = self.optimizer.scale_loss(scaled)
        grads = tape.gradient(scaled, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        return self._update_metrics(loss, metrics)

    def test_step(self, data):
        images, labels = self._unpack(data)
        loss, metrics = self.compute_objective(images, self.step_seed(_TEST_SALT), False,
                                               labels=labels)
        return self._update_metrics(tf.cast(loss, tf.float32), metrics)

    def call(self, images, training=False):
        """Per-example loss in nats, float32 ``[B]`` (used to build the model)."""
        loss, _ = self.compute_objective(images, seed_pair(self.seed, 2), training)
        return loss

    @classmethod
    def default_batch_size(cls, config: dict) -> int:
        """The global batch ``--batch_size`` 0 stands for, given the model's full ``config``."""
        del config
        return 64

    def compile_for_training(self, learning_rate: float = 0.0, jit_compile: bool = False) -> None:
        """Compile with this model's optimizer(s) and build their state; call it inside the
        distribution strategy's scope. ``learning_rate`` 0 means ``default_learning_rate``.
        Models with several optimizers (GANs) override it."""
        rate = self.learning_rate_schedule(learning_rate or self.default_learning_rate)
        self.compile(optimizer=keras.optimizers.Adam(rate), jit_compile=jit_compile)
        self.optimizer.build(self.trainable_variables)

    def learning_rate_schedule(self, learning_rate: float):
        """The optimizer's learning rate for a base ``learning_rate``: a float here; a subclass
        may return a ``keras.optimizers.schedules.LearningRateSchedule``."""
        return learning_rate

    def build_for(self, batch_size: int = 2) -> None:
        """Create all variables by running the objective once on zeros."""
        self(tf.zeros((batch_size,) + self.image_shape, tf.uint8))

    def get_build_config(self) -> dict:
        return {"image_shape": list(self.image_shape)}

    def build_from_config(self, config: dict) -> None:
        """Create the variables on ``keras.models.load_model`` (before the weights are read)."""
        del config
        self.build_for()

    # -- the public verbs (subclasses implement those their serving_signatures name) ---------
    def serving_signatures(self) -> SignatureTable:
        """``{name: Signature}`` of this model's served verbs, ``serving_default`` first (see
        :mod:`tfgen.models.signatures`); ``tfgen.export.export_model`` writes them."""
        return verb_signatures(self, ("log_prob", "sample"))

    @property
    def serving_methods(self) -> tuple[str, ...]:
        """The names of :meth:`serving_signatures`, ``serving_default``'s first."""
        return tuple(self.serving_signatures())

    def sample(self, num_samples: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """int32 scalars -> uint8 ``[N, H, W, C]``."""
        raise NotImplementedError

    def log_prob(self, images: tf.Tensor) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` -> float32 ``[B]``, log p(x) in nats per image."""
        raise NotImplementedError

    def reconstruct(self, images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """uint8 ``[B, H, W, C]`` -> uint8 images decoded from the posterior mean,
        ``decode(encode(images)["mean"], seed)``, for models with ``encode`` and ``decode``
        (a model whose ``decode`` takes another code overrides it)."""
        return self.decode(self.encode(images)["mean"], seed)

    def get_config(self) -> dict:
        return {"image_shape": list(self.image_shape), "seed": self.seed,
                "data_kind": self.data_kind}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)
