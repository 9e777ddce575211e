"""Likelihood ratio against a background model (Ren et al. 2019).

A *background* model of the same architecture is trained on inputs whose subpixels are each
replaced, with probability ``mu``, by a uniform random value
(:func:`tfgen.data.transforms.perturb_pixels`, ``TrainConfig.perturb_probability``): it learns
the population-level statistics (background, stroke density) but not the semantics. The ratio
``LLR(x) = log p(x) - log p_background(x)`` cancels the background term that dominates raw
likelihoods. The score is ``-LLR = NLL(x) - NLL_background(x)`` (nats per image; higher = more
out-of-distribution).
"""

from __future__ import annotations

import numpy as np

#: mu, the default perturbation probability (Ren et al. tune it in [0.1, 0.3] on Fashion-MNIST).
DEFAULT_MU = 0.2


def likelihood_ratio_score(nll_nats, background_nll_nats) -> np.ndarray:
    """``NLL(x) - NLL_background(x)`` (= -LLR), nats per image: float64 ``[B]``."""
    nll = np.asarray(nll_nats, np.float64)
    background = np.asarray(background_nll_nats, np.float64)
    if nll.shape != background.shape:
        raise ValueError(f"NLLs of the model {list(nll.shape)} and the background model "
                         f"{list(background.shape)} must have the same shape")
    return nll - background
