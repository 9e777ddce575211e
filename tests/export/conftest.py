"""Fixtures shared by the export tests."""

import os
import sys

import pytest

from tfgen.export import export_model, load_exported
from tfgen.models import model_names

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tiny_models import build_tiny  # noqa: E402


@pytest.fixture(scope="session")
def registered(tmp_path_factory):
    """{model name: (tiny live model, its loaded export)} for every registered model: exported
    once per test process and shared by the signature-table and REST tests."""
    root = str(tmp_path_factory.mktemp("registered"))
    out = {}
    for name in model_names():
        model = build_tiny(name)
        if name == "pixelcnn":  # sharpen the untrained net so that the class shows in samples
            for block in model.network.blocks:
                block.condition_vector_dense.kernel.assign(block.condition_vector_dense.kernel * 10)
            model.network.output_conv.kernel.assign(model.network.output_conv.kernel * 4)
        out[name] = (model, load_exported(export_model(model, root=root, name=name)))
    return out
