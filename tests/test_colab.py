"""Notebooks in colab/ run top to bottom (code cells executed in order, small settings)."""

import json
import os

import matplotlib
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(n for n in os.listdir(os.path.join(ROOT, "colab")) if n.endswith(".ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.setenv("TFGEN_NOTEBOOK_DIR", str(tmp_path))
    monkeypatch.setenv("TFGEN_NOTEBOOK_STEPS", "20")
    monkeypatch.setenv("TFGEN_NOTEBOOK_EVAL_BATCHES", "2")
    monkeypatch.setenv("TFGEN_ALLOW_DOWNLOAD", "0")  # CI has the local Fashion-MNIST
    with open(os.path.join(ROOT, "colab", name)) as f:
        cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    namespace: dict = {}
    for cell in cells:
        exec(compile("".join(cell["source"]), f"{name}:{cell['id']}", "exec"), namespace)
    assert namespace["result"]["step"] == 20
    assert namespace["scores"]["log_prob"].shape == (8,)
