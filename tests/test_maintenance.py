"""A baked project as a maintained repository: regression gate, CI workflow, pre-commit,
template updates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import TEMPLATE, bake, holdout, project_env, run_in, venv_on_top

GATE = [sys.executable, "-m", "tabular_baseline", "check"]
WEAK_COLUMNS = {"mean fractal dimension", "texture error", "smoothness error", "symmetry error"}


def commit(project: Path, message: str) -> None:
    run_in(project, "git", "add", "-A")
    run_in(project, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)


def gate(project: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [*GATE, *args],
        cwd=project,
        env=env or project_env(project),
        capture_output=True,
        text=True,
    )


@pytest.mark.pipeline
def test_the_regression_gate_passes_a_rerun_and_fails_a_degraded_model(cookies, tmp_path):
    project = holdout(bake(cookies))
    run_in(project, "dvc", "repro")
    commit(project, "Reproduce")

    summary = tmp_path / "summary.md"
    env = {**project_env(project), "GITHUB_STEP_SUMMARY": str(summary)}
    unchanged = gate(project, env=env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert "| roc_auc | 0.99" in unchanged.stdout and "pass" in unchanged.stdout
    assert "[+0.0000, +0.0000]" in unchanged.stdout  # paired: same predictions
    assert "Regression gate against main" in summary.read_text()
    typo = gate(project, "--against", "no-such-branch")
    assert typo.returncode == 1 and "unknown git revision 'no-such-branch'" in typo.stderr

    params = yaml.safe_load((project / "params.yaml").read_text())
    columns = pd.read_csv(project / "data/raw/breast_cancer.csv", nrows=0).columns
    params["data"]["drop_columns"] = [c for c in columns if c not in {*WEAK_COLUMNS, "diagnosis"}]
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_in(project, "dvc", "repro")
    degraded = gate(project)
    assert degraded.returncode == 1
    assert "| roc_auc | 0.99" in degraded.stdout
    assert "regression: roc_auc worse by" in degraded.stdout
    assert "error: check: regression" in degraded.stderr

    # A new primary metric is compared with the reference's value of that same metric.
    committed = json.loads(
        subprocess.run(
            ["git", "show", "main:reports/compare/metrics.json"],
            cwd=project,
            capture_output=True,
            text=True,
        ).stdout
    )
    main_accuracy = committed["candidates"][committed["champion"]]["accuracy"]
    params["compare"]["primary_metric"] = "accuracy"
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_in(project, "dvc", "repro")
    switched = gate(project)
    assert f"| accuracy | {main_accuracy:.4f} |" in switched.stdout


@pytest.mark.parametrize("deep", [False, True])
def test_the_workflow_validates_against_the_github_workflow_schema(cookies, deep):
    project = bake(cookies, include_deep_stage=deep, init_git_and_dvc=False)
    workflow = project / ".github/workflows/ci.yml"
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("torch==2.13.0" in workflow.read_text()) is deep


def test_no_workflow_when_not_asked(cookies):
    project = bake(cookies, github_actions=False, init_git_and_dvc=False)
    assert not (project / ".github").exists()


def test_pre_commit_passes_on_a_fresh_bake_and_keeps_large_files_out(cookies):
    project = bake(cookies)
    clean = run_in(project, "pre-commit", "run", "--all-files", check=False)
    assert clean.returncode == 0, clean.stdout
    (project / "big.csv").write_text("x\n" * 400_000)
    run_in(project, "git", "add", "big.csv")
    guarded = run_in(project, "pre-commit", "run", check=False)
    assert guarded.returncode != 0
    assert "big.csv" in guarded.stdout and "exceeds 500 KB" in guarded.stdout


@pytest.mark.pipeline
def test_every_step_of_the_workflow_runs_locally_in_a_clone(cookies, tmp_path):
    """The workflow's shell steps, in order, as CI runs them on a pull request's checkout."""
    project = holdout(bake(cookies, dvc_remote=str(tmp_path / "remote")))
    run_in(project, "dvc", "repro")
    commit(project, "Reproduce")
    run_in(project, "dvc", "push")
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(project), str(checkout)], check=True)

    venv = venv_on_top(tmp_path / "venv").parents[1]  # a fresh prefix on the test venv
    workflow = yaml.safe_load((checkout / ".github/workflows/ci.yml").read_text())
    job = workflow["jobs"]["pipeline"]
    summary = tmp_path / "summary.md"
    env = {
        **project_env(checkout),
        **job["env"],
        "PATH": f"{venv / 'bin'}:{project_env(checkout)['PATH']}",
        "PIP_NO_BUILD_ISOLATION": "0",  # the build backend is already installed
        "GITHUB_BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    del env["PYTHONPATH"]  # the Install step makes the package importable
    steps = [step for step in job["steps"] if "run" in step]
    assert [s["name"] for s in steps] == [
        "Install",
        "Lint",
        "Pull the data",
        "Tests",
        "Pipeline",
        "Regression gate",
    ]
    for step in steps:
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=checkout, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}\n{done.stderr}"
    text = summary.read_text()
    assert "Regression gate against origin/main" in text and "| pass" in text
    assert "[+0.0000, +0.0000]" in text  # the reference's predictions came from the remote


@pytest.mark.parametrize("own_csv", [False, True], ids=["sample", "own-csv"])
def test_a_template_update_applies_cleanly_to_a_project_baked_from_the_previous_commit(
    tmp_path, monkeypatch, own_csv
):
    """Bake from a template commit, move the template one commit on, `cruft update`.

    With an own CSV, the file answered at the bake is not where cruft renders the template.
    """
    template = tmp_path / "template"
    shutil.copytree(
        TEMPLATE, template, ignore=shutil.ignore_patterns(".venv", "demo", ".git", "__pycache__")
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(template)], check=True)
    subprocess.run([*git, "-C", str(template), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(template), "commit", "-qm", "previous"], check=True)
    monkeypatch.chdir(tmp_path)
    own_answers = []
    if own_csv:
        rows = [f"{i % 11},{i % 4},{'yes' if (i * 7) % 10 < 4 else 'no'}" for i in range(120)]
        (tmp_path / "churn.csv").write_text("\n".join(["visits,plan,churned", *rows]) + "\n")
        own_answers = ["data_source=own_csv", "csv_path=churn.csv", "target_column=churned"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(tmp_path / "out"),
            "template",
            *own_answers,
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    project = tmp_path / "out/tabular-baseline"
    if own_csv:
        (tmp_path / "churn.csv").unlink()
    record = json.loads((project / ".cruft.json").read_text())
    assert record["template"] == str(template)
    assert record["context"]["cookiecutter"]["task"] == "binary"

    readme = template / "{{cookiecutter.project_slug}}/README.md"
    readme.write_text(readme.read_text() + "\nA line from the newer template version.\n")
    subprocess.run([*git, "-C", str(template), "commit", "-qam", "newer"], check=True)
    newer = subprocess.run(
        ["git", "-C", str(template), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()

    diff = subprocess.run(["cruft", "diff"], cwd=project, capture_output=True, text=True)
    assert diff.returncode == 0, diff.stderr
    # A sample bake is exactly its template's rendering; drafting edits an own CSV's params.
    assert (diff.stdout == "") is not own_csv
    done = subprocess.run(
        ["cruft", "update", "--skip-apply-ask"], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "A line from the newer template version." in (project / "README.md").read_text()
    assert json.loads((project / ".cruft.json").read_text())["commit"] == newer
    assert not list(project.rglob("*.rej"))
    check = subprocess.run(["cruft", "check"], cwd=project, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
