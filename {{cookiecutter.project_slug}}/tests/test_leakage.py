"""The target leakage check of the split stage, on tables whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.errors import StageError
from {{ cookiecutter.module_name }}.leakage import (
    LeakageError,
    check_allowed_columns,
    check_leakage,
    single_column_scores,
)


def _binary(rows: int = 200, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A copy of the target, a constant, text that names the class (or is missing), noise."""
    rng = np.random.default_rng(seed)
    y = pd.Series(np.where(np.arange(rows) % 2 == 0, "yes", "no"))
    X = pd.DataFrame(
        {
            "copy": (y == "yes").astype(float),
            "constant": np.ones(rows),
            "code": np.where(y == "yes", "Y", None),
            "noise": rng.normal(size=rows),
        }
    )
    return X, y


def test_a_copy_of_the_target_scores_one_and_a_constant_scores_chance():
    X, y = _binary()
    scores = single_column_scores(X, y, "binary", seed=0)
    assert scores.name == "ROC AUC"
    assert scores["copy"] == 1.0
    # Missing values are a category of their own: "Y" or missing names the class.
    assert scores["code"] == 1.0
    assert scores["constant"] == 0.5
    assert abs(scores["noise"] - 0.5) < 0.15
    assert scores.is_monotonic_decreasing  # highest first


def test_multiclass_and_regression_use_balanced_accuracy_and_r2():
    classes = pd.Series(np.repeat(["a", "b", "c"], 30))
    # A serial number makes every feature vector distinct: no repeats for the folds to
    # keep together (test_groups.py covers those).
    serial = np.arange(90.0)
    X = pd.DataFrame(
        {"label": classes.map({"a": 2.0, "b": 0.0, "c": 1.0}), "zero": 0.0, "serial": serial}
    )
    scores = single_column_scores(X, classes, "multiclass", seed=1)
    assert scores.name == "balanced accuracy"
    assert scores[["label", "zero"]].to_dict() == {"label": 1.0, "zero": pytest.approx(1 / 3)}
    # Ten target values, twenty rows each: a tree recovers a copy exactly.
    y = pd.Series(np.repeat(np.arange(10) * 7.5, 20))
    X = pd.DataFrame({"copy": y + 100, "zero": 0.0, "serial": np.arange(200.0)})
    scores = single_column_scores(X, y, "regression", seed=1)
    assert scores.name == "R²"
    assert scores["copy"] == 1.0
    assert scores["zero"] < 0  # the training folds' mean predicts worse than the test mean


def test_a_leak_stops_with_column_score_threshold_and_both_fixes():
    X, y = _binary()
    with pytest.raises(LeakageError) as raised:
        check_leakage(
            X, y, "binary", max_score=0.99, allowed=["code"], seed=0, target="the target 'y'"
        )
    message = str(raised.value)
    assert message.startswith("column 'copy' (ROC AUC 1.0000) alone predicts the target 'y'")
    assert "leakage.max_single_column_score (0.99)" in message
    assert "add it to data.drop_columns in params.yaml" in message
    assert "add it to leakage.allowed_columns in params.yaml" in message
    assert "'code'" not in message and "np.float64" not in message
    table = raised.value.scores.set_index("column")
    assert table.loc["copy", "flagged"] and not table.loc["code", "flagged"]
    assert table.loc["code", "allowed"] and table.loc["code", "score"] == 1.0


def test_allowed_columns_let_the_check_pass_and_are_still_scored():
    X, y = _binary()
    table = check_leakage(X, y, "binary", max_score=0.99, allowed=["copy", "code"], seed=0)
    assert list(table.columns) == ["column", "score", "allowed", "flagged"]
    assert not table["flagged"].any()
    assert table.set_index("column")["score"].to_dict()["copy"] == 1.0


def test_a_threshold_of_one_turns_the_check_off():
    X, y = _binary()
    assert not check_leakage(X, y, "binary", max_score=1.0, seed=0)["flagged"].any()


def test_large_tables_are_subsampled_with_a_seed():
    X, y = _binary(rows=400)
    first = single_column_scores(X, y, "binary", seed=3, max_rows=100)
    again = single_column_scores(X, y, "binary", seed=3, max_rows=100)
    assert first.to_dict() == again.to_dict()
    assert first["copy"] == 1.0


def test_allowed_columns_must_name_features_of_the_table():
    check_allowed_columns(["age"], ["age", "y"], "y")
    with pytest.raises(StageError) as raised:
        check_allowed_columns(["Age", "y"], ["age", "income", "y"], "y")
    message = str(raised.value)
    assert "leakage.allowed_columns in params.yaml" in message
    assert "'Age': not a column of the table; did you mean 'age'?" in message
    assert "'y': is the target, not a feature" in message
