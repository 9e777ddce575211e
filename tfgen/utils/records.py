"""JSON records (run configs, metrics, checkpoint index, study and benchmark results): plain-JSON
conversion and atomic file writes."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from typing import Any


def to_json(value: Any) -> Any:
    """numpy scalars/arrays, tuples and dataclasses -> plain JSON values (NaN/Inf -> None)."""
    import numpy as np
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def atomic_write(path: str, write) -> None:
    """Call ``write(binary_file)`` on a temporary file next to ``path``, then rename it."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make results unreadable to others
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_json(path: str, obj: Any) -> None:
    """Atomically write ``obj`` (converted by :func:`to_json`) as indented JSON."""
    text = json.dumps(to_json(obj), indent=2)
    atomic_write(path, lambda f: f.write(text.encode()))
