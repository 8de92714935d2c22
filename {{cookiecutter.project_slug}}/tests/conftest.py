"""Shared fixtures: a throw-away copy of the project with its own tracking store."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.module_name }}.config import load_params

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy params.yaml, the raw data and the suites to ``tmp_path`` and work there."""
    shutil.copy(PROJECT / "params.yaml", tmp_path / "params.yaml")
    shutil.copytree(PROJECT / "data" / "raw", tmp_path / "data" / "raw")
    shutil.copytree(PROJECT / "expectations", tmp_path / "expectations")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def edit_params(path: Path, **changes: object) -> None:
    """Set dotted keys (``section__key=value``) in a params file; ``None`` deletes the key."""
    params = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        section = params
        for parent in parents:
            section = section[parent]
        if value is None:
            del section[key]
        else:
            section[key] = value
    path.write_text(yaml.safe_dump(params))


def use_table(project: Path, frame: pd.DataFrame, name: str = "bad.csv") -> None:
    """Write ``frame`` with the raw table's CSV settings and point ``data.path`` at it."""
    data = load_params().data
    frame.to_csv(
        project / name, index=False, sep=data.sep, decimal=data.decimal, encoding=data.encoding
    )
    edit_params(project / "params.yaml", data__path=name)


def a_constrained_column(frame: pd.DataFrame) -> str:
    """A numeric column the models use (the suite gives it a type and range), else the target."""
    data = load_params().data
    used = [c for c in frame.columns if c not in data.drop_columns and c != data.target]
    numeric = [c for c in used if pd.api.types.is_numeric_dtype(frame[c])]
    return numeric[0] if numeric else data.target
