"""The deep stage must earn its place: the gate, the paired comparison, the registry alias."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import synthetic
from conftest import bake, run_in

pytestmark = pytest.mark.pipeline


def compare_metrics(project: Path) -> dict:
    return json.loads((project / "reports/compare/metrics.json").read_text())


def statistics(project: Path) -> dict:
    return json.loads((project / "reports/compare/statistics.json").read_text())


def _query(project: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(project / "mlflow.db") as db:
        return db.execute(sql, args).fetchall()


def _latest_run(project: Path, name: str) -> str:
    return _query(
        project,
        "SELECT run_uuid FROM runs WHERE name = ? ORDER BY start_time DESC LIMIT 1",
        name,
    )[0][0]


def _tags(project: Path, run_id: str) -> dict[str, str]:
    return dict(_query(project, "SELECT key, value FROM tags WHERE run_uuid = ?", run_id))


@pytest.fixture(scope="module")
def deep_project(cookies_session) -> Path:
    """The breast-cancer sample baked with the deep stage, after one `dvc repro`."""
    project = bake(cookies_session, include_deep_stage=True, project_name="Deep Demo")
    run_in(project, "dvc", "repro")
    return project


def test_auto_policy_skips_the_deep_stage_on_569_rows_and_keeps_the_baseline(deep_project):
    deep = json.loads((deep_project / "reports/deep/metrics.json").read_text())
    assert deep["status"] == "skipped"
    assert "569 rows < deep.min_rows (1000)" in deep["reason"]
    metrics = compare_metrics(deep_project)
    assert metrics["champion"] == "linear"
    assert "mlp" not in metrics["candidates"]
    tags = _tags(deep_project, _latest_run(deep_project, "deep"))
    assert tags["deep_status"] == "skipped" and "569 rows" in tags["deep_reason"]
    card = (deep_project / "reports/model_card.md").read_text()
    assert "Deep stage **skipped**: 569 rows" in card


def test_champion_alias_points_at_the_logistic_baseline(deep_project):
    ((version, run_id),) = _query(
        deep_project,
        "SELECT v.version, v.run_id FROM registered_model_aliases a JOIN model_versions v "
        "ON a.name = v.name AND a.version = v.version WHERE a.alias = 'champion'",
    )
    linear_run = _query(deep_project, "SELECT run_uuid FROM runs WHERE name = 'baseline/linear'")
    assert run_id == linear_run[0][0]
    compare = _tags(deep_project, _latest_run(deep_project, "compare"))
    assert compare["champion_model_version"] == str(version)


def test_policy_always_trains_the_mlp_which_does_not_beat_the_baseline(deep_project):
    run_in(deep_project, "dvc", "exp", "run", "-S", "deep.policy=always")
    deep = json.loads((deep_project / "reports/deep/metrics.json").read_text())
    # 569 rows: the MLP is scored out of fold on the baseline's 2 x 5 folds, refitted on each.
    assert deep["status"] == "trained" and deep["out_of_fold"]["roc_auc"] > 0.9
    predictions = pd.read_parquet(deep_project / "candidates/deep/mlp.parquet")
    folds = pd.read_parquet(deep_project / "data/split/folds.parquet")
    assert predictions[["row_id", "fold"]].equals(folds[["row_id", "fold"]])
    metrics = compare_metrics(deep_project)
    mlp = statistics(deep_project)["mlp"]
    assert mlp["challenger"] and mlp["lower"] < 0.01 < mlp["upper"] + 0.01
    # Fold scores overlap: the corrected resampled t interval, not DeLong or McNemar.
    assert "delong_lower" not in mlp and "mcnemar_p" not in mlp
    assert metrics["champion"] == "linear"
    compare = _tags(deep_project, _latest_run(deep_project, "compare"))
    assert "lower bound required +0.0100" in compare["champion_reason"]
    assert compare["registry"].startswith("not moved: DVC experiment")
    deep_run = _latest_run(deep_project, "deep")
    assert compare["candidate.mlp.run_id"] == deep_run
    steps = _query(
        deep_project,
        "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key = 'valid_loss'",
        deep_run,
    )[0][0]
    assert steps == deep["epochs"] > 1
    assert (deep_project / "reports/compare/intervals.png").stat().st_size > 0
    card = (deep_project / "reports/model_card.md").read_text()
    assert "**mlp** (challenger)" in card and "## Champion\n**linear**" in card
    # The MLP's permutation importance, on the same held-out folds as the baseline's.
    importance = pd.read_csv(deep_project / "reports/explain/importance/mlp.csv")
    linear = pd.read_csv(deep_project / "reports/explain/importance/linear.csv")
    assert set(importance["feature"]) == set(linear["feature"])
    assert importance["shuffles"].eq(5).all() and importance["importance_mean"].iloc[0] > 0
    calibration = pd.read_csv(deep_project / "reports/explain/calibration/mlp.csv")
    assert calibration["rows"].sum() == 2 * 569


def test_changing_deep_settings_never_reruns_the_baseline(deep_project):
    params = deep_project / "params.yaml"
    text = params.read_text()
    params.write_text(text.replace("  patience: 15", "  patience: 16"))
    try:
        status = json.loads(run_in(deep_project, "dvc", "status", "--json").stdout)
    finally:
        params.write_text(text)
    assert set(status) == {"params", "deep"}


def test_identical_params_data_and_seed_give_identical_results(deep_project):
    before = compare_metrics(deep_project)
    statistics_before = statistics(deep_project)
    deep_before = (deep_project / "reports/deep/metrics.json").read_text()
    run_in(deep_project, "dvc", "repro", "--force", "--single-item", "deep")
    run_in(deep_project, "dvc", "repro", "--force", "--single-item", "compare")
    assert (deep_project / "reports/deep/metrics.json").read_text() == deep_before
    assert compare_metrics(deep_project) == before
    assert statistics(deep_project) == statistics_before
    versions = _query(deep_project, "SELECT COUNT(*) FROM model_versions")[0][0]
    assert versions == 1, "re-running compare with the same champion registers nothing new"


@pytest.mark.parametrize(
    ("table", "promoted", "reference"),
    [
        (synthetic.linear_table, False, "linear"),
        (synthetic.interaction_table, True, "hgb"),
        (synthetic.irregular_table, False, "hgb"),
    ],
    ids=["linear-2000-rows", "interactions-5000-rows", "irregular-3000-rows"],
)
def test_the_mlp_is_promoted_only_where_the_truth_favours_it(
    cookies, tmp_path, monkeypatch, table, promoted, reference
):
    csv = tmp_path / "table.csv"
    table().to_csv(csv, index=False)
    monkeypatch.chdir(tmp_path)
    project = bake(
        cookies,
        include_deep_stage=True,
        data_source="own_csv",
        csv_path=str(csv),
        target_column="label",
    )
    run_in(project, "dvc", "repro")
    deep = json.loads((project / "reports/deep/metrics.json").read_text())
    assert deep["status"] == "trained" and "deep.min_rows" in deep["reason"]
    metrics = compare_metrics(project)
    mlp = statistics(project)["mlp"]
    baseline = json.loads((project / "reports/baseline/metrics.json").read_text())
    assert baseline["selected"] == reference
    if promoted:
        assert metrics["champion"] == "mlp"
        assert mlp["lower"] >= 0.01
    else:
        assert metrics["champion"] == reference
        assert mlp["lower"] < 0.01
