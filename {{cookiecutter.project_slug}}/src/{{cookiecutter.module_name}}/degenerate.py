"""Results that look like findings but are artefacts, said out loud with what to do.

Three kinds, each found from the predictions and statistics ``compare`` already holds:

- **Zero-width intervals.** An interval ``[x, x]`` is not certainty: every resample (or
  fold) scored the models alike, because the evaluation rows are too few to vary, or
  the predictions never differ. Seven test rows with two positives give a ROC AUC of
  exactly 1.0 in every bootstrap resample.
- **Too few rows of the rarest class** among the evaluation rows
  (``compare.min_minority_rows``): every metric of that class moves by about one over
  that count with each row.
- **Constant predictions** from a model other than the dummy: the same probabilities
  (or value) for every row rank nothing, so the model is no better than the dummy by
  construction; the same label for every row gives the dummy's accuracy and no F1.

The model card also states the evaluation behind every claim (:func:`evaluation_basis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .evaluation import FOLD, Plan, held_out_ratio, is_resampled
from .metrics import proba_columns
from .paths import ROW_ID
from .stats import Interval, effective_folds

#: Interval widths at or below this count as zero (float round-off).
ZERO_WIDTH = 1e-12


def evaluation_basis(predictions: pd.DataFrame, task: str) -> str:
    """The rows behind every claim of a comparison, in words (the effective sample size).

    Parameters
    ----------
    predictions : DataFrame
        Any candidate's prediction table (all share the rows).
    task : str

    Returns
    -------
    str
        Holdout: the test rows and, for classes, their counts. Out of fold: the rows, the
        repeats and folds, and how many independent folds the corrected variance is worth
        (:func:`.stats.effective_folds`).
    """
    rows = predictions.drop_duplicates(ROW_ID)
    counts = ""
    if task != "regression":
        per_class = rows["y_true"].astype(str).value_counts()
        counts = " (" + ", ".join(f"{k}: {v}" for k, v in per_class.items()) + ")"
    if not is_resampled(predictions):
        return f"{len(rows)} test rows{counts}, each scored once"
    folds = predictions[FOLD].nunique()
    repeats = len(predictions) // len(rows)
    worth = effective_folds(folds, held_out_ratio(predictions))
    return (
        f"all {len(rows)} rows{counts}, each scored "
        f"{'once' if repeats == 1 else f'{repeats} times'} out of fold; "
        f"{folds} fold scores whose training sets overlap, worth about {worth:.1f} "
        f"independent ones (corrected resampled t, {folds - 1} degrees of freedom)"
    )


def _advice(plan: Plan) -> str:
    if plan.resampled:
        return "add rows, or raise split.resample_repeats for a steadier estimate"
    return (
        f"set split.resample_below_rows above {plan.rows} so that every row is scored out "
        "of fold (dvc exp run -S split.resample_below_rows="
        f"{plan.rows + 1}), or add rows"
    )


def zero_width(intervals: Mapping[str, Interval | Mapping[str, Any]], plan: Plan) -> list[str]:
    """A notice for each named interval whose width is zero.

    Intervals of constant models (the dummy, or a model :func:`constant_predictions`
    names) are left out by the caller: their own notice explains them, and neither more
    rows nor more repeats would widen them.

    Parameters
    ----------
    intervals : mapping of description to Interval or dict with ``lower``/``upper``
        For example ``{"hgb's gain over linear": ...}``.
    plan : Plan
    """
    notices = []
    for what, interval in intervals.items():
        lower, upper = (
            (interval.lower, interval.upper)
            if isinstance(interval, Interval)
            else (interval["lower"], interval["upper"])
        )
        if upper - lower <= ZERO_WIDTH:
            notices.append(
                f"Warning: the interval of {what} has zero width ([{lower:.4f}, {upper:.4f}]). "
                "That is not certainty: every resample scored it alike, because the "
                "evaluation rows are too few to vary or the predictions never differ. Read "
                f"it as unknown; {_advice(plan)}"
            )
    return notices


def evaluation_size(predictions: pd.DataFrame) -> str:
    """The short form of :func:`evaluation_basis`, for each line of the model card."""
    rows = predictions[ROW_ID].nunique()
    if not is_resampled(predictions):
        return f"n = {rows} test rows"
    folds = predictions[FOLD].nunique()
    worth = effective_folds(folds, held_out_ratio(predictions))
    return f"n = {rows} rows, {folds} folds worth {worth:.1f} independent ones"


def few_minority_rows(predictions: pd.DataFrame, minimum: int, plan: Plan) -> list[str]:
    """A notice when the evaluation rows hold fewer than ``minimum`` of the rarest class."""
    counts = predictions.drop_duplicates(ROW_ID)["y_true"].astype(str).value_counts()
    if counts.empty or counts.min() >= minimum:
        return []
    where = "rows of the table" if is_resampled(predictions) else "test rows"
    return [
        f"Warning: the {where} hold only {counts.min()} of class {counts.idxmin()!r} "
        f"(compare.min_minority_rows: {minimum}): every metric of that class (F1, recall, "
        f"ROC AUC) moves by about {1 / counts.min():.2f} with each of its rows, so a "
        f"difference between models rests on a handful of rows; {_advice(plan)}"
    ]


def _constant_advice(name: str, task: str) -> str:
    """What makes a model constant on small tables, and the setting that changes it."""
    if name == "linear":
        setting = (
            "smaller values to baseline.linear.alpha"
            if task == "regression"
            else "larger values to baseline.linear.C"
        )
        return (
            f"its tuning chose the strongest regularisation of its grid: add weaker settings "
            f"({setting}), or add rows"
        )
    if name == "hgb":
        return (
            "gradient-boosted trees make no split that would leave a leaf under 20 rows "
            "(scikit-learn's min_samples_leaf), so a training fold needs 40 rows, and more "
            "distinct ones when rows repeat: leave them out with baseline.hgb.enabled: false, "
            "or add rows"
        )
    return "add rows"


def constant_models(frames: Mapping[str, pd.DataFrame], task: str) -> set[str]:
    """Candidates whose predictions are constant in at least half the folds (the dummy too)."""
    found = set()
    for name, frame in frames.items():
        flat, folds = _flat_folds(frame, task)
        if name == "dummy" or 2 * flat >= folds:
            found.add(name)
    return found


def constant_predictions(
    frames: Mapping[str, pd.DataFrame], task: str, tuned: Mapping[str, str] | None = None
) -> list[str]:
    """A notice for each candidate but the dummy that predicts alike for every row.

    Out-of-fold predictions are judged fold by fold (each fold has its own model) and
    reported when at least half the folds are constant, with their number.
    Classification: constant probabilities (no ranking: ROC AUC 0.5), else a constant
    label (no better than a constant guess on the labels; no F1 for the other classes).

    Parameters
    ----------
    frames : mapping of candidate name to prediction table
    task : str
    tuned : mapping of candidate name to str, optional
        Binary tasks: how each candidate's decision threshold was chosen (its card's
        ``threshold_choice``); the label advice depends on it.
    """
    notices = []
    for name, frame in frames.items():
        if name == "dummy":
            continue
        flat, folds = _flat_folds(frame, task)
        if 2 * flat >= folds:
            kind = "probabilities" if task != "regression" else "value"
            notices.append(
                f"Warning: {name} predicts the same {kind} for every row "
                f"{_where(flat, folds)}: it ranks nothing, so it is no better than the "
                f"dummy by construction (its intervals may have zero width); "
                f"{_constant_advice(name, task)}"
            )
            continue
        if task == "regression":
            continue
        parts = _parts(frame)
        one_label = sum(int(part["y_pred"].nunique() <= 1) for part in parts)
        if 2 * one_label >= len(parts):
            label = frame["y_pred"].astype(str).mode().iloc[0]
            notices.append(
                f"Warning: {name} labels every row {label!r} {_where(one_label, len(parts))}: "
                "its labels (accuracy, F1, balanced accuracy) are those of a constant guess "
                "there, although its probabilities differ between rows (their ranking may "
                f"still inform); {_label_advice(name, task, (tuned or {}).get(name))}"
            )
    return notices


def _label_advice(name: str, task: str, choice: str | None) -> str:
    """Advice for constant labels, from how the model's threshold was chosen (its card)."""
    if task != "binary":
        return "add rows of the other classes"
    if choice and choice.startswith("maximises f1"):
        return (
            "its threshold maximises F1 of the positive class; baseline.threshold_metric: "
            "balanced_accuracy weighs both classes alike"
        )
    if choice and choice.startswith("maximises"):
        return "the classes overlap too much on these rows for any threshold; add rows"
    return f"its threshold is {choice or 'fixed at 0.5'}; its ranking is in its ROC AUC"


def _parts(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Each fold's rows (one model each), or the whole test split."""
    return [rows for _, rows in frame.groupby(FOLD)] if is_resampled(frame) else [frame]


def _flat_folds(frame: pd.DataFrame, task: str) -> tuple[int, int]:
    """How many folds (or test splits) hold constant predictions, and of how many."""
    values = proba_columns(frame) if task != "regression" else ["y_pred"]
    parts = _parts(frame)
    return sum(int((part[values].nunique() <= 1).all()) for part in parts), len(parts)


def _where(count: int, folds: int) -> str:
    return f"in {count} of {folds} folds" if folds > 1 else "on the test split"
