"""The protocol's Markdown table (thesis Tables 4.1/4.2 layout) and bar chart, for any dataset.

Numbers are AUPR percentages (average precision with the held-out class positive) unless the
heading says otherwise; ``skew`` is the positive rate, the AUPR of a random scorer.

The thesis-layout table (:func:`thesis_table`) is Table 4.1's / 4.2's: one row per held-out
class named as the thesis names it (the digit; CIFAR-10's category, ``airplane`` ... ``truck``;
Fashion-MNIST's and the photo patches' names), then ``mean`` and ``median`` rows; the columns
``skew`` and one per model label (``IAF``, ``PixelCNN++``, ``PixelVAE``, ``DCGAN`` on CIFAR-10)
with that model's own score (NLL or discriminator logit). Its heading and first column come from
the summary's ``table`` and ``row_heading`` (the dataset's
:class:`~tfgen.experiments.ood.config.DatasetSetting`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from tfgen.evaluation.ood.scorers import get_scorer, scorer_names
from tfgen.experiments.study import save_figure, write_text

PRIMARY = "average_precision"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100.0 * value:.2f}"


def _scorers_in(models: Mapping[str, Any]) -> list[str]:
    present = {s for m in models.values() for s in m["scorers"]}
    return [s for s in scorer_names() if s in present]


def thesis_scorer(model: Mapping[str, Any]) -> str:
    """The thesis' own score of a summarized model: ``nll`` for likelihood models, else
    ``critic``."""
    return "nll" if "nll" in model["scorers"] else "critic"


def class_table(summary: Mapping[str, Any], scorers: list[str] | None = None,
                metric: str = PRIMARY, *, row_heading: str = "OOD class",
                names_only: bool = False, label_only: bool = False) -> str:
    """Rows = held-out class (then mean and median), columns = model x scorer; skew beside.

    Rows are ``"<label> <name>"`` (``names_only``: the name alone, as the thesis' tables);
    columns ``"<model label> <scorer>"`` (``label_only``: the model label alone)."""
    models, names = summary["models"], summary["class_names"]
    columns = [(m, s) for m in models for s in (scorers or _scorers_in(models))
               if s in models[m]["scorers"]]
    head = [row_heading, "skew"] + [models[m]["label"] if label_only else
                                    f"{models[m]['label']} {s}" for m, s in columns]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    skew = {}
    for m in models.values():
        for s in m["scorers"].values():
            for c, v in s["per_class"].items():
                skew[c] = v["skew"]
    for c in summary["classes"]:
        row = names[c] if names_only or names[c] == str(c) else f"{c} {names[c]}"
        cells = [row, _pct(skew.get(str(c)))]
        cells += [_pct(models[m]["scorers"][s]["per_class"].get(str(c), {}).get(metric))
                  for m, s in columns]
        lines.append("| " + " | ".join(cells) + " |")
    for stat in ("mean", "median"):
        values = list(skew.values())
        cells = [f"**{stat}**", _pct(float(getattr(np, stat)(values)) if values else None)]
        cells += [_pct(models[m]["scorers"][s][stat].get(metric)) for m, s in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_table(summary: Mapping[str, Any], metric: str = PRIMARY) -> str:
    """Rows = models, columns = scorers; cells = mean (median) over the held-out classes."""
    models = summary["models"]
    scorers = _scorers_in(models)
    lines = ["| model | " + " | ".join(scorers) + " | batch typicality TPR / FPR |",
             "|" + "---|" * (len(scorers) + 2)]
    for m in models.values():
        cells = [m["label"]]
        for s in scorers:
            block = m["scorers"].get(s)
            cells.append("—" if block is None else
                         f"{_pct(block['mean'].get(metric))} ({_pct(block['median'].get(metric))})")
        batch = m.get("typicality_batch")
        cells.append("—" if not batch else
                     f"{_pct(batch['mean'].get('tpr'))} / {_pct(batch['mean'].get('fpr'))}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(summary: Mapping[str, Any]) -> str:
    """The whole Markdown report: summary of means, the thesis table, one table per scorer."""
    models = summary["models"]
    pixels = f" ({summary['pixels']} likelihood models)" if summary.get("pixels") else ""
    parts = [f"# Leave-one-class-out OOD detection on {summary['dataset']}{pixels}", "",
             "AUPR % (average precision, held-out class = positive); chance = skew.", "",
             "## Mean (median) AUPR % over held-out classes", "", summary_table(summary), "",
             f"## Thesis layout, {summary.get('table', 'Tables 4.1/4.2')}: each model's own "
             f"score", "", thesis_table(summary), ""]
    for s in _scorers_in(models):
        parts += [f"## {s}: {get_scorer(s).description}", "", class_table(summary, [s]), ""]
    parts += ["## Mean (median) AUROC %", "", summary_table(summary, "auroc"), "",
              "## Mean (median) FPR at 95% TPR % (lower is better)", "",
              summary_table(summary, "fpr_at_95_tpr"), ""]
    return "\n".join(parts)


def thesis_table(summary: Mapping[str, Any]) -> str:
    """Tables 4.1/4.2's layout: rows = held-out class names, then mean and median; columns =
    skew and one per model (its label), with the thesis' score (NLL or critic logit)."""
    sub = dict(summary)
    sub["models"] = {name: {**m, "scorers": {thesis_scorer(m): m["scorers"][thesis_scorer(m)]}}
                     for name, m in summary["models"].items()}
    return class_table(sub, row_heading=summary.get("row_heading", "OOD class"),
                       names_only=True, label_only=True)


def chart(summary: Mapping[str, Any], path: str) -> str:
    """Bar chart PNG: (left) per-class AUPR of each model's thesis score, (right) mean AUPR of
    every (model, scorer) with the chance level."""
    models, names = summary["models"], summary["class_names"]
    classes = summary["classes"]
    fig = Figure(figsize=(14, 4.8), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[3, 2])
    width = 0.8 / max(1, len(models))
    skews = []
    for i, m in enumerate(models.values()):
        block = m["scorers"][thesis_scorer(m)]
        values = [100 * block["per_class"].get(str(c), {}).get(PRIMARY, np.nan) for c in classes]
        left.bar(np.arange(len(classes)) + (i - (len(models) - 1) / 2) * width, values, width,
                 label=f"{m['label']} ({thesis_scorer(m)})")
        skews += [v["skew"] for v in block["per_class"].values()]
    chance = 100 * float(np.mean(skews)) if skews else 10.0
    for ax in (left, right):
        ax.axhline(chance, color="k", ls="--", lw=1, label="chance (skew)")
        ax.set_ylabel("AUPR %")
    left.set_xticks(np.arange(len(classes)), [names[c] for c in classes], rotation=30,
                    ha="right")
    left.set_title("per held-out class, thesis scores")
    left.legend(fontsize=8)
    scorers = _scorers_in(models)
    width = 0.8 / max(1, len(scorers))
    for j, s in enumerate(scorers):
        values = [100 * m["scorers"][s]["mean"][PRIMARY] if s in m["scorers"] else np.nan
                  for m in models.values()]
        right.bar(np.arange(len(models)) + (j - (len(scorers) - 1) / 2) * width, values, width,
                  label=s)
    right.set_xticks(np.arange(len(models)), [m["label"] for m in models.values()])
    right.set_title("mean over held-out classes, every scorer")
    right.set_ylim(0, 1.45 * max([chance] + [100 * b["mean"][PRIMARY] for m in models.values()
                                             for b in m["scorers"].values()]))
    right.legend(fontsize=7, ncol=2, loc="upper center")  # above the bars (headroom)
    return save_figure(fig, path)


def write_report(summary: Mapping[str, Any], output_dir: str, name: str) -> list[str]:
    """Write ``<name>.md`` and ``<name>.png`` under ``output_dir``; returns their paths."""
    md = os.path.join(output_dir, f"{name}.md")
    write_text(md, markdown(summary))
    return [md, chart(summary, os.path.join(output_dir, f"{name}.png"))]
