"""Scoring new data (issue 15): `predict` on generated batches of a user's own table, and
the registered champion served by `mlflow models serve`, answering as `predict` does."""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import bake_csv, holdout, project_env, run_in
from test_own_data import churn_table, write_csv

pytestmark = pytest.mark.pipeline
MODULE = "tabular_baseline"


@pytest.fixture(scope="module")
def churn(cookies_session, tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The churn table baked and reproduced, and a fresh batch of the same kind (no target)."""
    folder = tmp_path_factory.mktemp("predict")
    csv = write_csv(folder, "churn.csv", churn_table())
    project = holdout(bake_csv(cookies_session, csv, "churned", "binary"))
    run_in(project, "dvc", "repro")
    batch = churn_table(rows=200, seed=1).drop(columns=["churned"])
    batch["customer_id"] = [f"N{i:05d}" for i in range(len(batch))]
    return project, batch


def predict(project: Path, batch: pd.DataFrame, name: str, *options: str, check: bool = True):
    """Write ``batch`` as ``<name>.csv`` in the project and score it; return the run and file."""
    source = project / "batches" / f"{name}.csv"
    source.parent.mkdir(exist_ok=True)
    batch.to_csv(source, index=False)
    done = run_in(project, "python", "-m", MODULE, "predict", str(source), *options, check=check)
    return done, project / "predictions" / f"{name}.csv"


def predict_runs(project: Path) -> pd.DataFrame:
    """The ``predict`` runs in the project's sqlite store, oldest first, with their tags."""
    with sqlite3.connect(project / "mlflow.db") as db:
        runs = pd.read_sql(
            "SELECT run_uuid, status FROM runs WHERE name = 'predict' ORDER BY start_time", db
        )
        tags = pd.read_sql("SELECT run_uuid, key, value FROM tags", db)
        metrics = pd.read_sql("SELECT run_uuid, key, value FROM metrics", db)
    wide = tags.pivot(index="run_uuid", columns="key", values="value")
    numbers = metrics.pivot_table(index="run_uuid", columns="key", values="value")
    return runs.join(wide, on="run_uuid").join(numbers, on="run_uuid")


def odd_batch(batch: pd.DataFrame) -> pd.DataFrame:
    """A text column blank in every row, floats that are all whole numbers, one constant column."""
    odd = batch.copy()
    odd["contract"] = np.nan
    odd["monthly_charges"] = odd["monthly_charges"].round().astype(int)
    odd["support_calls"] = 2
    return odd


def test_a_batch_with_a_blank_text_column_is_scored_in_order_and_logged(churn):
    project, batch = churn
    done, output = predict(project, odd_batch(batch), "odd")
    scored = pd.read_csv(output)
    assert scored["customer_id"].tolist() == batch["customer_id"].tolist()
    assert list(scored.columns) == [
        "customer_id",
        "prediction",
        "proba_no",
        "proba_yes",
        "model",
        "model_version",
    ]
    np.testing.assert_allclose(scored[["proba_no", "proba_yes"]].sum(axis=1), 1.0)
    assert set(scored["prediction"]) <= {"yes", "no"}
    assert scored["model"].iloc[0] in {"linear", "hgb"} and scored["model_version"].iloc[0] == 1
    assert "'contract': 200 of 200 values missing" in done.stdout
    assert "no target column in the batch: no metrics" in done.stdout
    run = predict_runs(project).iloc[-1]
    assert run["status"] == "FINISHED"
    source = project / "batches/odd.csv"
    assert run["input_hash"] == hashlib.md5(source.read_bytes()).hexdigest()
    assert run["rows"] == 200 and run["model_version"] == "1"
    assert "contract" in run["drift_flagged"]
    logged = project / "mlruns" / run["run_uuid"] / "artifacts/predictions/odd.csv"
    assert logged.read_bytes() == output.read_bytes()


def test_drift_and_unseen_categories_are_flagged_and_metrics_come_with_a_target(churn):
    project, batch = churn
    shifted = batch.copy()
    shifted["tenure_months"] += 60
    shifted.loc[:29, "contract"] = "three-year"
    shifted["churned"] = churn_table(rows=200, seed=1)["churned"]
    done, output = predict(project, shifted, "shifted")
    assert "drift in tenure_months, contract" in done.stdout
    assert "never seen in training (e.g. 'three-year'" in done.stdout
    assert "'contract': 30 of 200 values outside the suite, e.g. 'three-year'" in done.stdout
    assert "batch metrics on the 200 rows with a target: roc_auc" in done.stdout
    run = predict_runs(project).iloc[-1]
    assert run["drift_flagged"] == "tenure_months, contract"
    assert 0.0 <= run["batch_roc_auc"] <= 1.0
    assert len(pd.read_csv(output)) == 200
    unchanged, _ = predict(project, batch, "unchanged")
    assert "0 of 4 column(s) flagged" in unchanged.stdout


def test_a_missing_column_stops_with_no_file_and_a_failed_run_and_the_advice_works(churn):
    project, batch = churn
    done, output = predict(project, batch.drop(columns=["tenure_months"]), "short", check=False)
    assert done.returncode == 1
    assert "column(s) 'tenure_months' missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()
    assert predict_runs(project).iloc[-1]["status"] == "FAILED"
    # The advice: add the column, even empty.
    fixed = batch.assign(tenure_months=np.nan)
    done, output = predict(project, fixed, "short")
    assert len(pd.read_csv(output)) == len(batch)


def test_values_a_model_cannot_score_stop_it_and_those_it_can_are_reported(churn):
    project, batch = churn
    bad = batch.astype({"monthly_charges": object, "support_calls": float})
    bad.loc[4, "monthly_charges"] = "unknown"
    bad.loc[7, "support_calls"] = np.inf
    done, output = predict(project, bad.assign(region="north"), "bad", check=False)
    assert done.returncode == 1
    assert "'support_calls': 1 infinite value(s) (line 9)" in done.stderr
    assert not output.exists()
    bad.loc[7, "support_calls"] = np.nan  # the advice: leave the field empty
    done, output = predict(project, bad.assign(region="north"), "bad")
    reported = "'monthly_charges': 1 values not numeric, e.g. 'unknown' (line 6): scored as missing"
    assert reported in done.stdout
    assert "ignored: region" in done.stdout
    assert pd.read_csv(output)["prediction"].notna().all()


def test_one_row_and_a_named_candidate(churn):
    project, batch = churn
    done, output = predict(project, batch.head(1), "one", "--model", "dummy")
    assert "shifts not judged: 1 row(s) < predict.drift_min_rows" in done.stdout
    scored = pd.read_csv(output)
    assert len(scored) == 1 and scored["model"].iloc[0] == "dummy"
    assert scored["model_version"].iloc[0].startswith("local ")
    done, _ = predict(project, batch, "typo", "--model", "lineer", check=False)
    assert done.returncode == 1 and "did you mean 'linear'?" in done.stderr
    inside = str(project / "data/raw/churn.csv")
    done, _ = predict(project, batch, "into", "--output", inside, check=False)
    assert done.returncode == 1 and "inside the pipeline's folders" in done.stderr
    assert len(pd.read_csv(inside)) == 300  # the raw table is untouched


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_served_champion_answers_as_predict_does_for_the_same_rows(churn):
    project, batch = churn
    odd = odd_batch(batch)
    _, output = predict(project, odd, "served")
    expected = pd.read_csv(output)["prediction"].tolist()
    port = free_port()
    env = {**project_env(project), "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m",
         "models:/tabular-baseline@champion", "--env-manager", "local",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mlflow models serve did not start:\n{server.communicate()[0]}")
                time.sleep(0.5)
        rows = json.loads(odd.to_json(orient="split", index=False))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            json.dumps({"dataframe_split": rows}).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            served = json.loads(answer.read())["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert served == expected
    assert len(served) == len(batch)
