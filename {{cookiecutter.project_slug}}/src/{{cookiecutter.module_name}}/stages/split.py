"""Stage ``split``: how every model is scored, with row ids shared by every model.

Tables of ``split.resample_below_rows`` rows or more get one seeded holdout split; smaller
ones get no test split but the folds of repeated k-fold cross-validation over all rows
(:mod:`..evaluation`), written as ``data/split/folds.parquet``. Rows with identical feature
values fall on the same side of the split and of every fold (:mod:`..groups`), so no
feature vector is both trained on and scored on.

The split refuses to run unless the validation result says the current raw table passed,
so no model ever trains on data that failed its expectation suite. It then checks the
training split for target leakage (:mod:`..leakage`) before any model is tuned.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths, tracking
from ..config import Params
from ..data import features_and_target, file_hash, load_table
from ..errors import StageError
from ..evaluation import Plan, choose_plan, folds_table, write_plan
from ..groups import feature_groups, holdout, repeated_group_folds, repeats
from ..leakage import LeakageError, check_allowed_columns, check_leakage
from ..outputs import write_json, write_parquet


def check_validation_passed(data_path: Path, result_path: Path = paths.VALIDATION_RESULT) -> None:
    """Raise unless ``result_path`` records a pass for the current content of ``data_path``.

    Raises
    ------
    StageError
        If the result is missing, records a failure, or was made for other data (hash).
    """
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StageError(f"{result_path} not found: run the validate stage first") from exc
    if not result["success"]:
        raise StageError(
            f"{result_path}: {data_path} failed validation; see {paths.VALIDATION_REPORT}"
        )
    if result["data_hash"] != file_hash(data_path):
        raise StageError(
            f"{data_path} changed since it was validated: run the validate stage again"
        )


def split_table(
    frame: pd.DataFrame, target: str, *, test_size: float, seed: int, stratify: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a table into train and test with a ``row_id`` column (the row's position).

    Rows with identical values in every column but the target (one feature vector) stay
    together on one side (:func:`..groups.holdout`); a table without such repeats gets
    scikit-learn's ``train_test_split``.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    target : str
        Target column, used for stratification; every other column is a feature.
    test_size : float
        Fraction of rows in the test split, in (0, 1); about that with repeated rows
        (:func:`..groups.holdout`).
    seed : int
        Random seed of the shuffle.
    stratify : bool
        Keep class proportions equal in both splits (classification).

    Returns
    -------
    train : DataFrame of shape (n_train, n_columns + 1)
    test : DataFrame of shape (n_test, n_columns + 1)
        Both sorted by ``row_id``.

    Raises
    ------
    StageError
        If stratification is impossible (a class with fewer than two rows), or the table
        has too few distinct feature vectors to split.
    """
    row_ids = np.arange(len(frame))
    groups = feature_groups(frame.drop(columns=[target]))
    try:
        # Split the row ids only: taking rows once, in order, is far cheaper on large tables.
        train_ids, test_ids = holdout(
            groups, frame[target], test_size=test_size, seed=seed, stratify=stratify
        )
    except ValueError as exc:
        raise StageError(f"cannot split on target {target!r}: {exc}; see split.test_size") from exc
    with_ids = frame.assign(**{paths.ROW_ID: row_ids})[[paths.ROW_ID, *frame.columns]]
    return with_ids.take(np.sort(train_ids)), with_ids.take(np.sort(test_ids))


def unseen_categories(train: pd.DataFrame, test: pd.DataFrame, target: str) -> dict[str, int]:
    """Count, per text column, the test rows whose category never occurs in train.

    The one-hot encoder ignores such categories (all-zero columns); the counts say how often
    the models meet them. Returns only columns with at least one such row.
    """
    counts = {}
    for column in train.columns.drop([paths.ROW_ID, target]):
        if not pd.api.types.is_numeric_dtype(train[column]):
            # isin() with the few distinct values: with every train value it is far slower.
            seen = train[column].dropna().unique()
            unseen = ~test[column].isin(seen) & test[column].notna()
            if unseen.any():
                counts[column] = int(unseen.sum())
    return counts


def resampling_folds(
    frame: pd.DataFrame, target: str, plan: Plan, *, seed: int, stratify: bool
) -> pd.DataFrame:
    """The folds table of repeated k-fold cross-validation over every row of ``frame``.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The table; row ids are positions.
    target : str
    plan : Plan
        ``folds`` and ``repeats``.
    seed : int
    stratify : bool
        Classification: every class in every fold (as many as it has rows for).

    Returns
    -------
    DataFrame of shape (n_rows x repeats, 3)
        :func:`..evaluation.folds_table`.

    Raises
    ------
    StageError
        If a class has fewer rows than ``split.resample_folds``, or the table has fewer
        distinct feature vectors than folds.
    """
    y = frame[target]
    if stratify:
        counts = y.astype(str).value_counts()
        if counts.min() < plan.folds:
            fix = (
                f"set split.resample_folds to {counts.min()} or lower, or add rows"
                if counts.min() >= 2
                else "lowering split.resample_folds cannot help: merge the class or add rows"
            )
            raise StageError(
                f"class {counts.idxmin()!r} of target {target!r} has {counts.min()} rows, fewer "
                f"than split.resample_folds ({plan.folds}): some folds would score no row of "
                f"it; {fix}"
            )
    try:
        folds = repeated_group_folds(
            feature_groups(frame.drop(columns=[target])),
            y.astype(str) if stratify else y,
            classification=stratify,
            n_splits=plan.folds,
            n_repeats=plan.repeats,
            seed=seed,
        )
    except ValueError as exc:
        raise StageError(
            f"cannot make split.resample_folds ({plan.folds}) folds: {exc}; lower it"
        ) from exc
    return folds_table(folds, np.arange(len(frame)), plan.folds)


