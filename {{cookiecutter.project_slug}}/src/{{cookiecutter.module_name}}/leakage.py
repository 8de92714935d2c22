"""Target leakage: a column that alone predicts the target almost perfectly.

A feature that is a copy of the target, derived from it, or recorded only after the
outcome is known (a "cancelled" flag for churn, a discharge code for a diagnosis) makes
every model look perfect on test rows and useless on new ones. The ``split`` stage runs
:func:`check_leakage` on the training split, before any model is tuned, and stops when a
column not listed in ``leakage.allowed_columns`` scores above
``leakage.max_single_column_score``.

The default threshold, 0.99, sits between what genuine columns and leaks score. The
strongest single column of each bundled table scores 0.96 (breast cancer, ``worst
perimeter``, ROC AUC), 0.80 (wine, ``flavanoids``, balanced accuracy) and 0.14
(diabetes, ``s4``, R²); a noisy copy of a binary target (correlation 0.99) scores 1.00,
and a regression target plus noise of 1 % of its spread an R² above 0.99.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .errors import StageError
from .groups import feature_groups, group_folds
from .targets import did_you_mean

#: The score of a one-column model, per task, as the report names it.
SCORE_NAMES = {"binary": "ROC AUC", "multiclass": "balanced accuracy", "regression": "R²"}
#: Folds of the cross-validation, the same for every column.
CV_FOLDS = 5
#: Training rows the check looks at, at most (a seeded, stratified sample beyond that).
MAX_ROWS = 10_000


class LeakageError(StageError):
    """A column alone predicts the target almost perfectly; ``scores`` holds every column's."""

    def __init__(self, message: str, scores: pd.DataFrame) -> None:
        super().__init__(message)
        self.scores = scores


def check_allowed_columns(allowed: Sequence[str], columns: Sequence[str], target: str) -> None:
    """Raise unless every name in ``leakage.allowed_columns`` is a feature of the table.

    Parameters
    ----------
    allowed : sequence of str
        ``leakage.allowed_columns``.
    columns : sequence of str
        The raw table's columns (before ``data.drop_columns``).
    target : str
        ``data.target``, which is not a feature.

    Raises
    ------
    StageError
        Naming each unknown name, the closest column ("did you mean") and the setting.
    """
    features = [column for column in columns if column != target]
    problems = [
        f"  {name!r}: "
        + ("is the target, not a feature" if name == target else "not a column of the table")
        + did_you_mean(name, features)
        for name in allowed
        if name not in features
    ]
    if problems:
        raise StageError(
            "leakage.allowed_columns in params.yaml names columns the table lacks; fix or "
            "remove them:\n" + "\n".join(problems)
        )


