"""Every number field of every config declares its range, and a value outside it (or of the
wrong type) is refused at construction with an error naming the field and its flag."""

import dataclasses
import math
import os
import sys
import typing

import pytest

from tfgen.experiments.studies import STUDIES
from tfgen.models.registry import MODELS
from tfgen.training import TrainConfig
from tfgen.utils.config import ANY, CheckedConfig, field, value_range

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted({TrainConfig, *(m.Config for m in MODELS.values()),
                  *(s.config for s in STUDIES.values())}, key=lambda c: c.__name__)
NUMBERS = (int, float)


def _item(kind):
    return typing.get_args(kind)[0] if typing.get_origin(kind) is tuple else kind


def number_fields(config_cls):
    hints = typing.get_type_hints(config_cls)
    return [(f, hints[f.name]) for f in dataclasses.fields(config_cls)
            if _item(hints[f.name]) in NUMBERS]


def _value(kind, number):
    item = _item(kind)
    value = item(number) if item is float or number == int(number) else number
    return (value,) if typing.get_origin(kind) is tuple else value


CASES = [(cls, f, kind) for cls in CONFIGS for f, kind in number_fields(cls)]


def test_every_number_field_declares_its_range():
    undeclared = [f"{cls.__name__}.{f.name}" for cls, f, _ in CASES
                  if "minimum" not in f.metadata and "maximum" not in f.metadata]
    assert not undeclared, f"declare minimum= (or minimum=ANY) on: {undeclared}"
    assert all(issubclass(cls, CheckedConfig) for cls in CONFIGS), \
        [c.__name__ for c in CONFIGS if not issubclass(c, CheckedConfig)]


@pytest.mark.parametrize("config_cls", CONFIGS, ids=lambda c: c.__name__)
def test_defaults_are_in_range(config_cls):
    config_cls()


BOUNDED = [(cls, f, kind, side, bound) for cls, f, kind in CASES
           for side, bound in zip(("below", "above"), value_range(f)) if bound is not None]


@pytest.mark.parametrize("config_cls,f,kind,side,bound", BOUNDED,
                         ids=[f"{c.__name__}.{f.name}-{side}" for c, f, _, side, _ in BOUNDED])
def test_values_outside_the_range_are_refused(config_cls, f, kind, side, bound):
    step = 1 if _item(kind) is int else 0.5
    bad = bound - step if side == "below" else bound + step
    with pytest.raises(ValueError, match=f"--{f.name}\\b"):
        config_cls(**{f.name: _value(kind, bad)})
    try:  # the bound itself is in range (another field's rule may still refuse it)
        config_cls(**{f.name: _value(kind, bound)})
    except ValueError as err:
        assert f"(--{f.name}) must be" not in str(err)


@pytest.mark.parametrize("config_cls,f,kind", CASES,
                         ids=[f"{c.__name__}.{f.name}" for c, f, _ in CASES])
def test_wrong_types_and_non_finite_numbers_are_refused(config_cls, f, kind):
    text = ("1",) if typing.get_origin(kind) is tuple else "1"
    with pytest.raises(ValueError, match=f"--{f.name}\\b.*must be"):
        config_cls(**{f.name: text})
    if _item(kind) is float:
        with pytest.raises(ValueError, match=f"--{f.name}\\b"):
            config_cls(**{f.name: _value(kind, math.nan)})


def test_unbounded_declaration_and_the_help_text():
    @dataclasses.dataclass
    class Example(CheckedConfig):
        offset: int = field(0, "any integer", minimum=ANY)
        rate: float = field(0.5, "a probability", minimum=0.0, maximum=1.0)

    Example(offset=-10**9)
    with pytest.raises(ValueError, match=r"Example.rate \(--rate\) must be in \[0.0, 1.0\]; "
                                         r"got 1.5"):
        Example(rate=1.5)
    from absl import flags

    from tfgen.utils.config import define_flags
    flag_values = flags.FlagValues()
    define_flags(Example, flag_values)
    assert flag_values["rate"].help == "a probability (in [0.0, 1.0])"
    assert flag_values["offset"].help == "any integer"


@pytest.mark.parametrize("command,args,flag", [
    ("run", ["--model=vae", "--latent_dim=-1"], "latent_dim"),
    ("run", ["--model=gan", "--gp_weight=-10"], "gp_weight"),
    ("run", ["--model=pixelcnn", "--eval_batches=0"], "eval_batches"),
    ("study", ["--study=nll_table", "--batch_size=0"], "batch_size"),
    ("ood", ["--reference_examples=2"], "reference_examples"),
    ("ood", ["--typicality_alpha=0"], "typicality_alpha"),
    ("ood", ["--reference_examples=100", "--typicality_batch_size=51"], "typicality_batch_size"),
])
def test_commands_refuse_out_of_range_flags_before_any_work(tmp_path, capsys, command, args,
                                                             flag):
    sys.path.insert(0, os.path.join(ROOT, "train"))
    module = __import__(command)
    from absl import flags as absl_flags
    flag_values = absl_flags.FlagValues()
    argv = [f"{command}.py", *args, f"--output_dir={tmp_path}/out"]
    if command == "run":
        module.define_cli_flags(flag_values, argv)
    else:
        module.define_cli_flags(flag_values)
    flag_values(argv)
    status = (module.main(["run.py"], flag_values) if command == "run"
              else module.run(flag_values))
    assert status == 1
    err = capsys.readouterr().err
    assert f"--{flag}" in err and "must be" in err, err
    assert not os.listdir(tmp_path) or not any(os.scandir(tmp_path / "out"))
