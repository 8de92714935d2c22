"""A user's own CSV to a green first `dvc repro`: identifier columns, a yes/no target, a
task that does not fit the target, a misspelt target (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bake, bake_csv, holdout, run_in

MODULE = "tabular_baseline"


def churn_table(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """Customers with an id, numeric and categorical features with signal, a yes/no target."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 73, rows)
    charges = np.round(rng.uniform(20, 120, rows), 2)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.5, 0.3, 0.2])
    calls = rng.poisson(2, rows)
    logit = 0.8 - 0.05 * tenure + 0.02 * (charges - 70) + 0.4 * calls
    logit -= 1.5 * (contract != "month-to-month")
    churned = rng.random(rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(1, rows + 1)],
            "tenure_months": tenure,
            "monthly_charges": charges,
            "contract": contract,
            "support_calls": calls,
            "churned": np.where(churned, "yes", "no"),
        }
    )


def house_table(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Houses whose price (whole currency units, ~400 distinct values) is the target."""
    rng = np.random.default_rng(seed)
    area = np.round(rng.uniform(40, 250, rows), 1)
    city = rng.choice(["Oslo", "Bergen", "Tromsø"], rows)
    price = 50_000 + 2_000 * area + 80_000 * (city == "Oslo") + rng.normal(0, 20_000, rows)
    return pd.DataFrame({"area": area, "city": city, "price": np.round(price, -2).astype(int)})


def write_csv(folder: Path, name: str, table: pd.DataFrame) -> Path:
    path = folder / name
    table.to_csv(path, index=False)
    return path


def set_task(project: Path, task: str) -> None:
    """Change data.task after the bake, with the settings the schema asks for with it."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params["data"]["task"] = task
    if task == "regression":
        params["baseline"]["linear"]["alpha"] = [1.0, 10.0]
        params["baseline"]["dummy"]["strategy"] = "mean"
        params["compare"]["primary_metric"] = "rmse"
    else:
        params["baseline"]["linear"]["C"] = [0.1, 1.0]
        params["baseline"]["dummy"]["strategy"] = "prior"
        params["compare"]["primary_metric"] = "roc_auc"
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def churn_project(cookies_session, tmp_path_factory) -> tuple[Path, str]:
    """The churn table baked with git and DVC, after one `dvc repro` with no hand edits."""
    csv = write_csv(tmp_path_factory.mktemp("own"), "churn.csv", churn_table())
    project = holdout(bake_csv(cookies_session, csv, "churned", "binary"))
    done = run_in(project, "dvc", "repro")
    return project, done.stdout


def test_drafting_writes_the_certain_fixes_into_params_yaml_keeping_its_comments(tmp_path, cookies):
    csv = write_csv(tmp_path, "churn.csv", churn_table())
    project = holdout(bake_csv(cookies, csv, "churned", "binary"))
    text = (project / "params.yaml").read_text()
    data = yaml.safe_load(text)["data"]
    assert data["drop_columns"] == ["customer_id"]
    assert data["positive_class"] == "yes"
    assert "# Binary tasks: the class counted as positive" in text
    suite = json.loads((project / "expectations/churn.json").read_text())
    assert "customer_id" in suite["expectations"][0]["kwargs"]["column_set"]


@pytest.mark.pipeline
def test_an_id_column_and_a_yes_no_target_reach_a_green_first_repro(churn_project):
    project, output = churn_project
    for stage in ("validate", "split", "baseline", "compare"):
        assert f"Running stage '{stage}'" in output
    assert "F1 and the ROC curve are for the positive class 'yes'" in output
    assert (project / "models/baseline/linear.joblib").is_file()


@pytest.mark.pipeline
def test_explanations_on_the_test_split_read_the_known_churn_drivers(churn_project):
    project, output = churn_project
    explain = project / "reports/explain"
    coefficients = pd.read_csv(explain / "coefficients.csv").set_index("feature")
    weight = coefficients["coefficient"]  # log-odds of 'yes' per standard deviation
    assert weight["tenure_months"] < 0 and weight["support_calls"] > 0
    assert weight["contract=month-to-month"] > max(
        weight["contract=one-year"], weight["contract=two-year"]
    )
    assert coefficients.loc["contract=two-year", "kind"] == "one-hot level"
    assert "customer_id" not in set(coefficients["column"])  # data.drop_columns
    # Permutation importance on the 60 test rows, the same for every candidate, grouped by
    # original column: the one-hot levels of contract move together.
    columns = {"tenure_months", "monthly_charges", "contract", "support_calls"}
    for name in ("dummy", "linear", "hgb"):
        table = pd.read_csv(explain / f"importance/{name}.csv")
        assert set(table["feature"]) == columns and table["shuffles"].eq(5).all()
    linear = pd.read_csv(explain / "importance/linear.csv").set_index("feature")
    assert linear["importance_mean"].idxmax() in {"tenure_months", "support_calls", "contract"}
    card = (project / "reports/model_card.md").read_text()
    assert "on 60 test rows, the same for every candidate" in card
    calibration = pd.read_csv(explain / "calibration/linear.csv")
    assert calibration["rows"].sum() == 60
    assert "Report (one page, opens offline): reports/report.html" in output


@pytest.mark.pipeline
def test_a_column_named_row_id_stops_split_with_advice_that_works(cookies, tmp_path):
    table = churn_table().assign(row_id=np.arange(300) % 7)
    csv = write_csv(tmp_path, "churn.csv", table)
    project = holdout(bake_csv(cookies, csv, "churned", "binary"))
    failed = run_in(project, "dvc", "repro", "split", check=False)
    assert failed.returncode != 0 and "Traceback" not in failed.stdout + failed.stderr
    assert "column 'row_id' is a name the pipeline keeps for its own row numbers" in (
        failed.stdout + failed.stderr
    )
    assert not (project / "data/split/train.parquet").exists()
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["data"]["drop_columns"].append("row_id")
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run_in(project, "dvc", "repro", "split")
    assert (project / "data/split/train.parquet").is_file()


@pytest.mark.pipeline
def test_every_report_names_the_positive_class(churn_project):
    project, _ = churn_project
    stated = "F1 and the ROC curve are for the positive class 'yes' (set in data.positive_class)"
    assert stated in (project / "reports/compare/comparison.md").read_text()
    assert stated in " ".join((project / "reports/model_card.md").read_text().split())
    metrics = json.loads((project / "reports/compare/metrics.json").read_text())
    assert metrics["positive_class"] == "yes"
    roc = pd.read_csv(project / "reports/baseline/plots/roc_linear.csv")
    assert set(roc["positive_class"]) == {"yes"}


@pytest.mark.pipeline
def test_mlflow_records_the_positive_class_of_every_stage_run(churn_project):
    from mlflow.tracking import MlflowClient

    project, _ = churn_project
    client = MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    name = yaml.safe_load((project / "params.yaml").read_text())["mlflow"]["experiment"]
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id], "tags.stage != ''")
    stage_runs = {r.info.run_name: r for r in runs if "mlflow.parentRunId" not in r.data.tags}
    assert sorted(stage_runs) == ["baseline", "compare", "split", "validate"]
    for run in stage_runs.values():
        assert run.data.params["data.positive_class"] == "yes"
    assert stage_runs["compare"].data.tags["positive_class_rule"] == "set in data.positive_class"


