"""Config dataclasses <-> absl flags: one flag per config field, help text on the field."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from absl import flags


def field(default: Any, help: str):  # noqa: A002 - mirrors absl's argument name
    """A dataclass field with a default and the help text its flag shows."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use an immutable default (tuple) for config fields")
    return dataclasses.field(default=default, metadata={"help": help})


def _help(f: dataclasses.Field) -> str:
    return f.metadata.get("help", f.name)


def define_flags(config_cls, flag_values: flags.FlagValues = flags.FLAGS) -> None:
    """Define one absl flag per field of ``config_cls`` (skipping names already defined)."""
    hints = typing.get_type_hints(config_cls)
    for f in dataclasses.fields(config_cls):
        if f.name in flag_values:
            continue
        kind, default = hints[f.name], f.default
        if kind is bool:
            flags.DEFINE_bool(f.name, default, _help(f), flag_values=flag_values)
        elif kind is int:
            flags.DEFINE_integer(f.name, default, _help(f), flag_values=flag_values)
        elif kind is float:
            flags.DEFINE_float(f.name, default, _help(f), flag_values=flag_values)
        elif kind is str:
            flags.DEFINE_string(f.name, default, _help(f), flag_values=flag_values)
        elif typing.get_origin(kind) is tuple:
            flags.DEFINE_list(f.name, [str(v) for v in default], _help(f),
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
