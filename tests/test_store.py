"""The tracking store and git in baked projects (issue 12): a deleted experiment, a model
logged in another store, parallel first use of the store, stage outputs committed by hand."""

from __future__ import annotations

import shlex
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import bake, holdout, project_env, run_in

GIT = ("git", "-c", "user.name=Test", "-c", "user.email=test@example.com")


def cached_outs(project: Path) -> list[str]:
    """Every output of dvc.yaml that DVC caches (not the ``cache: false`` metrics files)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    outs = []
    for stage in stages.values():
        for out in stage.get("outs", []):
            if isinstance(out, str):
                outs.append(out)
            elif next(iter(out.values())).get("cache", True):
                outs.append(next(iter(out)))
    return outs


@pytest.mark.parametrize("deep", [False, True])
def test_gitignore_covers_every_cached_out_from_the_start(cookies, deep):
    project = bake(cookies, include_deep_stage=deep, init_git_and_dvc=False)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    outs = cached_outs(project)
    assert "data/split" in outs and "reports/compare/comparison.md" in outs
    assert ("models/deep" in outs) == deep
    for out in outs:
        done = subprocess.run(["git", "check-ignore", "--no-index", "-q", out], cwd=project)
        assert done.returncode == 0, f"{out} (a cached DVC out) is not in the baked .gitignore"
    for tracked in ("reports/metrics.json", "reports/compare/metrics.json", "dvc.lock"):
        done = subprocess.run(["git", "check-ignore", "--no-index", "-q", tracked], cwd=project)
        assert done.returncode == 1, f"{tracked} is meant for git but is ignored"


@pytest.mark.pipeline
def test_stages_run_by_hand_and_committed_leave_dvc_repro_working(cookies):
    project = holdout(bake(cookies))
    module = next(project.glob("src/*/__main__.py")).parent.name
    outs = cached_outs(project)
    for stage in ("validate", "split", "baseline", "compare"):
        run_in(project, "python", "-m", module, stage)
        run_in(project, "git", "add", "-A")
        staged = run_in(project, "git", "diff", "--cached", "--name-only").stdout.split()
        leaked = [f for f in staged if any(f == o or f.startswith(o + "/") for o in outs)]
        assert not leaked, f"git add -A after {stage} staged DVC outputs: {leaked}"
        run_in(project, *GIT, "commit", "-q", "--allow-empty", "-m", f"ran {stage} by hand")
    run_in(project, "dvc", "repro")


@pytest.fixture(scope="module")
def reproduced(cookies_session) -> Path:
    project = holdout(bake(cookies_session, project_name="Store demo"))
    run_in(project, "dvc", "repro")
    return project


def last_line(done: subprocess.CompletedProcess) -> str:
    """The product's ``error: <stage>: ...`` line of a failed run (DVC prints its own after)."""
    lines = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert lines, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return lines[-1]


@pytest.mark.pipeline
def test_deleted_experiment_names_the_restore_command_and_it_works(reproduced, tmp_path):
    project = reproduced
    code = (
        "import mlflow, sys; c = mlflow.MlflowClient(sys.argv[1]); "
        "c.delete_experiment(c.get_experiment_by_name('store-demo').experiment_id)"
    )
    uri = f"sqlite:///{project / 'mlflow.db'}"
    subprocess.run([sys.executable, "-c", code, uri], check=True, env=project_env(project))
    done = run_in(project, "dvc", "repro", "-f", "compare", check=False)
    assert done.returncode != 0
    error = last_line(done)
    # validate, split and baseline keep their runs as records: compare logs them first.
    assert error.startswith("error: compare: MLflow experiment 'store-demo'")
    assert "was deleted" in error
    advice = error.split("Restore it with its runs: ")[1].split(";")[0]
    assert advice.startswith(f"MLFLOW_TRACKING_URI={uri} mlflow experiments restore")
    # The advice works as given, from any folder, with the mlflow of the project's env.
    variable, *command = shlex.split(advice)
    env = {**project_env(project), variable.split("=")[0]: variable.split("=", 1)[1]}
    command[0] = str(Path(sys.executable).with_name("mlflow"))
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    # The same command again logs the waiting records and the new runs, none lost.
    pending = list((project / "mlruns/pending").iterdir())
    assert len(pending) == 3, pending  # validate, split and baseline
    done = run_in(project, "dvc", "repro", "-f", "compare")
    assert "Running stage 'compare'" in done.stdout
    assert not list((project / "mlruns/pending").iterdir())
    with sqlite3.connect(project / "mlflow.db") as db:
        names = [name for (name,) in db.execute("SELECT name FROM runs WHERE status = 'FINISHED'")]
    assert names.count("baseline") == 3  # the first repro, the waiting record, the last


