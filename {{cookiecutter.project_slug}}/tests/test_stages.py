"""Behaviour of the stages' pure functions on small frames."""

import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import DataParams
from {{ cookiecutter.module_name }}.data import DataError, load_table
from {{ cookiecutter.module_name }}.errors import StageError
from {{ cookiecutter.module_name }}.metrics import positive_class
from {{ cookiecutter.module_name }}.stages.baseline import check_target, select_baseline
from {{ cookiecutter.module_name }}.stages.split import split_table
from {{ cookiecutter.module_name }}.suite import draft_suite
from {{ cookiecutter.module_name }}.validation_report import describe, failure_message


def test_the_simpler_model_wins_within_one_standard_error():
    chosen, reason = select_baseline(
        {"dummy": (0.5, 0.0), "linear": (0.95, 0.02), "hgb": (0.96, 0.02)}, 4
    )
    assert chosen == "linear"
    assert "one standard error" in reason


def test_a_clearly_better_complex_model_is_chosen():
    chosen, _ = select_baseline(
        {"dummy": (0.5, 0.0), "linear": (0.80, 0.01), "hgb": (0.95, 0.01)}, 5
    )
    assert chosen == "hgb"


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
    assert describe(between, frame)["detail"] == (
        "1 of 2 values unexpected, e.g. 200; expected values between 0 and 120 "
        "(in at least 95% of rows)"
    )
    assert describe(typed, frame)["detail"] == "observed 'str'; expected type 'int64'"
