"""Stage ``compare``: every candidate on the same rows; names the champion and why.

The rows are the test split's, or, for small tables, every row's out-of-fold predictions
on the same folds (:mod:`..evaluation`); the statistics follow (:mod:`..champion`).

Candidates are read from ``candidates/*/*.json`` (see :mod:`..candidates`), so a new
model stage only has to write its card and predictions there. The reference is the
baseline chosen on cross-validation. A challenger (the model a later stage selected, such
as the deep MLP) becomes champion only if it clears ``compare.min_gain`` against every
classical model but the dummy floor (the rules, their tests and sources:
:mod:`..champion`). Otherwise the simpler model stays. A dummy champion is reported as
"no model beats guessing" and never moves the registry alias; a perfect test score is
called out as likely target leakage; degenerate results (a zero-width interval, too few
rows of a class, constant predictions: :mod:`..degenerate`) are said out loud.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import paths, tracking
from ..candidates import Candidate, read_candidates
from ..champion import (
    NO_MODEL_BEATS_GUESSING,
    champion_interval,
    choose_champion,
    compare_challengers,
    leakage_warning,
    paired_statistics,
    perfect_scores,
    rule_statement,
    threshold,
)
from ..config import TASK_METRICS, Params
from ..data import features_and_target
from ..degenerate import (
    constant_models,
    constant_predictions,
    evaluation_basis,
    evaluation_size,
    few_minority_rows,
    zero_width,
)
from ..errors import StageError
from ..evaluation import FOLD, Plan, evaluation_rows, read_plan, same_rows, score
from ..explanations import Explanations, explain_candidates, write_explanations
from ..metrics import (
    GREATER_IS_BETTER,
    classes_of,
    positive_class,
    positive_class_note,
)
from ..model_card import markdown_text, render_model_card
from ..outputs import write_csv, write_json, write_text
from ..report import render_report
from ..stats import Interval


def check_same_rows(candidates: list[tuple[Candidate, pd.DataFrame]], rows: pd.DataFrame) -> None:
    """Raise unless every candidate predicted exactly the evaluation rows, in order.

    Parameters
    ----------
    candidates : list of (Candidate, predictions)
    rows : DataFrame
        :func:`..evaluation.evaluation_rows`: ``row_id`` (test split) or ``row_id`` and
        ``fold`` (out of fold).

    Raises
    ------
    StageError
        Naming the candidate whose rows or folds differ (a stale stage output).
    """
    where = paths.FOLDS if FOLD in rows.columns else paths.TEST
    for candidate, predictions in candidates:
        if not same_rows(rows, predictions):
            raise StageError(
                f"{candidate.predictions_path}: rows differ from the evaluation rows {where}; "
                f"re-run the {candidate.stage} stage (dvc repro)"
            )


def linked(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates with the run id and model URI of their run in the active store.

    A candidate whose run the store lacks (logged in another store) keeps an empty
    ``run_id``; see :func:`_track`.
    """
    runs = tracking.find_runs({c.name: c.record_id for c in candidates})
    return [
        replace(c, run_id=runs[c.name][0], details={**c.details, "model_uri": runs[c.name][1]})
        if c.name in runs
        else c
        for c in candidates
    ]


