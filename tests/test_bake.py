"""Baking: the exact file set for every option combination, hooks, and generated code quality."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import TABLES, TARGETS, TEMPLATE, bake, run_in

sys.path.insert(0, str(TEMPLATE))
from answer_filters import markdown

PROMPTS = json.loads((TEMPLATE / "cookiecutter.json").read_text())
COMBINATIONS = list(itertools.product(PROMPTS["task"], [True, False], [True, False]))
MODULE_FILES = [
    "__init__.py",
    "__main__.py",
    "batch.py",
    "candidates.py",
    "champion.py",
    "check.py",
    "checks.py",
    "config.py",
    "data.py",
    "degenerate.py",
    "drift.py",
    "errors.py",
    "evaluation.py",
    "explain.py",
    "explain_plots.py",
    "explanations.py",
    "features.py",
    "groups.py",
    "imbalance.py",
    "leakage.py",
    "metrics.py",
    "model_card.py",
    "outputs.py",
    "params_check.py",
    "params_file.py",
    "paths.py",
    "plots.py",
    "predict.py",
    "report.py",
    "repository.py",
    "run_records.py",
    "stats.py",
    "suite.py",
    "targets.py",
    "tracking.py",
    "validation_report.py",
    "stages/__init__.py",
    "stages/baseline.py",
    "stages/compare.py",
    "stages/split.py",
    "stages/validate.py",
    "templates/report.html.jinja",
]
TEST_FILES = [
    "conftest.py",
    "test_config.py",
    "test_champion.py",
    "test_checks.py",
    "test_degenerate.py",
    "test_drift.py",
    "test_explain.py",
    "test_features.py",
    "test_groups.py",
    "test_imbalance.py",
    "test_imports.py",
    "test_leakage.py",
    "test_pipeline.py",
    "test_small_tables.py",
    "test_stages.py",
    "test_stats.py",
    "test_targets.py",
    "test_tracking.py",
]


def expected_files(task: str, deep: bool, git: bool, module: str = "tabular_baseline") -> set[str]:
    """The files a bake must contain (``.git/`` excluded), written out by hand."""
    table = TABLES[task]
    files = {
        ".cruft.json",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".github/workflows/ci.yml",
        "README.md",
        "dvc.yaml",
        "params.yaml",
        "pyproject.toml",
        f"data/raw/{table}.csv",
        f"expectations/{table}.json",
        *(f"src/{module}/{name}" for name in MODULE_FILES),
        *(f"tests/{name}" for name in TEST_FILES),
    }
    if deep:
        files |= {f"src/{module}/stages/deep.py", "tests/test_deep.py"}
    if git:
        files |= {
            ".dvcignore",
            ".dvc/.gitignore",
            ".dvc/config",
            f"data/raw/{table}.csv.dvc",
            "data/raw/.gitignore",
        }
    return files


def baked_files(project: Path) -> set[str]:
    """Files of a bake, without git's and DVC's internal stores."""
    files = {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}
    return {
        name
        for name in files
        if not name.startswith((".git/", ".dvc/cache/", ".dvc/tmp/")) and "__pycache__" not in name
    }


def combo_id(combo: tuple[str, bool, bool]) -> str:
    task, deep, git = combo
    return f"{task}-{'deep' if deep else 'nodeep'}-{'git' if git else 'nogit'}"


@pytest.mark.parametrize("combo", COMBINATIONS, ids=[combo_id(c) for c in COMBINATIONS])
def test_bake_has_exactly_the_expected_files_and_clean_code(cookies, combo):
    task, deep, git = combo
    project = bake(cookies, task=task, include_deep_stage=deep, init_git_and_dvc=git)
    assert baked_files(project) == expected_files(task, deep, git)
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in {
            ".py",
            ".yaml",
            ".toml",
            ".md",
            ".json",
            ".cfg",
        }:
            text = path.read_text()
            assert not re.search(r"\{%|\{\{-? *cookiecutter|cookiecutter\.", text), (
                f"leftover Jinja in {path}"
            )
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "src", "tests"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert ruff.returncode == 0, ruff.stdout
    fmt = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "format",
            "--check",
            "--no-cache",
            "src",
            "tests",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["task"] == task
    assert params["data"]["target"] == TARGETS[task]
    assert (project / params["data"]["path"]).is_file()
    assert (project / params["validate"]["suite"]).is_file()
    pyproject = (project / "pyproject.toml").read_text()
    assert ("torch" in pyproject) is deep
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert list(stages) == [
        "params",
        "validate",
        "split",
        "baseline",
        *(["deep"] if deep else []),
        "compare",
    ]
    sources = " ".join(p.read_text() for p in (project / "src").rglob("*.py"))
    assert ("import torch" in sources) is deep
    if git:
        log = subprocess.run(
            ["git", "log", "--oneline"], cwd=project, capture_output=True, text=True
        )
        assert len(log.stdout.splitlines()) == 1
        ignored = subprocess.run(["git", "check-ignore", params["data"]["path"]], cwd=project)
        assert ignored.returncode == 0, "the raw table must be tracked by DVC, not git"
        assert "analytics = false" in (project / ".dvc/config").read_text()
    else:
        assert not (project / ".git").exists()


def test_every_param_listed_in_dvc_yaml_exists_in_params_yaml(cookies):
    for task in PROMPTS["task"]:
        project = bake(cookies, task=task, init_git_and_dvc=False)
        params = yaml.safe_load((project / "params.yaml").read_text())
        stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
        for name in ("baseline", "compare"):
            assert {"data.target", "data.task"} <= set(stages[name]["params"]), name
        for name, stage in stages.items():
            for key in stage.get("params", []):
                if not isinstance(key, str):
                    continue  # the params stage lists the whole file
                section = params
                for part in key.split("."):
                    assert part in section, f"{task}: stage {name} lists {key}, not in params.yaml"
                    section = section[part]


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"project_slug": "My Project"}, ["project_slug", "lowercase", "'my-project'"]),
        (
            {"project_slug": "9lives"},
            ["project_slug", "starting with a letter", "'project-9lives'"],
        ),
        (
            {"module_name": "class"},
            ["module_name", "Python keyword", "'class_project'"],
        ),
        ({"module_name": "my-module"}, ["module_name", "no hyphen", "'my_module'"]),
        ({"module_name": "MyModule"}, ["module_name", "lowercase", "'mymodule'"]),
        ({"data_source": "own_csv"}, ["csv_path", "existing CSV", "target_column"]),
        ({"csv_path": "x.csv"}, ["only for data_source 'own_csv'"]),
        ({"mlflow_tracking_uri": "mlruns"}, ["mlflow_tracking_uri", "sqlite:///"]),
        (
            {"dvc_remote": "/srv/dvc", "init_git_and_dvc": False},
            ["dvc_remote", "init_git_and_dvc", "dvc remote add -d"],
        ),
    ],
    ids=[
        "slug-spaces",
        "slug-digit",
        "module-keyword",
        "module-hyphen",
        "module-upper",
        "own-csv-without-path",
        "path-without-own-csv",
        "bad-tracking-uri",
        "remote-without-dvc",
    ],
)
def test_pre_gen_hook_rejects_bad_answers_with_the_rule(cookies, capfd, answers, words):
    result = cookies.bake(extra_context=answers)
    assert result.exit_code != 0
    message = capfd.readouterr().err
    for word in words:
        assert word in message


def test_a_dvc_remote_folder_becomes_the_default_remote_resolved_from_the_shell(
    cookies, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    project = bake(cookies, dvc_remote="shared/dvc-store")
    config = (project / ".dvc/config").read_text()
    assert "remote = storage" in config
    assert f"url = {tmp_path / 'shared/dvc-store'}" in config
    readme = (project / "README.md").read_text()
    assert "baked with a default\nremote, `storage`" in readme


def test_a_cloud_remote_names_its_dvc_plug_in_in_the_next_steps(cookies, capfd):
    project = bake(cookies, dvc_remote="s3://team-bucket/dvc")
    assert "url = s3://team-bucket/dvc" in (project / ".dvc/config").read_text()
    out = capfd.readouterr().out
    assert 'pip install -e ".[dev,s3]"' in out and "dvc push" in out
    assert '"dvc-s3"' in (project / "pyproject.toml").read_text()
    assert 'pip install -e ".[dev,s3]"' in (project / ".github/workflows/ci.yml").read_text()


@pytest.mark.pipeline
def test_own_csv_that_cannot_be_drafted_keeps_the_project_and_says_why(
    cookies, tmp_path, monkeypatch, capfd
):
    (tmp_path / "mine.csv").write_bytes("a,label\n1,caf\xe9\n2,y\n".encode("latin-1"))
    monkeypatch.chdir(tmp_path)
    project = bake(
        cookies,
        data_source="own_csv",
        csv_path="mine.csv",
        target_column="label",
        task="binary",
    )
    output = capfd.readouterr()
    assert "cannot be decoded as 'utf-8'" in output.err and "set data.encoding" in output.err
    assert "python -m tabular_baseline init-suite" in output.out
    assert "Traceback" not in output.out + output.err
    assert not list((project / "expectations").glob("*.json"))
    # Run anyway: the first stage names the missing suite and the command that drafts it.
    done = run_in(project, "dvc", "repro", check=False)
    assert done.returncode != 0
    assert "expectations/mine.json does not exist; draft it with" in done.stderr
    assert "python -m tabular_baseline init-suite" in done.stderr
    assert "No such file or directory" not in done.stderr


def test_own_csv_path_may_start_with_a_tilde(cookies, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mine.csv").write_text("a,label\n1,x\n2,y\n")
    project = bake(
        cookies,
        data_source="own_csv",
        csv_path="~/mine.csv",
        target_column="label",
        init_git_and_dvc=False,
    )
    assert (project / "data/raw/mine.csv").is_file()


def test_own_csv_is_copied_and_configured(cookies, tmp_path, monkeypatch):
    table = tmp_path / "houses.csv"
    table.write_text("rooms,city,price\n3,Oslo,300\n4,Bergen,410\n2,Oslo,250\n")
    monkeypatch.chdir(tmp_path)
    project = bake(
        cookies,
        task="regression",
        data_source="own_csv",
        csv_path="houses.csv",
        target_column="price",
        init_git_and_dvc=False,
    )
    assert (project / "data/raw/houses.csv").read_text() == table.read_text()
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["path"] == "data/raw/houses.csv"
    assert params["data"]["target"] == "price"
    assert params["validate"]["suite"] == "expectations/houses.json"
    suite = json.loads((project / "expectations/houses.json").read_text())
    columns = {e["kwargs"].get("column") for e in suite["expectations"]}
    assert {"rooms", "city", "price"} <= columns


PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
COOKIECUTTER = [sys.executable, "-m", "cookiecutter", "--no-input", "-o"]
PAYLOADS = [
    'Kenneth "Elf" Sternberg',
    'x";import pathlib;pathlib.Path("PWNED").touch();"',
    "'''; import os; os.system('touch PWNED') #",
    '""" \\ <b>bold</b> [link](javascript:alert(1)) *x* `y` # z: {a: b}',
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=["quotes", "double", "triple-single", "markup"])
def test_answers_are_data_in_every_generated_file(cookies, tmp_path, monkeypatch, payload):
    """Every free-text answer carries the payload; nothing runs, every file parses back."""
    monkeypatch.chdir(tmp_path)
    csv_name = "cust'o\"mers #1.csv"
    rows = [f"{i % 7},{'yes' if i % 3 else 'no'},{i % 5}" for i in range(60)]
    (tmp_path / csv_name).write_text("\n".join(["rooms,churned,visits", *rows]) + "\n")
    uri = f"sqlite:///{payload.replace(' ', '_')}.db"
    project = bake(
        cookies,
        project_name=payload,
        project_slug="quoted-project",
        module_name="quoted_project",
        author_name=payload,
        description=payload,
        data_source="own_csv",
        csv_path=csv_name,
        target_column="churned",
        mlflow_tracking_uri=uri,
        dvc_remote=f"remote {payload}",
    )
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert pyproject["description"] == payload
    assert pyproject["authors"] == [{"name": payload}]
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["data"]["path"] == f"data/raw/{csv_name}"
    assert params["mlflow"]["tracking_uri"] == uri
    assert (project / params["data"]["path"]).is_file()
    record = json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert record["project_name"] == record["author_name"] == payload
    readme = (project / "README.md").read_text().splitlines()
    assert readme[0] == f"# {markdown(payload)}" and "<b>" not in readme[0]
    remote = subprocess.run(
        ["dvc", "config", "remote.storage.url"], cwd=project, capture_output=True, text=True
    )
    assert remote.stdout.strip() == str(tmp_path / f"remote {payload}")
    log = subprocess.run(["git", "log", "--format=%s"], cwd=project, capture_output=True, text=True)
    assert log.stdout.strip() == "Start from the baseline-first template"
    wheel = subprocess.run(
        [*PIP_WHEEL, "-w", str(tmp_path / "wheel"), str(project)],
        capture_output=True,
        text=True,
    )
    assert wheel.returncode == 0, wheel.stderr


