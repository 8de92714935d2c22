"""Prune the files of options not chosen; copy the user's CSV; record the template; set up
git and DVC with the project's own commands when this Python has what they need, else print
the exact commands that finish the setup. The answers are read as data, never as code."""

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ANSWERS = json.loads({{cookiecutter | tojson | tojson}})  # noqa: F821 (rendered: a JSON string)
SAMPLES = ("breast_cancer", "wine", "diabetes")
DATA_FILE = ANSWERS["__data_file"]
OWN_CSV = ANSWERS["data_source"] == "own_csv"
MODULE = ANSWERS["module_name"]
REMOTE = ANSWERS["__remote_url"]
PLUGINS = ("s3", "gs", "azure", "ssh")  # remote URL schemes, each a pyproject extra
# Absolute paths of the machine that baked: not part of the answers to record.
LOCAL = {"__bake_dir", "__csv_file", "_output_dir", "_repo_dir"}
# cruft renders the template into a scratch folder to compute an update: files only there.
UPDATING = "_repo_dir" not in ANSWERS
# Tools installed beside the Python running cookiecutter count even when not on PATH.
PATH = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def yes(name: str) -> bool:
    """A yes/no answer (a bool, or its text when given on the command line)."""
    return str(ANSWERS[name]).strip().lower() in {"true", "yes", "y", "1", "on"}


def prune() -> None:
    """Keep only the chosen table and its suite; copy the user's CSV."""
    for name in SAMPLES:
        if f"{name}.csv" != DATA_FILE or OWN_CSV:
            Path("data/raw", f"{name}.csv").unlink()
            Path("expectations", f"{name}.json").unlink()
    if not yes("github_actions"):
        shutil.rmtree(".github")
    if not yes("include_deep_stage"):
        Path("src", MODULE, "stages", "deep.py").unlink()
        Path("tests", "test_deep.py").unlink()
    if OWN_CSV and not UPDATING:
        shutil.copyfile(ANSWERS["__csv_file"], Path("data/raw", DATA_FILE))


def record_template() -> None:
    """Write .cruft.json (template, its git commit, the answers): `cruft update` then
    brings newer template versions into this project."""
    template = ANSWERS.get("_template", "")
    started = Path(ANSWERS["__bake_dir"])  # where cookiecutter was started
    repo = (started / ANSWERS["_repo_dir"]).resolve()
    local = (started / Path(template).expanduser()).exists()
    git = shutil.which("git", path=PATH)
    head = ["rev-parse", "HEAD"]
    commit = (
        subprocess.run([git, "-C", repo, *head], capture_output=True, text=True) if git else None
    )
    record = {
        "template": str(repo) if local else template,
        "commit": (commit.stdout.strip() if commit else "") or None,
        "checkout": None,
        "context": {"cookiecutter": {k: v for k, v in ANSWERS.items() if k not in LOCAL}},
        "directory": None,
        "skip": ["data", "expectations"],
    }
    Path(".cruft.json").write_text(json.dumps(record, indent=2) + "\n")


def project_command(*args: str) -> str | None:
    """Run ``python -m <module> <args>`` in the project and show its output.

    Returns None on success, else its error message (repeated at the end of the bake).
    """
    env = {**os.environ, "PATH": PATH, "PYTHONPATH": "src", "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", MODULE, *args], env=env, capture_output=True, text=True
    )
    print(done.stdout, end="")
    print(done.stderr, end="", file=sys.stderr)
    return None if done.returncode == 0 else done.stderr.strip() or f"{args[0]} failed"


def can_run_project() -> bool:
    """This Python has the project's own dependencies, and git and DVC are at hand."""
    needed = ("pandas", "pydantic", "yaml", "sklearn")
    tools = ("git", "dvc") if yes("init_git_and_dvc") else ()
    return all(importlib.util.find_spec(name) for name in needed) and all(
        shutil.which(tool, path=PATH) for tool in tools
    )


def next_steps(drafted: bool, initialised: bool) -> list[str]:
    """The exact commands that finish the setup and run the pipeline."""
    extras = "dev,deep" if yes("include_deep_stage") else "dev"
    plugin = next((scheme for scheme in PLUGINS if REMOTE.startswith(f"{scheme}://")), None)
    if plugin:
        extras += f",{plugin}"
    init = f"python -m {MODULE} init-repo" + (f" --remote {shlex.quote(REMOTE)}" if REMOTE else "")
    steps = [f"cd {ANSWERS['project_slug']}", f'pip install -e ".[{extras}]"']
    if OWN_CSV and not drafted:
        steps.append(f"python -m {MODULE} init-suite   # drafts expectations/, then review it")
    if not initialised:
        steps.append(f"{init}   # git init, dvc init, dvc add of the raw table, first commit")
    steps.append("dvc repro")
    if REMOTE:
        steps.append("dvc push  # data and models to the remote")
    uri = ANSWERS["mlflow_tracking_uri"]
    steps.append(
        "mlflow ui --backend-store-uri sqlite:///mlflow.db"
        if uri.startswith("sqlite")
        else f"open {uri} (the tracking server)"
    )
    return steps


def main() -> None:
    """Prune, record, set up what this environment allows, print what is left to do."""
    prune()
    if UPDATING:
        return
    record_template()
    drafted = initialised = False
    errors: list[str | None] = []
    if can_run_project():
        draft_error = project_command("init-suite") if OWN_CSV else None
        drafted = not OWN_CSV or Path("expectations", f"{Path(DATA_FILE).stem}.json").exists()
        init_error = None
        if yes("init_git_and_dvc"):
            init_error = project_command("init-repo", *(["--remote", REMOTE] if REMOTE else []))
            initialised = init_error is None
        errors = [draft_error, init_error]
    elif OWN_CSV or yes("init_git_and_dvc"):
        skipped = ["drafting the expectation suite"] if OWN_CSV else []
        skipped += ["setting up git and DVC"] if yes("init_git_and_dvc") else []
        missing = "git" if not shutil.which("git", path=PATH) else "DVC or the project's packages"
        print(f"Baked without {' and '.join(skipped)}: {missing} not installed here.")
    for error in filter(None, errors):
        print(f"Fix this first, then run the command below again:\n  {error}")
    print("Project ready. Next:\n  " + "\n  ".join(next_steps(drafted, initialised)))


main()
