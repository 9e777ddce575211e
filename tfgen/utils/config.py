"""Config dataclasses <-> absl flags: one flag per config field, help text on the field."""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing
from typing import Any

from absl import flags


#: ``field(..., minimum=ANY)``: a number field that takes every value (the sweep test in
#: tests/utils/test_config_bounds.py asks every int/float field to declare its range).
ANY = "any"
#: Largest seed a command takes: seeds reach the SavedModel signatures as int32 scalars.
MAX_SEED = 2**31 - 1
#: Largest batch a command takes (global batch of training, evaluation batch).
MAX_BATCH_SIZE = 65536
#: The largest ``image_size`` (pixels per side) and text sequence length a dataset accepts: a
#: single 64-image batch at 1024 x 1024 x 3 is already 200 MB of uint8 and 800 MB of float32.
MAX_IMAGE_SIZE = 1024
MAX_SEQUENCE_LENGTH = 4096


def field(default: Any, help: str, *, minimum: Any = None,  # noqa: A002 - absl's name
          maximum: float | None = None):
    """A dataclass field with a default, the help text its flag shows, and for numbers the
    closed range ``[minimum, maximum]`` that :class:`CheckedConfig` enforces (for a tuple of
    numbers: on each item). ``minimum=ANY`` declares an unbounded number field."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use an immutable default (tuple) for config fields")
    metadata = {"help": help}
    if minimum is not None:
        metadata["minimum"] = minimum
    if maximum is not None:
        metadata["maximum"] = maximum
    return dataclasses.field(default=default, metadata=metadata)


def value_range(f: dataclasses.Field) -> tuple[float | None, float | None]:
    """(minimum, maximum) a field declares; None where unbounded."""
    minimum = f.metadata.get("minimum")
    return (None if minimum == ANY else minimum), f.metadata.get("maximum")


def _range_text(f: dataclasses.Field) -> str:
    low, high = value_range(f)
    if low is not None and high is not None:
        return f"in [{low}, {high}]"
    return f">= {low}" if low is not None else (f"<= {high}" if high is not None else "")


def _help(f: dataclasses.Field) -> str:
    text = f.metadata.get("help", f.name)
    bounds = _range_text(f)
    return f"{text} ({bounds})" if bounds else text


def _item_type(kind) -> type:
    return typing.get_args(kind)[0] if typing.get_origin(kind) is tuple else kind


def check_field_values(config) -> None:
    """Raise ``ValueError`` naming the field (and its flag) for a value of the wrong type or
    outside its declared range; numbers of a tuple field are checked one by one."""
    hints = typing.get_type_hints(type(config))
    owner = type(config).__name__
    for f in dataclasses.fields(config):
        kind, value = hints[f.name], getattr(config, f.name)
        item = _item_type(kind)
        values = value if typing.get_origin(kind) is tuple else (value,)
        if typing.get_origin(kind) is tuple and not isinstance(value, (tuple, list)):
            raise ValueError(f"{owner}.{f.name} (--{f.name}) must be a tuple of {item.__name__}; "
                             f"got {value!r} ({type(value).__name__})")
        for v in values:
            number = {int: numbers.Integral, float: numbers.Real}.get(item)
            ok = (isinstance(v, number) and not isinstance(v, bool) if number
                  else isinstance(v, item))
            if not ok:
                raise ValueError(f"{owner}.{f.name} (--{f.name}) must be {item.__name__}; got "
                                 f"{v!r} ({type(v).__name__})")
            low, high = value_range(f)
            if item in (int, float) and ((low is not None and v < low)
                                         or (high is not None and v > high)
                                         or (item is float and not math.isfinite(v))):
                bounds = _range_text(f) or "finite"
                raise ValueError(f"{owner}.{f.name} (--{f.name}) must be {bounds}; got {v!r}")


class CheckedConfig:
    """Base of config dataclasses: construction refuses wrong types and out-of-range values
    (:func:`check_field_values`). A subclass with cross-field checks calls
    ``super().__post_init__()`` first."""

    def __post_init__(self):
        check_field_values(self)


def define_flags(config_cls, flag_values: flags.FlagValues = flags.FLAGS,
                 help_suffix: typing.Mapping[str, str] | None = None) -> None:
    """Define one absl flag per field of ``config_cls`` (skipping names already defined);
    ``help_suffix`` maps field names to text appended to their help."""
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.name in flag_values:
            continue
        kind, default = hints[f.name], f.default
        help_text = _help(f) + (help_suffix or {}).get(f.name, "")
        if kind is bool:
            flags.DEFINE_bool(f.name, default, help_text, flag_values=flag_values)
        elif kind is int:
            flags.DEFINE_integer(f.name, default, help_text, flag_values=flag_values)
        elif kind is float:
            flags.DEFINE_float(f.name, default, help_text, flag_values=flag_values)
        elif kind is str:
            flags.DEFINE_string(f.name, default, help_text, flag_values=flag_values)
        elif typing.get_origin(kind) is tuple:
            flags.DEFINE_list(f.name, [str(v) for v in default], help_text,
                              flag_values=flag_values)
        else:
            raise TypeError(f"config field {config_cls.__name__}.{f.name} has unsupported type "
                            f"{kind}")


def overrides_from_flags(config_cls, flag_values: flags.FlagValues = flags.FLAGS
                         ) -> dict[str, Any]:
    """The fields of ``config_cls`` whose flags were given on the command line."""
    hints = typing.get_type_hints(config_cls)
    out = {}
    for f in dataclasses.fields(config_cls):
        if f.name in flag_values and flag_values[f.name].present:
            value = flag_values[f.name].value
            if typing.get_origin(hints[f.name]) is tuple:
                item = typing.get_args(hints[f.name])[0]
                value = tuple(item(v) for v in value)
            out[f.name] = value
    return out


def set_flag_defaults(values: typing.Mapping[str, Any],
                      flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Make ``values`` the defaults of the flags of those names (so ``--helpfull`` shows them);
    names without a flag are skipped. Given flags keep their values."""
    for name, value in values.items():
        if name in flag_values:
            if isinstance(value, (tuple, list)):
                value = [str(v) for v in value]
            flag_values.set_default(name, value)


def config_field_names(*config_classes) -> list[str]:
    """Sorted names of the fields of ``config_classes`` (dataclasses)."""
    return sorted({f.name for cls in config_classes for f in dataclasses.fields(cls)})


def check_given_flags(allowed, defined, owner: str,
                      flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Refuse flags given on the command line that ``owner`` does not read.

    ``defined``: names of the config-field flags this command defines (for every model or study
    it knows); ``allowed``: the ones ``owner`` (e.g. ``"model 'pixelvae'"``) has. A flag in
    ``defined`` but not in ``allowed`` that was given raises ``ValueError`` naming ``owner`` and
    listing its fields, instead of being silently ignored.
    """
    allowed = set(allowed)
    given = sorted(name for name in set(defined) - allowed
                   if name in flag_values and flag_values[name].present)
    if given:
        flags_text = ", ".join(f"--{name}" for name in given)
        raise ValueError(f"{owner} has no setting {flags_text}; its settings are: "
                         f"{', '.join(sorted(allowed))}")
