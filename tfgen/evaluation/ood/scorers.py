"""OOD scorers: one registry, one sign convention — a HIGHER score means MORE out-of-distribution.

A scorer turns per-image *quantities* of a model into a score. Quantities are computed once per
image set (:func:`compute_quantities`) and shared by every scorer that needs them:

  nll             -log p(x), nats per image: the importance-weighted bound with K samples for
                  latent models (VAE, PixelVAE), the exact ``log_prob`` for PixelCNNs
  background_nll  the same under the likelihood-ratio background model
  critic          the GAN critic's raw value: the DCGAN discriminator logit or the WGAN critic
                  (never a sigmoid, which saturates and creates ties)
  png_bits        PNG length of the image in bits; webp_bits: lossless WebP length in bits

plus *reference* statistics of held-out in-distribution images (:func:`reference_statistics`):
``entropy_nats`` (their mean NLL) for the typicality scorers, and ``complexity_<c>_centre`` /
``complexity_<c>_scale`` (mean / std of S in bits) for the complexity-typicality scorers.

| scorer | score | needs |
|---|---|---|
| nll | NLL (thesis: raw likelihood) | nll |
| critic | -critic(x) (thesis: DCGAN discriminator) | critic |
| complexity_png / complexity_webp | NLL/ln 2 - L(x), bits (Serrà et al. 2020) | nll, *_bits |
| typicality | abs(NLL - H), nats (Nalisnick et al. 2019, M = 1) | nll, entropy |
| complexity_typicality_png / _webp | abs(S - mu_S) / sigma_S, reference std devs (two-sided S) | nll, *_bits, centre, scale |
| likelihood_ratio | NLL - NLL_background, nats (Ren et al. 2019) | nll, background_nll |

Scorers call the models through :class:`tfgen.evaluation.interface.ServingModel`: a loaded
SavedModel (:func:`tfgen.export.load_exported`) or a live model (wrapped in a ``LiveModel``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from tfgen.evaluation.interface import ServingModel, as_serving_model
from tfgen.evaluation.ood import complexity, likelihood_ratio, typicality

IW, LOG_PROB, CRITIC = "importance_weighted_log_prob", "log_prob", "critic"


def quantities_of(model: ServingModel) -> tuple[str, ...]:
    """Which of ``("nll", "critic")`` ``model`` provides."""
    methods = model.methods
    return tuple(q for q, ok in (("nll", IW in methods or LOG_PROB in methods),
                                 ("critic", CRITIC in methods)) if ok)


def nll(model: ServingModel, images: np.ndarray, importance_samples: int,
        seed: int) -> np.ndarray:
    """uint8 ``[B, H, W, C]`` -> float64 ``[B]``, -log p(x) in nats per image (the IW bound with
    ``importance_samples`` samples when the model is latent)."""
    if "nll" not in quantities_of(model):
        raise ValueError(f"{model!r} has no likelihood ({IW!r} or {LOG_PROB!r}); its verbs: "
                         f"{list(model.methods)}")
    out = (model.importance_weighted_log_prob(images, importance_samples, seed)
           if IW in model.methods else model.log_prob(images))
    return -np.asarray(out["log_prob"], np.float64)


def critic(model: ServingModel, images: np.ndarray) -> np.ndarray:
    """uint8 ``[B, H, W, C]`` -> float64 ``[B]``: the raw critic value / logit."""
    if "critic" not in quantities_of(model):
        raise ValueError(f"{model!r} has no critic; its verbs: {list(model.methods)}")
    return np.asarray(model.critic(images)["critic"], np.float64)


@dataclasses.dataclass(frozen=True)
class Scorer:
    """A named OOD score: ``fn(quantities, reference) -> float64 [B]`` (higher = more OOD).

    Attributes:
      name: registry name (``--scorers``).
      description: one line for tables and ``--help``.
      needs: quantities of :func:`compute_quantities` it reads.
      reference: keys of :func:`reference_statistics` it reads.
      thesis: True for the thesis' own scores (raw likelihood, discriminator).
    """

    name: str
    description: str
    needs: tuple[str, ...]
    fn: Callable[[Mapping[str, np.ndarray], Mapping[str, float]], np.ndarray]
    reference: tuple[str, ...] = ()
    thesis: bool = False


_ENTRIES = (
    Scorer("nll", "negative log-likelihood, nats (thesis)", ("nll",),
           lambda q, r: q["nll"], thesis=True),
    Scorer("critic", "minus the critic value / discriminator logit (thesis)", ("critic",),
           lambda q, r: -q["critic"], thesis=True),
    Scorer("complexity_png", "input complexity: NLL bits - PNG bits", ("nll", "png_bits"),
           lambda q, r: complexity.input_complexity_score(q["nll"], q["png_bits"])),
    Scorer("complexity_webp", "input complexity: NLL bits - lossless WebP bits",
           ("nll", "webp_bits"),
           lambda q, r: complexity.input_complexity_score(q["nll"], q["webp_bits"])),
    Scorer("typicality", "|NLL - H| with H the held-out mean NLL, nats", ("nll",),
           lambda q, r: typicality.single_image_score(q["nll"], r["entropy_nats"]),
           reference=("entropy_nats",)),
    *(Scorer(f"complexity_typicality_{c}",
             f"|S - mu_S| / sigma_S, S = NLL bits - {c} bits; held-out mu_S, sigma_S",
             ("nll", f"{c}_bits"),
             lambda q, r, c=c: complexity.complexity_typicality_score(
                 q["nll"], q[f"{c}_bits"], r[f"complexity_{c}_centre"],
                 r[f"complexity_{c}_scale"]),
             reference=(f"complexity_{c}_centre", f"complexity_{c}_scale"))
      for c in ("png", "webp")),
    Scorer("likelihood_ratio", "NLL - background model NLL, nats", ("nll", "background_nll"),
           lambda q, r: likelihood_ratio.likelihood_ratio_score(q["nll"],
                                                                q["background_nll"])),
)

SCORERS: dict[str, Scorer] = {s.name: s for s in _ENTRIES}
QUANTITIES = ("nll", "background_nll", "critic", "png_bits", "webp_bits")


def scorer_names() -> list[str]:
    return [s.name for s in _ENTRIES]


def get_scorer(name: str) -> Scorer:
    if name not in SCORERS:
        raise ValueError(f"unknown scorer {name!r}; valid names: {scorer_names()}")
    return SCORERS[name]


def applicable_scorers(model: Any, has_background: bool = False,
                       names: Sequence[str] = ()) -> list[str]:
    """The scorers among ``names`` (empty: all) whose quantities ``model`` can provide (the
    likelihood ratio only ``has_background``). Unknown names raise a ValueError."""
    provided = set(quantities_of(as_serving_model(model))) | {"png_bits", "webp_bits"}
    if has_background:
        provided.add("background_nll")
    chosen = [get_scorer(n).name for n in names] if names else scorer_names()
    return [n for n in chosen if set(SCORERS[n].needs) <= provided]


def _batches(images: np.ndarray, batch_size: int) -> Iterable[tuple[int, np.ndarray]]:
    for index, start in enumerate(range(0, len(images), batch_size)):
        yield index, images[start:start + batch_size]


def compute_quantities(model: Any, images: np.ndarray, needs: Iterable[str], *,
                       background: Any = None, importance_samples: int = 100, seed: int = 0,
                       batch_size: int = 100) -> dict[str, np.ndarray]:
    """Per-image quantities (float64 ``[N]`` each) of uint8 ``images`` ``[N, H, W, C]``.

    ``needs`` names quantities of :data:`QUANTITIES`; ``background`` is the likelihood-ratio
    background model (live or exported). Batch i of the IW bound uses seed ``seed + i``.
    """
    needs = set(needs)
    unknown = sorted(needs - set(QUANTITIES))
    if unknown:
        raise ValueError(f"unknown quantities {unknown}; valid: {list(QUANTITIES)}")
    images = np.asarray(images)
    model = as_serving_model(model)
    if images.dtype != np.uint8 or tuple(images.shape[1:]) != model.image_shape:
        raise ValueError(f"expected uint8 images [N, {', '.join(map(str, model.image_shape))}]"
                         f"; got {images.dtype} {list(images.shape)}")
    if "background_nll" in needs and background is None:
        raise ValueError("the likelihood ratio needs a background model; none was given")
    models = {"nll": model,
              "background_nll": as_serving_model(background) if background else None}
    out: dict[str, list[np.ndarray]] = {name: [] for name in needs}
    for index, batch in _batches(images, batch_size):
        for name in needs & {"nll", "background_nll"}:
            out[name].append(nll(models[name], batch, importance_samples, seed + index))
        if "critic" in needs:
            out["critic"].append(critic(model, batch))
        for compressor in ("png", "webp"):
            if f"{compressor}_bits" in needs:
                out[f"{compressor}_bits"].append(complexity.compressed_bits(batch, compressor))
    return {name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in out.items()}


def reference_compressors(names: Sequence[str]) -> list[str]:
    """The compressors whose complexity reference statistics the scorers ``names`` read."""
    return [c for c in complexity.COMPRESSORS
            if any(f"complexity_{c}_centre" in get_scorer(n).reference for n in names)]


def reference_statistics(model: Any, heldout_images: np.ndarray, *, importance_samples: int = 100,
                         seed: int = 0, batch_size: int = 100,
                         compressors: Sequence[str] = ()) -> dict[str, Any]:
    """Statistics of held-out in-distribution images ``[N, H, W, C]`` (N >= 2) the scorers need.

    For a likelihood model: ``entropy_nats`` (the mean NLL of the first half, nats per image),
    ``heldout_nll`` (float64 ``[N]``) and ``bootstrap_nll`` (the second half, for the typicality
    threshold: disjoint from the entropy estimate); for each of ``compressors``,
    ``complexity_<c>_centre`` and ``complexity_<c>_scale`` (mean and std of the input-complexity
    score S over all N images, bits per image). ``{}`` for a model without a likelihood.
    """
    model = as_serving_model(model)
    if "nll" not in quantities_of(model):
        return {}
    if len(heldout_images) < 2:
        raise ValueError(f"need at least 2 held-out images; got {len(heldout_images)}")
    nll = compute_quantities(model, heldout_images, ["nll"], importance_samples=importance_samples,
                             seed=seed + 7919, batch_size=batch_size)["nll"]
    half = len(nll) // 2
    out = {"entropy_nats": typicality.estimate_entropy(nll[:half]), "heldout_nll": nll,
           "bootstrap_nll": nll[half:]}
    for compressor in compressors:
        bits = complexity.compressed_bits(heldout_images, compressor)
        out[f"complexity_{compressor}_centre"], out[f"complexity_{compressor}_scale"] = (
            complexity.reference_statistics(nll, bits))
    return out


def score(names: Sequence[str], quantities: Mapping[str, np.ndarray],
          reference: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """``{scorer: float64 [N] scores}`` for each scorer in ``names`` (higher = more OOD)."""
    reference = reference or {}
    out = {}
    for name in names:
        scorer = get_scorer(name)
        missing = [q for q in scorer.needs if q not in quantities] + [
            r for r in scorer.reference if r not in reference]
        if missing:
            raise ValueError(f"scorer {name!r} needs {missing}, which were not computed")
        out[name] = np.asarray(scorer.fn(quantities, reference), np.float64)
    return out
