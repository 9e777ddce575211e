"""Table 2.1: test NLL of VAE, PixelCNN, Gated PixelCNN and three PixelVAE variants.

Every model trains on ``dataset`` (binarized Fashion-MNIST at the cpu profile; ``full`` uses the
thesis' binarized MNIST, elsewhere its numbers are a reference, not a target) and is evaluated
on the test split: the PixelCNNs exactly, the latent-variable models with the importance-weighted
bound with ``importance_samples`` samples per image (thesis: 5000) and the ELBO. The PixelCNN baselines have
``pixelcnn_layers`` layers; the PixelVAEs the first ``L >= 1`` of ``ar_layers``. Writes
``nll_table.md`` (Markdown) and ``nll_table.png`` (a bar chart) next to the JSON.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
from matplotlib.figure import Figure

from tfgen.experiments.studies import likelihood
from tfgen.experiments.studies.likelihood import (
    LikelihoodStudyConfig,
    model_config,
    pixelcnn_layers,
)
from tfgen.experiments.study import RunSpec, Study, save_figure, write_text
from tfgen.utils.config import field


@dataclasses.dataclass(frozen=True)
class NllTableConfig(LikelihoodStudyConfig):
    """The settings of ``nll_table``."""

    pixelcnn_layers: int = field(6, "depth (ar_layers) of the PixelCNN baselines", minimum=1)

#: Table 2.1 on binarized MNIST (nats): IW estimate (ELBO bound in brackets where given).
THESIS_MNIST = {"vae": "≤ 87.41", "pixelcnn": "= 81.30 (van den Oord et al.)",
                "gated_pixelcnn": "= 80.10", "pixelvae": "≤ 80.64",
                "gated_pixelvae": "≈ 79.48 (≤ 80.02)",
                "gated_pixelvae_no_upsampling": "≈ 78.96 (≤ 79.58)"}


def runs(cfg: NllTableConfig) -> list[RunSpec]:
    depth, layers = cfg.pixelcnn_layers, pixelcnn_layers(cfg)
    return [
        RunSpec("vae", "Convolutional VAE", "vae", model_config("vae", cfg),
                tags={"kind": "latent"}),
        RunSpec("pixelcnn", f"PixelCNN ({depth} residual blocks)", "pixelcnn",
                model_config("pixelcnn", cfg, ar_layers=depth), tags={"kind": "exact"}),
        RunSpec("gated_pixelcnn", f"Gated PixelCNN ({depth} layers)", "gated_pixelcnn",
                model_config("gated_pixelcnn", cfg, ar_layers=depth), tags={"kind": "exact"}),
        RunSpec("pixelvae", f"PixelVAE ({layers} residual blocks)", "pixelvae",
                model_config("pixelvae", cfg, ar_layers=layers, decoder="upsample",
                             gated=False), tags={"kind": "latent"}),
        RunSpec("gated_pixelvae", f"Gated PixelVAE ({layers} layers)", "pixelvae",
                model_config("pixelvae", cfg, ar_layers=layers, decoder="upsample"),
                tags={"kind": "latent"}),
        RunSpec("gated_pixelvae_no_upsampling",
                f"Gated PixelVAE without upsampling ({layers} layers)", "pixelvae",
                model_config("pixelvae", cfg, ar_layers=layers, decoder="cond_bias"),
                tags={"kind": "latent"}),
    ]


def _cell(record: dict) -> str:
    if record["nll_estimator"] == "log_prob":
        return f"= {record['nll_nats']:.2f}"
    text = f"≤ {record['nll_nats']:.2f}"
    if record.get("elbo_nats") is not None:
        text += f" (ELBO ≤ {-record['elbo_nats']:.2f})"
    return text


def markdown(cfg: NllTableConfig, records: list[dict]) -> str:
    """The table: model, NLL (nats), bits/dim, KL, training steps, thesis MNIST reference."""
    lines = [(f"Test NLL on `{cfg.dataset}` in nats per image ({records[0]['count']} test "
              f"images; importance-weighted bound with K = {cfg.importance_samples} for latent "
              "models)."),
             "",
             "| Model | NLL test (nats) | bits/dim | KL (nats) | steps | thesis, MNIST |",
             "|---|---|---|---|---|---|"]
    for r in records:
        kl = "" if r.get("kl_nats") is None else f"{r['kl_nats']:.2f}"
        lines.append(f"| {r['label']} | {_cell(r)} | {r['bits_per_dim']:.4f} | {kl} | "
                     f"{r['step']} | {THESIS_MNIST.get(r['name'], '')} |")
    return "\n".join(lines) + "\n"


def plot(records: list[dict], path: str) -> str:
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    y = np.arange(len(records))
    ax.barh(y, [r["nll_nats"] for r in records], color="tab:blue", label="NLL (IW bound / exact)")
    ax.set_yticks(y, [r["label"] for r in records])
    ax.invert_yaxis()
    ax.set(xlabel="test NLL (nats / image)")
    low = min(r["nll_nats"] for r in records)
    ax.set_xlim(left=max(0.0, 0.9 * low))
    return save_figure(fig, path)


def report(cfg: NllTableConfig, records: list[dict], output_dir: str) -> dict:
    """``{"nll_nats": {run: nats}, "table_markdown": text, "thesis_mnist", "figures"}``."""
    table = markdown(cfg, records)
    write_text(os.path.join(output_dir, "nll_table.md"), table)
    figure = plot(records, os.path.join(output_dir, "nll_table.png"))
    return {"nll_nats": {r["name"]: r["nll_nats"] for r in records}, "table_markdown": table,
            "thesis_mnist": THESIS_MNIST, "figures": [os.path.basename(figure), "nll_table.md"]}


STUDY = Study(
    "nll_table", " ".join(__doc__.split("\n\n")[0].split()), NllTableConfig, runs, report,
    cpu={**likelihood.CPU, "ar_layers": (2,), "pixelcnn_layers": 4},
    full={**likelihood.FULL, "ar_layers": (4,), "pixelcnn_layers": 12},
    smoke={**likelihood.SMOKE, "pixelcnn_layers": 1}, measure=likelihood.measure)
