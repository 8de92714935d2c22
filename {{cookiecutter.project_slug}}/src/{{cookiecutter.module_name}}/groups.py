"""Repeated rows kept together: one side of every split and fold per feature vector.

In survey and panel data, identical rows are mostly different people who gave the same
answers; deleting them biases the sample. The leak is a copy of one feature vector on both
sides of a split, where a model is scored on a row it has seen: a property of the split,
not of the data. So rows with identical values in every model input column (every column
but the target and ``data.drop_columns``) form a group (:func:`feature_groups`), and
scikit-learn's group-aware splitters keep each group whole: ``StratifiedGroupKFold`` for
classification, ``GroupKFold`` and ``GroupShuffleSplit`` for regression (scikit-learn user
guide, "Cross-validation iterators for grouped data",
https://scikit-learn.org/stable/modules/cross_validation.html#group-cv). The ``split``
stage (:func:`holdout`), the baseline's grid searches and threshold tuning and the leakage
check (:func:`group_folds`) all group the same way.

A table without repeated feature vectors has one row per group; it is split with the
plain splitters (``train_test_split``, ``StratifiedKFold``, ``KFold``), which keep exactly
the same guarantee, are faster, and give the same splits as before grouping existed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)

#: Train and test positions of one split or fold.
Fold = tuple[np.ndarray, np.ndarray]


def feature_groups(X: pd.DataFrame) -> np.ndarray:
    """Number the distinct feature vectors: rows with identical values share a group.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        The model inputs (no target, no row id). Missing values compare equal to each
        other, as in :meth:`pandas.DataFrame.duplicated`.

    Returns
    -------
    ndarray of shape (n_rows,)
        Group ids 0, 1, ... in order of first appearance.

    Examples
    --------
    >>> feature_groups(pd.DataFrame({"a": [1, 2, 1, 1], "b": ["x", "y", "x", "z"]})).tolist()
    [0, 1, 0, 2]
    """
    if X.shape[1] == 0:
        return np.zeros(len(X), dtype=np.int64)
    grouped = X.groupby(list(X.columns), dropna=False, sort=False, observed=True)
    return grouped.ngroup().to_numpy(dtype=np.int64)


def repeats(groups: np.ndarray) -> dict[str, int]:
    """Count the groups and the rows that repeat an earlier row's feature vector.

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
        From :func:`feature_groups`.

    Returns
    -------
    dict
        ``feature_groups`` (distinct feature vectors) and ``repeated_rows`` (rows minus
        groups: the rows after the first of each group).
    """
    count = len(np.unique(groups))
    return {"feature_groups": count, "repeated_rows": len(groups) - count}


def holdout(
    groups: np.ndarray, y: pd.Series, *, test_size: float, seed: int, stratify: bool
) -> Fold:
    """One seeded train/test split of row positions that keeps every group on one side.

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
        From :func:`feature_groups`.
    y : Series of shape (n_rows,)
        Target, for stratification.
    test_size : float
        Fraction of rows in the test split, in (0, 1). With repeated feature vectors and
        ``stratify``, the test split is one fold of ``StratifiedGroupKFold`` with
        ``round(1 / test_size)`` folds (at least 2): 0.2 gives one fold in five, 0.3 one in
        three. Without ``stratify`` it is ``GroupShuffleSplit``'s ``test_size`` share of
        the groups.
    seed : int
        Random seed of the shuffle.
    stratify : bool
        Keep class proportions about equal in both splits (classification).

    Returns
    -------
    train : ndarray of shape (n_train,)
    test : ndarray of shape (n_test,)
        Row positions.

    Raises
    ------
    ValueError
        If the rows cannot be split so (scikit-learn's message): a class of one row
        (without repeats), or fewer groups than folds.
    """
    positions = np.arange(len(groups))
    if len(np.unique(groups)) == len(groups):
        train, test = train_test_split(
            positions, test_size=test_size, random_state=seed, stratify=y if stratify else None
        )
        return train, test
    if stratify:
        folds = max(2, round(1 / test_size))
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        return next(splitter.split(positions, y, groups))
    shuffle = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    return next(shuffle.split(positions, y, groups))


def group_folds(
    groups: np.ndarray, y: pd.Series | np.ndarray, *, classification: bool, n_splits: int, seed: int
) -> list[Fold]:
    """Seeded k-fold cross-validation folds that keep every group in one fold.

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
        From :func:`feature_groups`.
    y : Series or ndarray of shape (n_rows,)
        Target: classes are stratified (``StratifiedGroupKFold``); a regression target
        is not (``GroupKFold``, shuffled).
    classification : bool
    n_splits : int
        Number of folds, at least 2.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    list of (train, test) pairs of ndarray
        ``n_splits`` pairs of row positions, for ``cv=`` of any scikit-learn search.

    Raises
    ------
    ValueError
        If there are fewer groups than ``n_splits`` (scikit-learn's message).
    """
    positions = np.arange(len(groups))
    if len(np.unique(groups)) == len(groups):
        plain = StratifiedKFold if classification else KFold
        return list(plain(n_splits, shuffle=True, random_state=seed).split(positions, y))
    grouped = StratifiedGroupKFold if classification else GroupKFold
    splitter = grouped(n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(positions, y, groups))


def repeated_group_folds(
    groups: np.ndarray,
    y: pd.Series | np.ndarray,
    *,
    classification: bool,
    n_splits: int,
    n_repeats: int,
    seed: int,
) -> list[Fold]:
    """Repeated k-fold cross-validation that keeps every group in one fold of each repeat.

    Repeat ``r`` is :func:`group_folds` with seed ``seed + r``: stratified by class, grouped
    by feature vector (scikit-learn's ``RepeatedStratifiedKFold`` when no row repeats
    another, up to the seeds).

    Parameters
    ----------
    groups : ndarray of shape (n_rows,)
    y : Series or ndarray of shape (n_rows,)
    classification : bool
    n_splits, n_repeats : int
    seed : int

    Returns
    -------
    list of (train, test) pairs of ndarray
        ``n_repeats * n_splits`` pairs, repeat by repeat; each repeat's test parts cover
        every row once.

    Raises
    ------
    ValueError
        If there are fewer groups than ``n_splits`` (scikit-learn's message).
    """
    return [
        fold
        for repeat in range(n_repeats)
        for fold in group_folds(
            groups, y, classification=classification, n_splits=n_splits, seed=seed + repeat
        )
    ]
