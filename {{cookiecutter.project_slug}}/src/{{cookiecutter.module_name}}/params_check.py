"""The pipeline's first stage, ``params``: ``python -m <package>.params_check``.

DVC stops a stage whose listed param is missing before its command runs, with a message
that names neither the misspelt key nor the fix. This stage runs first, checks the whole
``params.yaml`` against the schema (with "did you mean" suggestions), every key that
``dvc.yaml`` lists, and the input files the params name.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .config import PARAMS_FILE, Params, ParamsError, load_params, read_yaml
from .errors import StageError

DVC_FILE = Path("dvc.yaml")


def missing_listed_keys(raw: dict[str, Any], dvc_file: Path = DVC_FILE) -> list[str]:
    """Keys that ``dvc.yaml`` lists as a stage's params but ``params.yaml`` lacks.

    DVC refuses to start such a stage, even for keys the schema gives a default.

    Parameters
    ----------
    raw : dict
        ``params.yaml`` as read by YAML.
    dvc_file : Path, default=Path("dvc.yaml")

    Returns
    -------
    list of str
        One problem per missing key, naming the stage that lists it and the fix.
    """
    stages = (read_yaml(dvc_file.read_text(encoding="utf-8")) or {}).get("stages") or {}
    problems = []
    for stage, spec in stages.items():
        for key in (spec or {}).get("params") or []:
            if not isinstance(key, str):
                continue  # keys of another params file
            value: Any = raw
            for part in key.split("."):
                value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
            if value is _MISSING:
                problems.append(
                    f"  {key}: missing key; dvc.yaml lists it for stage '{stage}', so DVC "
                    f"needs it in {PARAMS_FILE} even where the schema has a default: add it back"
                )
    return problems


_MISSING = object()


def missing_inputs(params: Params) -> None:
    """Check that the raw table and its expectation suite exist before ``validate`` needs them.

    Raises
    ------
    ParamsError
        Naming each missing file and the command or setting that provides it (DVC itself
        would only say "No such file or directory").
    """
    package = __package__ or "<package>"
    problems = []
    if not params.data.path.is_file():
        problems.append(
            f"  data.path: {params.data.path} does not exist; set data.path, or bring the "
            f"DVC-tracked table back with `dvc checkout` (or `dvc pull` from the remote)"
        )
    if not params.validate_.suite.is_file():
        problems.append(
            f"  validate.suite: {params.validate_.suite} does not exist; draft it with "
            f"`python -m {package} init-suite` and review it, or set validate.suite"
        )
    if problems:
        raise ParamsError(f"{PARAMS_FILE} names files that are missing:\n" + "\n".join(problems))


def main() -> int:
    """Check ``params.yaml`` before any stage runs: the pipeline's first DVC stage.

    DVC stops a stage whose listed param is missing before its command runs, with a
    message that names neither the misspelt key nor the fix; this stage runs first
    (``python -m <package>.params_check``) and reports every problem with a suggestion.

    Returns
    -------
    int
        0 if the params match the schema and every key ``dvc.yaml`` lists exists, else 1.
    """
    try:
        params = load_params()
        missing_inputs(params)
        if DVC_FILE.exists():
            raw = read_yaml(PARAMS_FILE.read_text(encoding="utf-8"))
            problems = missing_listed_keys(raw)
            if problems:
                raise ParamsError(f"{PARAMS_FILE} lacks keys of dvc.yaml:\n" + "\n".join(problems))
    except StageError as exc:
        print(f"error: params: {exc}", file=sys.stderr)
        return 1
    print(f"params: {PARAMS_FILE} matches the schema and every key dvc.yaml lists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