def run(params: Params) -> dict[str, Path]:
    """Compare every candidate on the same rows; write metrics, table, plot, model card."""
    p, task = params.compare, params.data.task
    with tracking.logged_run("compare", params):
        found = read_candidates()
        plan = read_plan()
        check_same_rows(found, evaluation_rows())
        frames = {c.name: frame for c, frame in found}
        candidates = linked([c for c, _ in found])
        reference = _reference(candidates)
        challengers = [c for c in candidates if c.selected and c.stage != "baseline"]
        statistics = paired_statistics(
            frames[reference.name],
            {name: frame for name, frame in frames.items() if name != reference.name},
            {c.name for c in challengers},
            task,
            p,
            params.data.positive_class,
        )
        opponents = [c.name for c in candidates if c.stage == "baseline" and c.name != "dummy"]
        comparisons = compare_challengers(
            frames,
            [c.name for c in challengers],
            opponents or [reference.name],
            task,
            p,
            params.data.positive_class,
        )
        for name, found in comparisons.items():
            statistics[name]["against"] = {c.opponent: c.as_dict() for c in found}
        champion, reason = choose_champion(reference, challengers, comparisons, p)
        deep = _read_json(paths.DEEP_METRICS) if paths.DEEP_METRICS.exists() else None
        if deep and deep["status"] == "skipped":
            reason += f" (the deep stage was skipped: {deep['reason']})"
        table = comparison_table(candidates, frames, statistics, params, champion)
        explained = explain_candidates(candidates, frames, champion, reference.name, params, plan)
        explained.notes += _no_better_than_guessing(statistics, champion, reference.name)
        if explained.brier:
            table.insert(
                table.columns.get_loc("gain"), "brier", table["candidate"].map(explained.brier)
            )
        value = champion_interval(frames[champion], task, p, params.data.positive_class)
        notices = _notices(table, champion, p.primary_metric, task, params.leakage.allowed_columns)
        tuned = {c.name: str(c.details.get("threshold_choice", "")) for c in candidates}
        notices += _degenerate(
            frames, statistics, champion, value, reference.name, params, plan, tuned
        )
        basis = evaluation_basis(frames[champion], task)
        classes = classes_of(frames[reference.name]) if task == "binary" else []
        positive = positive_class(classes, params.data.positive_class) if classes else None
        note = positive_class_note(classes, params.data.positive_class) if classes else ""
        size = evaluation_size(frames[champion])
        write_explanations(explained, frames, champion, params, plan)
        write_outputs(
            table,
            statistics,
            champion,
            reason,
            params,
            deep,
            positive,
            note,
            notices,
            plan,
            basis,
            size,
            explained,
            next(c for c in candidates if c.name == champion),
        )
        if classes:
            tracking.log_positive_class(classes, params.data.positive_class)
        tracking.set_tags({"evaluation": plan.method, "evaluation_basis": basis})
        scope = "out_of_fold" if plan.resampled else "test"
        elsewhere = _track(table, candidates, champion, reason, params, notices, scope)
        tracking.log_folder(paths.EXPLAIN_DIR, "explain")
        tracking.log_artifacts(paths.REPORT)
    stated = f"F1 and the ROC curve are for the {note}.\n" if note else ""
    print(
        f"Champion: {champion}, {p.primary_metric} {value.gain:.4f} "
        f"({value.confidence:.0%} CI [{value.lower:.4f}, {value.upper:.4f}]; "
        f"{plan.describe()}).\nWhy: {reason}.\n"
        f"{stated}"
        f"Comparison: {paths.COMPARE_TABLE}; model card: {paths.MODEL_CARD}; explanations: "
        f"{paths.EXPLAIN_DIR}/"
    )
    if elsewhere:
        elsewhere_candidates = [c for c in candidates if c.name in elsewhere]
        print(other_store_notice(elsewhere_candidates, champion, tracking.tracking_uri(params)))
    for notice in notices:
        print(f"{notice}.")
    print(f"Report (one page, opens offline): {paths.REPORT}")
    return {"metrics": paths.COMPARE_METRICS, "table": paths.COMPARE_TABLE}


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _notices(
    table: pd.DataFrame, champion: str, metric: str, task: str, allowed: list[str]
) -> list[str]:
    """Warnings for the console, ``comparison.md``, the model card and the MLflow run.

    A dummy champion (no model beats guessing), perfect test scores (likely leakage), and
    the warnings of the validation result (a rare class under a label metric, repeated
    rows...), so that they are read where the decision is.
    """
    validation = _read_json(paths.VALIDATION_RESULT).get("expectations", [])
    notices = [
        f"Warning (validate, {item['column']}): {item['detail']}"
        for item in validation
        if not item["success"] and item["severity"] == "warning"
    ]
    if champion == "dummy":
        blind = (
            f", or {metric} cannot see it (labels of a rare class; roc_auc can)"
            if metric in ("accuracy", "f1")
            else ""
        )
        notices.append(
            f"Warning: the champion is the dummy floor: {NO_MODEL_BEATS_GUESSING} on "
            f"{metric}. The features carry no signal about the target that the models "
            f"find{blind}. The registry alias `champion` is not set to the dummy (it stays "
            "where it was, if anywhere)"
        )
    values = dict(zip(table["candidate"], table[metric], strict=True))
    perfect = perfect_scores({k: v for k, v in values.items() if k != "dummy"}, metric)
    if perfect:
        notices.append(leakage_warning(perfect, metric, allowed))
    return notices


