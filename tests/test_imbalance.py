"""Known truth for a rare positive class (issue 13, item 2): 3,000 rows, 4 % positives, a
linear signal. Labels at a threshold tuned on the training split beat labels at 0.5 on F1,
the new metrics and the precision-recall plot are reported, and a label metric as
compare.primary_metric draws a warning whose advice (roc_auc) works."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bake_csv, run_in
from sklearn.metrics import f1_score

pytestmark = pytest.mark.pipeline

MODULE = "tabular_baseline"


def rare_positive_table(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Logistic truth with an intercept that leaves about 4 % of the rows positive."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 6))
    logit = -4.6 + features @ np.array([1.5, -1.0, 0.8, 0.5, 0.0, 0.0])
    frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(6)])
    frame["label"] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame


def set_primary_metric(project: Path, metric: str) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params["compare"]["primary_metric"] = metric
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def rare_project(cookies_session, tmp_path_factory) -> Path:
    """The rare-positive table baked as the user's own CSV, after one `dvc repro`."""
    csv = tmp_path_factory.mktemp("rare") / "rare.csv"
    table = rare_positive_table()
    assert 0.03 < (table["label"] == "yes").mean() < 0.05
    table.to_csv(csv, index=False)
    project = bake_csv(cookies_session, csv, "label", "binary")
    run_in(project, "dvc", "repro")
    return project


def test_the_champion_f1_at_the_tuned_threshold_clearly_beats_f1_at_one_half(rare_project):
    compare = json.loads((rare_project / "reports/compare/metrics.json").read_text())
    champion = compare["champion"]
    assert champion in ("linear", "hgb")
    card = json.loads((rare_project / f"candidates/baseline/{champion}.json").read_text())
    assert 0.0 < card["threshold"] < 0.5
    assert "f1" in card["details"]["threshold_choice"]
    predictions = pd.read_parquet(rare_project / f"candidates/baseline/{champion}.parquet")
    truth = predictions["y_true"] == "yes"
    at_tuned = f1_score(truth, predictions["y_pred"] == "yes")
    at_half = f1_score(truth, predictions["proba_yes"] >= 0.5)
    print(f"{champion}: F1 {at_half:.3f} at 0.5, {at_tuned:.3f} at {card['threshold']:.3f}")
    assert at_tuned > at_half + 0.1, (at_tuned, at_half)
    assert at_tuned == pytest.approx(
        json.loads((rare_project / "reports/baseline/metrics.json").read_text())[champion]["test"][
            "f1"
        ]
    )


def test_average_precision_balanced_accuracy_and_the_threshold_are_reported(rare_project):
    baseline = json.loads((rare_project / "reports/baseline/metrics.json").read_text())
    dummy, linear = baseline["dummy"], baseline["linear"]
    assert dummy["threshold"] == 0.5
    assert dummy["test"]["balanced_accuracy"] == pytest.approx(0.5)
    # A model that cannot rank scores the positive share (about 0.04); the linear model 5x more.
    assert dummy["test"]["average_precision"] < 0.1 < 0.2 < linear["test"]["average_precision"]
    assert linear["test"]["balanced_accuracy"] > 0.6
    assert "average_precision" in (rare_project / "reports/compare/comparison.md").read_text()
    points = pd.read_csv(rare_project / "reports/baseline/plots/pr_linear.csv")
    assert {"recall", "precision", "threshold"} <= set(points.columns)
    assert (rare_project / "reports/baseline/plots/pr.png").stat().st_size > 0
    with sqlite3.connect(rare_project / "mlflow.db") as db:
        logged = db.execute(
            "SELECT m.value FROM metrics m JOIN runs r ON m.run_uuid = r.run_uuid "
            "WHERE r.name = 'baseline/linear' AND m.key = 'threshold'"
        ).fetchall()
    assert logged and logged[0][0] == pytest.approx(linear["threshold"])


def test_dvc_declares_the_precision_recall_plot(rare_project):
    plots = yaml.safe_load((rare_project / "dvc.yaml").read_text())["plots"]
    declared = [p for p in plots if isinstance(p, dict) and "precision_recall" in p]
    assert declared and declared[0]["precision_recall"]["x"] == "recall"
    run_in(rare_project, "dvc", "plots", "show")


def test_accuracy_as_primary_metric_warns_naming_roc_auc_and_the_advice_works(rare_project):
    set_primary_metric(rare_project, "accuracy")
    done = run_in(rare_project, "python", "-m", MODULE, "validate")
    assert "compare.primary_metric to roc_auc" in done.stdout
    result = json.loads((rare_project / "reports/validation/result.json").read_text())
    assert result["success"] and result["failed_warning"] >= 1
    warned = [e for e in result["expectations"] if "class balance" in e["expectation"]]
    assert warned and "'yes'" in warned[0]["detail"]
    # The advice: roc_auc draws no warning, and under it a real model is champion
    # (the fixture's repro ran with roc_auc, the default).
    set_primary_metric(rare_project, "roc_auc")
    done = run_in(rare_project, "python", "-m", MODULE, "validate")
    assert "class balance" not in done.stdout and "warning:" not in done.stdout
    compare = json.loads((rare_project / "reports/compare/metrics.json").read_text())
    assert compare["champion"] != "dummy"
    # The warning is also read where the decision is: the console and the reports of compare.
    set_primary_metric(rare_project, "accuracy")
    run_in(rare_project, "python", "-m", MODULE, "validate")
    done = run_in(rare_project, "python", "-m", MODULE, "compare")
    assert "Warning (validate" in done.stdout and "to roc_auc" in done.stdout
    for report in ("reports/compare/comparison.md", "reports/model_card.md"):
        assert "compare.primary_metric to roc_auc" in (rare_project / report).read_text()
    table = (rare_project / "reports/compare/comparison.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| candidate"))
    assert "threshold" in header
