"""JSON and figure output shared by the chapter-2 studies (atomic writes, Agg backend)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # studies run headless (CI, remote GPUs)

from matplotlib.figure import Figure

from tfgen.utils.records import atomic_write, to_json, write_json  # noqa: F401


def write_text(path: str, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


def save_figure(fig: Figure, path: str, dpi: int = 110) -> str:
    """Save a matplotlib figure as a PNG atomically; returns ``path``."""
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight"))
    return path
