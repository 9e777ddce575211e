"""TF Serving server configuration for tfgen exports: ``models.config`` and ``batching.config``.

``models.config`` (``--model_config_file``) is a text ``ModelServerConfig`` serving several
export roots at once, each a model directory holding numeric version directories (TF Serving
serves the largest by default)::

    model_config_list {
      config { name: "vae_mnist" base_path: "/abs/saved_models/vae_mnist" model_platform: "tensorflow" }
    }

``batching.config`` (``--enable_batching --batching_parameters_file``) is a text
``BatchingParameters``: ``max_batch_size``, ``batch_timeout_micros``, ``num_batch_threads``,
``max_enqueued_batches``. Server-side batching joins requests along dimension 0, so it applies
to signatures whose inputs all have a ``None`` batch dimension (``log_prob``, ``encode``,
``critic``); TF Serving refuses scalar inputs (``sample``'s ``num_samples`` and ``seed``) while
batching is on (see docs/export_and_serving.md).
"""

from __future__ import annotations

import json
import os

from tfgen.export.saved_model import numeric_versions

MODELS_CONFIG = "models.config"
BATCHING_CONFIG = "batching.config"
#: flag -> (default, smallest allowed value)
BATCHING_DEFAULTS = {"max_batch_size": (32, 1), "batch_timeout_micros": (5000, 0),
                     "num_batch_threads": (4, 1), "max_enqueued_batches": (100, 1)}


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a valid text-proto string literal


def export_entry(path: str) -> tuple[str, str]:
    """``(name, absolute base path)`` of an export root, or ValueError naming ``path`` when it
    has no numeric version directory holding a SavedModel."""
    base = os.path.abspath(path)
    name = os.path.basename(base)
    versions = numeric_versions(base)
    if not versions:
        hint = (" (it is itself a version directory: pass its parent, the model directory)"
                if name.isdigit() else "")
        raise ValueError(f"--export {path}: no numeric version directory (e.g. {path}/1) in "
                         f"{base}; TF Serving serves base_path/<version>/saved_model.pb{hint}")
    missing = [v for v in versions if not os.path.exists(os.path.join(base, str(v),
                                                                      "saved_model.pb"))]
    if missing:
        raise ValueError(f"--export {path}: version(s) {missing} hold no saved_model.pb")
    return name, base


def models_config(exports: list[str]) -> str:
    """The text of ``models.config`` for the export roots ``exports`` (names: their directory
    names, which must differ)."""
    if not exports:
        raise ValueError("give at least one --export (a model directory such as saved_models/a)")
    entries = [export_entry(path) for path in exports]
    names = [name for name, _ in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"export directories must have distinct names (the model names); "
                         f"{duplicates} repeat in {exports}")
    lines = ["model_config_list {"]
    for name, base in entries:
        lines += ["  config {", f"    name: {_quoted(name)}", f"    base_path: {_quoted(base)}",
                  '    model_platform: "tensorflow"', "  }"]
    return "\n".join(lines + ["}"]) + "\n"


def batching_config(**params: int) -> str:
    """The text of ``batching.config``; ``params`` are :data:`BATCHING_DEFAULTS`' names."""
    unknown = sorted(set(params) - set(BATCHING_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown batching parameters {unknown}; valid: {sorted(BATCHING_DEFAULTS)}")
    lines = []
    for key, (default, lowest) in BATCHING_DEFAULTS.items():
        value = params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
            raise ValueError(f"--{key} must be an integer >= {lowest}; got {value!r}")
        lines.append(f"{key} {{ value: {value} }}")
    return "\n".join(lines) + "\n"


def write_configs(exports: list[str], output_dir: str, **batching: int) -> tuple[str, str]:
    """Write ``models.config`` and ``batching.config`` into ``output_dir``; their paths. Both
    texts are built (and checked) before either file is written."""
    texts = {MODELS_CONFIG: models_config(exports), BATCHING_CONFIG: batching_config(**batching)}
    os.makedirs(output_dir, exist_ok=True)
    paths = []
    for filename, text in texts.items():
        paths.append(os.path.join(output_dir, filename))
        with open(paths[-1], "w") as f:
            f.write(text)
    return tuple(paths)
