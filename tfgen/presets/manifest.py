"""The ``sha256`` manifest of a preset directory (``sha256sum`` format) and its verification.

A preset is trusted only if every file the manifest lists exists and hashes to the listed value,
and every required file is listed: a changed, truncated or missing file is a
:class:`PresetIntegrityError` (or ``FileNotFoundError``) naming the file, never a silently
different model. ``sha256sum -c sha256`` inside the directory checks the same thing.
"""

from __future__ import annotations

import hashlib
import os

MANIFEST = "sha256"
CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
CARD = "card.md"
SAMPLES = "samples.png"
#: Files every preset directory holds besides the manifest.
REQUIRED = (CONFIG, WEIGHTS, CARD, SAMPLES)


class PresetIntegrityError(ValueError):
    """A preset file does not match its ``sha256`` manifest entry (or is not listed)."""


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: str, files: tuple[str, ...] = REQUIRED) -> str:
    """Write ``directory/sha256`` (``<hex>  <name>`` lines, sorted) for ``files``; its path."""
    lines = [f"{file_sha256(os.path.join(directory, n))}  {n}\n" for n in sorted(files)]
    path = os.path.join(directory, MANIFEST)
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def read_manifest(directory: str) -> dict[str, str]:
    """{file name: sha256 hex} from ``directory/sha256``; FileNotFoundError when it is absent,
    PresetIntegrityError when a line is malformed."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"preset {directory}: the checksum manifest {MANIFEST!r} is "
                                f"missing ({path}); rebuild it with train/make_presets.py")
    entries = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            digest, sep, name = line.rstrip("\n").partition("  ")
            if not sep or len(digest) != 64 or not name or os.sep in name.lstrip("*"):
                raise PresetIntegrityError(f"{path}:{number}: expected '<sha256 hex>  <file "
                                           f"name>', found {line.rstrip()!r}")
            entries[name.lstrip("*")] = digest.lower()
    return entries


def verify(directory: str, required: tuple[str, ...] = REQUIRED) -> dict[str, str]:
    """Check every file of preset ``directory`` against its manifest; returns the manifest.

    Raises:
      FileNotFoundError: the manifest or a listed/required file is missing (named).
      PresetIntegrityError: a file's sha256 differs from the manifest's (named, with both
        hashes and its size), or a required file is not listed.
    """
    entries = read_manifest(directory)
    unlisted = [n for n in required if n not in entries]
    if unlisted:
        raise PresetIntegrityError(f"preset {directory}: {unlisted} not listed in {MANIFEST!r}")
    for name, expected in sorted(entries.items()):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"preset {directory}: file {name!r} is missing ({path}); "
                                    f"{MANIFEST!r} lists it")
        found = file_sha256(path)
        if found != expected:
            raise PresetIntegrityError(
                f"preset {directory}: file {name!r} fails its checksum (sha256 {found}, "
                f"{os.path.getsize(path)} bytes; {MANIFEST!r} expects {expected}): it was "
                f"changed or truncated; restore it (git checkout) or rebuild the preset")
    return entries
