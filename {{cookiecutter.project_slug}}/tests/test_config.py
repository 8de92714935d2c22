"""params.yaml is checked against its schema before any stage runs."""

import time

import pytest
from conftest import edit_params

from {{ cookiecutter.module_name }}.__main__ import main
from {{ cookiecutter.module_name }}.config import ParamsError, load_params
from {{ cookiecutter.module_name }}.params_check import missing_listed_keys


def test_shipped_params_match_the_schema(project):
    params = load_params()
    assert params.split.test_size == pytest.approx(0.2)


def test_a_missing_key_is_named_with_the_file(project):
    edit_params(project / "params.yaml", split__seed=None)
    with pytest.raises(ParamsError, match=r"(?s)params\.yaml.*split\.seed: missing key"):
        load_params()


def test_an_unknown_key_is_reported_as_a_likely_typo(project):
    edit_params(project / "params.yaml", split__sed=3)
    with pytest.raises(ParamsError, match=r"split\.sed: unknown key"):
        load_params()


def test_a_misspelt_key_or_section_gets_a_suggestion(project):
    edit_params(project / "params.yaml", split__test_sizee=0.3, split__test_size=None)
    typo = r"split\.test_sizee: unknown key; did you mean 'test_size'\?"
    with pytest.raises(ParamsError, match=typo):
        load_params()
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("baseline:", "baseline_:"))
    with pytest.raises(ParamsError, match=r"baseline_: unknown section; did you mean 'baseline'\?"):
        load_params()


def test_a_key_dvc_yaml_lists_must_exist_even_with_a_default(tmp_path):
    dvc_file = tmp_path / "dvc.yaml"
    dvc_file.write_text("stages:\n  validate:\n    params:\n      - data.sep\n      - data.path\n")
    problems = missing_listed_keys({"data": {"path": "x.csv"}}, dvc_file)
    assert len(problems) == 1 and "data.sep" in problems[0] and "'validate'" in problems[0]


def test_a_mistyped_value_names_the_key_and_the_value(project):
    edit_params(project / "params.yaml", baseline__cv_folds="five")
    with pytest.raises(ParamsError, match=r"baseline\.cv_folds.*'five'"):
        load_params()


def test_a_metric_of_another_task_is_rejected(project):
    task = load_params().data.task
    other = "rmse" if task != "regression" else "roc_auc"
    edit_params(project / "params.yaml", compare__primary_metric=other)
    with pytest.raises(ParamsError, match=r"compare\.primary_metric"):
        load_params()


def test_a_dummy_strategy_of_another_task_is_rejected(project):
    task = load_params().data.task
    other = "mean" if task != "regression" else "prior"
    edit_params(project / "params.yaml", baseline__dummy__strategy=other)
    with pytest.raises(ParamsError, match=r"baseline\.dummy\.strategy"):
        load_params()


def test_a_yes_no_value_where_text_is_expected_hints_at_quoting(project):
    edit_params(project / "params.yaml", data__target=True)
    with pytest.raises(ParamsError, match="quote the value"):
        load_params()


def test_a_bad_params_file_stops_the_stage_fast_with_exit_status_1(project, capsys):
    edit_params(project / "params.yaml", split__test_size=1.5)
    start = time.perf_counter()
    assert main(["baseline"]) == 1
    assert time.perf_counter() - start < 2
    assert "split.test_size" in capsys.readouterr().err
