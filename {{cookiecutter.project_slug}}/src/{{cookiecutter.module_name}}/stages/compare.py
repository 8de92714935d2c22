"""Stage ``compare``: every candidate on the same test rows; names the champion and why.

Candidates are read from ``candidates/*/*.json`` (see :mod:`..candidates`), so a new
model stage only has to write its card and predictions there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths, tracking
from ..candidates import Candidate, read_candidates
from ..config import Params
from ..errors import StageError
from ..metrics import GREATER_IS_BETTER, evaluate
from ..outputs import write_json, write_text


def check_same_rows(candidates: list[tuple[Candidate, pd.DataFrame]], test_ids: pd.Series) -> None:
    """Raise unless every candidate predicted exactly the test split's rows, in order.

    Raises
    ------
    StageError
        Naming the candidate whose rows differ (a stale stage output).
    """
    expected = test_ids.to_numpy()
    for candidate, predictions in candidates:
        if not (
            len(predictions) == len(expected)
            and (predictions[paths.ROW_ID].to_numpy() == expected).all()
        ):
            raise StageError(
                f"{candidate.predictions_path}: rows differ from the test split {paths.TEST}; "
                f"re-run the {candidate.stage} stage (dvc repro)"
            )


def comparison_table(
    candidates: list[tuple[Candidate, pd.DataFrame]], task: str, metric: str, positive: str | None
) -> pd.DataFrame:
    """Score every candidate on the test split, best primary metric first.

    Returns
    -------
    DataFrame of shape (n_candidates, 5 + n_metrics)
        ``rank``, ``candidate``, ``stage``, ``selected``, ``cv_<metric>`` and the test metrics.
    """
    rows = [
        {
            "candidate": candidate.name,
            "stage": candidate.stage,
            "selected": candidate.selected,
            f"cv_{metric}": candidate.cv_mean,
            **evaluate(predictions, task, positive),
        }
        for candidate, predictions in candidates
    ]
    table = pd.DataFrame(rows).sort_values(
        [metric, "candidate"], ascending=[not GREATER_IS_BETTER[metric], True]
    )
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.reset_index(drop=True)


def choose_champion(
    candidates: list[Candidate], table: pd.DataFrame, metric: str
) -> tuple[str, str]:
    """Return the champion and the reason: the baseline stage's selected model.

    Raises
    ------
    StageError
        If no baseline candidate is marked as selected.
    """
    selected = [c for c in candidates if c.stage == "baseline" and c.selected]
    if not selected:
        raise StageError(
            f"no selected baseline under {paths.CANDIDATES_DIR}/baseline: re-run baseline"
        )
    champion = selected[0]
    scores = table.set_index("candidate")[metric]
    floor = f"; dummy floor {scores['dummy']:.4f}" if "dummy" in scores else ""
    reason = (
        f"{champion.name} is the baseline chosen on cross-validation "
        f"({champion.details.get('selection', '')}); "
        f"test {metric} {scores[champion.name]:.4f}{floor}"
    )
    return champion.name, reason


def run(params: Params) -> dict[str, Path]:
    """Compare every candidate on the test split and write the comparison outputs."""
    task, metric = params.data.task, params.compare.primary_metric
    with tracking.stage_run("compare", params):
        candidates = read_candidates()
        check_same_rows(
            candidates, pd.read_parquet(paths.TEST, columns=[paths.ROW_ID])[paths.ROW_ID]
        )
        table = comparison_table(candidates, task, metric, params.data.positive_class)
        champion, reason = choose_champion([c for c, _ in candidates], table, metric)
        champion_row = table.set_index("candidate").loc[champion]
        metrics: dict[str, Any] = {
            "champion": champion,
            "primary_metric": metric,
            f"champion_{metric}": float(champion_row[metric]),
            "candidates": {
                row["candidate"]: {
                    key: row[key] for key in table.columns if key not in ("candidate", "stage")
                }
                for row in table.to_dict("records")
            },
        }
        write_json(paths.COMPARE_METRICS, metrics)
        write_text(paths.COMPARE_TABLE, _markdown(table, champion, reason, metric))
        tracking.log_metrics(
            {
                f"{row['candidate']}/test_{key}": row[key]
                for row in table.to_dict("records")
                for key in table.columns
                if key not in ("rank", "candidate", "stage", "selected")
            }
        )
        tracking.log_metrics({f"champion_{metric}": float(champion_row[metric])})
        tracking.set_tags(
            {"champion": champion, "champion_reason": reason}
            | {f"candidate.{c.name}.run_id": c.run_id for c, _ in candidates}
        )
        tracking.log_artifacts(paths.COMPARE_TABLE, paths.COMPARE_METRICS)
        tracking.log_table(table, "comparison.json")
    print(f"champion: {champion}: {reason}")
    return {"metrics": paths.COMPARE_METRICS, "table": paths.COMPARE_TABLE}


def _markdown(table: pd.DataFrame, champion: str, reason: str, metric: str) -> str:
    return (
        f"# Comparison on the test split\n\nPrimary metric: `{metric}`.\n\n"
        f"**Champion: {champion}**. {reason}.\n\n"
        f"{table.to_markdown(index=False, floatfmt='.4f')}\n"
    )