def _encode(column: pd.Series) -> np.ndarray:
    """One column as floats: numbers as they are (missing stays NaN, which the tree splits
    on), other values as sorted ordinal codes with missing as a code of its own."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    codes, _ = pd.factorize(column, sort=True, use_na_sentinel=False)
    return codes.astype(float)


def _sample(y: pd.Series, task: str, max_rows: int, seed: int) -> np.ndarray:
    """Positions of about ``max_rows`` rows: seeded, stratified for classification.

    A class left with fewer than ``CV_FOLDS`` rows by the sample keeps all its rows, so
    that every fold still holds it.
    """
    positions = np.arange(len(y))
    if len(y) <= max_rows:
        return positions
    classification = task != "regression"
    kept, _ = train_test_split(
        positions, train_size=max_rows, random_state=seed, stratify=y if classification else None
    )
    if classification:
        counts = y.iloc[kept].value_counts()
        rare = [label for label in y.unique() if counts.get(label, 0) < CV_FOLDS]
        kept = np.union1d(kept, positions[y.isin(rare).to_numpy()])
    return np.sort(kept)


def single_column_scores(
    X: pd.DataFrame,
    y: pd.Series,
    task: str,
    *,
    seed: int,
    max_rows: int = MAX_ROWS,
) -> pd.Series:
    """Cross-validated score of a one-column decision tree, for every column of ``X``.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_columns)
        Features of the training split. Text columns are ordinal-encoded (sorted), missing
        values being a category of their own; missing numbers go to one side of a split.
    y : Series of shape (n_rows,)
        Target: class labels for classification, numbers for regression.
    task : {"binary", "multiclass", "regression"}
    seed : int
        Seed of the row sample and of the folds (the same folds for every column).
    max_rows : int, default=10_000
        Rows used at most: a seeded sample (stratified for classification, rare classes
        kept whole) beyond that. 10,000 rows estimate a score near 1 to about 0.001 and
        keep the check near a second on 100,000 rows by 30 columns.

    Returns
    -------
    Series of shape (n_columns,)
        Mean score over ``CV_FOLDS`` folds (fewer if a class has fewer rows, or the rows
        fewer distinct feature vectors), indexed by column, highest first: ROC AUC
        (binary), balanced accuracy (multiclass) or R² (regression); 1 is perfect.

    Notes
    -----
    Rows with identical values in every column of ``X`` stay in one fold, as in the
    baseline's cross-validation (:func:`.groups.group_folds`), so no feature vector is
    scored by a tree that was fitted on its copy.
    """
    kept = _sample(y, task, max_rows, seed)
    target = y.to_numpy()[kept]
    groups = feature_groups(X.iloc[kept])
    # Folds cannot outnumber the groups; with a single group nothing can be kept apart.
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        groups = np.arange(len(kept))
    if task == "regression":
        n_splits = max(2, min(CV_FOLDS, n_groups))
        # A copy of a continuous target needs many steps for its R² to near 1 (a depth-3
        # tree caps an exact copy of a normal target near 0.96); three rows a leaf keep a
        # genuine but noisy column's score from being swamped by overfitting.
        model: DecisionTreeClassifier | DecisionTreeRegressor = DecisionTreeRegressor(
            max_depth=8, min_samples_leaf=3, random_state=seed
        )
    else:
        # Integer class codes: sklearn finds the classes of text labels far more slowly.
        target = pd.factorize(target, sort=True)[0]
        # Fewer folds when a class has fewer rows (baseline.cv_folds may be below 5).
        smallest = int(np.bincount(target).min())
        n_splits = max(2, min(CV_FOLDS, smallest, n_groups))
        # A class boundary needs few thresholds: two leaves per class, at least depth 3.
        depth = max(3, math.ceil(math.log2(len(np.unique(target)))) + 1)
        model = DecisionTreeClassifier(max_depth=depth, random_state=seed)
    splits = group_folds(
        groups, target, classification=task != "regression", n_splits=n_splits, seed=seed
    )
    scoring = {"binary": "roc_auc", "multiclass": "balanced_accuracy"}.get(task, "r2")
    scores = {
        column: float(
            cross_val_score(
                model, _encode(X[column].iloc[kept])[:, None], target, cv=splits, scoring=scoring
            ).mean()
        )
        for column in X.columns
    }
    return pd.Series(scores, name=SCORE_NAMES[task], dtype=float).sort_values(ascending=False)


def check_leakage(
    X: pd.DataFrame,
    y: pd.Series,
    task: str,
    *,
    max_score: float,
    allowed: Sequence[str] = (),
    seed: int,
    target: str = "the target",
) -> pd.DataFrame:
    """Score every column alone against the target; stop if one predicts it almost perfectly.

    A one-column decision tree is cross-validated on the training split for each column
    (:func:`single_column_scores`): ROC AUC for a binary target, balanced accuracy for a
    multiclass one, R² for regression. A column scoring above ``max_score`` (default
    0.99 in params.yaml) that is not in ``allowed`` is flagged as likely target leakage:
    information that will not exist, or not be known, when the model predicts. A feature
    whose relation to the target is too good to be true is the first sign of leakage that
    Kaufman, Rosset, Perlich and Stitelman describe in "Leakage in data mining:
    formulation, detection, and avoidance", ACM TKDD 6(4), 2012; this check looks for it
    one column at a time, before any model is tuned.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_columns)
        Features of the training split (no row id, no target).
    y : Series of shape (n_rows,)
        Target of the training split.
    task : {"binary", "multiclass", "regression"}
    max_score : float
        ``leakage.max_single_column_score``: a score above it flags the column; 1.0 turns
        the check off.
    allowed : sequence of str, default=()
        ``leakage.allowed_columns``: columns scored and reported but never flagged.
    seed : int
        Seed of the row sample and the folds.
    target : str, default="the target"
        Target column name, for the message.

    Returns
    -------
    DataFrame of shape (n_columns, 4)
        Columns ``column``, ``score``, ``allowed`` and ``flagged``, highest score first.

    Raises
    ------
    LeakageError
        If a column not in ``allowed`` scores above ``max_score``; the message names each
        such column, its score, the threshold and the two settings that let the pipeline
        go on; ``scores`` holds the returned table.
    """
    scores = single_column_scores(X, y, task, seed=seed)
    table = pd.DataFrame(
        {
            # Plain objects: MLflow's table logging warns about pandas' text dtype.
            "column": scores.index.astype(object),
            "score": scores.to_numpy(),
            "allowed": scores.index.isin(list(allowed)),
        }
    )
    table["flagged"] = (table["score"] > max_score) & ~table["allowed"]
    flagged = table[table["flagged"]]
    if flagged.empty:
        return table
    metric = SCORE_NAMES[task]
    named = ", ".join(f"{row.column!r} ({metric} {row.score:.4f})" for row in flagged.itertuples())
    subject = "column" if len(flagged) == 1 else "columns"
    raise LeakageError(
        f"{subject} {named} alone {'predicts' if len(flagged) == 1 else 'predict'} "
        f"{target} almost perfectly: the cross-validated {metric} of a one-column decision "
        f"tree on the training split is above leakage.max_single_column_score "
        f"({max_score:g}) in params.yaml. That is the mark of target leakage (a column "
        "derived from the target, or known only after it). If it will not be known when "
        "the model predicts, add it to data.drop_columns in params.yaml; if it is a "
        "genuine predictor, add it to leakage.allowed_columns in params.yaml. Then run "
        "dvc repro again",
        table,
    )
