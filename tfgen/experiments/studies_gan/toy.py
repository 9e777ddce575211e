"""Chapter-3 studies on the toy 2-D sets: value surfaces, gradient norms, mode coverage.

* :func:`value_surfaces` (Fig. 3.1a) — critics trained to optimality against a *fixed*
  generator (real data + N(0, I) noise): weight clipping models a far simpler function than the
  gradient penalty. Reads ``datasets, losses, steps, batch_size, dim, clip_values[0],
  learning_rate, gp_weight, seed`` (``steps`` are critic iterations).
* :func:`gradient_norms` (Fig. 3.1b) — deep ReLU MLP generator and critic on ``swissroll``
  trained with clipping at each ``c`` and with the penalty: the norm of the critic loss'
  gradient w.r.t. each layer's activations (clipping: exploding or vanishing; penalty: stable) and
  the critic's weight histograms (clipping piles weights at ±c). Reads ``datasets[0], losses,
  clip_values, steps, batch_size, dim, depth, latent_dim, learning_rate, gp_weight,
  max_seconds, seed``.
* :func:`mode_coverage` — modes covered and % high-quality samples (3 std of a mode) on
  ``8gaussians``/``25gaussians`` for each loss. Reads ``datasets, losses, steps, batch_size,
  dim, latent_dim, num_samples, learning_rate, lr_decay, gp_weight, max_seconds, seed``.
"""

from __future__ import annotations

import os
import time

import numpy as np
import tensorflow as tf
from matplotlib.figure import Figure

from tfgen import data
from tfgen.data.sources import toy2d
from tfgen.evaluation import gan_metrics
from tfgen.experiments.studies_gan.common import (
    GanTrainer,
    build_gan,
    load_array,
    penalty_weight,
    save_figure,
)
from tfgen.experiments.studies_gan.config import StudyConfig
from tfgen.losses import gradient_norm, gradient_penalty

SURFACE_RANGE = 2.5  # value surfaces cover [-R, R]^2 in the data's scaled units
SURFACE_POINTS = 80  # grid points per axis


def _toy_gan(dataset: str, loss: str, cfg: StudyConfig, clip_value: float | None = None,
             **extra):
    """A tfgen GAN on a toy set with the study's widths, compiled (both optimizers built)."""
    _, spec = data.load(dataset, "train")
    config = {"loss": loss, "generator": "toy_mlp", "critic": "toy_mlp",
              "latent_dim": cfg.latent_dim, "generator_dim": cfg.dim, "critic_dim": cfg.dim,
              **penalty_weight(cfg), **extra}
    if clip_value is not None:
        config["clip_value"] = clip_value
    return build_gan(spec, cfg.seed, config, cfg.learning_rate)


def _critic_fn(model, training: bool = False):
    return lambda v: model.critic_outputs(v, training)[0]