def _degenerate(
    frames: dict[str, pd.DataFrame],
    statistics: dict[str, dict[str, Any]],
    champion: str,
    value: Interval,
    reference: str,
    params: Params,
    plan: Plan,
    tuned: dict[str, str],
) -> list[str]:
    """Zero-width intervals, too few rows of a class, constant predictions (:mod:`..degenerate`).

    ``tuned``: how each candidate's decision threshold was chosen (its card).
    """
    task = params.data.task
    constant = constant_models(frames, task)
    intervals: dict[str, Any] = {}
    if champion not in constant:
        intervals[f"{champion}'s {params.compare.primary_metric}"] = value
    for name, entry in statistics.items():
        pairs = [(reference, entry), *entry.get("against", {}).items()]
        for opponent, interval in pairs:
            if not {name, opponent} & constant:
                intervals[f"{name}'s gain over {opponent}"] = interval
    notices = zero_width(intervals, plan)
    if task != "regression":
        notices += few_minority_rows(frames[champion], params.compare.min_minority_rows, plan)
    return notices + constant_predictions(frames, task, tuned)


def _no_better_than_guessing(
    statistics: dict[str, dict[str, Any]], champion: str, reference: str
) -> list[str]:
    """A note for the explanations when the reference is not clearly better than the dummy.

    The dummy's gain over the reference has an interval that reaches 0: what the models
    seem to rely on may be noise, and the explanations say so before anyone reads them.
    """
    dummy = statistics.get("dummy")
    if champion == "dummy" or dummy is None or dummy["upper"] < 0:
        return []
    return [
        f"The reference, {reference}, is not significantly better than the dummy floor (the "
        f"dummy's gain over it: {dummy['gain']:+.4f}, interval [{dummy['lower']:+.4f}, "
        f"{dummy['upper']:+.4f}] holds 0): its coefficients, importances and partial "
        "dependence may describe noise"
    ]


def _reference(candidates: list[Candidate]) -> Candidate:
    selected = [c for c in candidates if c.stage == "baseline" and c.selected]
    if not selected:
        raise StageError(
            f"no selected baseline in {paths.CANDIDATES_DIR}/baseline: re-run baseline"
        )
    return selected[0]


def comparison_table(
    candidates: list[Candidate],
    frames: dict[str, pd.DataFrame],
    statistics: dict[str, dict[str, Any]],
    params: Params,
    champion: str,
) -> pd.DataFrame:
    """One row per candidate: metrics, gain over the reference and its interval.

    Metrics are on the test split, or means over folds of out-of-fold predictions
    (:func:`..evaluation.score`).

    Binary tasks add each candidate's decision ``threshold`` (0.5 unless its stage tuned
    one): accuracy, F1 and balanced accuracy count labels at that probability.

    Returns
    -------
    DataFrame of shape (n_candidates, n_columns)
        Ordered by the decision: the champion first, then the reference (when it is not
        the champion), then the others by their test primary metric, best first. The
        reference has gain 0 and no interval.
    """
    metric, task = params.compare.primary_metric, params.data.task
    rows = []
    for c in candidates:
        s = statistics.get(c.name, {"gain": 0.0, "lower": np.nan, "upper": np.nan})
        rows.append(
            {
                "candidate": c.name,
                "stage": c.stage,
                "role": _role(c, statistics),
                # Labels (accuracy, F1, balanced accuracy) are at this probability.
                **({"threshold": c.threshold or 0.5} if task == "binary" else {}),
                f"cv_{metric}": c.cv_mean,
                **score(frames[c.name], task, params.data.positive_class),
                "gain": s["gain"],
                "ci_lower": s["lower"],
                "ci_upper": s["upper"],
            }
        )
    table = pd.DataFrame(rows)
    # 0: the champion, 1: the reference, 2: the others.
    first = (table["candidate"] != champion) * (1 + (table["role"] != "reference"))
    table = table.assign(_first=first).sort_values(
        ["_first", metric, "candidate"], ascending=[True, not GREATER_IS_BETTER[metric], True]
    )
    return table.drop(columns="_first").reset_index(drop=True)


