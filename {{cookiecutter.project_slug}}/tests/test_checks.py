"""Every kind of bad input stops `validate` with the column and the fix, and nothing trains."""

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from conftest import a_constrained_column, edit_params, use_table

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.checks import check_table
from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.data import load_table
from {{ cookiecutter.module_name }}.stages.split import unseen_categories
from {{ cookiecutter.module_name }}.suite import draft_suite
from {{ cookiecutter.module_name }}.validation_report import describe, non_numeric_values, warning_lines


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
    "missing-target-values": (_blank_targets, ["lines 5, 10"], False),
    "single-class": (_one_class, ["only one class"], True),
    "rare-class": (_rare_class, ["'rare' has 3 rows", "baseline.cv_folds"], True),
    "identifier-column": (_identifier, [f"column '{ADDED_ID}'", "data.drop_columns"], False),
    "dates-as-text": (_dates, [f"column '{ADDED_DATE}'", "holds dates as text"], False),
    "decimal-comma": (_decimal_comma, ["decimal comma", "data.decimal: ','"], False),
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
    edit_params(project / "params.yaml", split__resample_below_rows=0)  # a holdout is enough
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
    assert "lines 9, 29, 49" in message
    assert main(["validate"]) == 1
    assert 'data.na_values: ["?"]' in capsys.readouterr().err
    edit_params(project / "params.yaml", data__na_values=["?"])
    assert main(["init-suite", "--force"]) == 0
    assert main(["validate"]) == 0


def _checks(frame: pd.DataFrame, **settings: object) -> dict[str, str]:
    options = {"target": "y", "task": "regression", "test_size": 0.2, "cv_folds": 2, "dropped": []}
    return {f"{f.check}:{f.column}": f.detail for f in check_table(frame, **(options | settings))}


def test_whole_numbers_beyond_64_bits_read_as_floats_that_the_drafted_suite_accepts(tmp_path):
    big = [f"{2**63 + 13 * i}" for i in range(30)]
    small = [f"{-(2**63) - 1 - i}" for i in range(30)]
    rows = "".join(f"{a},{b},{i % 2}\n" for i, (a, b) in enumerate(zip(big, small, strict=True)))
    (tmp_path / "t.csv").write_text("order_no,code,y\n" + rows)
    params = load_params().data.model_copy(update={"path": tmp_path / "t.csv", "target": "y"})
    frame = load_table(params)
    assert frame["order_no"].dtype == "float64" and frame["code"].dtype == "float64"
    assert frame["order_no"].iloc[0] == pytest.approx(2.0**63)
    from great_expectations.core import ExpectationSuite

    from {{ cookiecutter.module_name }}.stages.validate import validate_frame

    drafted = draft_suite(frame, "y", "binary", name="t")
    result = validate_frame(frame, ExpectationSuite(**json.loads(json.dumps(drafted))))
    assert [describe(o, frame)["detail"] for o in result["results"] if not o["success"]] == []


def test_na_values_advice_is_one_list_keeping_the_current_values_and_every_token():
    frame = pd.DataFrame(
        {
            "age": [str(20 + i) for i in range(40)],
            "weight": [f"{60 + i}.5" for i in range(40)],
            "z": np.linspace(0, 1, 40),
            "y": np.arange(40.0),
        }
    )
    frame.loc[3, "age"], frame.loc[5, "weight"], frame.loc[7, "weight"] = "?", "-", "missing"
    frame.loc[9, "z"] = np.inf
    found = _checks(frame, na_values=["n/a"])
    advice = 'data.na_values: ["-", "-inf", "?", "inf", "missing", "n/a"]'
    assert advice in found["numeric_junk:age"] and advice in found["numeric_junk:weight"]
    assert advice in found["infinite_values:z"] and "line 11" in found["infinite_values:z"]
    assert "identifier:weight" not in found  # unique text, but numbers with placeholders


def test_an_infinite_target_is_told_to_fix_the_rows_not_to_read_them_as_missing():
    frame = pd.DataFrame({"x": np.arange(30.0), "y": np.arange(30.0)})
    frame.loc[[8, 20], "y"] = [np.inf, -np.inf]
    detail = _checks(frame)["infinite_values:y"]
    assert "2 infinite value(s) (lines 10, 22)" in detail
    assert "correct or remove those rows" in detail and "na_values" not in detail