def _train_critic_against_noise(model, real: np.ndarray, steps: int, batch_size: int,
                                seed: int) -> list[float]:
    """Critic-only training with the generator fixed at ``x + N(0, I)``, x ~ real data.

    Uses the model's loss (critic loss + λ·penalty for wgan-gp), its critic optimizer and, for
    wgan-clip, its weight clipping (a constraint the optimizer applies). Returns the loss every
    ``max(1, steps // 50)`` steps.
    """
    loss_fn, variables = model.gan_loss, model.critic_net.trainable_variables

    @tf.function
    def step(x, noise_seed):
        fake = x + tf.random.stateless_normal(tf.shape(x), seed=noise_seed)
        eps = tf.random.stateless_uniform(tf.shape(x)[:1], seed=noise_seed + 1)
        with tf.GradientTape() as tape:
            d_real, d_fake = model.critic_outputs(x, True)[0], model.critic_outputs(fake, True)[0]
            loss = loss_fn.critic_loss(d_real, d_fake)
            if loss_fn.gradient_penalty:
                penalty, _ = gradient_penalty(_critic_fn(model, True), x, fake, eps)
                loss += model.config.gp_weight * penalty
            loss = tf.reduce_mean(loss)
        model.critic_optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    rng = np.random.default_rng(seed)
    curve, every = [], max(1, steps // 50)
    for i in range(steps):
        x = tf.constant(real[rng.integers(len(real), size=batch_size)])
        loss = step(x, tf.constant([seed, 2 * i], tf.int32))
        if i % every == 0 or i == steps - 1:
            curve.append(float(loss))
    return curve


def _critic_summary(model, real: np.ndarray, rng: np.random.Generator) -> dict:
    """W estimate E D(x) − E D(x̃) and gradient norms of the critic at real, fake (x + noise)
    and interpolated points, on 2 000 fresh pairs."""
    x = real[rng.integers(len(real), size=2000)]
    fake = (x + rng.standard_normal(x.shape)).astype(np.float32)
    eps = rng.random((len(x), 1)).astype(np.float32)
    mid = eps * x + (1 - eps) * fake
    critic = _critic_fn(model)
    out = {"wasserstein_estimate": float(np.mean(critic(x)) - np.mean(critic(fake)))}
    for name, points in (("real", x), ("fake", fake), ("interpolates", mid)):
        norms = gradient_norm(critic, tf.constant(points)).numpy()
        out[f"gradient_norm_{name}_mean"] = float(norms.mean())
        out[f"gradient_norm_{name}_std"] = float(norms.std())
    return out


def value_surfaces(cfg: StudyConfig, output_dir: str) -> dict:
    """Fig. 3.1a: critic value surfaces against a fixed noisy generator (see module doc)."""
    axis = np.linspace(-SURFACE_RANGE, SURFACE_RANGE, SURFACE_POINTS, dtype=np.float32)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    clip = cfg.clip_values[0] if cfg.clip_values else None
    rows, runs = len(cfg.losses), {}
    fig = Figure(figsize=(4.6 * len(cfg.datasets), 3.8 * rows), layout="constrained")
    axes = np.array(fig.subplots(rows, len(cfg.datasets), squeeze=False))
    rng = np.random.default_rng(cfg.seed)
    for j, dataset in enumerate(cfg.datasets):
        real, _ = load_array(dataset)
        for i, loss in enumerate(cfg.losses):
            began = time.monotonic()
            model = _toy_gan(dataset, loss, cfg, clip_value=clip)
            curve = _train_critic_against_noise(model, real, cfg.steps, cfg.batch_size, cfg.seed)
            values = model.critic(tf.constant(grid)).numpy().reshape(len(axis), len(axis))
            summary = _critic_summary(model, real, rng)
            summary.update(critic_loss_curve=curve, final_critic_loss=curve[-1],
                           value_min=float(values.min()), value_max=float(values.max()),
                           seconds=time.monotonic() - began)
            runs[f"{loss}/{dataset}"] = summary
            ax = axes[i, j]
            contour = ax.contourf(axis, axis, values, levels=30, cmap="viridis")
            fig.colorbar(contour, ax=ax, fraction=0.046)
            shown = real[rng.integers(len(real), size=400)]
            ax.scatter(*shown.T, s=2, c="orange", label="real")
            noisy = shown[:100] + rng.standard_normal((100, 2))
            ax.scatter(*noisy.T, s=2, c="lime", label="fixed generator")
            label = f"{loss} (c={clip})" if loss == "wgan-clip" else loss
            ax.set_title(f"{label}: {dataset}", fontsize=9)
            ax.set_xlim(-SURFACE_RANGE, SURFACE_RANGE)
            ax.set_ylim(-SURFACE_RANGE, SURFACE_RANGE)
            ax.set_aspect("equal")
    fig.suptitle("Critic value surfaces, generator fixed at real data + N(0, I)")
    return {"runs": runs, "figures": [save_figure(fig, os.path.join(
        output_dir, "toy_value_surfaces.png"))], "clip_value": clip}


# -- gradient norms ---------------------------------------------------------------------------
def _dense_chain(model) -> list:
    """The critic's layers after its input, checked to form a chain (an MLP)."""
    layers = model.critic_net.layers[1:]
    for prev, layer in zip(model.critic_net.layers, layers):
        if layer.input is not prev.output and not (
                isinstance(layer.input, list) and len(layer.input) == 1):
            raise ValueError("per-layer gradient norms need a sequential (MLP) critic")
    return layers


def layer_gradient_norms(model, real: np.ndarray,
                         fake: np.ndarray) -> tuple[list[str], list[float]]:
    """‖∂L/∂h_l‖ for the output h_l of each Dense layer of an MLP critic, l = 1..L+1.

    L = mean D(x̃) − mean D(x) on the concatenated batch [real; fake] (the Wasserstein critic
    loss without the penalty, so clipping and penalty runs are measured alike). Norms are Frobenius
    norms over the batch. Returns (layer names, norms), input side first.
    """
    layers = _dense_chain(model)
    x = tf.constant(np.concatenate([real, fake]).astype(np.float32))
    n = len(real)
    with tf.GradientTape() as tape:
        h, watched = x, []
        for layer in layers:
            h = layer(h)
            if layer.__class__.__name__ == "Dense":
                tape.watch(h)
                watched.append((layer.name, h))
        d = tf.reshape(tf.cast(h, tf.float32), [-1])
        loss = tf.reduce_mean(d[n:]) - tf.reduce_mean(d[:n])
    grads = tape.gradient(loss, [t for _, t in watched])
    return [name for name, _ in watched], [float(tf.norm(g)) for g in grads]


def _critic_kernels(model) -> np.ndarray:
    return np.concatenate([v.numpy().ravel() for v in model.critic_net.trainable_variables
                           if len(v.shape) == 2])


def gradient_norms(cfg: StudyConfig, output_dir: str) -> dict:
    """Fig. 3.1b: per-layer gradient norms and weight histograms (see module doc)."""
    dataset = cfg.datasets[0]
    nets = {"generator": "mlp", "critic": "mlp", "mlp_layers": cfg.depth}
    methods = [("wgan-clip", c) for c in cfg.clip_values] + [
        (loss, None) for loss in cfg.losses if loss != "wgan-clip"]
    real_all, _ = load_array(dataset)
    rng = np.random.default_rng(cfg.seed)
    runs, weights = {}, {}
    for loss, clip in methods:
        label = f"{loss} c={clip}" if clip is not None else loss
        began = time.monotonic()
        extra = {"clip_value": clip} if clip is not None else {}
        trainer = GanTrainer(dataset, {"loss": loss, **nets, "latent_dim": cfg.latent_dim,
                                       "generator_dim": cfg.dim, "critic_dim": cfg.dim,
                                       **penalty_weight(cfg), **extra},
                             batch_size=cfg.batch_size, seed=cfg.seed,
                             learning_rate=cfg.learning_rate)
        logs = trainer.train(cfg.steps, cfg.max_seconds)
        real = real_all[rng.integers(len(real_all), size=cfg.batch_size)]
        fake = trainer.sample(cfg.batch_size, seed=cfg.seed)
        names, norms = layer_gradient_norms(trainer.model, real, fake)
        kernels = _critic_kernels(trainer.model)
        weights[label] = kernels
        entry = {"layers": names, "gradient_norms": norms, "steps": trainer.steps,
                 "final_logs": logs, "seconds": time.monotonic() - began,
                 # > 1: norms grow towards the input (exploding); < 1: they vanish.
                 "input_to_output_norm_ratio": norms[0] / max(norms[-1], 1e-30)}
        if clip is not None:
            entry["fraction_of_weights_at_clip"] = float(np.mean(np.abs(kernels) >= 0.99 * clip))
        runs[label] = entry

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for label, entry in runs.items():
        ax.semilogy(range(1, len(entry["gradient_norms"]) + 1), entry["gradient_norms"],
                    marker="o", label=label)
    ax.set_xlabel("critic layer (input side = 1)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title(f"{dataset}: ∂L/∂activations, {cfg.depth}-hidden-layer ReLU MLPs")
    ax.legend(fontsize=8)
    figures = [save_figure(fig, os.path.join(output_dir, "gradient_norms.png"))]

    # The thesis' histogram is of c = 0.01: show the clipped run closest to it, and the penalty.
    clipped = sorted((abs(np.log10(c / 0.01)), f"wgan-clip c={c}") for c in cfg.clip_values)
    shown = [label for _, label in clipped[:1]] + [k for k in weights if "c=" not in k][:1]
    fig = Figure(figsize=(4 * len(shown), 3))
    for ax, label in zip(np.atleast_1d(fig.subplots(1, len(shown))), shown):
        ax.hist(weights[label], bins=60)
        ax.set_title(f"critic weights, {label}", fontsize=9)
    figures.append(save_figure(fig, os.path.join(output_dir, "gradient_norms_weights.png")))
    return {"dataset": dataset, "hidden_layers": cfg.depth, "runs": runs, "figures": figures}


# -- mode coverage ----------------------------------------------------------------------------
def mode_coverage(cfg: StudyConfig, output_dir: str) -> dict:
    """Modes covered / high-quality % per (loss, dataset), with sample scatter plots."""
    runs = {}
    fig = Figure(figsize=(3.2 * len(cfg.losses), 3.2 * len(cfg.datasets)))
    axes = np.array(fig.subplots(len(cfg.datasets), len(cfg.losses), squeeze=False))
    for i, dataset in enumerate(cfg.datasets):
        centers = toy2d.centers(dataset)
        for j, loss in enumerate(cfg.losses):
            began = time.monotonic()
            decay = {"lr_decay_steps": cfg.steps} if cfg.lr_decay else {}
            trainer = GanTrainer(dataset, {"loss": loss, "generator": "toy_mlp",
                                           "critic": "toy_mlp", "latent_dim": cfg.latent_dim,
                                           "generator_dim": cfg.dim, "critic_dim": cfg.dim,
                                           **penalty_weight(cfg), **decay},
                                 batch_size=cfg.batch_size, seed=cfg.seed,
                                 learning_rate=cfg.learning_rate)
            logs = trainer.train(cfg.steps, cfg.max_seconds)
            samples = trainer.sample(cfg.num_samples, seed=cfg.seed)
            metrics = gan_metrics.toy_mode_metrics(dataset, samples)
            runs[f"{loss}/{dataset}"] = {**metrics.as_dict(), "steps": trainer.steps,
                                         "train_seconds": trainer.train_seconds,
                                         "final_logs": logs,
                                         "seconds": time.monotonic() - began}
            ax = axes[i, j]
            ax.scatter(*samples[:1000].T, s=2, alpha=0.5)
            ax.scatter(*centers.T, s=12, c="red", marker="x")
            ax.set_xlim(-2, 2)
            ax.set_ylim(-2, 2)
            ax.set_aspect("equal")
            ax.set_title(f"{loss}: {metrics.modes_covered}/{metrics.num_modes} modes, "
                         f"{100 * metrics.high_quality_fraction:.1f}% HQ", fontsize=8)
    fig.suptitle("Generator samples (red: mode centres)")
    return {"runs": runs, "std_per_dataset": {d: gan_metrics.TOY_MODE_STD[d]
                                              for d in cfg.datasets},
            "high_quality_stds": gan_metrics.HIGH_QUALITY_STDS,
            "published_anchor": {"wgan-gp/25gaussians": {"modes_covered": 24.2,
                                                          "high_quality_percent": 28.7}},
            "figures": [save_figure(fig, os.path.join(output_dir, "mode_coverage.png"))]}
