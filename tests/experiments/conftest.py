"""Shared helpers of the study tests: the command lines in process, a tiny labelled image set."""

from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest
from absl import flags

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from synthetic_images import three_class_images  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_command(name: str):
    """``train/<name>.py`` as a module (its flags are not defined on absl's global FLAGS)."""
    spec = importlib.util.spec_from_file_location(f"cli_{name}",
                                                  os.path.join(ROOT, "train", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cli(capsys):
    """``cli("study", "--study=...", ...) -> (exit status, stdout JSON or text, stderr)``: the
    command run in this process on fresh flag values."""

    def run(name: str, *args: str):
        command = load_command(name)
        values = flags.FlagValues()
        command.define_cli_flags(values)
        values([f"{name}.py", *args])
        status = command.run(values)
        out, err = capsys.readouterr()
        try:
            out = json.loads(out)
        except json.JSONDecodeError:
            pass
        return status, out, err

    return run


def is_png(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def image_npz(tmp_path_factory):
    """A 28x28 three-class image set (bright rows / columns / corner on noise) and a private
    classifier cache."""
    root = tmp_path_factory.mktemp("images")
    mp = pytest.MonkeyPatch()
    mp.setenv("TFGEN_CACHE_DIR", str(root / "cache"))
    rng = np.random.default_rng(0)

    def make(n):
        return three_class_images(rng, n, 28, band=(8, 14), corner=16, noise_max=60, bright=220)

    x, y = make(400)
    xt, yt = make(100)
    path = root / "img.npz"
    np.savez(path, x=x, y=y, x_test=xt, y_test=yt)
    yield f"npz:{path}"
    mp.undo()