@pytest.mark.pipeline
def test_a_null_positive_class_is_inferred_and_stated_at_run_time(cookies, tmp_path):
    csv = write_csv(tmp_path, "churn.csv", churn_table())
    project = holdout(bake_csv(cookies, csv, "churned", "binary"))
    path = project / "params.yaml"
    path.write_text(path.read_text().replace('positive_class: "yes"', "positive_class: null"))
    assert yaml.safe_load(path.read_text())["data"]["positive_class"] is None
    done = run_in(project, "dvc", "repro")
    assert "positive class 'yes' (inferred from the labels no/yes" in done.stdout
    comparison = (project / "reports/compare/comparison.md").read_text()
    assert "'yes' (inferred from the labels no/yes; set data.positive_class" in comparison
    metrics = json.loads((project / "reports/compare/metrics.json").read_text())
    assert metrics["positive_class"] == "yes"


@pytest.mark.parametrize(
    ("table", "target", "task", "fits", "advice"),
    [
        (churn_table, "churned", "regression", "binary", ["holds text values", "task: binary"]),
        (house_table, "price", "binary", "regression", ["distinct numeric", "task: regression"]),
    ],
    ids=["regression-with-yes-no-target", "binary-with-price-target"],
)
def test_a_task_that_does_not_fit_the_target_is_refused_at_the_bake_and_by_init_suite(
    cookies, tmp_path, capfd, table, target, task, fits, advice
):
    csv = write_csv(tmp_path, f"{target}.csv", table())
    answers = {"data_source": "own_csv", "csv_path": str(csv), "target_column": target}
    result = cookies.bake(extra_context={**answers, "task": task})
    out, err = capfd.readouterr()
    assert result.exit_code == 1 and not list(tmp_path.glob("**/params.yaml"))
    assert err.strip().splitlines()[-1].endswith(f"set {advice[1]}")
    assert "np.float64" not in out + err and all(words in err for words in advice)
    # The same rule in an existing project whose task is changed, before drafting again.
    project = bake(cookies, **answers, task=fits, init_git_and_dvc=False)
    set_task(project, task)
    done = run_in(project, "python", "-m", MODULE, "init-suite", "--force", check=False)
    assert done.returncode == 1
    assert advice[0] in done.stderr and f"set data.{advice[1]} in params.yaml" in done.stderr


