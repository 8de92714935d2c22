"""Shared fixtures: a throw-away copy of the project with its own tracking store."""

import shutil
from pathlib import Path

import pytest
import yaml

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
