"""Target leakage (issue 13, item 1): a column that alone predicts the target stops `split`.

A 500-row binary table whose `leak` column is a noisy copy of the target (correlation
about 0.99) next to three genuine features; a regression table whose `leak` is the
target plus tiny noise. The bundled tables pass the check (test_pipeline.py runs them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bake_csv, holdout, run_in

pytestmark = pytest.mark.pipeline


def leaky_binary_table(rows: int = 500, seed: int = 2024) -> pd.DataFrame:
    """Three features with real signal and `leak`, the 0/1 target plus noise (sd 0.07)."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 3))
    y = (features @ [1.0, -0.8, 0.5] + rng.normal(size=rows) > 0).astype(int)
    leak = y + rng.normal(0, 0.07, rows)
    frame = pd.DataFrame(features.round(4), columns=["age", "dose", "score"])
    return frame.assign(leak=leak.round(4), outcome=np.where(y == 1, "yes", "no"))


def leaky_regression_table(rows: int = 400, seed: int = 2024) -> pd.DataFrame:
    """A linear target and `leak`, the target plus noise of 1 % of its standard deviation."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 3))
    y = 100 + features @ [20.0, -10.0, 5.0] + rng.normal(0, 10, rows)
    leak = y + rng.normal(0, 0.01 * y.std(), rows)
    frame = pd.DataFrame(features.round(4), columns=["age", "dose", "score"])
    return frame.assign(leak=leak.round(3), price=y.round(3))


def bake_table(cookies, folder: Path, table: pd.DataFrame, target: str, task: str) -> Path:
    csv = folder / f"{target}.csv"
    table.to_csv(csv, index=False)
    return holdout(bake_csv(cookies, csv, target, task))


def set_params(project: Path, section: str, key: str, value: object) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section][key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def stage_runs(project: Path) -> dict[str, str]:
    """Status of the latest run of each stage in the project's mlflow.db."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    name = yaml.safe_load((project / "params.yaml").read_text())["mlflow"]["experiment"]
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    return {run.info.run_name: run for run in runs if "mlflow.parentRunId" not in run.data.tags}


@pytest.fixture(scope="module")
def leaky_binary(cookies_session, tmp_path_factory) -> tuple[Path, str]:
    """The leaky binary table after one `dvc repro` that stops at split."""
    folder = tmp_path_factory.mktemp("leak")
    project = bake_table(cookies_session, folder, leaky_binary_table(), "outcome", "binary")
    done = run_in(project, "dvc", "repro", check=False)
    assert done.returncode != 0
    return project, done.stdout + done.stderr


def test_the_table_has_the_leak_it_claims():
    table = leaky_binary_table()
    correlation = np.corrcoef(table["leak"], table["outcome"] == "yes")[0, 1]
    assert 0.985 < correlation < 0.995


def test_a_noisy_copy_of_the_target_stops_repro_at_split_naming_column_score_and_fixes(
    leaky_binary,
):
    project, output = leaky_binary
    assert "failed to reproduce 'split'" in output
    assert (
        "error: split: column 'leak' (ROC AUC 1.0000) alone predicts the target 'outcome' "
        "almost perfectly"
    ) in output
    assert "leakage.max_single_column_score (0.99) in params.yaml" in output
    assert "add it to data.drop_columns in params.yaml" in output
    assert "add it to leakage.allowed_columns in params.yaml" in output
    for column in ("'age'", "'dose'", "'score'"):
        assert column not in output
    assert "Traceback" not in output and "np.float64" not in output
    # Nothing downstream ran, and split left no output behind.
    assert "Running stage 'baseline'" not in output
    for missing in ("data/split", "reports/split/metrics.json", "models", "candidates"):
        assert not (project / missing).exists(), missing


def test_the_failed_split_run_holds_every_score_in_mlflow(leaky_binary):
    project, _ = leaky_binary
    runs = stage_runs(project)
    split = runs["split"]
    assert split.info.status == "FAILED"
    assert runs["validate"].info.status == "FINISHED"
    assert "baseline" not in runs
    # validate's record is logged by the failing split, with the times it ran.
    assert runs["validate"].info.end_time <= split.info.start_time <= split.info.end_time
    assert not list((project / "mlruns/pending").iterdir())
    assert split.data.metrics["leakage/max_single_column_score"] == 1.0
    assert split.data.tags["leakage/top_column"] == "leak"
    assert split.data.params["leakage.max_single_column_score"] == "0.99"
    from mlflow.artifacts import load_dict

    table = load_dict(f"{split.info.artifact_uri}/leakage/single_column_scores.json")
    scores = dict(zip(table["columns"], zip(*table["data"], strict=True), strict=True))
    assert scores["column"] == ("leak", "age", "dose", "score")
    assert scores["flagged"] == (True, False, False, False)
    assert all(0.5 < score < 0.8 for score in scores["score"][1:])


def test_each_fix_the_message_names_works_and_a_perfect_score_is_called_out(leaky_binary):
    """On the project that stopped: a misspelt allowed column, then each fix as printed."""
    project, _ = leaky_binary
    set_params(project, "leakage", "allowed_columns", ["Leak"])
    done = run_in(project, "dvc", "repro", "split", check=False)
    assert done.returncode != 0
    assert "'Leak': not a column of the table; did you mean 'leak'?" in done.stderr

    set_params(project, "leakage", "allowed_columns", [])
    set_params(project, "data", "drop_columns", ["leak"])
    run_in(project, "dvc", "repro", "split")
    assert "leak" not in pd.read_parquet(project / "data/split/train.parquet").columns

    set_params(project, "data", "drop_columns", [])
    set_params(project, "leakage", "allowed_columns", ["leak"])
    done = run_in(project, "dvc", "repro")
    assert "Running stage 'compare'" in done.stdout
    assert "leak" in pd.read_parquet(project / "data/split/train.parquet").columns
    assert stage_runs(project)["split"].info.status == "FINISHED"
    # An allowed leak still shows: a perfect test score is called out everywhere it is read.
    assert "likely target leakage" in done.stdout
    for report in ("reports/compare/comparison.md", "reports/model_card.md"):
        assert "perfect test roc_auc (1) for" in (project / report).read_text()


def test_a_leaked_regression_column_is_caught(cookies, tmp_path):
    project = bake_table(cookies, tmp_path, leaky_regression_table(), "price", "regression")
    done = run_in(project, "dvc", "repro", check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "failed to reproduce 'split'" in output
    assert "error: split: column 'leak' (R² 0.99" in output
    assert "alone predicts the target 'price' almost perfectly" in output
    assert not (project / "data/split").exists()
