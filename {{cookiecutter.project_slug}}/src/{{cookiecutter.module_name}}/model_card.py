"""The model card: the story of one pipeline run, from validation to champion, in Markdown."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from . import paths
from .champion import rule_statement
from .config import Params
from .evaluation import Plan
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
    plan: Plan | None = None,
    basis: str = "",
    size: str = "",
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
        leakage; degenerate results), shown under the title and again beside the champion.
    plan : Plan, optional
        The evaluation (:mod:`.evaluation`): holdout or out of fold.
    basis : str, default=""
        The rows behind every claim (:func:`.degenerate.evaluation_basis`), stated in the
        Evaluation section; ``size`` its short form (:func:`.degenerate.evaluation_size`),
        with every comparison.
    """
    resampled = plan is not None and plan.resampled
    p = params.compare
    validation = json.loads(paths.VALIDATION_RESULT.read_text(encoding="utf-8"))
    if params.deep is None:
        gate = "The deep-learning stage is not part of this project (chosen when it was made)."
    elif deep is None:
        gate = "The deep-learning stage has not run."
    else:
        gate = f"Deep stage **{deep['status']}**: {deep['reason']}."
    comparisons = []
    on = f"; {size}" if size else ""
    for name, s in statistics.items():
        line = (
            f"- **{name}** ({'challenger' if s['challenger'] else 'reported only'}): gain "
            f"{s['gain']:+.4f} {p.primary_metric}, {s['confidence']:.1%} CI "
            f"[{s['lower']:+.4f}, {s['upper']:+.4f}]{on}"
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
    if resampled:
        assert plan is not None
        method = (
            f"Corrected resampled t interval (Nadeau & Bengio 2003; Bouckaert & Frank 2004) of "
            f"the per-fold gain in `{p.primary_metric}` over the reference, on the same "
            f"{plan.repeats} x {plan.folds} folds"
        )
        split = (
            f"- No test split: {plan.reason}. Every model is scored by {plan.describe()}; the "
            "saved models are refit on all rows."
        )
    else:
        method = (
            f"Paired bootstrap of the gain in `{p.primary_metric}` over the reference on the "
            f"same test rows ({p.bootstrap_resamples} resamples{strata}, seed {p.seed})"
        )
        split = (
            f"- Holdout split: test fraction {params.split.test_size}, seed {params.split.seed}; "
            "every model is scored on the same test rows."
        )
    evaluation = f"\n## Evaluation\nEvery claim below rests on {basis}.\n" if basis else ""
    small = (
        f"\n**Small sample ({plan.rows} rows).** With this few rows, differences of a few "
        "points between models are within the noise of the evaluation; the intervals say "
        "how far. Treat the champion as a hypothesis to confirm on new data.\n"
        if plan is not None and plan.rows < params.split.resample_below_rows
        else ""
    )
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
{split}
{evaluation}{small}
## Candidates ({"out of fold: means over folds" if resampled else "test split"})
The champion first, then the reference (the baseline chosen on cross-validation), then the
others by `{p.primary_metric}`.

{table.to_markdown(index=False, floatfmt=".4f")}

## Deep-learning gate
{gate}

## Comparison
{method}. {rule_statement(p, challengers)}

{chr(10).join(comparisons) or "- No other candidate."}

## Champion
**{champion}**: {reason}.
{"".join(f"{chr(10)}{notice}.{chr(10)}" for notice in notices or [])}"""
