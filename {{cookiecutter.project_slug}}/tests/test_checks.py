"""Every kind of bad input stops `validate` with the column and the fix, and nothing trains."""

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import a_constrained_column, edit_params, use_table

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.checks import check_table
from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.data import load_table
from {{ cookiecutter.module_name }}.stages.split import unseen_categories
from {{ cookiecutter.module_name }}.validation_report import non_numeric_values


def _rename_target(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return frame.rename(columns={target: "outcome"})


def _blank_targets(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    frame[target] = frame[target].astype(object)
    frame.loc[[3, 8], target] = None
    return frame


def _one_class(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    frame[target] = frame[target].iloc[0]
    return frame


def _rare_class(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    frame[target] = frame[target].astype(object)
    frame.loc[[1, 2, 3], target] = "rare"
    return frame


# Columns the tests add have names no real table is likely to hold (or to drop already).
ADDED_ID, ADDED_DATE = "test_added_id", "test_added_date"


def _identifier(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return frame.assign(**{ADDED_ID: [f"C{i:05d}" for i in range(len(frame))]})


def _dates(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=len(frame), freq="h").strftime("%Y-%m-%d")
    return frame.assign(**{ADDED_DATE: days})


def _decimal_comma(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    column = a_constrained_column(frame)
    frame[column] = frame[column].map(lambda value: f"{value:.2f}".replace(".", ","))
    return frame


def _duplicates(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return pd.concat([frame, frame.head(3)], ignore_index=True)


CASES = {
    "missing-target-column": (_rename_target, ["data.target"], False),
    "missing-target-values": (_blank_targets, ["rows 3, 8"], False),
    "single-class": (_one_class, ["only one class"], True),
    "rare-class": (_rare_class, ["'rare' has 3 rows", "baseline.cv_folds"], True),
    "identifier-column": (_identifier, [f"column '{ADDED_ID}'", "data.drop_columns"], False),
    "dates-as-text": (_dates, [f"column '{ADDED_DATE}'", "holds dates as text"], False),
    "decimal-comma": (_decimal_comma, ["decimal comma", "data.decimal: ','"], False),
    "duplicate-rows": (_duplicates, ["3 rows repeat others", "drop duplicates"], False),
}


def _write_bad_table(project: Path, corrupt) -> None:
    params = load_params()
    use_table(project, corrupt(load_table(params.data), params.data.target))


def _assert_stopped(project: Path, capsys, words: list[str]) -> None:
    experiment = load_params().mlflow.experiment
    assert main(["validate"]) == 1
    message = capsys.readouterr().err
    for word in words:
        assert word in message
    assert main(["split"]) == 1
    assert not (project / "data/split").exists() and not (project / "models").exists()
    runs = mlflow.search_runs(experiment_names=[experiment])
    assert set(runs["status"]) == {"FAILED"}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_table_stops_validate_naming_column_and_fix(project, capsys, case):
    corrupt, words, classification_only = CASES[case]
    if classification_only and load_params().data.task == "regression":
        pytest.skip("a regression target has no classes")
    if case == "decimal-comma" and load_params().data.decimal == ",":
        pytest.skip("this project reads decimal commas as numbers (data.decimal)")
    _write_bad_table(project, corrupt)
    _assert_stopped(project, capsys, words)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"a;b;label\n1;2;x\n", ["data.sep: ';'"]),
        (b"a,a,label\n1,2,x\n", ["['a']", "more than once"]),
        (b"name,label\nZo\xeb,x\n", ["byte 13", "data.encoding"]),
    ],
    ids=["wrong-separator", "repeated-column-names", "undecodable-byte"],
)
def test_a_file_that_cannot_be_read_as_configured_names_the_setting(
    project, capsys, content, words
):
    (project / "bad.csv").write_bytes(content)
    reader = {"data__sep": ",", "data__decimal": ".", "data__encoding": "utf-8"}  # defaults
    edit_params(project / "params.yaml", data__path="bad.csv", **reader)
    _assert_stopped(project, capsys, words)


def test_a_drafted_suite_passes_its_table_and_catches_a_broken_column(project, capsys):
    assert main(["init-suite", "--force"]) == 0
    assert main(["validate"]) == 0
    frame = load_table(load_params().data)
    column = a_constrained_column(frame)
    frame[column] = frame[column].astype(object)
    frame.loc[:4, column] = "broken"
    use_table(project, frame)
    assert main(["validate"]) == 1
    assert f"column '{column}'" in capsys.readouterr().err


def test_a_failed_baseline_keeps_the_previous_models(project):
    assert main(["validate"]) == 0 and main(["split"]) == 0 and main(["baseline"]) == 0
    before = sorted(p.name for p in (project / "models/baseline").iterdir())
    edit_params(project / "params.yaml", baseline__cv_folds=5000)
    assert main(["baseline"]) == 1
    assert sorted(p.name for p in (project / "models/baseline").iterdir()) == before


def test_constant_and_empty_columns_are_handled_and_reported():
    x = [0.5 * i for i in range(30)]
    frame = pd.DataFrame({"x": x, "same": 1.0, "empty": None, "y": ["a", "b"] * 15})
    found = {
        f.check: f
        for f in check_table(
            frame, target="y", task="binary", test_size=0.2, cv_folds=2, dropped=[]
        )
    }
    assert found["constant"].severity == "handled" and found["constant"].column == "same"
    assert found["all_empty"].severity == "handled" and found["all_empty"].column == "empty"
    assert "identifier" not in found  # distinct measurements (floats) are not identifiers


def test_columns_in_drop_columns_are_not_checked_and_unknown_ones_are_named():
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(30)], "y": ["a", "b"] * 15})
    assert (
        check_table(frame, target="y", task="binary", test_size=0.2, cv_folds=2, dropped=["id"])
        == []
    )
    found = check_table(frame, target="y", task="binary", test_size=0.2, cv_folds=2, dropped=["ID"])
    assert [f.check for f in found] == ["drop_unknown", "identifier"]


def test_a_positive_class_that_is_not_a_class_is_named():
    frame = pd.DataFrame({"x": [0.5 * i for i in range(30)], "y": [0, 1] * 15})
    found = check_table(
        frame,
        target="y",
        task="binary",
        test_size=0.2,
        cv_folds=2,
        dropped=[],
        positive="malignant",
    )
    assert [f.check for f in found] == ["positive_class"]
    assert "data.positive_class 'malignant'" in found[0].detail


def test_decimal_commas_point_at_data_decimal():
    assert "data.decimal" in non_numeric_values(pd.Series(["3,14", "2,5", "1"]))


def test_categories_seen_only_in_the_test_split_are_counted():
    train = pd.DataFrame({"row_id": [0, 1], "city": ["Oslo", "Bergen"], "y": [1, 2]})
    test = pd.DataFrame({"row_id": [2, 3], "city": ["Oslo", "Tromsø"], "y": [1, 2]})
    assert unseen_categories(train, test, "y") == {"city": 1}


def test_a_numeric_column_with_a_junk_token_is_named_and_data_na_values_fixes_it(project, capsys):
    frame = load_table(load_params().data)
    ages = pd.Series(range(len(frame)), dtype=object) % 60 + 18
    ages[ages.index % 20 == 7] = "?"
    use_table(project, frame.assign(test_added_age=ages.to_numpy()))
    assert main(["init-suite", "--force"]) == 1
    message = capsys.readouterr().err
    assert "'test_added_age'" in message and 'data.na_values: ["?"]' in message
    assert "first in row 7" in message
    assert main(["validate"]) == 1
    assert 'data.na_values: ["?"]' in capsys.readouterr().err
    edit_params(project / "params.yaml", data__na_values=["?"])
    assert main(["init-suite", "--force"]) == 0
    assert main(["validate"]) == 0
