"""Reject unusable answers before anything is generated; each message states the rule."""

import keyword
import os
import re
import sys
from pathlib import Path

slug = "{{ cookiecutter.project_slug }}"
module = "{{ cookiecutter.module_name }}"
data_source = "{{ cookiecutter.data_source }}"
csv_path = r"""{{ cookiecutter.csv_path }}""".strip()
target = "{{ cookiecutter.target_column }}".strip()
tracking_uri = "{{ cookiecutter.mlflow_tracking_uri }}"
dvc_remote = r"""{{ cookiecutter.dvc_remote }}""".strip()
init = "{{ cookiecutter.init_git_and_dvc }}" == "True"


def suggest(name: str, sep: str) -> str:
    """Turn any name into a valid slug (sep='-') or module name (sep='_')."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    text = sep.join(words) or "project"
    if text[0].isdigit():
        text = f"project{sep}{text}"
    return f"{text}{sep}project" if keyword.iskeyword(text) else text


problems = []
if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", slug):
    problems.append(
        f"project_slug {slug!r}: use lowercase letters, digits and single hyphens, starting "
        f"with a letter (for example {suggest(slug, '-')!r})"
    )
if not re.fullmatch(r"[a-z][a-z0-9_]*", module) or keyword.iskeyword(module):
    problems.append(
        f"module_name {module!r}: use lowercase letters, digits and underscores, starting with "
        f"a letter, not a Python keyword and no hyphen (for example {suggest(module, '_')!r})"
    )
if data_source == "own_csv":
    # Relative paths are relative to where cookiecutter was started (the shell's PWD).
    source = Path(os.environ.get("PWD", "."), Path(csv_path).expanduser()) if csv_path else None
    if source is None or not source.is_file():
        problems.append(
            f"csv_path {csv_path!r}: with data_source 'own_csv', give an existing CSV file"
        )
    elif source.suffix.lower() != ".csv":
        problems.append(f"csv_path {csv_path!r}: the file name must end in .csv")
    if not target:
        problems.append("target_column: with data_source 'own_csv', name the column to predict")
elif csv_path or target:
    problems.append(
        "csv_path/target_column are only for data_source 'own_csv'; leave them empty to use "
        "the bundled sample table, or choose 'own_csv'"
    )
if not re.match(r"(sqlite:///|https?://|databricks)", tracking_uri):
    problems.append(
        f"mlflow_tracking_uri {tracking_uri!r}: use sqlite:///<file>.db (local) or the "
        "http(s):// address of an mlflow server"
    )
if dvc_remote and not init:
    problems.append(
        f"dvc_remote {dvc_remote!r}: needs init_git_and_dvc (a remote is DVC configuration); "
        "answer yes there, or leave dvc_remote empty and run `dvc remote add -d` later"
    )

if problems:
    print("Cannot generate the project:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
