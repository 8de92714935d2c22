"""Compare's decisions on generated tables whose truth is known (issue 13): thresholds that
do not depend on the target's scale, a dummy champion that says so and leaves the registry
alone (a perfect test score called out as likely leakage: test_leakage.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import bake_csv, holdout, run_in

pytestmark = pytest.mark.pipeline


def signal_table(rows: int = 400, scale: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """A regression target with linear and non-linear signal, times ``scale``."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 4))
    y = (
        3 * features[:, 0]
        - 2 * features[:, 1]
        + 2 * np.sin(2 * features[:, 2])
        + rng.normal(0, 1, rows)
    )
    return pd.DataFrame(features, columns=[f"x{i}" for i in range(4)]).assign(y=y * scale)


def noise_table(rows: int = 150, seed: int = 0) -> pd.DataFrame:
    """A regression target that no feature predicts: twenty noise columns."""
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 20))
    return pd.DataFrame(features, columns=[f"x{i}" for i in range(20)]).assign(
        y=rng.normal(size=rows)
    )


def bake_table(cookies, folder: Path, table: pd.DataFrame, task: str, **context) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "table.csv"
    table.to_csv(csv, index=False)
    return holdout(bake_csv(cookies, csv, "y", task, **context))


def edit(project: Path, **changes: object) -> None:
    """Set ``section__key`` values in params.yaml."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        params[section][key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def query(project: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(project / "mlflow.db") as db:
        return db.execute(sql).fetchall()


def compare_tags(project: Path) -> dict[str, str]:
    return dict(
        query(
            project,
            "SELECT key, value FROM tags WHERE run_uuid = (SELECT run_uuid FROM runs "
            "WHERE name = 'compare' ORDER BY start_time DESC LIMIT 1)",
        )
    )


def decisions(project: Path) -> tuple[str, dict[str, dict[str, str]]]:
    """The champion and every challenger's verdict against each classical model."""
    metrics = json.loads((project / "reports/compare/metrics.json").read_text())
    statistics = json.loads((project / "reports/compare/statistics.json").read_text())
    verdicts = {
        name: {rival: found["verdict"] for rival, found in entry.get("against", {}).items()}
        for name, entry in statistics.items()
    }
    return metrics["champion"], verdicts


def test_multiplying_the_target_by_1000_changes_no_decision(cookies, tmp_path):
    """The MLP challenges the linear model and the trees; scaled by 1,000, the candidates'
    test predictions lead compare to the same verdicts and champion."""
    project = bake_table(cookies, tmp_path, signal_table(), "regression", include_deep_stage=True)
    edit(project, deep__policy="always", deep__max_epochs=30)
    run_in(project, "dvc", "repro")
    before = decisions(project)
    assert set(before[1]["mlp"]) == {"linear", "hgb"}  # the thresholds were used
    for predictions in (project / "candidates").glob("*/*.parquet"):
        frame = pd.read_parquet(predictions)
        frame[["y_true", "y_pred"]] *= 1000.0
        frame.to_parquet(predictions)
    module = next(project.glob("src/*/__main__.py")).parent.name
    run_in(project, "python", "-m", module, "compare")
    assert decisions(project) == before


def test_a_dummy_champion_says_no_model_beats_guessing_and_leaves_the_alias_alone(
    cookies, tmp_path
):
    project = bake_table(cookies, tmp_path, noise_table(), "regression")
    edit(project, baseline__linear={"alpha": [0.1], "max_iter": 1000})
    done = run_in(project, "dvc", "repro")
    assert decisions(project)[0] == "dummy"
    assert "no model beats guessing" in done.stdout
    for report in ("reports/compare/comparison.md", "reports/model_card.md"):
        assert "no model beats guessing" in (project / report).read_text()
    tags = compare_tags(project)
    assert tags["no_model_beats_guessing"] == "true"
    assert tags["registry"].startswith("not moved: the champion is the dummy floor")
    assert query(project, "SELECT COUNT(*) FROM registered_model_aliases") == [(0,)]
    table = (project / "reports/compare/comparison.md").read_text()
    assert table.index("| dummy ") < table.index("| linear ")  # the champion comes first