def test_the_advice_for_infinite_values_works_as_printed(project, capsys):
    frame = load_table(load_params().data)
    column = a_constrained_column(frame)
    frame[column] = frame[column].astype(float)
    frame.loc[[4, 9], column] = [np.inf, -np.inf]
    use_table(project, frame)
    assert main(["init-suite", "--force"]) == 1
    message = capsys.readouterr().err
    assert "Nothing was drafted" in message
    tokens = json.loads(message.split("data.na_values: ")[1].split("]")[0] + "]")
    assert tokens == ["-inf", "inf"]
    edit_params(project / "params.yaml", data__na_values=tokens)
    assert main(["init-suite", "--force"]) == 0
    assert main(["validate"]) == 0


def test_placeholders_in_a_validated_column_name_na_values_and_then_mostly(project, capsys):
    """An existing suite: each printed fix, applied as printed, brings validation back."""
    frame = load_table(load_params().data)
    column = a_constrained_column(frame)
    frame[column] = frame[column].astype(object)
    frame.loc[[2, 5, 11], column] = ["?", "-", "missing"]
    use_table(project, frame)
    assert main(["validate"]) == 1
    message = capsys.readouterr().err
    assert "identifier" not in message
    assert 'data.na_values: ["-", "?", "missing"]' in message
    edit_params(project / "params.yaml", data__na_values=["-", "?", "missing"])
    assert main(["validate"]) == 1
    message = capsys.readouterr().err
    line = next(x for x in message.splitlines() if "expect_column_values_to_not_be_null" in x)
    mostly = float(line.split("set mostly: ")[1].split()[0])
    assert 0.9 < mostly < 1
    suite_path = project / load_params().validate_.suite
    suite = json.loads(suite_path.read_text())
    for expectation in suite["expectations"]:
        kwargs = expectation["kwargs"]
        if (
            expectation["type"] == "expect_column_values_to_not_be_null"
            and kwargs["column"] == column
        ):
            kwargs["mostly"] = mostly
    suite_path.write_text(json.dumps(suite))
    assert main(["validate"]) == 0


def test_every_failing_expectation_line_names_a_fix(project, capsys):
    frame = load_table(load_params().data)
    column = a_constrained_column(frame)
    frame.loc[0, column] = frame[column].max() * 100 + 1000
    use_table(project, frame)
    assert main(["validate"]) == 1
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("  ")]
    assert lines and all(
        " if " in x or "; set " in x or "; add " in x or ": restore" in x for x in lines
    )
    assert any("widen min_value/max_value" in x for x in lines)


def test_failed_warnings_are_printed_as_lines():
    summary = {
        "expectations": [
            {
                "column": "(table)",
                "expectation": "expect_table_row_count_to_be_between",
                "severity": "warning",
                "success": False,
                "detail": "observed 440; expected at most 400 rows",
            },
            {
                "column": "x",
                "expectation": "e",
                "severity": "warning",
                "success": True,
                "detail": "passed",
            },
        ]
    }
    assert warning_lines(summary) == [
        "validate: warning: table: expect_table_row_count_to_be_between: observed 440; "
        "expected at most 400 rows"
    ]


def test_repeated_rows_pass_validate_with_a_warning_that_gives_the_count_and_options(
    project, capsys
):
    _write_bad_table(project, _duplicates)
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "validate: warning: table: check: duplicate_rows: 3 row(s) repeat an earlier row" in out
    assert "They are kept together" in out and "only if they are true copies" in out
    result = json.loads((project / "reports/validation/result.json").read_text())
    assert result["success"] and result["failed_warning"] >= 1


def test_deleting_the_lines_named_as_repeats_removes_the_finding():
    frame = pd.DataFrame({"x": np.arange(24.0), "y": np.arange(24.0) % 6})
    frame = pd.concat([frame, frame.iloc[[1, 7]]], ignore_index=True)
    detail = _checks(frame)["duplicate_rows:(table)"]
    named = detail.split("row(s) repeat an earlier row exactly (")[1].split(";")[0]
    lines = [int(n) for n in named.removeprefix("lines ").removeprefix("line ").split(", ")]
    assert "duplicate_rows:(table)" not in _checks(frame.drop(index=[n - 2 for n in lines]))