@pytest.mark.pipeline
@pytest.mark.parametrize(
    ("table", "target", "baked", "changed", "advice"),
    [
        (churn_table, "churned", "binary", "regression", "set data.task: binary in params.yaml"),
        (house_table, "price", "regression", "binary", "set data.task: regression in params.yaml"),
    ],
    ids=["binary-to-regression", "regression-to-binary"],
)
def test_a_task_changed_after_a_good_bake_stops_repro_in_validate(
    cookies, tmp_path, table, target, baked, changed, advice
):
    csv = write_csv(tmp_path, f"{target}.csv", table())
    project = bake_csv(cookies, csv, target, baked)
    set_task(project, changed)
    done = run_in(project, "dvc", "repro", check=False)
    assert done.returncode != 0
    message = done.stdout + done.stderr
    assert "failed to reproduce 'validate'" in message
    assert f"column '{target}': check: task_mismatch: `{target}`" in message
    assert advice in message and "np.float64" not in message
    assert not (project / "data/split").exists()
    assert not (project / "models/baseline").exists()


def test_a_misspelt_target_gets_did_you_mean(cookies, tmp_path, capfd):
    csv = write_csv(tmp_path, "churn.csv", churn_table())
    result = cookies.bake(
        extra_context={
            "data_source": "own_csv",
            "csv_path": str(csv),
            "target_column": "churnd",
            "init_git_and_dvc": False,
        }
    )
    err = capfd.readouterr().err
    assert result.exit_code == 1 and "did you mean 'churned'?" in err.strip().splitlines()[-1]


@pytest.mark.pipeline
def test_an_experiment_run_keeps_a_yes_no_positive_class_as_text(churn_project):
    """`dvc exp run -S` rewrites params.yaml in YAML 1.2 style, leaving `yes` unquoted."""
    project, _ = churn_project
    done = run_in(project, "dvc", "exp", "run", "-S", "split.seed=7")
    assert "positive class 'yes'" in done.stdout
    assert "positive_class: yes" in (project / "params.yaml").read_text()  # no longer quoted
    run_in(project, "python", "-m", f"{MODULE}.params_check")
    run_in(project, "git", "checkout", "params.yaml")
