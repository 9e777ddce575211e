"""Name → entry lookups with one error convention: an unknown name lists the valid ones."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(table: Mapping[str, T], name: str, kind: str) -> T:
    """``table[name]``; ``ValueError("Unknown <kind> 'name'; valid names: [...]")`` otherwise."""
    if name not in table:
        raise ValueError(f"Unknown {kind} {name!r}; valid names: {sorted(table)}")
    return table[name]


def check_name(name: str, valid: Collection[str], kind: str) -> str:
    """``name`` when it is one of ``valid``; otherwise :func:`lookup`'s ValueError."""
    return lookup({v: v for v in valid}, name, kind)