def _log_leakage(scores: pd.DataFrame) -> None:
    """Log the single-column scores (a table artifact) and the highest one (a metric)."""
    tracking.log_table(scores, "leakage/single_column_scores.json")
    if not scores.empty:
        top = scores.iloc[0]
        tracking.log_metrics({"leakage/max_single_column_score": top["score"]})
        tracking.set_tags({"leakage/top_column": top["column"]})


def run(params: Params) -> dict[str, Path]:
    """Check the validation result, split the raw table and write the splits as Parquet.

    Holdout (:func:`..evaluation.choose_plan`): ``train.parquet`` and ``test.parquet``.
    Resampled: ``train.parquet`` holds every row and ``folds.parquet`` the folds; no test
    split. ``evaluation.json`` records the choice. Columns in ``data.drop_columns`` are
    left out. Before anything is
    written, every column of the training split is scored alone against the target
    (:func:`..leakage.check_leakage`); a column above ``leakage.max_single_column_score``
    and not in ``leakage.allowed_columns`` stops the stage (no split is written). The
    split's metrics count the test rows, the test categories unseen in train, the distinct
    feature vectors (``feature_groups``) and the rows repeating one (``repeated_rows``),
    and give the highest single-column score.
    """
    with tracking.stage_run("split", params):
        tracking.log_params(params.leakage.model_dump(), prefix="leakage.")
        check_validation_passed(params.data.path)
        raw = load_table(params.data)
        check_allowed_columns(params.leakage.allowed_columns, list(raw.columns), params.data.target)
        frame = raw.drop(columns=params.data.drop_columns)
        if paths.ROW_ID in frame.columns:
            raise StageError(
                f"{params.data.path}: column {paths.ROW_ID!r} is a name the pipeline keeps for "
                "its own row numbers; rename the column in the table, or list it in "
                "data.drop_columns in params.yaml if the models need not see it"
            )
        plan = choose_plan(len(frame), params.split)
        stratify = params.data.task != "regression"
        if plan.resampled:
            train = frame.assign(**{paths.ROW_ID: np.arange(len(frame))})
            train = train[[paths.ROW_ID, *frame.columns]]
            folds = resampling_folds(
                frame, params.data.target, plan, seed=params.split.seed, stratify=stratify
            )
            test = train.iloc[:0]
        else:
            train, test = split_table(
                frame,
                params.data.target,
                test_size=params.split.test_size,
                seed=params.split.seed,
                stratify=stratify,
            )
        print(f"split: {plan.describe()}; {plan.reason}")
        X, y = features_and_target(train, params.data.target, params.data.task)
        try:
            scores = check_leakage(
                X,
                y,
                params.data.task,
                max_score=params.leakage.max_single_column_score,
                allowed=params.leakage.allowed_columns,
                seed=params.split.seed,
                target=f"the target {params.data.target!r}",
            )
        except LeakageError as exc:
            _log_leakage(exc.scores)
            raise
        _log_leakage(scores)
        grouping = repeats(feature_groups(frame.drop(columns=[params.data.target])))
        write_parquet(paths.TRAIN, train)
        write_plan(plan)
        if plan.resampled:
            unseen: dict[str, int] = {}
            write_parquet(paths.FOLDS, folds)
            paths.TEST.unlink(missing_ok=True)
        else:
            unseen = unseen_categories(train, test, params.data.target)
            write_parquet(paths.TEST, test)
            paths.FOLDS.unlink(missing_ok=True)
        tracking.log_params(
            {"evaluation": plan.method, "folds": plan.folds, "repeats": plan.repeats}
        )
        metrics = {
            "evaluation": plan.method,
            "train_rows": len(train),
            "test_rows": len(test),
            "unseen_test_categories": unseen,
            **grouping,
            "max_single_column_score": float(scores["score"].max()) if len(scores) else None,
        }
        write_json(paths.SPLIT_METRICS, metrics)
        tracking.log_metrics({"train_rows": len(train), "test_rows": len(test), **grouping})
        tracking.log_metrics(unseen, prefix="unseen_test_categories/")
    return {"train": paths.TRAIN, "evaluation": paths.EVALUATION}
