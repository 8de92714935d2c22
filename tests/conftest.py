"""Fixtures for baking the template (pytest-cookies) and running baked projects for real."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
TABLES = {"binary": "breast_cancer", "multiclass": "wine", "regression": "diabetes"}
TARGETS = {
    "binary": "diagnosis",
    "multiclass": "cultivar",
    "regression": "disease_progression",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="skip the tests that run baked pipelines for real",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--fast"):
        skip = pytest.mark.skip(reason="--fast: pipeline runs skipped")
        for item in items:
            if "pipeline" in item.keywords:
                item.add_marker(skip)


def _torch_blocker() -> Path:
    """A folder whose ``torch`` package refuses to import, to prove a project needs no torch."""
    folder = Path(tempfile.mkdtemp(prefix="no-torch-"))
    (folder / "torch").mkdir()
    (folder / "torch" / "__init__.py").write_text(
        "raise ImportError('torch is blocked: this project was baked without the deep stage')\n"
    )
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


TORCH_BLOCKER = _torch_blocker()


def project_env(project: Path) -> dict[str, str]:
    """Environment for commands run inside a baked project (its package importable).

    A project baked without the deep stage runs with torch made unimportable.
    """
    path = [str(project / "src")]
    if not list(project.glob("src/*/stages/deep.py")):
        path.insert(0, str(TORCH_BLOCKER))
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_TRACKING_URI": "",
    }


def bake_csv(cookies, csv: Path, target: str, task: str, **context) -> Path:
    """Bake ``csv`` as the user's own table (git and DVC set up), predicting ``target``."""
    return bake(
        cookies,
        task=task,
        data_source="own_csv",
        csv_path=str(csv),
        target_column=target,
        init_git_and_dvc=True,
        **context,
    )


def run_in(project: Path, *command: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command in a baked project; fail the test with its output if ``check`` fails."""
    if command[0] == "python":
        command = (sys.executable, *command[1:])
    done = subprocess.run(
        command, cwd=project, env=project_env(project), capture_output=True, text=True
    )
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def bake(cookies, **context: object) -> Path:
    """Bake the template with ``context``; fail with the hook's error if baking fails."""
    result = cookies.bake(extra_context=context)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def holdout(project: Path) -> Path:
    """Score by one holdout split whatever the table's size (``split.resample_below_rows: 0``).

    For tests about something else than how small tables are evaluated: the nested
    resampling of tables under 1,000 rows (the bundled ones too) costs several times the
    holdout. Committed in a project with git, so its tree stays clean.
    """
    params = project / "params.yaml"
    text = params.read_text()
    assert "  resample_below_rows: 1000\n" in text
    params.write_text(text.replace("  resample_below_rows: 1000\n", "  resample_below_rows: 0\n"))
    if (project / ".git").exists():
        identity = ("-c", "user.name=t", "-c", "user.email=t@t")
        run_in(project, "git", *identity, "commit", "-qam", "Tests: evaluate by a holdout split")
    return project


def venv_on_top(folder: Path) -> Path:
    """A new virtual environment that sees this test venv's packages (a ``.pth`` file) and
    installs into its own prefix; nothing comes from the machine's base Python.

    Returns the new environment's ``python``.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", folder], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix)]
    Path(purelib, "test-venv.pth").write_text("\n".join(ours) + "\n")
    return python
