"""Repeated rows kept together (issue 14, item 2): a survey-like table runs green.

600 answers to four questions of two to three levels: 54 possible feature vectors, so
most rows repeat an earlier one exactly, as in survey and panel data, where identical
rows are different people with the same answers. Validation warns (never stops), the
split reports the groups, and no feature vector is on both sides of the split or of any
cross-validation fold (the outer folds that score the models, and the inner folds that
tune them).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bake_csv, run_in

pytestmark = pytest.mark.pipeline

FEATURES = ["gender", "education", "children", "rating"]


def survey_table(rows: int = 600, seed: int = 2024) -> pd.DataFrame:
    """Categorical answers and small integers; ``affair`` (yes/no) depends on two of them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "gender": rng.choice(["female", "male"], rows),
            "education": rng.choice(["school", "college", "degree"], rows),
            "children": rng.integers(0, 3, rows),
            "rating": rng.integers(1, 4, rows),
        }
    )
    logit = -0.5 + 0.6 * frame["children"] - 0.8 * (frame["rating"] - 2)
    affair = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return frame.assign(affair=np.where(affair, "yes", "no"))


def vectors(frame: pd.DataFrame) -> set[tuple]:
    return set(frame[FEATURES].itertuples(index=False))


@pytest.fixture(scope="module")
def survey(cookies_session, tmp_path_factory) -> tuple[Path, pd.DataFrame, str]:
    """The survey table after one green `dvc repro`, with the table and its output."""
    folder = tmp_path_factory.mktemp("survey")
    table = survey_table()
    csv = folder / "affair.csv"
    table.to_csv(csv, index=False)
    project = bake_csv(cookies_session, csv, "affair", "binary")
    done = run_in(project, "dvc", "repro")
    return project, table, done.stdout + done.stderr


def test_the_repeats_are_a_warning_with_their_count_and_the_pipeline_runs(survey):
    project, table, output = survey
    repeated = int(table.duplicated().sum())
    assert repeated > 400
    assert f"warning: table: check: duplicate_rows: {repeated} row(s) repeat" in output
    assert "only if they are true copies of one record" in output
    result = json.loads((project / "reports/validation/result.json").read_text())
    assert result["success"]
    assert (project / "reports/metrics.json").exists()  # compare ran


def test_the_split_reports_the_groups_and_keeps_each_one_on_one_side(survey):
    project, table, _ = survey
    metrics = json.loads((project / "reports/split/metrics.json").read_text())
    groups = len(vectors(table))
    assert metrics["feature_groups"] == groups
    assert metrics["repeated_rows"] == len(table) - groups
    # 600 rows: no test split, 2 x 5 folds over all rows (a holdout keeps the groups the
    # same way: the generated project's tests/test_groups.py).
    train = pd.read_parquet(project / "data/split/train.parquet")
    folds = pd.read_parquet(project / "data/split/folds.parquet")
    assert len(train) == len(table) and folds["fold"].nunique() == 10
    by_id = train.set_index("row_id")
    for _, held in folds.groupby("fold"):
        scored = by_id.loc[held["row_id"]]
        trained = by_id.drop(index=held["row_id"])
        assert not vectors(scored) & vectors(trained)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    name = yaml.safe_load((project / "params.yaml").read_text())["mlflow"]["experiment"]
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id], "attributes.run_name = 'split'")
    assert runs[0].data.metrics["feature_groups"] == groups


FOLDS_CHECK = """
import pandas as pd
from {module}.config import load_params
from {module}.data import features_and_target
from {module}.groups import feature_groups
from {module}.stages.baseline import make_folds

params = load_params()
X, y = features_and_target(pd.read_parquet("data/split/train.parquet"), "affair", "binary")
groups = feature_groups(X)
folds = make_folds(X, y, "binary", params.baseline)
assert len(folds) == params.baseline.cv_folds
for train, test in folds:
    assert not set(groups[train]) & set(groups[test])
print("folds keep groups")
"""


def test_no_cross_validation_fold_has_a_feature_vector_on_both_sides(survey):
    project, _, _ = survey
    module = next(project.glob("src/*/stages")).parent.name
    done = run_in(project, "python", "-c", FOLDS_CHECK.format(module=module))
    assert "folds keep groups" in done.stdout
