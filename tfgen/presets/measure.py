"""The figures a preset's card and ``config.json`` record, measured on fixed test images.

Likelihood models (VAE, PixelVAE, PixelCNNs) on the first :data:`EVAL_IMAGES` images of the
dataset's test split:

* ``nll_nats``: mean ``-log_prob`` in **nats per image** (exact for PixelCNNs; for VAEs the
  model's ``log_prob`` verb, the importance-weighted bound with ``log_prob_samples`` samples,
  seed 0); ``bits_per_dim`` = ``nll_nats / (H * W * C * ln 2)``.
* VAEs also: ``neg_elbo_nats``, mean ``-elbo(images, seed=0)`` (one posterior sample), and
  ``log_prob_first``, the per-image ``log_prob`` of the first :data:`CHECK_IMAGES` images: the
  cheap checks ``tests/presets`` repeats (the full IW figure takes minutes on 2 CPU cores).

GANs: ``critic_real_mean`` (mean critic value on those test images; raw, no unit),
``critic_fake_mean`` (on ``sample(EVAL_IMAGES, seed=0)``) and ``wasserstein_estimate``, their
difference (the critic's estimate of W(P_r, P_g) on these images, in critic units).
"""

from __future__ import annotations

import math

import numpy as np

#: Test images every figure is measured on (the first ones of the test split).
EVAL_IMAGES = 256
#: Images whose per-image log_prob is recorded for exact checks.
CHECK_IMAGES = 4
#: Samples in a card's ``samples.png``.
GRID_SAMPLES = 36


def test_images(dataset: str, seed: int = 0, count: int = EVAL_IMAGES,
                image_size: int | None = None) -> np.ndarray:
    """uint8 ``[count, H, W, C]``: the first ``count`` images of ``dataset``'s test split
    (binarized datasets: frozen binarization keyed by ``seed``) at side ``image_size`` (None or
    0: the dataset's own size; e.g. the patch side of ``photo_patches``). Fewer than ``count``
    when the split is smaller."""
    from tfgen import data

    ds, _ = data.load(dataset, "test", seed=seed, image_size=image_size or None)
    images = [image for image, _ in ds.take(count).as_numpy_iterator()]
    return np.stack(images)


def is_gan(model) -> bool:
    return hasattr(model, "critic_net")


def bits_per_dim(nll_nats: float, image_shape) -> float:
    return float(nll_nats) / (math.prod(image_shape) * math.log(2.0))


def quick_figures(model, images: np.ndarray) -> dict[str, float | list[float]]:
    """The figures ``tests/presets`` recomputes (seconds on 2 cores): a PixelCNN's exact
    ``nll_nats``; a VAE's ``neg_elbo_nats`` and ``log_prob_first``; a GAN's critic figures."""
    if is_gan(model):
        real = model.critic(images).numpy()
        fake = model.critic(model.sample(len(images), 0)).numpy()
        return {"critic_real_mean": float(real.mean()), "critic_fake_mean": float(fake.mean()),
                "wasserstein_estimate": float(real.mean() - fake.mean())}
    if hasattr(model, "elbo"):
        elbo = model.elbo(images, 0)["elbo"].numpy()
        first = model.log_prob(images[:CHECK_IMAGES]).numpy()
        return {"neg_elbo_nats": float(-elbo.mean()),
                "log_prob_first": [float(v) for v in first]}
    nll = float(-model.log_prob(images).numpy().mean())
    return {"nll_nats": nll, "bits_per_dim": bits_per_dim(nll, model.image_shape)}


def figures(model, images: np.ndarray) -> dict[str, float | list[float]]:
    """:func:`quick_figures` plus, for VAEs, the full ``nll_nats``/``bits_per_dim`` (the IW
    bound on every image) and ``num_images``."""
    out = quick_figures(model, images)
    if not is_gan(model) and "nll_nats" not in out:
        nll = float(-model.log_prob(images).numpy().mean())
        out.update(nll_nats=nll, bits_per_dim=bits_per_dim(nll, model.image_shape))
    out["num_images"] = int(len(images))
    return out
