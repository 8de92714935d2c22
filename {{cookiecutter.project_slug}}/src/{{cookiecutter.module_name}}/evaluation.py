"""How every model is scored: one holdout split, or, for small tables, resampling.

One 20 % holdout serves small tables worst: 400 rows leave 80 test rows, and every claim
about a model rests on them. Below ``split.resample_below_rows`` rows the ``split`` stage
writes no test split. Every candidate is scored instead by repeated k-fold
cross-validation over all rows (``split.resample_repeats`` x ``split.resample_folds``), on
the same folds for every candidate, stratified by class and keeping repeated feature
vectors in one fold (:func:`.groups.repeated_group_folds`). Each candidate's tuning runs
again inside each training fold (nested cross-validation, Varma & Simon, *BMC
Bioinformatics* 7:91, 2006), so its scores are not optimistic, and its out-of-fold
predictions take the place of test predictions: one row per table row and repeat, with
``repeat`` and ``fold`` columns. The saved model is refit on all rows.

Metrics of out-of-fold predictions are means over folds (:func:`score`); comparisons use
the corrected resampled t interval (:func:`.stats.corrected_resampled_t`), which accounts
for the overlap of the training sets. Larger tables keep the holdout and the paired
bootstrap.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from . import paths
from .candidates import predict_test
from .config import SplitParams
from .errors import StageError
from .metrics import evaluate
from .outputs import write_json

HOLDOUT = "holdout"
RESAMPLED = "resampled"
#: Columns of out-of-fold prediction tables: the repeat and the fold (0 .. r x k - 1).
REPEAT, FOLD = "repeat", "fold"


@dataclass(frozen=True)
class Plan:
    """The evaluation the ``split`` stage chose (``data/split/evaluation.json``).

    Attributes
    ----------
    method : {"holdout", "resampled"}
    rows : int
        Rows of the table (after ``data.drop_columns``, every row a model may see).
    folds, repeats : int
        Resampled: k and r of the repeated k-fold cross-validation (0 for a holdout).
    test_size : float
        Holdout: the test fraction (0 when resampled).
    reason : str
        Why this method, with the setting that chose it.
    """

    method: str
    rows: int
    folds: int = 0
    repeats: int = 0
    test_size: float = 0.0
    reason: str = ""

    @property
    def resampled(self) -> bool:
        """Whether models are scored out of fold (no test split)."""
        return self.method == RESAMPLED

    def describe(self) -> str:
        """The method in a few words, for the reports."""
        if self.resampled:
            return (
                f"{self.repeats} x {self.folds}-fold cross-validation over all {self.rows} "
                "rows (nested: each model tuned again inside every training fold)"
            )
        return f"one holdout split (test fraction {self.test_size}) of {self.rows} rows"


def choose_plan(rows: int, p: SplitParams) -> Plan:
    """Resampling below ``split.resample_below_rows`` rows, else the holdout.

    Parameters
    ----------
    rows : int
        Rows of the table.
    p : SplitParams

    Returns
    -------
    Plan
    """
    if rows < p.resample_below_rows:
        return Plan(
            RESAMPLED,
            rows,
            folds=p.resample_folds,
            repeats=p.resample_repeats,
            reason=(
                f"{rows} rows < split.resample_below_rows ({p.resample_below_rows}): a "
                f"{p.test_size:.0%} holdout would judge every model on about "
                f"{round(rows * p.test_size)} rows, so every row is scored out of fold instead"
            ),
        )
    return Plan(
        HOLDOUT,
        rows,
        test_size=p.test_size,
        reason=f"{rows} rows >= split.resample_below_rows ({p.resample_below_rows})",
    )


def write_plan(plan: Plan) -> None:
    """Write the plan beside the splits."""
    write_json(paths.EVALUATION, asdict(plan))


def read_plan() -> Plan:
    """Read the plan the ``split`` stage wrote.

    Raises
    ------
    StageError
        If it is missing (the ``split`` stage has not run).
    """
    try:
        return Plan(**json.loads(paths.EVALUATION.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise StageError(f"{paths.EVALUATION} not found: run the split stage first") from exc


def evaluation_rows() -> pd.DataFrame:
    """The rows every candidate must predict, in order.

    Returns
    -------
    DataFrame
        Holdout: the test split's ``row_id`` (n_test x 1). Resampled: the folds table,
        ``row_id``, ``repeat``, ``fold`` (n_rows x repeats rows, by fold then row).
    """
    if read_plan().resampled:
        return pd.read_parquet(paths.FOLDS)
    return pd.read_parquet(paths.TEST, columns=[paths.ROW_ID])


def folds_table(
    folds: list[tuple[np.ndarray, np.ndarray]], row_ids: np.ndarray, k: int
) -> pd.DataFrame:
    """The out-of-fold rows of repeated k-fold cross-validation, as a table.

    Parameters
    ----------
    folds : list of (train, test) position arrays
        r x k folds, repeat by repeat (:func:`.groups.repeated_group_folds`).
    row_ids : ndarray of shape (n_rows,)
    k : int
        Folds per repeat.

    Returns
    -------
    DataFrame of shape (n_rows x r, 3)
        ``row_id``, ``repeat``, ``fold``; sorted by fold, then row.
    """
    parts = [
        pd.DataFrame({paths.ROW_ID: np.sort(row_ids[test]), REPEAT: j // k, FOLD: j})
        for j, (_, test) in enumerate(folds)
    ]
    return pd.concat(parts, ignore_index=True)


def out_of_fold(
    fit: Callable[[pd.DataFrame, pd.Series], Any],
    X: pd.DataFrame,
    y: pd.Series,
    row_ids: pd.Series,
    table: pd.DataFrame,
    classes: list[str] | None,
    n_jobs: int,
    inspect: Callable[[Any, pd.DataFrame, pd.Series], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Fit on each training fold, predict its held-out fold: the out-of-fold predictions.

    Parameters
    ----------
    fit : callable
        ``fit(X_train, y_train)`` returns a fitted model (its own tuning runs inside, on the
        training fold only). Must be picklable (a module-level function or a partial of one)
        for parallel workers.
    X : DataFrame of shape (n_rows, n_features)
    y : Series of shape (n_rows,)
    row_ids : Series of shape (n_rows,)
    table : DataFrame
        The folds table (:func:`folds_table`): the held-out rows of each fold.
    classes : list of str, or None for regression
    n_jobs : int
        Folds fitted at once (joblib worker processes; -1: one per core).
    inspect : callable, optional
        ``inspect(model, X_held_out, y_held_out)`` returns a table about the fitted model
        on its held-out rows (such as :func:`.explain.permutation_scores`); called on the
        folds of the first repeat, so that every row is held out once. Picklable as ``fit``.

    Returns
    -------
    predictions : DataFrame of shape (n_rows x repeats, 5 + n_classes)
        A prediction table (:func:`.candidates.predictions_frame`) with ``repeat`` and
        ``fold``, in the order of ``table``.
    inspected : DataFrame or None
        The ``inspect`` tables of the first repeat's folds with a ``fold`` column (None
        without ``inspect``).
    """
    position = pd.Series(np.arange(len(row_ids)), index=row_ids.to_numpy())
    folds = [
        (int(fold), rows[paths.ROW_ID].map(position).to_numpy())
        for fold, rows in table.groupby(FOLD, sort=True)
    ]
    repeat_of = dict(zip(table[FOLD], table[REPEAT], strict=False))

    def one(fold: int, test: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        train = np.setdiff1d(np.arange(len(X)), test)
        model = fit(X.iloc[train], y.iloc[train])
        frame = predict_test(model, X.iloc[test], row_ids.iloc[test], y.iloc[test], classes)
        inspected = None
        if inspect is not None and repeat_of[fold] == 0:
            inspected = inspect(model, X.iloc[test], y.iloc[test]).assign(**{FOLD: fold})
        return frame.assign(**{REPEAT: repeat_of[fold], FOLD: fold}), inspected

    results = Parallel(n_jobs=n_jobs)(delayed(one)(fold, test) for fold, test in folds)
    predictions = pd.concat([frame for frame, _ in results], ignore_index=True)
    columns = [paths.ROW_ID, REPEAT, FOLD]
    predictions = predictions[columns + [c for c in predictions.columns if c not in columns]]
    found = [inspected for _, inspected in results if inspected is not None]
    return predictions, pd.concat(found, ignore_index=True) if found else None


def same_rows(expected: pd.DataFrame, predictions: pd.DataFrame) -> bool:
    """Whether ``predictions`` hold the rows of ``expected`` in the same order.

    Compared on ``row_id`` and, for out-of-fold tables (a ``fold`` column in ``expected``),
    on ``fold`` too.
    """
    columns = [c for c in (paths.ROW_ID, FOLD) if c in expected.columns]
    if any(c not in predictions.columns for c in columns) or len(predictions) != len(expected):
        return False
    return bool((predictions[columns].to_numpy() == expected[columns].to_numpy()).all())


def is_resampled(predictions: pd.DataFrame) -> bool:
    """Whether a prediction table holds out-of-fold predictions (a ``fold`` column)."""
    return FOLD in predictions.columns


def fold_scores(predictions: pd.DataFrame, task: str, positive: str | None) -> pd.DataFrame:
    """Every metric of :func:`.metrics.evaluate` on each fold of out-of-fold predictions.

    Returns
    -------
    DataFrame of shape (n_folds, n_metrics)
        Indexed by fold.
    """
    return pd.DataFrame(
        {
            fold: evaluate(rows, task, positive)
            for fold, rows in predictions.groupby(FOLD, sort=True)
        }
    ).T


def score(predictions: pd.DataFrame, task: str, positive: str | None = None) -> dict[str, float]:
    """A candidate's metrics: on the test split, or the mean over folds when resampled.

    Parameters
    ----------
    predictions : DataFrame
        A prediction table; out-of-fold when it has a ``fold`` column.
    task : str
    positive : str or None

    Returns
    -------
    dict of str to float
        As :func:`.metrics.evaluate`.
    """
    if not is_resampled(predictions):
        return evaluate(predictions, task, positive)
    return {k: float(v) for k, v in fold_scores(predictions, task, positive).mean().items()}


def held_out_ratio(predictions: pd.DataFrame) -> float:
    """Mean over folds of held-out rows / training rows (``1 / (k - 1)`` for equal folds)."""
    rows = predictions.groupby(REPEAT).size().iloc[0]
    held = predictions.groupby(FOLD).size().to_numpy(dtype=float)
    return float(np.mean(held / (rows - held)))
