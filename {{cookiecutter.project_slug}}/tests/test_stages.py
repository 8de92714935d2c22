"""Behaviour of the stages' pure functions on small frames."""

import json

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.checks import check_table
from {{ cookiecutter.module_name }}.config import DataParams
from {{ cookiecutter.module_name }}.data import DataError, load_table
from {{ cookiecutter.module_name }}.errors import StageError
from {{ cookiecutter.module_name }}.metrics import positive_class
from {{ cookiecutter.module_name }}.stages.baseline import check_target, select_baseline, tune_threshold
from {{ cookiecutter.module_name }}.stages.split import split_table
from {{ cookiecutter.module_name }}.suite import draft_suite, drafted_bounds
from {{ cookiecutter.module_name }}.validation_report import describe, failure_message


def test_the_simpler_model_wins_within_one_paired_standard_error():
    # Paired per-fold differences hgb - linear: 0.03, -0.01, 0.02, -0.02, 0.03; mean 0.01,
    # std (ddof=1) sqrt(0.0022 / 4) = 0.023452, standard error 0.023452 / sqrt(5) = 0.010488.
    hgb = np.array([0.80, 0.85, 0.90, 0.95, 1.00])
    linear = hgb - np.array([0.03, -0.01, 0.02, -0.02, 0.03])
    chosen, reason = select_baseline({"dummy": np.full(5, 0.5), "linear": linear, "hgb": hgb})
    assert chosen == "linear"
    assert "one standard error" in reason
    assert "paired per-fold difference 0.0100, standard error 0.0105" in reason


def test_a_complex_model_better_on_every_fold_is_chosen_however_noisy_the_folds():
    # The folds vary by 0.2, but hgb beats linear by 0.02 on each: standard error 0. The
    # old rule (best model's fold std, ddof=0, / sqrt(5) = 0.0316) would have kept linear.
    hgb = np.array([0.80, 0.85, 0.90, 0.95, 1.00])
    chosen, reason = select_baseline({"dummy": np.full(5, 0.5), "linear": hgb - 0.02, "hgb": hgb})
    assert chosen == "hgb"
    assert reason == "hgb has the best mean CV score (0.9000)"


def test_a_loss_metric_reads_back_in_its_own_units():
    chosen, reason = select_baseline(
        {"linear": np.array([-0.30, -0.32]), "hgb": np.array([-0.31, -0.33])}, direction=-1.0
    )
    assert chosen == "linear"
    assert reason == "linear has the best mean CV score (0.3100)"


def test_fold_scores_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="same number"):
        select_baseline({"linear": np.ones(5), "hgb": np.ones(4)})


def test_the_split_is_stratified_seeded_and_keeps_row_ids():
    frame = pd.DataFrame({"x": range(20), "y": ["a"] * 10 + ["b"] * 10})
    train, test = split_table(frame, "y", test_size=0.5, seed=0, stratify=True)
    again, _ = split_table(frame, "y", test_size=0.5, seed=0, stratify=True)
    assert sorted([*train["row_id"], *test["row_id"]]) == list(range(20))
    assert test["y"].value_counts().to_dict() == {"a": 5, "b": 5}
    assert train["row_id"].tolist() == again["row_id"].tolist()


def test_a_class_with_one_row_cannot_be_stratified():
    frame = pd.DataFrame({"x": range(5), "y": ["a", "a", "a", "a", "b"]})
    with pytest.raises(StageError, match="target 'y'"):
        split_table(frame, "y", test_size=0.4, seed=0, stratify=True)


def test_the_drafted_suite_names_every_column_and_the_classes():
    frame = pd.DataFrame({"size": [1.0, 2.0, 4.0], "label": ["yes", "no", "yes"]})
    suite = draft_suite(frame, "label", "binary", name="tiny")
    kinds = {(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]}
    assert ("expect_column_values_to_be_between", "size") in kinds
    value_sets = [e for e in suite["expectations"] if "value_set" in e["kwargs"]]
    assert value_sets[0]["kwargs"]["value_set"] == ["no", "yes"]


@pytest.mark.parametrize(
    ("values", "task", "words"),
    [
        (["a", "b", "c", "a"], "binary", "needs exactly two"),
        (["a", "b", None, "a"], "binary", "missing values"),
        (["a", "b", "b", "a"], "regression", "not numeric"),
        (["a", "b", "b", "b"], "multiclass", "baseline.cv_folds"),
    ],
    ids=["three-classes-for-binary", "missing-target", "text-for-regression", "rare-class"],
)
def test_a_target_unfit_for_the_task_is_refused_with_the_fix(values, task, words):
    y = pd.Series(values, dtype="str" if task != "regression" else "object")
    with pytest.raises(StageError, match=words):
        check_target(y, task, "label", cv_folds=2)


