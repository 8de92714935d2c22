"""The model card: the story of one pipeline run, from validation to champion, in Markdown."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from . import paths
from .champion import rule_statement
from .config import Params
from .stats import NO_DIFFERENCE


def render_model_card(
    table: pd.DataFrame,
    statistics: dict[str, dict[str, Any]],
    champion: str,
    reason: str,
    params: Params,
    deep: dict[str, Any] | None,
    positive: str = "",
    notices: list[str] | None = None,
) -> str:
    """Render ``reports/model_card.md``.

    Sections: data and its validation result, the candidates, the deep-learning gate, the
    paired comparison against the reference, and the champion with the reason.

    Parameters
    ----------
    table : DataFrame
        From :func:`.stages.compare.comparison_table`.
    statistics : dict
        From :func:`.champion.paired_statistics`.
    champion, reason : str
    params : Params
    deep : dict or None
        The deep stage's metrics (``status``, ``reason``), None if it has not run.
    positive : str, default=""
        Binary tasks: the positive class and how it was chosen
        (:func:`.metrics.positive_class_note`), stated beside the target.
    notices : list of str, optional
        Warnings (a dummy champion: no model beats guessing; a perfect test score: likely
        leakage), shown under the title and again beside the champion.
    """
    p = params.compare
    validation = json.loads(paths.VALIDATION_RESULT.read_text(encoding="utf-8"))
    if params.deep is None:
        gate = "The deep-learning stage is not part of this project (chosen when it was made)."
    elif deep is None:
        gate = "The deep-learning stage has not run."
    else:
        gate = f"Deep stage **{deep['status']}**: {deep['reason']}."
    comparisons = []
    for name, s in statistics.items():
        line = (
            f"- **{name}** ({'challenger' if s['challenger'] else 'reported only'}): gain "
            f"{s['gain']:+.4f} {p.primary_metric}, {s['confidence']:.1%} CI "
            f"[{s['lower']:+.4f}, {s['upper']:+.4f}]"
        )
        if "mcnemar_p" in s:
            line += (
                f"; McNemar p = {s['mcnemar_p']:.3g} ({s['mcnemar_only_reference']} rows only the "
                f"reference gets right, {s['mcnemar_only_candidate']} only {name})"
            )
        if "delong_lower" in s:
            line += (
                f"; DeLong ROC AUC difference {s['delong_auc_gain']:+.4f} "
                f"[{s['delong_lower']:+.4f}, {s['delong_upper']:+.4f}]"
            )
        comparisons.append(line)
        for opponent, c in s.get("against", {}).items():
            detectable = (
                f"; smallest detectable gain {c['detectable_gain']:+.4f}"
                if c["verdict"] == NO_DIFFERENCE
                else ""
            )
            comparisons.append(
                f"  - against **{opponent}**: {c['verdict']} (gain {c['gain']:+.4f}, "
                f"{c['confidence']:.1%} CI [{c['lower']:+.4f}, {c['upper']:+.4f}], lower bound "
                f"required {c['threshold']:+.4f}{detectable})"
            )
    passed = validation.get("success")
    strata = " within each class" if params.data.task != "regression" else ""
    challengers = sum(s["challenger"] for s in statistics.values())
    warnings = "".join(f"> **{notice}.**\n\n" for notice in notices or [])
    dropped = ", ".join(f"`{c}`" for c in params.data.drop_columns) or "none"
    return f"""# Model card: {params.mlflow.experiment}

{warnings}## Data
- Table `{params.data.path}`: {validation.get("rows", "?")} rows x {validation.get("columns", "?")}
  columns, md5 `{validation.get("data_hash", "?")}`; task **{params.data.task}**, target
  `{params.data.target}`{f"; F1 and the ROC curve are for the {positive}" if positive else ""}.
- Validation against `{params.validate_.suite}`: **{"passed" if passed else "FAILED"}**
  ({len(validation.get("expectations", []))} expectations,
  {validation.get("failed_critical", "?")} critical and {validation.get("failed_warning", "?")}
  warning failures). Report: `{paths.VALIDATION_REPORT}`.
- Columns the models never see (`data.drop_columns`): {dropped}.
- Holdout split: test fraction {params.split.test_size}, seed {params.split.seed}; every model is
  scored on the same test rows.

## Candidates (test split)
The champion first, then the reference (the baseline chosen on cross-validation), then the
others by test `{p.primary_metric}`.

{table.to_markdown(index=False, floatfmt=".4f")}

## Deep-learning gate
{gate}

## Comparison
Paired bootstrap of the gain in `{p.primary_metric}` over the reference on the same test rows
({p.bootstrap_resamples} resamples{strata}, seed {p.seed}). {rule_statement(p, challengers)}

{chr(10).join(comparisons) or "- No other candidate."}

## Champion
**{champion}**: {reason}.
{"".join(f"{chr(10)}{notice}.{chr(10)}" for notice in notices or [])}"""
