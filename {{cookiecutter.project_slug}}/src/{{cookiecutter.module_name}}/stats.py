"""Paired statistics for comparing two models on the same test rows.

- Paired bootstrap of a metric's difference (Efron & Tibshirani, *An Introduction to the
  Bootstrap*, 1993), resampled within each class for classification. Resamples are drawn
  as multinomial count vectors, so every metric is a weighted sum computed for a whole
  batch of resamples at once; batches keep memory bounded (about ``max_cells`` counts).
- DeLong's test for two correlated ROC AUCs (DeLong, DeLong & Clarke-Pearson, Biometrics
  1988), with the fast algorithm of Sun & Xu (IEEE Signal Processing Letters, 2014).
- McNemar's exact test on paired correctness (McNemar, Psychometrika 1947), through
  :func:`scipy.stats.binomtest`.
- For scores of repeated k-fold cross-validation (small tables, no holdout): the corrected
  resampled t interval (Nadeau & Bengio, *Machine Learning* 52, 2003; for r repeats of
  k folds, Bouckaert & Frank, PAKDD 2004), which accounts for the overlap of the training
  sets across folds.
- The verdict of an interval against a threshold, and the smallest gain a test split could
  detect: the normal-approximation power formula (Chow, Shao & Wang, *Sample Size
  Calculations in Clinical Research*, 2nd ed. 2008, section 3.1), with the bootstrap
  standard error in place of the known one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats
from tqdm import tqdm

#: Counts held in memory at once by the bootstrap (resamples x rows).
MAX_CELLS = 10_000_000


@dataclass(frozen=True)
class Prepared:
    """One model's test predictions in the form the weighted metrics need.

    ``truth`` is the target (class index for classification), ``pred`` the predicted value
    or class index, ``proba`` the (n_rows, n_classes) probabilities or None.
    """

    truth: np.ndarray
    pred: np.ndarray
    proba: np.ndarray | None


Weights = np.ndarray  # (n_resamples, n_rows) float32 counts of each row in each resample
Scorer = Callable[[Weights], np.ndarray]  # weights -> (n_resamples,) metric values


def _auc_scorer(scores: np.ndarray, is_positive: np.ndarray) -> Scorer:
    """Return ``f(weights)``: ROC AUC per resample, P(pos > neg) + P(tie) / 2 under weights.

    The scores are sorted once; each batch then costs a cumulative sum of the negatives'
    weights in score order and two lookups per positive row.
    """
    positives = np.flatnonzero(is_positive)
    negatives = np.flatnonzero(~is_positive)
    negatives = negatives[np.argsort(scores[negatives], kind="stable")]
    below = np.searchsorted(scores[negatives], scores[positives], side="left")
    upto = np.searchsorted(scores[negatives], scores[positives], side="right")

    def auc(w: Weights) -> np.ndarray:
        cum = np.zeros((w.shape[0], len(negatives) + 1), dtype=w.dtype)
        np.cumsum(w[:, negatives], axis=1, out=cum[:, 1:])
        # Twice the negative weight beaten by each positive (ties count half), exact in
        # float32 for counts below 2**24; summed in float64.
        twice_wins = cum[:, below] + cum[:, upto]
        w_pos = w[:, positives]
        numerator = (w_pos * twice_wins).sum(axis=1, dtype=np.float64) / 2
        return numerator / (w_pos.sum(axis=1, dtype=np.float64) * cum[:, -1])

    return auc


def weighted_metric(
    metric: str, task: str, positive: int | None = None
) -> Callable[[Prepared], Scorer]:
    """Return ``bind(prepared) -> f(weights)``: one model's metric under resample weights.

    ``bind`` does the per-model work once (sorting scores for the AUC); ``f`` takes weights
    of shape (n_resamples, n_rows), the row counts of bootstrap resamples, and returns the
    metric of each resample, shape (n_resamples,). With weights of ones it equals
    :func:`..metrics.evaluate`.
    """

    def mean(values: np.ndarray) -> Scorer:
        return lambda w: w @ values / w.sum(axis=1, dtype=np.float64)

    def roc_auc(p: Prepared) -> Scorer:
        assert p.proba is not None
        classes = [positive] if task == "binary" else range(p.proba.shape[1])
        per_class = [_auc_scorer(p.proba[:, c], p.truth == c) for c in classes]
        return lambda w: np.mean([auc(w) for auc in per_class], axis=0)

    def f1(p: Prepared) -> Scorer:
        classes = [positive] if task == "binary" else np.unique(p.truth)
        cells = [
            (
                ((p.pred == c) & (p.truth == c)).astype(np.float64),
                ((p.pred == c) != (p.truth == c)).astype(np.float64),
            )
            for c in classes
        ]

        def score(w: Weights) -> np.ndarray:
            values = []
            for hits, misses in cells:
                tp, wrong = w @ hits, w @ misses
                denominator = 2 * tp + wrong
                values.append(
                    np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
                )
            return np.mean(values, axis=0)

        return score

    def log_loss(p: Prepared) -> Scorer:
        assert p.proba is not None
        picked = np.clip(p.proba[np.arange(len(p.truth)), p.truth], 1e-15, 1.0)
        return mean(-np.log(picked))

    def rmse(p: Prepared) -> Scorer:
        mse = mean((p.truth - p.pred) ** 2)
        return lambda w: np.sqrt(mse(w))

    def r2(p: Prepared) -> Scorer:
        residual = (p.truth - p.pred) ** 2

        def score(w: Weights) -> np.ndarray:
            total = w.sum(axis=1, dtype=np.float64)
            y_mean = (w @ p.truth) / total
            sst = w @ p.truth**2 - total * y_mean**2
            return 1 - (w @ residual) / sst

        return score

    functions: dict[str, Callable[[Prepared], Scorer]] = {
        "accuracy": lambda p: mean((p.pred == p.truth).astype(np.float64)),
        "roc_auc": roc_auc,
        "f1": f1,
        "log_loss": log_loss,
        "rmse": rmse,
        "mae": lambda p: mean(np.abs(p.truth - p.pred)),
        "r2": r2,
    }
    return functions[metric]


def resample_counts(
    strata: np.ndarray, n_resamples: int, seed: int, max_cells: int = MAX_CELLS
) -> Iterator[Weights]:
    """Yield batches of bootstrap count vectors, resampling within each stratum.

    Each resample draws, in every stratum, as many rows as it has, uniformly with
    replacement (:meth:`numpy.random.Generator.integers`), and counts the draws
    (:func:`numpy.bincount`): a multinomial draw in a few vectorised passes. Rows sorted
    by stratum (as :func:`paired_bootstrap` arranges them) skip a final reordering.

    Parameters
    ----------
    strata : ndarray of shape (n_rows,)
        Stratum of each row (the class for classification; all zeros otherwise). Each
        resample keeps every stratum's size.
    n_resamples : int
    seed : int
    max_cells : int, default=10_000_000
        Upper bound on resamples x rows per batch (memory: about 20 bytes a cell).

    Yields
    ------
    ndarray of shape (batch, n_rows), float32
        Counts: how often each row is drawn in each resample.
    """
    rng = np.random.default_rng(seed)
    order = np.argsort(strata, kind="stable")
    in_order = bool((order == np.arange(len(strata))).all())
    _, sizes = np.unique(strata, return_counts=True)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    n = len(strata)
    batch = max(1, max_cells // max(1, n))
    for start in range(0, n_resamples, batch):
        size = min(batch, n_resamples - start)
        draws = np.empty((size, n), dtype=np.int64)
        for low, high in itertools.pairwise(bounds):
            draws[:, low:high] = rng.integers(low, high, size=(size, high - low))
        draws += np.arange(size)[:, None] * n
        counts = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n)
        counts = counts.astype(np.float32)
        if not in_order:
            counts[:, order] = counts.copy()
        yield counts


@dataclass(frozen=True)
class Interval:
    """A gain of a candidate over the reference with its two-sided interval.

    ``gain`` is the value on the full test split, ``lower``/``upper`` the bounds of the
    two-sided interval at level ``confidence`` and ``se`` the standard error of the gain
    (the bootstrap replicates' standard deviation, or DeLong's), all in the metric's units.
    """

    gain: float
    lower: float
    upper: float
    confidence: float
    se: float = float("nan")


#: The four verdicts of a gain's interval against a threshold, worst first.
WORSE = "significantly worse"
NO_DIFFERENCE = "not significantly different"
BETTER_BELOW_THRESHOLD = "significantly better, by less than the threshold"
BETTER = "significantly better by at least the threshold"
VERDICTS = (WORSE, NO_DIFFERENCE, BETTER_BELOW_THRESHOLD, BETTER)

#: Power at which :func:`detectable_gain` states the smallest detectable gain.
POWER = 0.8


def verdict(interval: Interval, threshold: float) -> str:
    """Which of the four :data:`VERDICTS` a two-sided interval of a gain supports.

    Parameters
    ----------
    interval : Interval
        Two-sided interval of the gain (positive favours the candidate).
    threshold : float
        The smallest gain worth having (``compare.min_gain`` in the metric's units), >= 0.

    Returns
    -------
    str
        :data:`BETTER` when the lower bound is above zero and at least ``threshold``,
        :data:`BETTER_BELOW_THRESHOLD` when it is above zero but below ``threshold``,
        :data:`WORSE` when the upper bound is below zero, else :data:`NO_DIFFERENCE`.
        Judging the lower bound of a two-sided interval at level ``1 - alpha`` is a
        one-sided test at level ``alpha / 2``.

    Examples
    --------
    >>> verdict(Interval(0.05, 0.02, 0.08, 0.95), threshold=0.01)
    'significantly better by at least the threshold'
    >>> verdict(Interval(0.01, -0.01, 0.03, 0.95), threshold=0.01)
    'not significantly different'
    """
    if interval.lower > 0 and interval.lower >= threshold:
        return BETTER
    if interval.lower > 0:
        return BETTER_BELOW_THRESHOLD
    if interval.upper < 0:
        return WORSE
    return NO_DIFFERENCE


def one_sided_level(confidence: float) -> float:
    """The one-sided level of a test that asks the lower bound of a two-sided interval.

    A two-sided interval at ``confidence`` leaves ``(1 - confidence) / 2`` below its lower
    bound, so "lower bound above the threshold" rejects at that level: 0.025 for 0.95.
    """
    return (1 - confidence) / 2


def detectable_gain(se: float, confidence: float, power: float = POWER) -> float:
    """Smallest true gain the test finds significant with probability ``power``.

    ``(z_{1 - a} + z_{power}) * se``, with ``a`` the one-sided level
    (:func:`one_sided_level`) and ``z`` the standard normal quantiles
    (:func:`scipy.stats.norm.ppf`): the minimum detectable effect of a one-sided z-test
    (Chow, Shao & Wang 2008, section 3.1).

    Parameters
    ----------
    se : float
        Standard error of the gain, in the metric's units.
    confidence : float
        Two-sided level of the interval whose lower bound is judged, in (0, 1).
    power : float, default=0.8

    Returns
    -------
    float
        In the metric's units; NaN when ``se`` is NaN.

    Examples
    --------
    >>> round(detectable_gain(0.01, 0.95), 4)
    0.028
    """
    z = stats.norm.ppf([1 - one_sided_level(confidence), power])
    return float(z.sum() * se)


def paired_bootstrap(
    reference: Prepared,
    candidates: Mapping[str, Prepared],
    metric: Callable[[Prepared], Scorer],
    strata: np.ndarray,
    *,
    greater_is_better: bool,
    n_resamples: int,
    confidence: Mapping[str, float],
    seed: int,
) -> dict[str, Interval]:
    """Percentile intervals of each candidate's gain over the reference on the same rows.

    The gain is ``candidate - reference`` for metrics where larger is better and
    ``reference - candidate`` for losses, so a positive gain always favours the candidate.
    All models are scored on the same resampled rows (a paired bootstrap); each batch of
    resamples is drawn once and scores the reference once.

    Parameters
    ----------
    reference : Prepared
    candidates : mapping of name to Prepared
        Predictions for the same n_rows test rows as the reference, in the same order.
    metric : callable
        From :func:`weighted_metric`.
    strata : ndarray of shape (n_rows,)
    greater_is_better : bool
    n_resamples : int
    confidence : mapping of name to float
        Two-sided level of each candidate's interval, for example 0.95.
    seed : int

    Returns
    -------
    dict of name to Interval
        ``gain`` on the full test split, the ``lower``/``upper`` percentiles and ``se``,
        the standard deviation of the bootstrap replicates.
    """
    direction = 1.0 if greater_is_better else -1.0
    # Rows sorted by stratum: resampling then needs no reordering (metrics ignore order).
    order = np.argsort(strata, kind="stable")
    ref_score = metric(_take(reference, order))
    scores = {name: metric(_take(prepared, order)) for name, prepared in candidates.items()}
    strata = strata[order]
    ones = np.ones((1, len(strata)), dtype=np.float32)
    diffs: dict[str, list[np.ndarray]] = {name: [] for name in candidates}
    batches = resample_counts(strata, n_resamples, seed)
    progress = tqdm(batches, desc="paired bootstrap", unit="batch", disable=None, leave=False)
    for counts in [ones, *progress]:
        ref = ref_score(counts)
        for name, score in scores.items():
            diffs[name].append(direction * (score(counts) - ref))
    intervals = {}
    for name, values in diffs.items():
        alpha = 1 - confidence[name]
        replicates = np.concatenate(values[1:])
        lower, upper = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
        intervals[name] = Interval(
            gain=float(values[0][0]),
            lower=float(lower),
            upper=float(upper),
            confidence=confidence[name],
            se=float(np.std(replicates, ddof=1)),
        )
    return intervals


def bootstrap_interval(
    prepared: Prepared,
    metric: Callable[[Prepared], Scorer],
    strata: np.ndarray,
    *,
    n_resamples: int,
    confidence: float,
    seed: int,
) -> Interval:
    """Percentile interval of one model's metric (``gain`` holds the full-split value).

    Same resampling as :func:`paired_bootstrap`; for the end-of-run summary.
    """
    score = metric(prepared)
    values = np.concatenate([score(c) for c in resample_counts(strata, n_resamples, seed)])
    alpha = 1 - confidence
    lower, upper = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    value = float(score(np.ones((1, len(strata)), dtype=np.float32))[0])
    return Interval(
        gain=value,
        lower=float(lower),
        upper=float(upper),
        confidence=confidence,
        se=float(np.std(values, ddof=1)),
    )


def _take(prepared: Prepared, rows: np.ndarray) -> Prepared:
    proba = None if prepared.proba is None else prepared.proba[rows]
    return Prepared(prepared.truth[rows], prepared.pred[rows], proba)


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
    se = float(np.sqrt(max(variance, 0.0)))
    half = stats.norm.ppf(0.5 + confidence / 2) * se
    return Interval(
        gain=float(gain),
        lower=float(gain - half),
        upper=float(gain + half),
        confidence=confidence,
        se=se,
    )


def corrected_resampled_t(
    values: np.ndarray, test_train_ratio: float, confidence: float
) -> Interval:
    """Interval of a mean over folds of repeated k-fold cross-validation, corrected for overlap.

    The J = r x k fold values (one model's scores, or the per-fold differences of two
    models on the same folds) are not independent: every two training sets share most of
    their rows. The naive variance of their mean, ``s**2 / J``, is then far too small. The
    corrected resampled t statistic (Nadeau & Bengio, "Inference for the Generalization
    Error", *Machine Learning* 52, 2003) replaces it by ``(1 / J + n_test / n_train) * s**2``,
    with Student's t on J - 1 degrees of freedom; Bouckaert & Frank ("Evaluating the
    Replicability of Significance Tests for Comparing Learning Algorithms", PAKDD 2004)
    recommend it for r repeats of k-fold cross-validation.

    Parameters
    ----------
    values : ndarray of shape (n_folds,)
        One value per fold, n_folds >= 2.
    test_train_ratio : float
        Rows scored in a fold over rows trained on: ``1 / (k - 1)`` for k folds.
    confidence : float
        Two-sided level, in (0, 1).

    Returns
    -------
    Interval
        ``gain`` is the mean of ``values``; ``se`` the corrected standard error
        ``sqrt((1 / J + test_train_ratio) * s**2)``; the bounds ``mean -/+ t * se``. The
        width is zero when every fold has the same value (say so: it is not certainty).

    Raises
    ------
    ValueError
        If there are fewer than two values.

    Examples
    --------
    >>> i = corrected_resampled_t(np.array([0.01, 0.03, 0.02, 0.00, 0.04]), 0.25, 0.95)
    >>> round(i.gain, 3), round(i.lower, 4), round(i.upper, 4)
    (0.02, -0.0094, 0.0494)
    """
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        raise ValueError(f"the corrected t interval needs at least two folds; got {len(values)}")
    mean = float(values.mean())
    se = float(np.sqrt((1 / len(values) + test_train_ratio) * values.var(ddof=1)))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=len(values) - 1)) * se
    return Interval(gain=mean, lower=mean - half, upper=mean + half, confidence=confidence, se=se)


def effective_folds(n_folds: int, test_train_ratio: float) -> float:
    """How many independent fold values the corrected variance is worth.

    ``1 / (1 / J + n_test / n_train)``: the J overlapping folds of repeated cross-validation
    carry as much information about the mean as that many independent ones (Nadeau &
    Bengio 2003). Stated in the model card beside every claim.

    Examples
    --------
    >>> round(effective_folds(15, 0.25), 2)
    3.16
    """
    return 1 / (1 / n_folds + test_train_ratio)


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
