"""Targeted edits of ``params.yaml`` that keep its comments and layout.

Only keys of the top-level ``data:`` section are edited, one line (or one block list) per
key; the result is read back as DVC reads it and checked against the params schema before
it is written, so a failed edit leaves the file as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .config import Params, ParamsError, read_yaml

_TOP_LEVEL = re.compile(r"^[^\s#]")


def _yaml_value(value: Any) -> str:
    # JSON strings and lists are YAML flow scalars: "yes" stays text, never a boolean.
    return json.dumps(value, ensure_ascii=False)


def _below(line: str, indent: str) -> bool:
    """Whether ``line`` continues a block value of a key indented by ``indent``."""
    content = line.strip()
    if not content or content.startswith("#"):
        return False
    return line.startswith(indent + " ") or line.startswith(indent + "- ")


def set_data_keys(text: str, updates: dict[str, Any]) -> str:
    """Return ``text`` with the given keys of its ``data:`` section set.

    Parameters
    ----------
    text : str
        The contents of a params file.
    updates : dict of str to Any
        Keys of ``data`` and their new values (text, numbers, lists of text).

    Returns
    -------
    str
        The same text with each key's line replaced (a block list below it removed), or
        the key added at the end of the section; every other line is unchanged.

    Raises
    ------
    ParamsError
        If the text has no top-level ``data:`` section.
    """
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "data:"), None)
    if start is None:
        raise ParamsError("params.yaml has no top-level 'data:' section to edit")
    end = next((i for i in range(start + 1, len(lines)) if _TOP_LEVEL.match(lines[i])), len(lines))
    for key, value in updates.items():
        pattern = re.compile(rf"^(\s+){re.escape(key)}:(\s*)(.*)$")
        found = next((i for i in range(start + 1, end) if pattern.match(lines[i])), None)
        if found is None:
            last = max(i for i in range(start, end) if lines[i].strip())
            lines.insert(last + 1, f"  {key}: {_yaml_value(value)}\n")
            end += 1
            continue
        indent, _, old = pattern.match(lines[found]).groups()
        lines[found] = f"{indent}{key}: {_yaml_value(value)}\n"
        if old.strip() and not old.lstrip().startswith("#"):
            continue
        # A block list or mapping below the key belongs to the old value.
        while found + 1 < end and _below(lines[found + 1], indent):
            del lines[found + 1]
            end -= 1
    return "".join(lines)


def update_data_params(path: Path, updates: dict[str, Any]) -> Params:
    """Set keys of the ``data`` section of the params file at ``path`` and check the result.

    Parameters
    ----------
    path : Path
        The params file.
    updates : dict of str to Any
        Keys of ``data`` and their new values.

    Returns
    -------
    Params
        The params as now written.

    Raises
    ------
    ParamsError
        If the edited text would not read back with exactly these values or would not
        match the schema; the file is then left unchanged.
    """
    edited = set_data_keys(path.read_text(encoding="utf-8"), updates)
    raw = read_yaml(edited)
    wrong = {key for key, value in updates.items() if raw.get("data", {}).get(key) != value}
    if wrong:
        raise ParamsError(f"{path}: could not set data.{', data.'.join(sorted(wrong))}; edit it")
    try:
        params = Params.model_validate(raw)
    except ValidationError as exc:
        raise ParamsError(f"{path}: the edit would not match the params schema: {exc}") from exc
    path.write_text(edited, encoding="utf-8")
    return params
