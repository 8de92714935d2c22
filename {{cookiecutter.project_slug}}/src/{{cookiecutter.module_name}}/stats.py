"""Paired statistics for comparing two models on the same test rows.

- Paired bootstrap of a metric's difference (Efron & Tibshirani, *An Introduction to the
  Bootstrap*, 1993), resampled within each class for classification. Resamples are drawn
  as multinomial count vectors, so every metric is a weighted sum computed for a whole
  batch of resamples at once; batches keep memory bounded (about ``max_cells`` counts).
- DeLong's test for two correlated ROC AUCs (DeLong, DeLong & Clarke-Pearson, Biometrics
  1988), with the fast algorithm of Sun & Xu (IEEE Signal Processing Letters, 2014).
- McNemar's exact test on paired correctness (McNemar, Psychometrika 1947), through
  :func:`scipy.stats.binomtest`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Counts held in memory at once by the bootstrap (resamples x rows).
MAX_CELLS = 20_000_000


@dataclass(frozen=True)
class Prepared:
    """One model's test predictions in the form the weighted metrics need.

    ``truth`` is the target (class index for classification), ``pred`` the predicted value
    or class index, ``proba`` the (n_rows, n_classes) probabilities or None.
    """

    truth: np.ndarray
    pred: np.ndarray
    proba: np.ndarray | None


def _auc_weighted(
    pos_scores: np.ndarray, neg_scores: np.ndarray, w_pos: np.ndarray, w_neg: np.ndarray
) -> np.ndarray:
    """ROC AUC for each row of weights: P(pos > neg) + P(tie) / 2 under the weights.

    w_pos : (n_resamples, n_pos), w_neg : (n_resamples, n_neg). Returns (n_resamples,).
    """
    order = np.argsort(neg_scores, kind="stable")
    sorted_neg = neg_scores[order]
    below = np.searchsorted(sorted_neg, pos_scores, side="left")
    upto = np.searchsorted(sorted_neg, pos_scores, side="right")
    cum = np.zeros((w_neg.shape[0], len(sorted_neg) + 1))
    np.cumsum(w_neg[:, order], axis=1, out=cum[:, 1:])
    wins = cum[:, below] + 0.5 * (cum[:, upto] - cum[:, below])
    return (w_pos * wins).sum(axis=1) / (w_pos.sum(axis=1) * w_neg.sum(axis=1))


def weighted_metric(metric: str, task: str, positive: int | None = None) -> Callable:
    """Return ``f(prepared, weights) -> (n_resamples,)``: the metric under resample weights.

    ``weights`` has shape (n_resamples, n_rows); row counts of a bootstrap resample give
    the metric of that resample. Definitions match :func:`..metrics.evaluate`.
    """

    def mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
        return w @ values / w.sum(axis=1)

    def roc_auc(p: Prepared, w: np.ndarray) -> np.ndarray:
        assert p.proba is not None
        classes = [positive] if task == "binary" else range(p.proba.shape[1])
        aucs = []
        for c in classes:
            is_c = p.truth == c
            aucs.append(_auc_weighted(p.proba[is_c, c], p.proba[~is_c, c], w[:, is_c], w[:, ~is_c]))
        return np.mean(aucs, axis=0)

    def f1(p: Prepared, w: np.ndarray) -> np.ndarray:
        classes = [positive] if task == "binary" else np.unique(p.truth)
        scores = []
        for c in classes:
            tp = w @ ((p.pred == c) & (p.truth == c))
            fp = w @ ((p.pred == c) & (p.truth != c))
            fn = w @ ((p.pred != c) & (p.truth == c))
            denominator = 2 * tp + fp + fn
            scores.append(
                np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
            )
        return np.mean(scores, axis=0)

    def log_loss(p: Prepared, w: np.ndarray) -> np.ndarray:
        assert p.proba is not None
        picked = np.clip(p.proba[np.arange(len(p.truth)), p.truth], 1e-15, 1.0)
        return mean(-np.log(picked), w)

    def r2(p: Prepared, w: np.ndarray) -> np.ndarray:
        total = w.sum(axis=1)
        y_mean = (w @ p.truth) / total
        sst = w @ p.truth**2 - total * y_mean**2
        return 1 - (w @ (p.truth - p.pred) ** 2) / sst

    functions: dict[str, Callable] = {
        "accuracy": lambda p, w: mean((p.pred == p.truth).astype(float), w),
        "roc_auc": roc_auc,
        "f1": f1,
        "log_loss": log_loss,
        "rmse": lambda p, w: np.sqrt(mean((p.truth - p.pred) ** 2, w)),
        "mae": lambda p, w: mean(np.abs(p.truth - p.pred), w),
        "r2": r2,
    }
    return functions[metric]


def resample_counts(
    strata: np.ndarray, n_resamples: int, seed: int, max_cells: int = MAX_CELLS
) -> Iterator[np.ndarray]:
    """Yield batches of bootstrap count vectors, resampling within each stratum.

    Parameters
    ----------
    strata : ndarray of shape (n_rows,)
        Stratum of each row (the class for classification; all zeros otherwise). Each
        resample keeps every stratum's size.
    n_resamples : int
    seed : int
    max_cells : int, default=20_000_000
        Upper bound on resamples x rows per batch (memory: 8 bytes a cell).

    Yields
    ------
    ndarray of shape (batch, n_rows)
        Counts: how often each row is drawn in each resample.
    """
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == value) for value in np.unique(strata)]
    batch = max(1, max_cells // max(1, len(strata)))
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        counts = np.zeros((size, len(strata)))
        for rows in groups:
            counts[:, rows] = rng.multinomial(len(rows), np.full(len(rows), 1 / len(rows)), size)
        yield counts


@dataclass(frozen=True)
class Interval:
    """A gain of a candidate over the reference with its bootstrap interval."""

    gain: float
    lower: float
    upper: float
    confidence: float


def paired_bootstrap(
    reference: Prepared,
    candidate: Prepared,
    score: Callable,
    strata: np.ndarray,
    *,
    greater_is_better: bool,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> Interval:
    """Percentile interval of the candidate's gain over the reference on the same rows.

    The gain is ``candidate - reference`` for metrics where larger is better and
    ``reference - candidate`` for losses, so a positive gain always favours the candidate.
    Both models are scored on the same resampled rows (a paired bootstrap).

    Parameters
    ----------
    reference, candidate : Prepared
        Predictions for the same n_rows test rows, in the same order.
    score : callable
        From :func:`weighted_metric`.
    strata : ndarray of shape (n_rows,)
    greater_is_better : bool
    n_resamples : int
    confidence : float
        Two-sided level, for example 0.95.
    seed : int

    Returns
    -------
    Interval
        ``gain`` on the full test split, and the ``lower``/``upper`` percentiles.
    """
    direction = 1.0 if greater_is_better else -1.0
    ones = np.ones((1, len(strata)))
    gain = direction * float(score(candidate, ones)[0] - score(reference, ones)[0])
    diffs = np.concatenate(
        [
            direction * (score(candidate, counts) - score(reference, counts))
            for counts in resample_counts(strata, n_resamples, seed)
        ]
    )
    alpha = 1 - confidence
    lower, upper = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
    return Interval(gain=gain, lower=float(lower), upper=float(upper), confidence=confidence)


def delong(
    truth: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, confidence: float
) -> Interval:
    """DeLong's interval for AUC(b) - AUC(a) of two scores on the same binary rows.

    Parameters
    ----------
    truth : ndarray of shape (n_rows,), bool
        True for the positive class.
    scores_a, scores_b : ndarray of shape (n_rows,)
        Scores of the reference (a) and the candidate (b) for the positive class.
    confidence : float

    Returns
    -------
    Interval
        Normal-approximation interval of the AUC difference.
    """
    pos, neg = truth.astype(bool), ~truth.astype(bool)
    m, n = pos.sum(), neg.sum()
    aucs, v10, v01 = [], [], []
    for s in (scores_a, scores_b):
        x, y = s[pos], s[neg]
        tx, ty = stats.rankdata(x), stats.rankdata(y)
        tz = stats.rankdata(np.concatenate([x, y]))
        aucs.append((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
        v10.append((tz[:m] - tx) / n)
        v01.append(1 - (tz[m:] - ty) / m)
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (
        s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]
    ) / n
    gain = aucs[1] - aucs[0]
    half = stats.norm.ppf(0.5 + confidence / 2) * np.sqrt(max(variance, 0.0))
    return Interval(
        gain=float(gain), lower=float(gain - half), upper=float(gain + half), confidence=confidence
    )


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int, float]:
    """McNemar's exact test on paired correctness.

    Returns
    -------
    only_a : int
        Rows the reference (a) gets right and the candidate (b) wrong.
    only_b : int
        Rows the candidate gets right and the reference wrong.
    p_value : float
        Two-sided exact binomial p-value (1.0 when the models never disagree).
    """
    only_a = int(np.sum(correct_a & ~correct_b))
    only_b = int(np.sum(~correct_a & correct_b))
    if only_a + only_b == 0:
        return only_a, only_b, 1.0
    return only_a, only_b, float(stats.binomtest(only_b, only_a + only_b, 0.5).pvalue)
