r"""The model card: one pipeline run in the sections of Mitchell et al. (2019), in Markdown.

Mitchell, Wu, Zaldivar, Barnes, Vasserman, Hutchinson, Spitzer, Raji & Gebru, "Model Cards
for Model Reporting", *FAT\* 2019*: model details, intended use, factors, metrics,
evaluation data, training data, quantitative analyses, ethical considerations, caveats
and recommendations. The run fills every part it knows; the parts only a person can
write (who made the model and for what, which groups it may fail, its ethical risks) are
left as marked prompts (:data:`PROMPT`), never invented.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from . import paths
from .candidates import Candidate
from .champion import rule_statement
from .config import Params
from .evaluation import Plan
from .explanations import Explanations
from .metrics import GREATER_IS_BETTER
from .stats import NO_DIFFERENCE

#: Starts every part of the card that only a person can write.
PROMPT = "> **To be written by a person** (the pipeline cannot know this):"

#: What each candidate is, by name and task kind.
MODEL_TYPES = {
    "dummy": "a dummy floor that ignores every feature (scikit-learn `Dummy{kind}`)",
    "linear": "a regularised linear model (scikit-learn `{linear}`) on the shared "
    "preprocessing: mean imputation with missing-value indicators and standardisation of "
    "numeric columns, one-hot encoding of the others",
    "hgb": "histogram gradient-boosted trees (scikit-learn `HistGradientBoosting{kind}`) on "
    "the shared preprocessing",
    "mlp": "a multilayer perceptron (PyTorch through skorch) on the linear baseline's "
    "fitted preprocessing",
}


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
    explained: Explanations | None = None,
    card: Candidate | None = None,
) -> str:
    """Render ``reports/model_card.md``.

    The champion and why first, then the sections of Mitchell et al. (2019); the
    quantitative analyses hold the candidates, the deep-learning gate, the paired
    comparison and, with ``explained``, what the models learned.

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
    explained : Explanations, optional
        :func:`.explanations.explain`: coefficients, permutation importance, partial
        dependence, calibration, residuals.
    card : Candidate, optional
        The champion's candidate card (its hyper-parameters and MLflow run).
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
    task = params.data.task
    strata = " within each class" if task != "regression" else ""
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
    evaluation = f"Every claim below rests on {markdown_text(basis)}.\n" if basis else ""
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
    other = [m for m in table.columns if m in GREATER_IS_BETTER and m != p.primary_metric]
    threshold = ""
    if "threshold" in table.columns:
        value = float(table.set_index("candidate").loc[champion, "threshold"])
        threshold = (
            "\n- Labels (accuracy, F1, balanced accuracy) are the positive class from a "
            f"predicted probability of {value:.4f} up (the champion's decision threshold)."
        )
    reported = ", ".join(f"`{m}`" for m in other) or "none"
    if explained is not None and explained.brier:
        reported += ", and the Brier score of the predicted probabilities"
    if positive:
        reported += f"; F1 and the ROC curve are for the {positive}"
    kind = "Regressor" if task == "regression" else "Classifier"
    linear = "Ridge" if task == "regression" else "LogisticRegression"
    described = MODEL_TYPES.get(champion, "a model of the {kind} stage").format(
        kind=kind, linear=linear
    )
    hyper = ""
    if card is not None and card.details.get("best_params"):
        best: dict[str, Any] = card.details["best_params"]  # type: ignore[assignment]
        chosen = ", ".join(f"`{k.removeprefix('model__')}={v}`" for k, v in best.items())
        hyper = f"\n- Hyper-parameters chosen by cross-validated grid search: {chosen}."
    run = f"\n- MLflow run `{card.run_id}`; saved model `{card.model_path}`." if card else ""
    caveats = "".join(f"- {notice}.\n" for notice in notices or [])
    return f"""# Model card: {params.mlflow.experiment}

{warnings}## Champion
**{champion}**: {reason}.

## Model details
- **{champion}**: {described}; chosen by this project's pipeline (baseline-first template)
  from {len(table)} candidates{f" at stage `{card.stage}`" if card else ""}.{hyper}{run}
- Registered in the MLflow model registry under the alias `champion` when
  `compare.register_champion` is true and the champion is not the dummy.

{PROMPT} who developed the model and when, its version history, licence, citation
> and where to send questions or comments.

## Intended use
- The pipeline knows only what it was trained to do: predict `{params.data.target}`
  (**{task}**) from the columns of `{params.data.path}`.

{PROMPT} the primary intended uses and users, and the uses that are out of scope.

## Factors
- This run evaluated no subgroups: every metric below is over all evaluation rows.

{PROMPT} the groups (demographic, phenotypic, by instrument or environment) whose
> results may differ, and which of them should be evaluated separately.

## Metrics
- Primary metric: `{p.primary_metric}` (`compare.primary_metric`); also reported:
  {reported}.{threshold}
- Uncertainty: {method}; the rule that names the champion: Quantitative analyses,
  Comparison.

## Evaluation data
{evaluation}{split}
{small}
## Training data
- Table `{params.data.path}`: {validation.get("rows", "?")} rows x {validation.get("columns", "?")}
  columns, md5 `{validation.get("data_hash", "?")}`; task **{task}**, target
  `{params.data.target}`{f"; F1 and the ROC curve are for the {positive}" if positive else ""}.
- Validation against `{params.validate_.suite}`: **{"passed" if passed else "FAILED"}**
  ({len(validation.get("expectations", []))} expectations,
  {validation.get("failed_critical", "?")} critical and {validation.get("failed_warning", "?")}
  warning failures). Report: `{paths.VALIDATION_REPORT}`.
- Columns the models never see (`data.drop_columns`): {dropped}.

## Quantitative analyses
### Candidates ({"out of fold: means over folds" if resampled else "test split"})
The champion first, then the reference (the baseline chosen on cross-validation), then the
others by `{p.primary_metric}`.

{table.to_markdown(index=False, floatfmt=".4f")}

### Deep-learning gate
{gate}

### Comparison
{method}. {rule_statement(p, challengers)}

{chr(10).join(comparisons) or "- No other candidate."}
{_explained(explained, p.primary_metric, params.explain.importance_repeats)}
## Ethical considerations
{PROMPT} whether the data holds sensitive or personal information, the risks and
> harms of the model's errors and to whom, and what mitigates them.

## Caveats and recommendations
{caveats}- Partial dependence and importance describe what the models use, not what causes the
  target; correlated columns share (and can hide) each other's importance.
- The one-page report with every plot: `{paths.REPORT}`.

{PROMPT} any further caveat, and what to test before relying on the model.
"""


