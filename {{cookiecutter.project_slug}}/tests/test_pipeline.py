"""One end-to-end run of every stage on the bundled table, and the validation gate."""

import json

import mlflow
from conftest import a_constrained_column, edit_params, use_table

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.data import load_table


def test_the_pipeline_runs_end_to_end_and_names_a_champion(project):
    for stage in ("validate", "split", "baseline", "compare"):
        assert main([stage]) == 0, stage
    metrics = json.loads((project / "reports/compare/metrics.json").read_text())
    scores = metrics["candidates"]
    metric = metrics["primary_metric"]
    assert metrics["champion"] in scores
    better = scores[metrics["champion"]][metric] > scores["dummy"][metric]
    assert better if metric in ("roc_auc", "accuracy", "f1", "r2") else not better
    runs = mlflow.search_runs(experiment_names=[load_params().mlflow.experiment])
    assert {"validate", "split", "baseline", "compare"} <= set(runs["tags.mlflow.runName"])
    assert set(runs["status"]) == {"FINISHED"}


def test_too_many_folds_for_a_class_fails_cleanly_and_writes_no_model(project, capsys):
    assert main(["validate"]) == 0 and main(["split"]) == 0
    edit_params(project / "params.yaml", baseline__cv_folds=5000)
    assert main(["baseline"]) == 1
    message = capsys.readouterr().err
    assert "baseline.cv_folds" in message
    assert not (project / "models").exists()
    runs = mlflow.search_runs(experiment_names=[load_params().mlflow.experiment])
    assert runs.set_index("tags.mlflow.runName").loc["baseline", "status"] == "FAILED"


def test_a_text_value_in_a_numeric_column_stops_validation(project, capsys):
    params = load_params()
    frame = load_table(params.data)
    column = a_constrained_column(frame)
    frame[column] = frame[column].astype(object)
    frame.loc[0, column] = "n/a?"
    use_table(project, frame, "broken.csv")
    assert main(["validate"]) == 1
    assert f"column '{column}'" in capsys.readouterr().err
    assert main(["split"]) == 1
    assert not (project / "data/split/train.parquet").exists()
    runs = mlflow.search_runs(experiment_names=[params.mlflow.experiment])
    assert set(runs["status"]) == {"FAILED"}
