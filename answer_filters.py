"""Jinja filters for the answers given at the prompts (cookiecutter local extension).

The answers are checked while cookiecutter renders them (``__answers_checked``, the last
variable of cookiecutter.json), so a refused answer ends the bake with its rule and a
valid suggestion as the last thing printed, before any file is written. The answers are
read as data here and reach generated files only through escaping filters.
"""

from __future__ import annotations

import html
import importlib.util
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

from jinja2.ext import Extension

SAMPLE_TABLES = ("breast_cancer.csv", "wine.csv", "diabetes.csv")
#: The rules shared with the generated project (standard library only).
TARGETS = Path(__file__).parent / "{{cookiecutter.project_slug}}/src/{{cookiecutter.module_name}}"
#: Characters that start Markdown markup anywhere in a line, and at the start of one.
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]|~])")
MARKDOWN_LINE_START = re.compile(r"^(\s*|\s*\d+)([#+\->=]|(?<=\d)[.)])")


def suggest(name: str, sep: str) -> str:
    """Turn any name into a valid slug (``sep='-'``) or module name (``sep='_'``)."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    text = sep.join(words) or "project"
    if text[0].isdigit():
        text = f"project{sep}{text}"
    return f"{text}{sep}project" if keyword.iskeyword(text) else text


def absolute_path(path: str) -> str:
    """An answered path made absolute from where cookiecutter was started ("" stays "")."""
    path = path.strip()
    return str(Path(path).expanduser().resolve()) if path else ""


def quoted(text: str) -> str:
    """Escape an answer for the inside of a double-quoted TOML, YAML or JSON string.

    The template writes the quotes itself (``name = "{{ x | quoted }}"``), so the
    unrendered file still parses.
    """
    return json.dumps(str(text))[1:-1]


def markdown(text: str) -> str:
    """Escape an answer for Markdown: no HTML, links or emphasis can come from it."""
    text = MARKDOWN_INLINE.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))
    return MARKDOWN_LINE_START.sub(r"\1\\\2", text)


def _target_rules() -> Any:
    spec = importlib.util.spec_from_file_location("targets", TARGETS / "targets.py")
    if spec is None or spec.loader is None or not Path(spec.origin or "").is_file():
        return None
    module = importlib.util.module_from_spec(spec)
    writes_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:  # no __pycache__ inside the template: bakes would copy it
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def _csv_problems(answers: dict[str, Any]) -> list[str]:
    csv_path = str(answers["csv_path"]).strip()
    target = str(answers["target_column"]).strip()
    problems = []
    source = Path(csv_path).expanduser() if csv_path else None
    name = source.name if source else ""
    if source is not None and not source.is_file() and Path(".cruft.json").is_file():
        return []  # `cruft update` re-renders this project: its CSV is already in data/raw/
    if source is None or not source.is_file():
        problems.append(
            f"csv_path {csv_path!r}: with data_source 'own_csv', give the path of an existing "
            "CSV file (relative to this folder, or absolute)"
        )
    elif source.suffix.lower() != ".csv":
        problems.append(f"csv_path {csv_path!r}: the file name must end in .csv")
    elif name in SAMPLE_TABLES:
        problems.append(f"csv_path {csv_path!r}: rename the file; {name} is a bundled table")
    if not target:
        problems.append("target_column: with data_source 'own_csv', name the column to predict")
    elif not problems and (rules := _target_rules()) is not None:
        problems += rules.check_csv_target(source, target, str(answers["task"]))
    return problems


def answer_problems(answers: dict[str, Any]) -> list[str]:
    """Every rule the answers break, each with the rule and a valid suggestion.

    Parameters
    ----------
    answers : dict
        The cookiecutter context rendered so far (prompt name to answer).

    Returns
    -------
    list of str
        Empty when the answers can be baked.
    """
    slug, module = str(answers["project_slug"]), str(answers["module_name"])
    tracking_uri = str(answers["mlflow_tracking_uri"]).strip()
    problems = []
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", slug):
        problems.append(
            f"project_slug {slug!r}: use lowercase letters, digits and single hyphens, starting "
            f"with a letter (for example {suggest(slug, '-')!r})"
        )
    if not re.fullmatch(r"[a-z][a-z0-9_]*", module) or keyword.iskeyword(module):
        problems.append(
            f"module_name {module!r}: use lowercase letters, digits and underscores, starting "
            f"with a letter, not a Python keyword and no hyphen (for example "
            f"{suggest(module, '_')!r})"
        )
    if answers["data_source"] == "own_csv":
        problems += _csv_problems(answers)
    elif str(answers["csv_path"]).strip() or str(answers["target_column"]).strip():
        problems.append(
            "csv_path/target_column are only for data_source 'own_csv'; leave them empty to use "
            "the bundled sample table, or choose 'own_csv'"
        )
    if not re.match(r"(sqlite:///[^\s]+|https?://[^\s]+|databricks)$", tracking_uri):
        problems.append(
            f"mlflow_tracking_uri {tracking_uri!r}: use sqlite:///<file>.db (local) or the "
            "http(s):// address of an mlflow server"
        )
    remote = str(answers["dvc_remote"]).strip()
    if remote and not _yes(answers["init_git_and_dvc"]):
        problems.append(
            f"dvc_remote {remote!r}: needs init_git_and_dvc (a remote is DVC configuration); "
            "answer yes there, or leave dvc_remote empty and run `dvc remote add -d` later"
        )
    return problems


def _yes(answer: object) -> bool:
    return answer is True or str(answer).strip().lower() in {"true", "yes", "y", "1", "on"}


def check_answers(answers: dict[str, Any]) -> str:
    """Stop the bake with every broken rule (exit status 1), or return ``"yes"``."""
    problems = answer_problems(answers)
    if problems:
        print("Cannot generate the project:\n  " + "\n  ".join(problems), file=sys.stderr)
        raise SystemExit(1)
    return "yes"


class AnswerFilters(Extension):
    """Registers ``check_answers``, ``absolute_path``, ``markdown`` and ``quoted``."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.filters.update(
            check_answers=check_answers,
            absolute_path=absolute_path,
            markdown=markdown,
            quoted=quoted,
        )