def test_a_target_column_named_with_quotes_reaches_params_as_data(cookies, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = PAYLOADS[1]
    rows = [f"{i % 7},{'yes' if i % 3 else 'no'}" for i in range(60)]
    header = 'rooms,"' + target.replace('"', '""') + '"'
    (tmp_path / "t.csv").write_text("\n".join([header, *rows]) + "\n")
    project = bake(
        cookies,
        data_source="own_csv",
        csv_path="t.csv",
        target_column=target,
        init_git_and_dvc=False,
    )
    assert not list(tmp_path.rglob("PWNED"))
    assert yaml.safe_load((project / "params.yaml").read_text())["data"]["target"] == target
    assert (project / "expectations/t.json").is_file()


def test_a_refused_answer_ends_with_its_rule_and_no_traceback(tmp_path):
    done = subprocess.run(
        [*COOKIECUTTER, str(tmp_path), str(TEMPLATE), "project_slug=My Project", "module_name=x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith("(for example 'my-project')")
    assert not list(tmp_path.iterdir())


def test_a_bake_without_git_or_dvc_finishes_and_prints_the_commands_left(
    cookies, tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git, and DVC only beside this Python
    project = bake(cookies)
    output = capfd.readouterr()
    assert "Traceback" not in output.out + output.err
    assert "Baked without setting up git and DVC: git not installed here." in output.out
    steps = output.out.split("Next:")[1].split()
    assert "init-repo" in steps and steps.index("init-repo") < steps.index("repro")
    assert not (project / ".git").exists() and not (project / ".dvc").exists()
    assert json.loads((project / ".cruft.json").read_text())["commit"] is None


def test_a_bake_inside_another_git_repository_joins_it_with_dvc_init_subdir(tmp_path, capfd):
    from cookiecutter.main import cookiecutter

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path / "apps")))
    out = capfd.readouterr().out
    assert f"inside the git repository {tmp_path}: commit there yourself" in out
    assert not (project / ".git").exists() and (project / ".dvc/config").is_file()
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "apps/tabular-baseline/data/raw/breast_cancer.csv.dvc" in staged.stdout.split()
