"""Size profiles of the studies: ``cpu`` (tens of minutes on 2 cores), ``full`` (the thesis'
size, for a GPU), ``smoke`` (seconds, for tests) and ``auto`` (full when a GPU is visible)."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, TypeVar

import tensorflow as tf

PROFILES = ("auto", "cpu", "full", "smoke")
C = TypeVar("C")


def gpu_available() -> bool:
    return bool(tf.config.list_physical_devices("GPU"))


def resolve_profile_config(config_cls: type[C], defaults: Mapping[str, Any],
                           full: Mapping[str, Any], smoke: Mapping[str, Any],
                           overrides: Mapping[str, Any] | None = None) -> C:
    """``config_cls`` from a study's CPU ``defaults``, then its ``full`` overrides (profile full)
    or ``smoke`` (profile smoke), then ``overrides``. The result names its concrete profile."""
    overrides = dict(overrides or {})
    profile = overrides.get("profile", defaults.get("profile", "auto"))
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {list(PROFILES)}")
    if profile == "auto":
        profile = "full" if gpu_available() else "cpu"
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted((set(defaults) | set(full) | set(overrides)) - names)
    if unknown:
        raise ValueError(f"unknown study config fields {unknown}; valid: {sorted(names)}")
    values = dict(defaults)
    if profile == "full":
        values.update(full)
    elif profile == "smoke":
        values.update(smoke)
    values.update(overrides)
    values["profile"] = profile
    return config_cls(**values)