def _role(candidate: Candidate, statistics: dict[str, dict[str, Any]]) -> str:
    if candidate.name not in statistics:
        return "reference"
    return "challenger" if statistics[candidate.name]["challenger"] else "reported"


def write_outputs(
    table: pd.DataFrame,
    statistics: dict[str, dict[str, Any]],
    champion: str,
    reason: str,
    params: Params,
    deep: dict[str, Any] | None,
    positive: str | None = None,
    note: str = "",
    notices: list[str] | None = None,
    plan: Plan | None = None,
    basis: str = "",
    size: str = "",
    explained: Explanations | None = None,
    card: Candidate | None = None,
) -> None:
    """Write the DVC metrics, the Markdown table, the intervals, the explanations, the
    model card and the HTML report.

    ``explained`` (:func:`..explanations.explain`, its files written by
    :func:`..explanations.write_explanations`) goes to the model card and
    ``reports/report.html``.

    ``plan`` (the split stage's evaluation), ``basis`` and ``size`` (the rows behind every
    claim, :func:`..degenerate.evaluation_basis` and its short form) say what the numbers
    were measured on.

    ``positive`` (binary tasks) is the positive class, stated in every file with ``note``
    (from :func:`..metrics.positive_class_note`); ``notices`` (warnings: a dummy champion,
    likely leakage) head ``comparison.md`` and the model card.
    """
    metric = params.compare.primary_metric
    # Missing values (the reference has no interval) become JSON null, not NaN.
    records = (
        table.astype(object).where(table.notna(), None).set_index("candidate").to_dict("index")
    )
    write_json(
        paths.COMPARE_METRICS,
        {
            "champion": champion,
            "primary_metric": metric,
            **({"positive_class": positive} if positive is not None else {}),
            f"champion_{metric}": records[champion][metric],
            "candidates": {
                name: {k: v for k, v in row.items() if k not in ("stage", "role")}
                for name, row in records.items()
            },
        },
    )
    # What `dvc metrics show` prints: short, flat, one column per candidate.
    write_json(
        paths.METRICS,
        {
            "champion": champion,
            "primary_metric": metric,
            **({"positive_class": positive} if positive is not None else {}),
            **{name: row[metric] for name, row in records.items()},
        },
    )
    write_json(paths.COMPARE_STATISTICS, statistics)
    intervals = table[["candidate", "role", "gain", "ci_lower", "ci_upper"]].dropna()
    write_csv(paths.COMPARE_INTERVALS, intervals)
    # The dummy floor's gap would squash the scale that matters: the challengers'.
    reference_value = float(table.loc[table["role"] == "reference", metric].iloc[0])
    resampled = plan is not None and plan.resampled
    _plot_intervals(
        intervals[intervals["candidate"] != "dummy"],
        metric,
        threshold(params.compare.min_gain, metric, reference_value),
        "out of fold" if resampled else "test split",
        "Corrected resampled t" if resampled else "Paired bootstrap",
    )
    stated = f"F1 and the ROC curve are for the {note}.\n\n" if note else ""
    if params.data.drop_columns:
        unused = ", ".join(f"`{c}`" for c in params.data.drop_columns)
        stated += f"Columns the models never see (`data.drop_columns`): {unused}.\n\n"
    warnings = "".join(f"> **{notice}.**\n\n" for notice in notices or [])
    challengers = sum(s["challenger"] for s in statistics.values())
    evaluated = ""
    if plan is not None:
        rests = markdown_text(basis)
        evaluated = f"Evaluation: {plan.describe()}; every number rests on {rests}.\n\n"
    write_text(
        paths.COMPARE_TABLE,
        (
            f"# Comparison {'out of fold' if resampled else 'on the test split'}\n\n"
            f"{warnings}Primary metric: `{metric}`. "
            f"**Champion: {champion}**. {reason}.\n\n{evaluated}"
            f"{rule_statement(params.compare, challengers)}\n\n"
            f"{stated}"
            "Rows: the champion first, then the reference (the baseline chosen on "
            f"cross-validation), then the others by `{metric}`; gain and interval are "
            "against the reference.\n\n"
            f"{table.to_markdown(index=False, floatfmt='.4f')}\n"
        ),
    )
    write_text(
        paths.MODEL_CARD,
        render_model_card(
            table,
            statistics,
            champion,
            reason,
            params,
            deep,
            positive=note,
            notices=notices,
            plan=plan,
            basis=basis,
            size=size,
            explained=explained,
            card=card,
        ),
    )
    if explained is not None and plan is not None:
        write_text(
            paths.REPORT,
            render_report(
                title=params.mlflow.experiment,
                task=params.data.task,
                champion=champion,
                reason=reason,
                notices=notices or [],
                evaluation=f"{plan.describe()}; every number rests on {basis}",
                validation=_read_json(paths.VALIDATION_RESULT),
                validation_report=paths.VALIDATION_REPORT,
                table=table,
                metric=metric,
                rule=rule_statement(params.compare, challengers),
                comparison_images={"Gain over the reference, with interval": paths.COMPARE_PLOT},
                explanations=explained,
                repeats=params.explain.importance_repeats,
                other_images={
                    f"Baseline stage: {png.stem.replace('_', ' ')}": png
                    for png in sorted(paths.BASELINE_PLOTS.glob("*.png"))
                },
                model_card=paths.MODEL_CARD,
            ),
        )


