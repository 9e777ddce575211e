"""Names that become one directory level (export names, preset names)."""

from __future__ import annotations

import os


def check_plain_name(name: str, what: str) -> str:
    """``name`` if it is one plain directory name (not empty, no path separator, not hidden,
    no surrounding spaces); else ValueError naming ``what``."""
    separators = [s for s in (os.sep, os.altsep) if s]
    if (not name or any(s in name for s in separators) or name.startswith(".")
            or name != name.strip()):
        raise ValueError(f"{what} must be a plain directory name (no '/', not starting with "
                         f"'.', no surrounding spaces); got {name!r}")
    return name
