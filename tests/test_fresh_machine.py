"""The README's commands as a new user runs them: a clean clone, a PATH with Python, make and
git only (no DVC, no activated venv, no git identity), and nothing installed beforehand."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEMPLATE

pytestmark = pytest.mark.pipeline


def user_env(tmp: Path) -> dict[str, str]:
    """A user's shell: Python 3.11+, make and git on PATH, nothing else of ours."""
    tools = tmp / "user-bin"
    tools.mkdir()
    for name, target in {
        "python3": sys._base_executable,  # the interpreter this venv was made from
        "make": shutil.which("make"),
        "git": shutil.which("git"),
    }.items():
        (tools / name).symlink_to(target)
    path = os.pathsep.join([str(tools), "/usr/bin", "/bin"])
    for absent in ("dvc", "cookiecutter", "mlflow"):
        assert shutil.which(absent, path=path) is None, f"{absent} is on the user's PATH"
    no_identity = tmp / "gitconfig"
    no_identity.write_text("")
    keep = ("HOME", "LANG", "TMPDIR", "PIP_CACHE_DIR", "PIP_INDEX_URL", "PIP_FIND_LINKS")
    return {
        **{key: os.environ[key] for key in keep if key in os.environ},
        "PATH": path,
        "GIT_CONFIG_GLOBAL": str(no_identity),
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }


def clean_clone(tmp: Path) -> Path:
    """The template as a clone of its repository holds it: tracked and new files, no venv."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    clone = tmp / "baseline-first"
    for name in filter(None, listed):
        if (TEMPLATE / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / name, clone / name)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(clone)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], check=True)
    return clone


def runs_by_name(database: Path) -> dict[str, str]:
    """Run name to status, read from an MLflow sqlite tracking store."""
    with sqlite3.connect(database) as connection:
        return dict(connection.execute("select name, status from runs").fetchall())


def test_make_demo_runs_on_a_fresh_clone_with_no_dvc_on_path(tmp_path):
    clone = clean_clone(tmp_path)
    env = user_env(tmp_path)
    done = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1].strip() == f". {clone / '.venv/bin/activate'} && cd demo/tabular-baseline"
    project = clone / "demo/tabular-baseline"
    assert {"validate", "split", "baseline", "compare"} <= set(runs_by_name(project / "mlflow.db"))

    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True)
    assert log.stdout.splitlines() == [
        "First results of dvc repro",
        "Start from the baseline-first template",
    ]
    committed = subprocess.run(
        ["git", "ls-files"], cwd=project, capture_output=True, text=True
    ).stdout.split()
    assert "dvc.lock" in committed and any(name.endswith("metrics.json") for name in committed)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=project, capture_output=True)
    assert status.stdout == b""

    # The committed results are a reference: the gate compares with main, as the demo said.
    tools = {**env, "PATH": f"{clone / '.venv/bin'}{os.pathsep}{env['PATH']}"}
    gate = subprocess.run(
        ["python", "-m", "tabular_baseline", "check"],
        cwd=project,
        env=tools,
        capture_output=True,
        text=True,
    )
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "pass" in gate.stdout
    shown = subprocess.run(
        ["dvc", "exp", "show", "--csv"], cwd=project, env=tools, capture_output=True, text=True
    )
    rows = csv.DictReader(io.StringIO(shown.stdout))
    main_row = next(row for row in rows if row["rev"] == "main")  # committed by the demo
    assert main_row["champion"] and "!" not in main_row.values()
    assert float(main_row[main_row["champion"]]) > float(main_row["dummy"])


def readme_block(heading: str) -> str:
    """The first ``bash`` code block after a README heading."""
    text = (TEMPLATE / "README.md").read_text()
    section = text[text.index(heading) :]
    return re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_use_it_block_runs_verbatim_in_a_fresh_venv(tmp_path):
    clone = clean_clone(tmp_path)
    block = readme_block("## Use it").replace("path/to/baseline-first", str(clone))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        ["bash", "-e", "-c", block],
        cwd=work,
        env=user_env(tmp_path),
        input="\n" * 40,  # Enter at every prompt: the defaults
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    # The bake had no DVC, said so, and printed the step that the block then ran.
    assert "Baked without setting up git and DVC" in done.stdout
    assert "python -m tabular_baseline init-repo" in done.stdout
    assert "init-repo: dvc add data/raw/breast_cancer.csv" in done.stdout
    project = work / "tabular-baseline"
    runs = runs_by_name(project / "mlflow.db")
    assert {runs[name] for name in ("validate", "split", "baseline", "compare")} == {"FINISHED"}
    ignored = subprocess.run(["git", "check-ignore", "data/raw/breast_cancer.csv"], cwd=project)
    assert ignored.returncode == 0, "the raw table is tracked by DVC, not git"