def test_an_unknown_positive_class_names_the_classes():
    with pytest.raises(StageError, match=r"positive_class 'Yes'.*\['no', 'yes'\]"):
        positive_class(["no", "yes"], "Yes")


def test_an_empty_file_and_a_wrong_encoding_name_the_setting(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        load_table(DataParams(path=empty, target="y", task="binary"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"name,y\n" + "Zoë,1\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"byte 9 cannot be decoded as 'utf-8'.*data\.encoding"):
        load_table(DataParams(path=latin, target="y", task="binary"))


def _outcome(kind: str, kwargs: dict, **extra) -> dict:
    """One GX result entry, as GX 1.x writes a failure."""
    config = {"type": kind, "kwargs": {"batch_id": "b", **kwargs}, "severity": "critical"}
    return {"success": False, "expectation_config": config, "result": {}, **extra}


def test_a_missing_column_is_reported_once_in_the_users_terms():
    frame = pd.DataFrame({"price": [1.0, 2.0]})
    error = 'The column "region" in BatchData does not exist.'
    raised = {"metric": {"raised_exception": True, "exception_message": error}}
    outcomes = [
        _outcome(
            "expect_column_values_to_not_be_null", {"column": "region"}, exception_info=raised
        ),
        _outcome("expect_column_values_to_be_of_type", {"column": "region", "type_": "str"}),
        _outcome(
            "expect_table_columns_to_match_set",
            {"column_set": ["price", "region"]},
            result={"details": {"mismatched": {"missing": ["region"]}}},
        ),
    ]
    items = [describe(outcome, frame) for outcome in outcomes]
    summary = {
        "failed_critical": 3,
        "data_path": "data/raw/x.csv",
        "suite_path": "expectations/x.json",
        "expectations": items,
    }
    message = failure_message(summary, "hint: git checkout ...")
    assert message.count("region") == 1
    assert (
        "column 'region' is missing from data/raw/x.csv; the suite expects it: restore it in "
        "the data, or remove it from expectations/x.json (its expectations, and its name in "
        "the column set of expect_table_columns_to_match_set)"
    ) in message
    for internal in ("BatchData", "observed None", "type_", "{", "[]"):
        assert internal not in message
    assert message.endswith("hint: git checkout ...")


def test_failures_name_values_and_expectations_without_library_reprs():
    frame = pd.DataFrame({"age": [1, 200], "city": ["a", "b"]})
    between = _outcome(
        "expect_column_values_to_be_between",
        {"column": "age", "min_value": 0, "max_value": 120, "mostly": 0.95},
        result={"unexpected_count": 1, "element_count": 2, "partial_unexpected_list": [200]},
    )
    typed = _outcome(
        "expect_column_values_to_be_of_type",
        {"column": "city", "type_": "int64"},
        result={"observed_value": "str"},
    )
    assert describe(between, frame, "expectations/t.json")["detail"] == (
        "1 of 2 values unexpected, e.g. 200; expected values between 0 and 120 "
        "(in at least 95% of rows); if these values are right, widen min_value/max_value of "
        "expect_column_values_to_be_between of 'age' in expectations/t.json; else correct "
        "those rows in the data"
    )
    assert describe(typed, frame, "expectations/t.json")["detail"] == (
        "observed 'str'; expected type 'int64'; if the data changed on purpose, edit "
        "expect_column_values_to_be_of_type of 'city' in expectations/t.json, or draft the "
        "suite again with `python -m {{ cookiecutter.module_name }} init-suite --force` and "
        "review it; else correct the data"
    )


# One column per dtype the loader can produce from a CSV, with the CSV text of its values.
LOADED_COLUMNS = {
    "boolean": "True,False,True,False,True,True",
    "boolean-with-blanks": "True,,False,True,,False",
    "integer-with-blanks": "1,,3,4,,6",
    "float-with-nan": "0.5,,1.5,2.25,,3.0",
    "text": "a,b,a,c,b,a",
    "dates-as-text": "2024-01-01,2024-01-02,2024-01-03,2024-01-04,2024-01-05,2024-01-06",
    "mixed": "1,x,2,y,3,z",
}


def _failures(frame: pd.DataFrame, target: str, task: str) -> list[str]:
    from great_expectations.core import ExpectationSuite

    from {{ cookiecutter.module_name }}.stages.validate import validate_frame

    drafted = json.loads(json.dumps(draft_suite(frame, target, task, name="t"), allow_nan=False))
    result = validate_frame(frame, ExpectationSuite(**drafted))
    outcomes = [describe(outcome, frame) for outcome in result["results"]]
    return [f"{o['column']}: {o['detail']}" for o in outcomes if not o["success"]]


@pytest.mark.parametrize("kind", list(LOADED_COLUMNS))
def test_a_suite_drafted_from_a_table_validates_that_same_table(tmp_path, kind):
    rows = LOADED_COLUMNS[kind].split(",")
    text = "x,y\n" + "".join(f"{x},{y}\n" for x, y in zip(rows, "TFTFTF", strict=True))
    (tmp_path / "t.csv").write_text(text.replace(",T\n", ",True\n").replace(",F\n", ",False\n"))
    frame = load_table(DataParams(path=tmp_path / "t.csv", target="y", task="binary"))
    assert _failures(frame, "y", "binary") == []


def test_drafted_bounds_stay_whole_non_negative_and_within_natural_limits():
    assert drafted_bounds(pd.Series([1.0, 3.0, 5.0])) == (0.0, 6.0)
    assert drafted_bounds(pd.Series([18, 40, 80])) == (11.0, 87.0)
    assert drafted_bounds(pd.Series([0.02, 0.5, 0.99])) == (0.0, 1.0)
    assert drafted_bounds(pd.Series([5.5, 50.0, 99.5])) == (0.0, 100.0)
    assert drafted_bounds(pd.Series([-1.5, 0.5])) == (-1.7, 0.7)


def test_infinite_values_are_named_with_count_and_first_row_and_never_drafted():
    frame = pd.DataFrame({"x": [1.0, np.inf, 2.0, -np.inf, 3.0], "y": [1.0, 2.0, np.inf, 4, 5]})
    found = {
        f.column: f.detail
        for f in check_table(
            frame, target="y", task="regression", test_size=0.2, cv_folds=2, dropped=[]
        )
        if f.check == "infinite_values"
    }
    assert "2 infinite value(s) (lines 3, 5)" in found["x"]
    assert "1 infinite value(s) (line 4)" in found["y"]
    suite = draft_suite(frame, "y", "regression", name="t")
    json.dumps(suite, allow_nan=False)  # standard JSON: no Infinity or NaN


@pytest.mark.parametrize("rows", [1, 2, 3, 4])
def test_rare_class_advice_makes_the_check_pass_when_followed(rows):
    frame = pd.DataFrame({"y": ["a"] * 20 + ["b"] * rows, "x": range(20 + rows)})
    settings = {"target": "y", "task": "binary", "test_size": 0.2, "dropped": []}
    (rare,) = [f for f in check_table(frame, cv_folds=5, **settings) if f.check == "rare_class"]
    if "set baseline.cv_folds to" in rare.detail:
        folds = int(rare.detail.split("set baseline.cv_folds to ")[1].split()[0])
        assert not [
            f for f in check_table(frame, cv_folds=folds, **settings) if f.check == "rare_class"
        ]
    else:
        assert "cannot help" in rare.detail
        for folds in range(2, 5):
            assert [
                f for f in check_table(frame, cv_folds=folds, **settings) if f.check == "rare_class"
            ]
        least = int(rare.detail.split("at least ")[-1].split()[0])
        more = pd.DataFrame({"y": ["a"] * 20 + ["b"] * least, "x": range(20 + least)})
        assert not [f for f in check_table(more, cv_folds=2, **settings) if f.check == "rare_class"]


def test_a_one_row_class_in_training_is_not_told_to_lower_the_folds():
    with pytest.raises(StageError, match="cannot help"):
        check_target(pd.Series(["a", "a", "a", "b"]), "binary", "label", cv_folds=2)


def test_a_failing_row_count_names_the_suite_and_how_to_lower_it():
    frame = pd.DataFrame({"x": range(10), "y": [0, 1] * 5})
    suite = draft_suite(frame, "y", "binary", name="t")
    (minimum,) = [
        e
        for e in suite["expectations"]
        if "min_value" in e["kwargs"] and "column" not in e["kwargs"]
    ]
    outcome = {
        "success": False,
        "expectation_config": {"type": minimum["type"], "kwargs": minimum["kwargs"]},
        "result": {"observed_value": 3},
    }
    detail = describe(outcome, frame.head(3), "expectations/t.json")["detail"]
    assert "3 rows, fewer than the 5" in detail
    assert "expectations/t.json" in detail and "init-suite --force" in detail


def test_a_model_with_constant_probabilities_keeps_one_half_instead_of_failing():
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    X, y = pd.DataFrame({"x": range(40)}), pd.Series(["a", "b"] * 20)
    constant = Pipeline([("model", DummyClassifier(strategy="prior"))])
    assert tune_threshold(constant, X, y, positive="b", metric="f1", folds=4) is None


def test_the_gate_signs_a_gain_so_that_positive_is_better_for_errors_too():
    from {{ cookiecutter.module_name }}.check import summary_table

    table = summary_table("rmse", "main", 0.5213, 0.5106, None, "pass", "different schemes")
    assert "| +0.0107, n/a (different schemes) |" in table