def test_placeholders_with_spaces_are_advised_exactly_as_written_and_the_advice_works(tmp_path):
    values = [f"{i}.5" for i in range(40)]
    values[3], values[9] = " ? ", "- "
    (tmp_path / "t.csv").write_text("x,y\n" + "".join(f"{v},{i}\n" for i, v in enumerate(values)))
    data = load_params().data.model_copy(
        update={"path": tmp_path / "t.csv", "target": "y", "drop_columns": []}
    )
    advice = _checks(load_table(data), source=data)["numeric_junk:x"]
    tokens = json.loads(advice.split("data.na_values: ")[1].split("]")[0] + "]")
    assert tokens == [" ? ", "- "] and "lines 5, 11" in advice
    fixed = load_table(data.model_copy(update={"na_values": tokens}))
    assert fixed["x"].dtype == "float64" and "numeric_junk:x" not in _checks(fixed)


def test_lines_are_the_files_lines_past_quoted_line_breaks_and_blank_lines(tmp_path):
    text = 'x,note,y\n1,a,1\n\n2,"two\nlines",2\n   \n3,c,3\n,,4\ninf,d,5\n'
    (tmp_path / "t.csv").write_text(text)
    data = load_params().data.model_copy(
        update={"path": tmp_path / "t.csv", "target": "y", "drop_columns": []}
    )
    frame = load_table(data)
    assert _checks(frame, source=data)["infinite_values:x"].startswith(
        "1 infinite value(s) (line 9)"
    )
    assert text.splitlines()[9 - 1].startswith("inf,")


def test_a_blank_binary_target_does_not_turn_its_classes_into_floats():
    frame = pd.DataFrame({"x": np.arange(40.0), "y": [0.0, 1.0] * 20})
    frame.loc[7, "y"] = np.nan
    found = _checks(frame, task="binary", positive="1")
    assert "target_missing_values:y" in found and "positive_class:y" not in found


def test_a_blank_target_and_an_infinite_range_point_at_the_fix_that_works():
    frame = pd.DataFrame({"x": [1.0, np.inf, 2.0], "y": [1.0, None, 0.0]})
    null = _outcome_of("expect_column_values_to_not_be_null", {"column": "y"})
    detail = describe(null, frame, "s.json", target="y")["detail"]
    assert "a target needs a value in every row" in detail and "mostly" not in detail
    between = _outcome_of(
        "expect_column_values_to_be_between", {"column": "x", "min_value": 0, "max_value": 3}
    )
    assert "by check: infinite_values" in describe(between, frame, "s.json")["detail"]


def _outcome_of(kind: str, kwargs: dict) -> dict:
    return {
        "success": False,
        "expectation_config": {"type": kind, "kwargs": kwargs},
        "result": {"unexpected_count": 1, "element_count": 3, "partial_unexpected_list": [None]},
    }


def test_a_rare_class_of_a_small_table_is_judged_by_its_resampling_folds():
    # 40 rows (under split.resample_below_rows): each of 5 folds holds out a fifth.
    frame = pd.DataFrame({"x": range(40), "y": ["a"] * 35 + ["b"] * 5})
    settings = {"target": "y", "task": "binary", "test_size": 0.5, "cv_folds": 5, "dropped": []}
    (rare,) = [
        f for f in check_table(frame, **settings, resample_folds=5) if f.check == "rare_class"
    ]
    assert "split.resample_folds 5" in rare.detail and "split.test_size" not in rare.detail
    assert "set baseline.cv_folds to 4 or lower" in rare.detail
    # The advice, followed, passes: 4 training rows of 'b' in every fold, 4 inner folds.
    settings["cv_folds"] = 4
    assert not [
        f for f in check_table(frame, **settings, resample_folds=5) if f.check == "rare_class"
    ]


def test_a_class_with_fewer_rows_than_resampling_folds_gets_both_settings_and_they_work():
    frame = pd.DataFrame({"x": range(60), "y": ["a"] * 30 + ["b"] * 26 + ["z"] * 4})
    settings = {"target": "y", "task": "multiclass", "test_size": 0.2, "dropped": []}
    found = check_table(frame, **settings, cv_folds=5, resample_folds=5)
    (rare,) = [f for f in found if f.check == "rare_class"]
    assert "set split.resample_folds to 4 and baseline.cv_folds to 3 or lower" in rare.detail
    followed = check_table(frame, **settings, cv_folds=3, resample_folds=4)
    assert not [f for f in followed if f.check == "rare_class"]
