"""Stage runs kept as records until a logger writes them to MLflow (run_records).

The records carry everything a run holds; these tests read the logged runs back from the
project's tracking store.
"""

import subprocess
import sys

import mlflow
import pandas as pd

from {{ cookiecutter.module_name }} import tracking
from {{ cookiecutter.module_name }}.config import load_params

PACKAGE = "{{ cookiecutter.module_name }}"

STAGE = """
import os, sys
import pandas as pd
from pathlib import Path
from PACKAGE import tracking
from PACKAGE.config import load_params

Path("note.txt").write_text("kept")
with tracking.stage_run("split", load_params()):
    tracking.log_params({"leakage": {"allowed_columns": ["a", "b"]}})
    tracking.log_metrics({"train_rows": 3})
    tracking.log_metrics({"loss": 0.5}, step=2)
    tracking.set_tags({"note": "kept"})
    tracking.log_artifacts(Path("note.txt"), directory="notes")
    tracking.log_table(pd.DataFrame({"column": ["x"], "score": [0.5]}), "scores.json")
    with tracking.child_run("split/child", {"model": "child"}):
        tracking.log_metrics({"cv": 1.0})
    if sys.argv[1] == "kill":
        os._exit(9)  # killed: no exception, the run never ends
    if sys.argv[1] == "fail":
        raise SystemExit("stopped on purpose")
"""


def run_stage(how: str) -> int:
    """Run a stage that logs one of everything in a process; ``how``: ok, fail or kill."""
    script = STAGE.replace("PACKAGE", PACKAGE)
    return subprocess.run([sys.executable, "-c", script, how], check=False).returncode


def store() -> mlflow.MlflowClient:
    """A client of the project's tracking store."""
    return mlflow.MlflowClient(tracking.tracking_uri(load_params()))


def logged_runs() -> dict[str, mlflow.entities.Run]:
    """Every run of the project's experiment, by name."""
    params = load_params()
    client = store()
    experiment = client.get_experiment_by_name(params.mlflow.experiment)
    if experiment is None:
        return {}
    return {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}


def test_a_record_logs_every_field_with_its_own_times(project):
    assert run_stage("ok") == 0
    assert [p.suffix for p in (project / "mlruns/pending").iterdir()] == [""]
    assert logged_runs() == {}
    assert tracking.log_pending_runs() == ["split"]
    runs = logged_runs()
    split, child = runs["split"], runs["split/child"]
    assert split.info.status == child.info.status == "FINISHED"
    assert split.info.start_time <= child.info.start_time <= child.info.end_time
    assert child.info.end_time <= split.info.end_time
    assert split.data.params["leakage.allowed_columns"] == '["a", "b"]'
    assert split.data.params["data.target"] == load_params().data.target
    assert split.data.metrics == {"train_rows": 3.0, "loss": 0.5}
    history = store().get_metric_history(split.info.run_id, "loss")
    assert [m.step for m in history] == [2]
    assert split.data.tags["note"] == "kept" and split.data.tags["stage"] == "split"
    assert child.data.tags["mlflow.parentRunId"] == split.info.run_id
    assert child.data.tags["stage"] == "split" and child.data.metrics == {"cv": 1.0}
    uri = split.info.artifact_uri  # a local folder (file://)
    assert mlflow.artifacts.load_text(f"{uri}/notes/note.txt") == "kept"
    table = mlflow.artifacts.load_dict(f"{uri}/scores.json")
    assert pd.DataFrame(table["data"], columns=table["columns"])["score"].tolist() == [0.5]
    assert not list((project / "mlruns/pending").iterdir())
    assert tracking.log_pending_runs() == []  # logged once


def test_a_failing_stage_logs_its_failed_run_at_once(project):
    assert run_stage("fail") != 0
    runs = logged_runs()
    assert runs["split"].info.status == "FAILED" and runs["split"].data.tags["note"] == "kept"
    assert runs["split/child"].info.status == "FINISHED"
    assert not list((project / "mlruns/pending").iterdir())


def test_a_killed_stage_is_logged_failed_by_the_next_logger_with_what_it_logged(project):
    assert run_stage("kill") != 0
    assert [p.suffix for p in (project / "mlruns/pending").iterdir()] == [".open"]
    assert tracking.log_pending_runs() == ["split"]
    split = logged_runs()["split"]
    assert split.info.status == "FAILED" and split.data.metrics["train_rows"] == 3.0
    assert "killed" in split.data.tags
    assert split.info.start_time <= split.info.end_time
