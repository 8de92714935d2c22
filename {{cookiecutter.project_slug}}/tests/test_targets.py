"""The target rules (stdlib only) and the params.yaml edits that drafting makes."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.module_name }}.checks import check_table
from {{ cookiecutter.module_name }}.params_file import set_data_keys
from {{ cookiecutter.module_name }}.targets import (
    check_csv_target,
    infer_positive_class,
    resolve_positive_class,
    show,
    suggest,
    task_mismatch,
)

PRICES = [str(100_000.0 + 1_250.5 * i) for i in range(400)]


def test_a_misspelt_column_gets_the_closest_name_and_a_stranger_gets_none():
    columns = ["customer_id", "tenure", "churned"]
    assert suggest("churnd", columns) == "churned"
    assert suggest("CHURNED", columns) == "churned"
    assert suggest("zzz", columns) is None


def test_a_text_target_under_regression_is_called_a_classification_target():
    message = task_mismatch(["yes", "no", "yes"], "regression", "churned")
    assert message == (
        "`churned` holds text values yes/no: a classification target; "
        "set data.task: binary in params.yaml"
    )


def test_a_continuous_target_under_binary_is_called_a_regression_target():
    message = task_mismatch(PRICES, "binary", "price")
    assert message.startswith("`price` has 400 distinct numeric values (e.g. 100000.0, ")
    assert message.endswith(
        "looks like a regression target; set data.task: regression in params.yaml"
    )


@pytest.mark.parametrize(
    ("values", "task", "advice"),
    [
        (["a", "b", "c"], "binary", "set data.task: multiclass"),
        (["a", "b", "a"], "multiclass", "set data.task: binary"),
        (["0", "1", "1"], "regression", "set data.task: binary"),
    ],
    ids=["binary-with-three-classes", "multiclass-with-two", "regression-on-zero-one"],
)
def test_a_class_count_that_does_not_fit_the_task_names_the_task_to_set(values, task, advice):
    assert advice in task_mismatch(values, task, "y")


@pytest.mark.parametrize(
    ("values", "task"),
    [(["a", "b"], "binary"), (["1", "2", "3"], "multiclass"), (PRICES, "regression")],
)
def test_a_target_that_fits_its_task_passes(values, task):
    assert task_mismatch(values, task, "y") is None


@pytest.mark.parametrize(
    ("values", "positive"),
    [
        (["no", "Yes"], "Yes"),
        (["FALSE", "TRUE"], "TRUE"),
        (["0", "1"], "1"),
        (["1.0", "0.0"], "1.0"),
        (["n", "y"], "y"),
        (["negative", "positive"], "positive"),
        (["churn", "no churn"], "churn"),
        (["non-smoker", "smoker"], "smoker"),
        (["cat", "dog"], None),
        (["yes", "no", "maybe"], None),
    ],
)
def test_the_positive_class_is_inferred_only_when_the_labels_make_it_certain(values, positive):
    assert infer_positive_class(values) == positive


def test_how_the_positive_class_was_chosen_is_stated():
    assert resolve_positive_class(["no", "yes"], None) == (
        "yes",
        "inferred from the labels no/yes",
    )
    assert resolve_positive_class(["cat", "dog"], None)[1].startswith("the last class in sorted")
    assert resolve_positive_class(["cat", "dog"], "cat") == ("cat", "set in data.positive_class")


def test_numpy_values_show_as_the_user_wrote_them():
    column = pd.Series([472900.0, 3.0])
    assert show(column.iloc[0]) == "472900.0"
    assert show(pd.Series(["yes"]).iloc[0]) == "'yes'"


def test_a_csv_target_is_checked_with_the_csv_module(tmp_path: Path):
    table = tmp_path / "churn.csv"
    table.write_text("id,churned\n1,yes\n2,no\n3,NA\n")
    assert check_csv_target(table, "churned", "binary") == []
    assert check_csv_target(table, "churnd", "binary") == [
        "churn.csv has no column 'churnd' (columns: id, churned); did you mean 'churned'?; "
        "set target_column"
    ]
    assert "set task: binary" in check_csv_target(table, "churned", "regression")[0]


def test_a_csv_that_cannot_be_read_as_configured_is_left_to_the_loader(tmp_path: Path):
    table = tmp_path / "semi.csv"
    table.write_text("id;churned\n1;yes\n")
    assert check_csv_target(table, "churned", "binary") == []
    assert check_csv_target(tmp_path / "missing.csv", "churned", "binary") == []


def test_check_table_stops_a_task_mismatch_without_numpy_reprs():
    frame = pd.DataFrame({"x": range(400), "price": [float(p) for p in PRICES]})
    found = check_table(
        frame, target="price", task="binary", test_size=0.2, cv_folds=5, dropped=["x"]
    )
    assert [(f.check, f.severity) for f in found] == [("task_mismatch", "critical")]
    assert "np." not in found[0].detail and "data.task: regression" in found[0].detail


def test_drafting_edits_keep_comments_and_read_back():
    text = (
        "# top\ndata:\n  target: y\n  # the positive class\n  positive_class: null\n"
        "  drop_columns:\n    - a\nsplit:\n  seed: 1\n"
    )
    edited = set_data_keys(text, {"positive_class": "yes", "drop_columns": ["a", "id"]})
    assert "# top\n" in edited and "  # the positive class\n" in edited
    assert yaml.safe_load(edited) == {
        "data": {"target": "y", "positive_class": "yes", "drop_columns": ["a", "id"]},
        "split": {"seed": 1},
    }