#: Rows of the coefficient and importance tables in the card (the CSV files hold all).
CARD_ROWS = 10


def markdown_text(text: object) -> str:
    """Text from the data (a column, level or class) as Markdown: shown, never markup.

    ``|`` would split a table row, ``<`` and ``>`` would open HTML, ``*``, ``_`` and
    backticks would start emphasis or code.
    """
    escaped = str(text).replace("\\", "\\\\")
    for char in "|*_`[]":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def _markdown_table(frame: pd.DataFrame, text_columns: list[str]) -> str:
    """``frame`` as a Markdown table, headers and ``text_columns`` through :func:`markdown_text`."""
    shown = frame.assign(**{c: frame[c].map(markdown_text) for c in text_columns})
    return shown.rename(columns=markdown_text).to_markdown(index=False, floatfmt=".4f")


def _explained(explained: Explanations | None, metric: str, repeats: int) -> str:
    """The card's part of the explanations: coefficients, importance, calibration, files."""
    if explained is None:
        return ""
    parts = []
    if explained.coefficients is not None:
        shown = explained.coefficients.head(CARD_ROWS).drop(columns="column")
        parts.append(
            "### The linear model, read directly\n"
            f"Its {len(shown)} largest coefficients of {len(explained.coefficients)}, per column "
            "after preprocessing (numeric columns per standard deviation, one-hot levels "
            "`column=value` against none; all: `reports/explain/coefficients.csv`).\n\n"
            + _markdown_table(shown, ["feature", "kind"])
        )
    if explained.importance:
        wide = pd.DataFrame(
            {n: t.set_index("feature")["importance_mean"] for n, t in explained.importance.items()}
        )
        wide = wide.reindex(explained.top_features).head(CARD_ROWS).reset_index(names="column")
        parts.append(
            "### What each candidate relies on\n"
            f"Permutation importance: the mean drop in `{metric}` when the column is shuffled "
            f"({repeats} shuffles), on {explained.rows}; largest for {explained.ranked_by} "
            "first (spreads: `reports/explain/importance/`).\n\n"
            + _markdown_table(wide, ["column"])
        )
    if explained.partial_dependence is not None:
        shown = dict.fromkeys(explained.partial_dependence["feature"])
        features = ", ".join(markdown_text(f) for f in shown)
        parts.append(
            "### How the champion responds\n"
            f"Partial dependence with individual curves of {features}: "
            "`reports/explain/partial_dependence.png`."
        )
    if explained.brier:
        rows = "\n".join(f"| {n} | {b:.4f} |" for n, b in explained.brier.items())
        parts.append(
            "### Whether the probabilities mean what they say\n"
            "Brier score (lower is better) and reliability diagram "
            "(`reports/explain/calibration.png`).\n\n| candidate | brier |\n|---|---|\n" + rows
        )
    if explained.residuals is not None:
        r = explained.residuals
        parts.append(
            "### Where the champion errs\n"
            f"Residuals (actual - predicted) of {len(r)} rows: mean {r['residual'].mean():.4g}, "
            f"standard deviation {r['residual'].std():.4g}; against the prediction and "
            f"{markdown_text(r['top_feature'].iloc[0])}: `reports/explain/residuals.png`."
        )
    parts += [f"- {note}." for note in explained.notes]
    return "\n" + "\n\n".join(parts) + "\n"
