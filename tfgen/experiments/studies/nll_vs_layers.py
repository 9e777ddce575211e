"""Fig. 2.4: test NLL against the number of PixelCNN layers, PixelVAE vs (gated) PixelCNN.

(a) exact NLL of a gated PixelCNN and the importance-weighted NLL bound (and -ELBO) of a PixelVAE
with ``L`` gated PixelCNN layers in its decoder, for ``L`` in ``ar_layers`` (``L = 0``: a VAE with
the same encoder and upsampling decoder but a factorized output; no PixelCNN without layers).
(b) PixelVAE's -ELBO broken down into reconstruction ``-log p(x|z)`` and ``KL(q(z|x) || p(z))``:
the thesis sees the KL term drop sharply with the first PixelCNN layer (the latent code no longer
has to describe local detail). All numbers in nats per image.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from matplotlib.figure import Figure

from tfgen.experiments.studies import likelihood
from tfgen.experiments.studies.likelihood import LikelihoodStudyConfig, model_config
from tfgen.experiments.study import RunSpec, Study, save_figure


@dataclasses.dataclass(frozen=True)
class NllVsLayersConfig(LikelihoodStudyConfig):
    """The settings of ``nll_vs_layers`` (the sweep is ``ar_layers``)."""


def runs(cfg: NllVsLayersConfig) -> list[RunSpec]:
    """A PixelVAE (upsampling decoder) per ``L`` in ``ar_layers`` and a gated PixelCNN per
    ``L >= 1``."""
    out = []
    for layers in cfg.ar_layers:
        out.append(RunSpec(f"pixelvae_l{layers}", f"PixelVAE, {layers} PixelCNN layers",
                           "pixelvae", model_config("pixelvae", cfg, ar_layers=layers,
                                                    decoder="upsample"),
                           tags={"family": "pixelvae", "ar_layers": layers}))
        if layers >= 1:
            out.append(RunSpec(f"gated_pixelcnn_l{layers}", f"Gated PixelCNN, {layers} layers",
                               "gated_pixelcnn",
                               model_config("gated_pixelcnn", cfg, ar_layers=layers),
                               tags={"family": "pixelcnn", "ar_layers": layers}))
    return out


def _series(records: list[dict], family: str, keys: tuple[str, ...]) -> dict:
    chosen = sorted((r for r in records if r["tags"]["family"] == family),
                    key=lambda r: r["tags"]["ar_layers"])
    series = {"ar_layers": [r["tags"]["ar_layers"] for r in chosen]}
    for key in keys:
        series[key] = [r[key] for r in chosen]
    return series


def plot(pixelvae: dict, pixelcnn: dict, path: str) -> str:
    fig = Figure(figsize=(10, 4))
    ax_a, ax_b = fig.subplots(1, 2)
    if pixelcnn["ar_layers"]:
        ax_a.plot(pixelcnn["ar_layers"], pixelcnn["nll_nats"], "o-", label="Gated PixelCNN (exact)")
    if pixelvae["ar_layers"]:
        ax_a.plot(pixelvae["ar_layers"], pixelvae["nll_nats"], "s-",
                  label="PixelVAE (IW bound)")
        neg_elbo = [-e if e is not None else np.nan for e in pixelvae["elbo_nats"]]
        ax_a.plot(pixelvae["ar_layers"], neg_elbo, "s--", alpha=0.6, label="PixelVAE (-ELBO)")
    ax_a.set(xlabel="PixelCNN layers", ylabel="test NLL (nats / image)",
             title="(a) NLL vs PixelCNN layers")
    ax_a.legend()
    if pixelvae["ar_layers"]:  # KL is orders of magnitude smaller: bars on their own axis
        x = np.arange(len(pixelvae["ar_layers"]))
        ax_b.bar(x, np.array(pixelvae["kl_nats"], np.float64), color="tab:orange", alpha=0.7,
                 label="KL(q(z|x) || p(z)) (left)")
        ax_b.set_xticks(x, [str(n) for n in pixelvae["ar_layers"]])
        ax_recon = ax_b.twinx()
        ax_recon.plot(x, np.array(pixelvae["recon_nats"], np.float64), "o-", color="tab:blue",
                      label="-log p(x|z) (right)")
        ax_recon.set_ylabel("reconstruction (nats / image)", color="tab:blue")
        handles = [h for ax in (ax_b, ax_recon) for h in ax.get_legend_handles_labels()[0]]
        ax_b.legend(handles, [h.get_label() for h in handles], loc="upper right")
    ax_b.set(xlabel="PixelCNN layers", ylabel="KL (nats / image)",
             title="(b) PixelVAE -ELBO = reconstruction + KL")
    return save_figure(fig, path)


def report(cfg: NllVsLayersConfig, records: list[dict], output_dir: str) -> dict:
    """``{"pixelvae": {ar_layers, nll_nats, elbo_nats, kl_nats, recon_nats},
    "pixelcnn": {ar_layers, nll_nats}, "figures": [png]}``."""
    pixelvae = _series(records, "pixelvae", ("nll_nats", "elbo_nats", "kl_nats", "recon_nats"))
    pixelcnn = _series(records, "pixelcnn", ("nll_nats",))
    figure = plot(pixelvae, pixelcnn, os.path.join(output_dir, "nll_vs_layers.png"))
    return {"pixelvae": pixelvae, "pixelcnn": pixelcnn, "figures": [os.path.basename(figure)]}


STUDY = Study(
    "nll_vs_layers", " ".join(__doc__.split("\n\n")[0].split()), NllVsLayersConfig, runs,
    report, cpu={**likelihood.CPU, "ar_layers": (0, 1, 2, 4)},
    full={**likelihood.FULL, "importance_samples": 1000,
          "ar_layers": (0, 1, 2, 3, 4, 6, 8, 12, 16, 20)},
    smoke={**likelihood.SMOKE, "ar_layers": (0, 1)}, measure=likelihood.measure)
