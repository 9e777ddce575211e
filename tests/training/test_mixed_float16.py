"""``--mixed_precision=mixed_float16`` trains every model (issue 12): layers compute in float16,
variables, losses, likelihoods and the GAN's gradient penalty stay float32, and every optimizer
(both of a GAN) scales its loss (``LossScaleOptimizer``)."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgen.models import build_model, model_names
from tfgen.models.base import seed_pair
from tfgen.training import TrainConfig, train
from tfgen.training.environment import precision_policy

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_models import IMAGES, TINY  # noqa: E402

GAN = {"loss": "wgan-gp", "generator": "toy_mlp", "critic": "toy_mlp", "generator_dim": 16,
       "critic_dim": 16, "latent_dim": 2}


class Inspect(keras.callbacks.Callback):
    """Keeps the trained model and both networks' trainable weights before training."""

    def on_train_begin(self, logs=None):
        self.before = {net: [np.array(w) for w in getattr(self.model, net).trainable_weights]
                       for net in ("generator", "critic_net")}


def _all_finite(arrays) -> bool:
    return all(np.all(np.isfinite(np.asarray(a))) for a in arrays)


def test_the_wgan_gp_trains_under_mixed_float16(tmp_path):
    inspect = Inspect()
    result = train("gan", GAN, TrainConfig(
        dataset="8gaussians", batch_size=5 * 16, train_steps=3, steps_per_epoch=3,
        checkpoint_every=3, eval_batches=1, sample_images=0, export=False, verbose=0,
        mixed_precision="mixed_float16", output_dir=str(tmp_path / "run")),
        callbacks=[inspect])
    model = inspect.model
    assert result["step"] == 3
    assert model.critic_net.compute_dtype == "float16"  # the networks do run in half precision
    assert model.generator.compute_dtype == "float16"
    for optimizer in (model.optimizer, model.critic_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer), type(optimizer)
    # A LossScaleOptimizer counts applied steps only: one whose scaled gradients overflowed
    # float16 is skipped and the scale halved (the first one may be, from 2^15). Most apply.
    assert int(model.optimizer.iterations) >= 2
    assert int(model.critic_optimizer.iterations) >= 5 * 3 - 2  # n_critic updates per step
    assert float(model.critic_optimizer.dynamic_scale) >= 2.0 ** 13
    assert all(np.isfinite(v) for v in result["test"].values()), result["test"]

    for net, before in inspect.before.items():  # float32 variables, finite, and both moved
        after = [np.array(w) for w in getattr(model, net).trainable_weights]
        assert all(w.dtype == np.float32 for w in after) and _all_finite(after), net
        assert max(np.abs(a - b).max() for a, b in zip(after, before)) > 1e-4, net

    # The critic's objective and penalty are float32 and finite, and its gradient (the
    # penalty's double backprop through the float16 critic, loss-scaled) is finite float32.
    x = tf.random.stateless_normal([16, 2], [1, 2])
    eps = tf.random.stateless_uniform([16], [3, 4])
    fake = model.generate(tf.random.stateless_normal([16, 2], [5, 6]), training=True)
    with tf.GradientTape() as tape:
        loss, metrics = model._critic_terms(x, None, fake, None, eps, True, penalty=True)
        scaled = model.critic_optimizer.scale_loss(tf.reduce_mean(loss))
    for value in (loss, metrics["gradient_penalty"], metrics["gradient_norm"],
                  metrics["critic_loss"], metrics["generator_loss"], metrics["wasserstein"]):
        assert value.dtype == tf.float32 and _all_finite([value])
    assert float(tf.reduce_mean(metrics["gradient_penalty"])) > 0  # the penalty is present
    grads = tape.gradient(scaled, model.critic_net.trainable_variables)
    assert all(g is not None and g.dtype == tf.float32 for g in grads)
    assert _all_finite(grads)
    objective, _ = model.compute_objective(tf.constant(x), seed_pair(0, 1), False)
    assert objective.dtype == tf.float32 and _all_finite([objective])


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_every_model_takes_finite_steps_under_mixed_float16(name):
    """Steps until one is applied: the loss scale starts at 2^15 and halves at each step whose
    scaled gradients overflow float16 (skipped); PixelCNN++ and the hierarchical PixelVAE skip
    their first 2-3 of those on the tiny config. Every loss on the way is finite."""
    n = 10  # a GAN's batch of 10 holds its n_critic = 5 minibatches of 2
    images = (np.random.default_rng(0).random((n, *IMAGES.shape)) < 0.5).astype(np.uint8) * 255
    labels = np.arange(n, dtype=np.int64) % IMAGES.num_classes
    with precision_policy("mixed_float16"):
        keras.utils.set_random_seed(0)
        model = build_model(name, IMAGES, seed=1, **TINY[name])
        model.build_for()
        model.compile_for_training(1e-2)
    optimizers = [model.optimizer] + ([model.critic_optimizer] if name == "gan" else [])
    assert all(isinstance(o, keras.optimizers.LossScaleOptimizer) for o in optimizers)
    assert any(layer.compute_dtype == "float16" for layer in model._flatten_layers())
    before = [np.array(w) for w in model.trainable_weights]
    logs = []
    while int(model.optimizer.iterations) == 0 and len(logs) < 8:  # 2^15 -> 2^8
        logs.append(model.train_on_batch(images, labels, return_dict=True))
    assert int(model.optimizer.iterations) == 1, (len(logs), float(model.optimizer.dynamic_scale))
    assert all(np.isfinite(float(v)) for step in logs for v in step.values()), logs
    after = [np.array(w) for w in model.trainable_weights]
    assert _all_finite(after)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(after, before))
    print(f"{name}: applied after {len(logs)} steps (loss scale "
          f"{float(model.optimizer.dynamic_scale):g})")
    loss = model(tf.constant(images))
    assert loss.dtype == tf.float32 and _all_finite([loss])
