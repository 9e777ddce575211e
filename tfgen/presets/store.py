"""Find, verify and load preset directories; export a preset for TF Serving.

A preset directory (``saved_models/presets/<name>/``) holds ``config.json``, ``model.weights.h5``,
``card.md``, ``samples.png`` and the ``sha256`` manifest (:mod:`tfgen.presets.manifest`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from tfgen.presets import manifest
from tfgen.presets.recipes import names

#: Overrides where registered names are looked up (default: the repository's
#: ``saved_models/presets``).
PRESETS_DIR_ENV = "TFGEN_PRESETS_DIR"


def presets_root() -> str:
    """``$TFGEN_PRESETS_DIR`` or ``<repository>/saved_models/presets``."""
    env = os.environ.get(PRESETS_DIR_ENV)
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(repo, "saved_models", "presets")


@dataclasses.dataclass(frozen=True)
class Preset:
    """A verified preset directory and its ``config.json``.

    ``config`` keys: ``name``, ``model`` (registry name), ``model_class``, ``model_config``
    (every field of the model's Config), ``image_shape``, ``image_size`` (the side the dataset
    was read at; null: its own size), ``dataset``, ``seed``,
    ``train_config``, ``command``, ``figures`` (see :mod:`tfgen.presets.measure`; nats per
    image and bits/dim), ``untrained_figures``, ``training`` (steps, wall-clock seconds, machine).
    """

    name: str
    directory: str
    config: dict[str, Any]

    @property
    def weights_path(self) -> str:
        return os.path.join(self.directory, manifest.WEIGHTS)

    @property
    def model(self) -> str:
        return self.config["model"]

    @property
    def dataset(self) -> str:
        return self.config["dataset"]

    @property
    def image_size(self) -> int | None:
        """The side the dataset was read at (None: the dataset's own size)."""
        return self.config.get("image_size") or None


def preset_dir(name_or_dir: str) -> str:
    """The directory of a registered preset name, or ``name_or_dir`` itself if it is a directory
    (a copy of a preset); ValueError listing the valid names otherwise."""
    if name_or_dir in names():
        return os.path.join(presets_root(), name_or_dir)
    if os.path.isdir(name_or_dir):
        return name_or_dir
    raise ValueError(f"Unknown preset {name_or_dir!r}; valid names: {names()} (or the path of a "
                     "preset directory)")


def open_preset(name_or_dir: str) -> Preset:
    """Resolve and verify (sha256 of every file) a preset; read its ``config.json``."""
    directory = preset_dir(name_or_dir)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"preset {name_or_dir!r} is registered but not built: no "
                                f"directory {directory}; run `python train/make_presets.py "
                                f"--only={name_or_dir}`")
    manifest.verify(directory)
    with open(os.path.join(directory, manifest.CONFIG)) as f:
        config = json.load(f)
    return Preset(config.get("name", os.path.basename(os.path.normpath(directory))),
                  directory, config)


def build_from_config(config: dict[str, Any]):
    """The untrained model a preset's ``config.json`` describes (built, not compiled): the class
    :func:`tfgen.models.build_model` makes for the preset's dataset spec."""
    from tfgen import data
    from tfgen.models import build_model

    spec = data.get_spec(config["dataset"], image_size=config.get("image_size") or None)
    model = build_model(config["model"], spec, seed=int(config["seed"]),
                        **config["model_config"])
    if list(model.image_shape) != list(config["image_shape"]):
        raise ValueError(f"preset {config.get('name')!r}: dataset {config['dataset']!r} gives "
                         f"images {list(model.image_shape)}, the preset was trained on "
                         f"{list(config['image_shape'])}")
    model.build_for()
    return model


def load(name_or_dir: str):
    """The trained Keras model of a preset (a registered name or a preset directory).

    Every file is checked against the preset's ``sha256`` manifest first. The model is the
    class ``tfgen.models.build_model`` makes (e.g. :class:`tfgen.models.PixelVAE`), built and
    not compiled (call ``compile_for_training`` to train it further); its ``log_prob`` is in
    nats per image.

    Raises:
      ValueError: unknown name (the message lists the valid ones); a
        :class:`~tfgen.presets.manifest.PresetIntegrityError` when a file fails its checksum.
      FileNotFoundError: the preset is not built, or one of its files is missing.
    """
    preset = open_preset(name_or_dir)
    model = build_from_config(preset.config)
    model.load_weights(preset.weights_path)
    return model


def export(name_or_dir: str, export_dir: str, version: int | None = None) -> str:
    """Write a preset as a TF Serving SavedModel with :func:`tfgen.export.export_model`.

    ``export_dir`` is the serving model base path (``--model_base_path``); the SavedModel goes
    to ``export_dir/<version>`` (``None``: one more than the largest existing version). Returns
    that version directory. ``assets.extra/tfgen_config.json`` records the preset's name, its
    dataset, its weights' sha256 and its measured figures under ``extra``.
    """
    from tfgen.export import export_model

    preset = open_preset(name_or_dir)
    model = build_from_config(preset.config)
    model.load_weights(preset.weights_path)
    export_dir = os.path.abspath(export_dir)
    extra = {"preset": preset.name, "dataset": preset.dataset,
             "weights_sha256": manifest.file_sha256(preset.weights_path),
             "figures": preset.config.get("figures", {})}
    return export_model(model, root=os.path.dirname(export_dir),
                        name=os.path.basename(export_dir), version=version, extra_assets=extra)
