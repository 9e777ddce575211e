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
