"""Atomic writers: a file is either absent or complete, never half-written."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def _write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates the file readable by its owner only; give it the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def clear(*directories: Path) -> None:
    """Delete a stage's previous output folders, as ``dvc repro`` does before a stage runs.

    Stages call it once their models are fitted, just before writing: a stage run by hand
    never leaves an earlier run's files (a stale candidate) next to its own, and one that
    fails while fitting leaves the previous good outputs in place. Under DVC, earlier
    versions also stay in its cache (``dvc checkout`` restores them).
    """
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return ``path``."""
    return _write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: Path, data: object, *, allow_nan: bool = True) -> Path:
    """Write ``data`` as indented, key-sorted JSON to ``path`` atomically.

    ``allow_nan=False`` raises ``ValueError`` on NaN or infinity instead of writing
    ``NaN``/``Infinity``, which are not standard JSON (expectation suites must be).
    """
    text = json.dumps(data, indent=2, sort_keys=True, default=str, allow_nan=allow_nan)
    return write_text(path, text + "\n")


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (index dropped) as Parquet to ``path`` atomically."""
    return _write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` (index dropped) as CSV to ``path`` atomically."""
    return _write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