@pytest.mark.pipeline
def test_candidates_logged_in_another_store_still_give_a_registered_champion(reproduced, tmp_path):
    """``mlflow.db`` gone (a colleague's ``dvc pull``): compare links nothing it cannot find."""
    project = reproduced
    (project / "mlflow.db").rename(tmp_path / "mlflow.db")
    done = run_in(project, "dvc", "repro", "-s", "-f", "compare")
    assert "Traceback" not in done.stderr
    assert "Notice: the runs of dummy, hgb, linear are not in this tracking store" in done.stdout
    assert "they were logged in an earlier store at the same address" in done.stdout
    assert "logged again, from models/baseline/linear.joblib" in done.stdout
    with sqlite3.connect(project / "mlflow.db") as db:
        runs = db.execute("SELECT run_uuid, name, status FROM runs").fetchall()
        alias = db.execute("SELECT alias, version FROM registered_model_aliases").fetchall()
        source = db.execute("SELECT source FROM model_versions").fetchall()
        tags = dict(db.execute("SELECT key, value FROM tags").fetchall())
    assert [(name, status) for _, name, status in runs] == [("compare", "FINISHED")]
    assert alias == [("champion", 1)] and source[0][0].startswith("models:/m-")
    assert tags["candidates_in_another_store"] == "dummy, hgb, linear"
    assert tags["candidate.linear.run_id"].endswith(
        f"(in another store: sqlite:///{project}/mlflow.db)"
    )
    # The fix it names: every stage logged again in this store, nothing left to notice.
    done = run_in(project, "dvc", "repro", "-f")
    assert "Notice: the runs of" not in done.stdout
    with sqlite3.connect(project / "mlflow.db") as db:
        names = {name for (name,) in db.execute("SELECT name FROM runs")}
    assert {"baseline/linear", "baseline", "split", "validate"} <= names


RACE = """
import sys, time
from {module}.config import load_params
from {module} import tracking
params = load_params()
while time.time() < float(sys.argv[1]):
    time.sleep(0.001)
with tracking.logged_run("compare", params) as run:
    print(run.info.run_id)
"""


@pytest.mark.pipeline
def test_two_stages_starting_at_once_on_a_fresh_store_both_log(cookies):
    """What ``dvc queue start -j 2`` does on a fresh bake: two stages create the store at once."""
    project = bake(cookies, init_git_and_dvc=False)
    module = next(project.glob("src/*/__main__.py")).parent.name
    assert not (project / "mlflow.db").exists()
    script = RACE.format(module=module)
    start = str(time.time() + 8)  # both processes have imported mlflow by then
    env = {**project_env(project), "DVC_ROOT": str(project)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, start],
            cwd=project,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    with sqlite3.connect(project / "mlflow.db") as db:
        runs = db.execute("SELECT run_uuid, status FROM runs").fetchall()
        experiments = db.execute("SELECT name FROM experiments").fetchall()
    assert sorted(r for r, _ in runs) == sorted(out.strip() for out, _ in outputs)
    assert {status for _, status in runs} == {"FINISHED"}
    assert sorted(experiments) == [("Default",), ("tabular-baseline",)]