def _plot_intervals(
    intervals: pd.DataFrame, metric: str, min_gain: float, rows: str, method: str
) -> None:
    """Plot each gain's interval; ``min_gain`` in the metric's units, against the reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 1 + 0.5 * max(1, len(intervals))))
    for role, rows in intervals.groupby("role"):
        errors = [rows["gain"] - rows["ci_lower"], rows["ci_upper"] - rows["gain"]]
        axis.errorbar(rows["gain"], rows["candidate"], xerr=errors, fmt="o", capsize=4, label=role)
    axis.axvline(0, color="grey", linewidth=1)
    axis.axvline(min_gain, color="red", linestyle="--", linewidth=1, label="compare.min_gain")
    axis.set(xlabel=f"gain in {metric} over the reference ({rows})", title=method)
    axis.legend(loc="best", fontsize="small")
    figure.savefig(paths.COMPARE_PLOT, dpi=100, bbox_inches="tight")
    plt.close(figure)


def _track(
    table: pd.DataFrame,
    candidates: list[Candidate],
    champion: str,
    reason: str,
    params: Params,
    notices: list[str],
    scope: str = "test",
) -> list[str]:
    """Log the comparison to the active run; return the candidates whose run is elsewhere.

    Each candidate's metrics are logged as ``<candidate>/<scope>_<metric>`` (``test`` or
    ``out_of_fold``).

    Candidate runs are linked by tag when the store holds them. A candidate logged in
    another store is named instead, and, when it is the champion to register, its saved
    model is logged again in this run, so the registry alias always points at a model
    of this store. A dummy champion is tagged ``no_model_beats_guessing`` and leaves the
    alias where it was.
    """
    metric = params.compare.primary_metric
    skip = {"rank", "candidate", "stage", "role"}
    tested = set(TASK_METRICS[params.data.task]) | {"brier"}
    tracking.log_metrics(
        {
            f"{row['candidate']}/{scope + '_' if key in tested else ''}{key}": row[key]
            for row in table.to_dict("records")
            for key in table.columns
            if key not in skip and pd.notna(row[key])
        }
    )
    champion_row = table.set_index("candidate").loc[champion]
    tracking.log_metrics({f"champion_{metric}": champion_row[metric]})
    elsewhere = [c.name for c in candidates if not c.run_id]
    tracking.set_tags(
        {"champion": champion, "champion_reason": reason[:5000]}
        | {
            f"candidate.{c.name}.run_id": c.run_id
            or f"record {c.record_id} (in another store: {c.tracking_uri or 'unknown'})"
            for c in candidates
        }
    )
    if elsewhere:
        tracking.set_tags({"candidates_in_another_store": ", ".join(elsewhere)})
    if notices:
        tracking.set_tags({"warnings": " | ".join(notices)[:5000]})
    tracking.log_artifacts(
        paths.COMPARE_TABLE,
        paths.METRICS,
        paths.COMPARE_METRICS,
        paths.COMPARE_STATISTICS,
        paths.COMPARE_PLOT,
        paths.MODEL_CARD,
    )
    tracking.log_table(table, "comparison.json")
    if not params.compare.register_champion:
        tracking.set_tags({"registry": "off (compare.register_champion is false)"})
    elif champion == "dummy":
        tracking.set_tags(
            {
                "no_model_beats_guessing": "true",
                "registry": "not moved: the champion is the dummy floor (no model beats "
                "guessing); the alias champion stays on the model it pointed at, if any",
            }
        )
    elif os.environ.get("DVC_EXP_NAME"):
        # An experiment is a trial: only `dvc repro` on the workspace moves the alias.
        tracking.set_tags({"registry": f"not moved: DVC experiment {os.environ['DVC_EXP_NAME']}"})
    else:
        chosen = next(c for c in candidates if c.name == champion)
        model_uri = str(chosen.details.get("model_uri", ""))
        if not model_uri:
            model_uri = _log_model_again(chosen, params)
        version = tracking.register_champion(model_uri, params.mlflow.experiment, champion, reason)
        tracking.set_tags({"champion_model_version": version, "registry": "alias champion set"})
    return elsewhere


def _log_model_again(candidate: Candidate, params: Params) -> str:
    """Log a candidate's saved model (``model_path``) in the active run; return its URI."""
    import joblib

    model = joblib.load(candidate.model_path)
    X, _ = features_and_target(pd.read_parquet(paths.TRAIN), params.data.target, params.data.task)
    return tracking.log_sklearn_model(
        model, candidate.name, X, extra=tuple(candidate.extra_requirements)
    )


def other_store_notice(candidates: list[Candidate], champion: str, current: str) -> str:
    """Say which candidate runs live in another tracking store, and how to gather them.

    Parameters
    ----------
    candidates : list of Candidate
        The candidates whose run the current store lacks (at least one).
    champion : str
        The champion's name: its model was logged again in the compare run if listed.
    current : str
        The tracking URI in use.
    """
    stores = sorted(
        {
            "an earlier store at the same address (a replaced mlflow.db, or outputs made on "
            "another machine)"
            if c.tracking_uri == current
            else c.tracking_uri or "an unknown store"
            for c in candidates
        }
    )
    names = ", ".join(c.name for c in candidates)
    relogged = (
        f" The champion's model was logged again, from {c.model_path}, in this compare run "
        "and registered from there."
        for c in candidates
        if c.name == champion
    )
    return (
        f"Notice: the runs of {names} are not in this tracking store; they were logged in "
        f"{' and '.join(stores)}. This compare run holds their test metrics.{''.join(relogged)} "
        "To log every stage in this store: dvc repro -f; to copy the earlier runs too: "
        "README.md, 'Moving an existing project to the server'."
    )
