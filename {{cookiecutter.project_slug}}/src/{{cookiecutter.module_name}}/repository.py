"""``init-repo``: put the project under git and DVC, track the raw table, make the first commit.

The bake runs it when git and DVC are installed where cookiecutter runs; otherwise it is
the step after ``pip install -e ".[dev]"``. Each step is skipped when already done, so
running it again is safe.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from .config import Params
from .errors import StageError

FIRST_COMMIT = "Start from the baseline-first template"
#: Used for the first commit only when git has no identity configured.
FALLBACK_EMAIL = "author@example.com"


def _tool(name: str, install: str) -> str:
    """Full path of a command: on PATH, or beside this Python (an unactivated venv)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=path)
    if found is None:
        raise StageError(f"`{name}` is not installed: {install}, then run init-repo again")
    return found


def _run(*command: str) -> str:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        name = Path(command[0]).name
        said = (done.stderr.strip() + "\n" + done.stdout.strip()).strip() or "no message"
        raise StageError(f"`{name} {' '.join(command[1:])}` failed: {said}")
    return done.stdout.strip()


def _author() -> str:
    """The first author in pyproject.toml, for a first commit made without a git identity."""
    try:
        project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
        return str(project["authors"][0]["name"])
    except (OSError, KeyError, IndexError, tomllib.TOMLDecodeError):
        return "baseline-first"


def init_repository(params: Params, *, remote: str | None = None) -> list[str]:
    """Set up git and DVC in the project root, as the template's bake does.

    Inside another git repository (a monorepo) that does not ignore the project, DVC is
    initialised with ``--subdir`` and nothing is committed: that repository and its history
    are the user's.

    Parameters
    ----------
    params : Params
        ``data.path`` is the raw table that DVC tracks.
    remote : str, default=None
        URL or absolute folder of the default DVC remote (``dvc remote add -d storage``).

    Returns
    -------
    list of str
        What was done, one line per step (empty when everything was in place).

    Raises
    ------
    StageError
        If git or DVC is not installed, the raw table is missing, or a command fails;
        the message names the command and what to install or fix.
    """
    git = _tool("git", "install git (your system's package manager)")
    dvc = _tool("dvc", 'install the project: pip install -e ".[dev]"')
    table = params.data.path
    if not table.is_file():
        raise StageError(f"{table}: file not found; set data.path in params.yaml")
    done = []
    top = subprocess.run([git, "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    enclosing = top.stdout.strip() if top.returncode == 0 else ""
    # A folder that the enclosing repository ignores (a demo, a scratch bake) gets its own.
    ignored = subprocess.run([git, "check-ignore", "-q", "."], capture_output=True).returncode == 0
    nested = bool(enclosing) and Path(enclosing) != Path.cwd().resolve() and not ignored
    if not nested and not Path(".git").exists():
        _run(git, "init", "--quiet", "--initial-branch=main")
        done.append("git init (branch main)")
    if not Path(".dvc").exists():
        _run(dvc, "init", "--quiet", *(["--subdir"] if nested else []))
        _run(dvc, "config", "core.analytics", "false")
        _run(dvc, "config", "core.autostage", "true")
        done.append("dvc init (analytics off, autostage on)")
    if remote and "://" not in remote:
        remote = str(Path(remote).expanduser().resolve())
    if remote and "storage" not in _run(dvc, "remote", "list").split():
        _run(dvc, "remote", "add", "--default", "storage", remote)
        done.append(f"dvc remote add --default storage {remote}")
    if not Path(f"{table}.dvc").exists():
        _run(dvc, "add", "--quiet", str(table))
        done.append(f"dvc add {table}")
    has_commit = subprocess.run([git, "rev-parse", "--verify", "-q", "HEAD"], capture_output=True)
    if nested:
        done.append(f"inside the git repository {enclosing}: commit there yourself")
    elif has_commit.returncode != 0:
        identity, author = [], ""
        if subprocess.run([git, "config", "user.email"], capture_output=True).returncode != 0:
            identity = ["-c", f"user.name={_author()}", "-c", f"user.email={FALLBACK_EMAIL}"]
            author = (
                f" as {_author()} <{FALLBACK_EMAIL}>, since git has no identity here; set yours"
                " with git config --global user.name/user.email before your next commit"
            )
        _run(git, "add", "--all")
        _run(git, *identity, "commit", "--quiet", "-m", FIRST_COMMIT)
        done.append(f"git commit: {FIRST_COMMIT!r}{author}")
    return done


def run(params: Params, *, remote: str | None = None) -> list[str]:
    """``python -m <package> init-repo``: :func:`init_repository`, then print what it did."""
    done = init_repository(params, remote=remote)
    for step in done:
        print(f"init-repo: {step}")
    if not done:
        print("init-repo: git and DVC were already set up; nothing to do")
    return done
