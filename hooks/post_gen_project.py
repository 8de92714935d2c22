"""Prune the files of options not chosen; copy the user's CSV; record the template;
initialise git and DVC."""

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLES = ("breast_cancer", "wine", "diabetes")
DATA_FILE = "{{ cookiecutter.__data_file }}"
OWN_CSV = "{{ cookiecutter.data_source }}" == "own_csv"
INIT = "{{ cookiecutter.init_git_and_dvc }}" == "True"
DEEP = "{{ cookiecutter.include_deep_stage }}" == "True"
GITHUB = "{{ cookiecutter.github_actions }}" == "True"
# cruft renders the template into a scratch folder to compute an update: files only there.
REPO_DIR = r"""{{ cookiecutter._repo_dir | default("") }}"""
MODULE = "{{ cookiecutter.module_name }}"
REMOTE = r"""{{ cookiecutter.dvc_remote }}""".strip()
PLUGINS = ("s3", "gs", "azure", "ssh")  # remote URL schemes, each a pyproject extra


def run(*command: str) -> None:
    """Run a command in the project, quietly; stop the bake with its output if it fails."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{done.stdout}{done.stderr}")


def prune() -> None:
    """Keep only the chosen table and its suite."""
    for name in SAMPLES:
        if f"{name}.csv" != DATA_FILE or OWN_CSV:
            Path("data/raw", f"{name}.csv").unlink()
            Path("expectations", f"{name}.json").unlink()
    if not GITHUB:
        shutil.rmtree(".github")
    if not DEEP:
        Path("src", MODULE, "stages", "deep.py").unlink()
        Path("tests", "test_deep.py").unlink()
    if OWN_CSV and REPO_DIR:
        answer = Path(r"""{{ cookiecutter.csv_path }}""".strip()).expanduser()
        shutil.copyfile(Path(os.environ.get("PWD", "."), answer), Path("data/raw", DATA_FILE))


def record_template() -> None:
    """Write .cruft.json (template, its git commit, the answers): `cruft update` then
    brings newer template versions into this project."""
    template = r"""{{ cookiecutter._template | default("") }}"""
    repo = Path(os.environ.get("PWD", "."), REPO_DIR).resolve()
    local = Path(os.environ.get("PWD", "."), template).expanduser().exists()
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True)
    record = {
        "template": str(repo) if local else template,
        "commit": commit.stdout.decode().strip() or None,
        "checkout": None,
        "context": {"cookiecutter": json.loads(r"""{{ cookiecutter | jsonify }}""")},
        "directory": None,
        "skip": ["data", "expectations"],
    }
    Path(".cruft.json").write_text(json.dumps(record, indent=2) + "\n")


def init_repositories() -> None:
    """git init, dvc init (with the default remote, if given), dvc add of the raw table,
    first commit."""
    run("git", "init", "--quiet", "--initial-branch=main")
    run("dvc", "init", "--quiet")
    run("dvc", "config", "core.analytics", "false")
    run("dvc", "config", "core.autostage", "true")
    if REMOTE:
        # A folder is resolved from where cookiecutter was started; URLs stay as given.
        url = (
            REMOTE
            if "://" in REMOTE
            else str(Path(os.environ.get("PWD", "."), Path(REMOTE).expanduser()).resolve())
        )
        run("dvc", "remote", "add", "--default", "storage", url)
    run("dvc", "add", "--quiet", f"data/raw/{DATA_FILE}")
    run("git", "add", "--all")
    identity = []
    if subprocess.run(["git", "config", "user.email"], capture_output=True).returncode != 0:
        identity = [
            "-c",
            "user.name={{ cookiecutter.author_name }}",
            "-c",
            "user.email=author@example.com",
        ]
    run(
        "git",
        *identity,
        "commit",
        "--quiet",
        "-m",
        "Start from the baseline-first template",
    )


def draft_suite() -> bool:
    """Draft the expectation suite of the user's CSV with the project's own init-suite.

    A CSV that cannot be drafted as configured (another separator or encoding, a wrong
    target name) keeps the project: the message says which params.yaml setting to change.
    """
    sys.path.insert(0, "src")
    try:
        config = importlib.import_module(f"{MODULE}.config")
        suite = importlib.import_module(f"{MODULE}.suite")
    except ImportError:
        return False
    try:
        suite.run(config.load_params())
    except Exception as error:  # a StageError: its message names the column and setting
        print(f"Could not draft the expectation suite of {DATA_FILE}: {error}")
        return False
    return True


prune()
if not REPO_DIR:
    sys.exit(0)
record_template()
drafted = draft_suite() if OWN_CSV else True
if INIT:
    init_repositories()
plugin = next((scheme for scheme in PLUGINS if REMOTE.startswith(f"{scheme}://")), None)
steps = [
    "cd {{ cookiecutter.project_slug }}",
    'pip install -e ".[dev,deep]"' if DEEP else 'pip install -e ".[dev]"',
    f'pip install -e ".[{plugin}]"  # DVC plug-in for the remote' if plugin else "",
    "review expectations/ (the drafted suite), then commit it" if OWN_CSV and drafted else "",
    "" if drafted else f"fix params.yaml, then: python -m {MODULE} init-suite",
    "dvc repro" if INIT else "git init && dvc init && dvc repro",
    "dvc push  # data and models to the remote" if REMOTE else "",
    "mlflow ui --backend-store-uri sqlite:///mlflow.db"
    if "{{ cookiecutter.mlflow_tracking_uri }}".startswith("sqlite")
    else "open {{ cookiecutter.mlflow_tracking_uri }} (the tracking server)",
]
print("Project ready. Next:\n  " + "\n  ".join(step for step in steps if step))
