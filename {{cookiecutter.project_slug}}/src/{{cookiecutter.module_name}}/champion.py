"""The decision rules of ``compare``: each candidate against the reference, and the champion.

Paired statistics on identical test rows (bootstrap interval of the primary metric's gain,
stratified by class; DeLong and McNemar as cross-checks), then the champion. A challenger
(a model a later stage selected, such as the deep MLP) displaces the classical models only
if it clears ``compare.min_gain`` against *each* classical model that is not the dummy
floor: the lower bound of the two-sided interval of every such gain must reach the
threshold, a one-sided test at half the interval's level. Requiring every comparison to
reject is an intersection-union test, whose level is that of each single test (Berger,
Technometrics 24, 1982; Berger & Hsu, Statistical Science 11, 1996), so the intervals are
Bonferroni-adjusted over the challengers only (the family in which one false promotion
suffices). Otherwise the model chosen on cross-validation stays.

Each comparison gets one of four verdicts (:data:`.stats.VERDICTS`); when the test split
cannot tell the models apart, the reason states the smallest gain it could have detected.
Thresholds are scale-free: for metrics in the target's units (``rmse``, ``mae``),
``compare.min_gain`` and ``check.max_loss`` are fractions of the compared model's value.
The regression gate (``check``) uses the same statistics.

Out-of-fold predictions of small tables (:mod:`.evaluation`) are compared fold by fold
instead: the per-fold differences of the primary metric on the same folds, with the
corrected resampled t interval (:func:`.stats.corrected_resampled_t`, Nadeau & Bengio 2003;
Bouckaert & Frank 2004), which accounts for the overlap of the training sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .candidates import Candidate
from .config import CompareParams
from .evaluation import FOLD, held_out_ratio, is_resampled
from .metrics import GREATER_IS_BETTER, PROBA_PREFIX, positive_class, proba_columns
from .stats import (
    BETTER,
    BETTER_BELOW_THRESHOLD,
    NO_DIFFERENCE,
    POWER,
    VERDICTS,
    WORSE,
    Interval,
    Prepared,
    bootstrap_interval,
    corrected_resampled_t,
    delong,
    detectable_gain,
    mcnemar,
    one_sided_level,
    paired_bootstrap,
    verdict,
    weighted_metric,
)

#: Metrics in the target's units: their thresholds are fractions of the compared value.
TARGET_UNIT_METRICS = frozenset({"rmse", "mae"})

#: The best value each metric can take; a test score there suggests target leakage.
PERFECT = {
    "roc_auc": 1.0,
    "accuracy": 1.0,
    "f1": 1.0,
    "r2": 1.0,
    "log_loss": 0.0,
    "rmse": 0.0,
    "mae": 0.0,
}

#: The values each metric can take (a t interval's bounds may fall outside).
RANGE = {
    "roc_auc": (0.0, 1.0),
    "accuracy": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "r2": (-np.inf, 1.0),
    "log_loss": (0.0, np.inf),
    "rmse": (0.0, np.inf),
    "mae": (0.0, np.inf),
}

#: What the reports say when the dummy floor is champion.
NO_MODEL_BEATS_GUESSING = "no model beats guessing"

_PHRASES = {
    BETTER: "significantly better by at least compare.min_gain",
    BETTER_BELOW_THRESHOLD: "significantly better, but by less than compare.min_gain",
    NO_DIFFERENCE: "not significantly different",
    WORSE: "significantly worse",
}


def prepare(predictions: pd.DataFrame, task: str) -> Prepared:
    """Turn a prediction table into arrays for :mod:`..stats` (classes as column indices)."""
    if task == "regression":
        return Prepared(
            predictions["y_true"].to_numpy(float), predictions["y_pred"].to_numpy(float), None
        )
    columns = proba_columns(predictions)
    index = {column.removeprefix(PROBA_PREFIX): i for i, column in enumerate(columns)}
    truth = predictions["y_true"].astype(str).map(index).to_numpy(int)
    pred = predictions["y_pred"].astype(str).map(index).fillna(-1).to_numpy(int)
    return Prepared(truth, pred, predictions[columns].to_numpy(float))


def threshold(setting: float, metric: str, value: float) -> float:
    """A threshold (``compare.min_gain``, ``check.max_loss``) in the metric's units.

    Parameters
    ----------
    setting : float
        The value in ``params.yaml``: for metrics in the target's units
        (:data:`TARGET_UNIT_METRICS`) a fraction of ``value``, otherwise in the metric's
        own (unit-free) units.
    metric : str
    value : float
        The compared model's metric on the test split (the model to beat, or the
        committed champion for ``check``).

    Returns
    -------
    float
        ``setting * |value|`` for ``rmse``/``mae``, else ``setting``; so multiplying the
        target by a constant changes no decision.

    Examples
    --------
    >>> threshold(0.02, "rmse", 50.0), threshold(0.01, "roc_auc", 0.9)
    (1.0, 0.01)
    """
    return setting * abs(value) if metric in TARGET_UNIT_METRICS else setting


def describe_threshold(setting: float, metric: str, value: float, whose: str) -> str:
    """The threshold in absolute units and, for target-unit metrics, as a fraction.

    Examples
    --------
    >>> describe_threshold(0.02, "rmse", 50.0, "linear")
    "+1.0000 (2.0% of linear's rmse 50.0000)"
    >>> describe_threshold(0.01, "roc_auc", 0.9, "linear")
    '+0.0100'
    """
    absolute = f"{threshold(setting, metric, value):+.4f}"
    if metric in TARGET_UNIT_METRICS:
        return f"{absolute} ({setting:.1%} of {whose}'s {metric} {value:.4f})"
    return absolute


def fold_values(
    predictions: pd.DataFrame, metric: str, task: str, positive: str | None
) -> np.ndarray:
    """One candidate's ``metric`` on each fold of its out-of-fold predictions.

    Each fold is a 0/1 weight vector over the rows, so the weighted metrics of
    :func:`.stats.weighted_metric` (equal to :func:`.metrics.evaluate` on the fold's rows)
    score every fold in one pass.

    Returns
    -------
    ndarray of shape (n_folds,)
        In fold order.
    """
    prepared, pos, _ = _prepare_with_strata(predictions, task, positive)
    fold = predictions[FOLD].to_numpy()
    weights = (np.unique(fold)[:, None] == fold[None, :]).astype(np.float32)
    return np.asarray(weighted_metric(metric, task, pos)(prepared)(weights), dtype=float)


def resampled_gain(
    reference: pd.DataFrame,
    candidate: pd.DataFrame,
    metric: str,
    task: str,
    positive: str | None,
    confidence: float,
) -> Interval:
    """The corrected resampled t interval of a candidate's gain over the reference.

    Both tables are out-of-fold predictions on the same folds; the gain of each fold is
    ``candidate - reference`` (``reference - candidate`` for losses), so positive favours
    the candidate (:func:`.stats.corrected_resampled_t`).
    """
    direction = 1.0 if GREATER_IS_BETTER[metric] else -1.0
    diffs = direction * (
        fold_values(candidate, metric, task, positive)
        - fold_values(reference, metric, task, positive)
    )
    return corrected_resampled_t(diffs, held_out_ratio(reference), confidence)


def paired_statistics(
    reference: pd.DataFrame,
    others: dict[str, pd.DataFrame],
    challengers: set[str],
    task: str,
    p: CompareParams,
    positive: str | None,
) -> dict[str, dict[str, Any]]:
    """Compare each candidate with the reference on the same rows.

    Challengers' intervals are at the Bonferroni-adjusted level
    ``1 - (1 - confidence) / n_challengers``; the others are reported at ``confidence``.

    Returns
    -------
    dict of candidate name to statistics
        ``gain``, ``lower``, ``upper``, ``confidence``, ``challenger`` and, for
        classification, ``mcnemar_p`` (with the disagreement counts) and, for binary
        tasks, the DeLong interval of the ROC AUC difference. Out-of-fold predictions get
        the corrected resampled t interval (:func:`resampled_gain`) and neither McNemar
        nor DeLong, which assume independent test rows.
    """
    adjusted = 1 - (1 - p.confidence) / max(1, len(challengers))
    if is_resampled(reference):
        return {
            name: {
                **asdict(
                    resampled_gain(
                        reference,
                        frame,
                        p.primary_metric,
                        task,
                        positive,
                        adjusted if name in challengers else p.confidence,
                    )
                ),
                "challenger": name in challengers,
            }
            for name, frame in others.items()
        }
    ref, pos, strata = _prepare_with_strata(reference, task, positive)
    prepared = {name: prepare(predictions, task) for name, predictions in others.items()}
    intervals = paired_bootstrap(
        ref,
        prepared,
        weighted_metric(p.primary_metric, task, pos),
        strata,
        greater_is_better=GREATER_IS_BETTER[p.primary_metric],
        n_resamples=p.bootstrap_resamples,
        confidence={name: adjusted if name in challengers else p.confidence for name in others},
        seed=p.seed,
    )
    results: dict[str, dict[str, Any]] = {}
    for name, cand in prepared.items():
        interval = intervals[name]
        level = interval.confidence
        entry: dict[str, Any] = {**asdict(interval), "challenger": name in challengers}
        if task != "regression":
            only_ref, only_cand, p_value = mcnemar(ref.pred == ref.truth, cand.pred == cand.truth)
            entry |= {
                "mcnemar_only_reference": only_ref,
                "mcnemar_only_candidate": only_cand,
                "mcnemar_p": p_value,
            }
        if task == "binary":
            assert ref.proba is not None and cand.proba is not None and pos is not None
            check = delong(ref.truth == pos, ref.proba[:, pos], cand.proba[:, pos], level)
            entry |= {
                "delong_auc_gain": check.gain,
                "delong_lower": check.lower,
                "delong_upper": check.upper,
            }
        results[name] = entry
    return results


def _prepare_with_strata(
    predictions: pd.DataFrame, task: str, positive: str | None
) -> tuple[Prepared, int | None, np.ndarray]:
    """Prepared predictions, the positive class's column (binary) and the bootstrap strata."""
    prepared = prepare(predictions, task)
    classes = [c.removeprefix(PROBA_PREFIX) for c in proba_columns(predictions)]
    pos = classes.index(positive_class(classes, positive)) if task == "binary" else None
    strata = prepared.truth if task != "regression" else np.zeros(len(prepared.truth), dtype=int)
    return prepared, pos, strata


def champion_interval(
    predictions: pd.DataFrame, task: str, p: CompareParams, positive: str | None
) -> Interval:
    """The champion's primary metric on the test split with its bootstrap interval.

    Out-of-fold predictions: the mean over folds with the corrected resampled t interval,
    its bounds kept within the values the metric can take (:data:`RANGE`).
    """
    if is_resampled(predictions):
        values = fold_values(predictions, p.primary_metric, task, positive)
        interval = corrected_resampled_t(values, held_out_ratio(predictions), p.confidence)
        low, high = RANGE[p.primary_metric]
        return replace(
            interval,
            lower=float(np.clip(interval.lower, low, high)),
            upper=float(np.clip(interval.upper, low, high)),
        )
    prepared, pos, strata = _prepare_with_strata(predictions, task, positive)
    return bootstrap_interval(
        prepared,
        weighted_metric(p.primary_metric, task, pos),
        strata,
        n_resamples=p.bootstrap_resamples,
        confidence=p.confidence,
        seed=p.seed,
    )


@dataclass(frozen=True)
class Comparison:
    """One challenger against one classical model on the same test rows.

    Attributes
    ----------
    challenger, opponent : str
        Candidate names.
    interval : Interval
        The challenger's gain over the opponent (positive favours the challenger), at the
        Bonferroni-adjusted level.
    opponent_value : float
        The opponent's primary metric on the test split.
    threshold : float
        ``compare.min_gain`` in the metric's units (see :func:`threshold`).
    verdict : str
        One of :data:`.stats.VERDICTS`.
    detectable : float
        Smallest gain this evaluation detects with probability :data:`.stats.POWER`
        (:func:`.stats.detectable_gain`), in the metric's units.
    basis : str
        What was compared on: ``test split`` or ``cross-validation`` (out of fold).
    """

    challenger: str
    opponent: str
    interval: Interval
    opponent_value: float
    threshold: float
    verdict: str
    detectable: float
    basis: str = "test split"

    def describe(self, metric: str, min_gain: float) -> str:
        """One sentence: verdict, gain (absolute and relative), interval, threshold."""
        i = self.interval

        def relative(value: float) -> str:
            if metric in TARGET_UNIT_METRICS and self.opponent_value:
                return f" ({value / abs(self.opponent_value):+.1%} of {self.opponent}'s {metric})"
            return ""

        required = describe_threshold(min_gain, metric, self.opponent_value, self.opponent)
        text = (
            f"{self.challenger} against {self.opponent}: {_PHRASES[self.verdict]} (gain "
            f"{i.gain:+.4f} {metric}{relative(i.gain)}, {i.confidence:.1%} CI [{i.lower:+.4f}, "
            f"{i.upper:+.4f}], lower bound required {required})"
        )
        if self.verdict == NO_DIFFERENCE:
            text += (
                f"; this {self.basis} detects, with {POWER:.0%} power, only gains of "
                f"{self.detectable:+.4f} {metric}{relative(self.detectable)} or more"
            )
        return text

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the interval's fields plus the threshold, verdict and detectable gain."""
        return {
            **asdict(self.interval),
            "opponent_value": self.opponent_value,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "detectable_gain": self.detectable,
            "basis": self.basis,
        }


def compare_challengers(
    frames: Mapping[str, pd.DataFrame],
    challengers: list[str],
    opponents: list[str],
    task: str,
    p: CompareParams,
    positive: str | None,
) -> dict[str, list[Comparison]]:
    """Each challenger against each classical model it must beat, on the same rows.

    Parameters
    ----------
    frames : mapping of name to DataFrame
        Test predictions of every candidate (same rows, same order).
    challengers : list of str
    opponents : list of str
        The classical models to beat: every baseline candidate but the dummy floor.
    task : str
    p : CompareParams
    positive : str or None
        Binary tasks: ``data.positive_class``.

    Returns
    -------
    dict of challenger name to list of Comparison
        One per opponent, in the order of ``opponents``. Intervals are at the level
        ``1 - (1 - confidence) / n_challengers``.
    """
    level = 1 - (1 - p.confidence) / max(1, len(challengers))
    found: dict[str, list[Comparison]] = {name: [] for name in challengers}
    for opponent in opponents if challengers else []:
        resampled = is_resampled(frames[opponent])
        if resampled:
            value = float(fold_values(frames[opponent], p.primary_metric, task, positive).mean())
            intervals = {
                name: resampled_gain(
                    frames[opponent], frames[name], p.primary_metric, task, positive, level
                )
                for name in challengers
            }
        else:
            ref, pos, strata = _prepare_with_strata(frames[opponent], task, positive)
            metric = weighted_metric(p.primary_metric, task, pos)
            value = float(metric(ref)(np.ones((1, len(strata)), dtype=np.float32))[0])
            intervals = paired_bootstrap(
                ref,
                {name: prepare(frames[name], task) for name in challengers},
                metric,
                strata,
                greater_is_better=GREATER_IS_BETTER[p.primary_metric],
                n_resamples=p.bootstrap_resamples,
                confidence=dict.fromkeys(challengers, level),
                seed=p.seed,
            )
        needed = threshold(p.min_gain, p.primary_metric, value)
        for name, interval in intervals.items():
            found[name].append(
                Comparison(
                    challenger=name,
                    opponent=opponent,
                    interval=interval,
                    opponent_value=value,
                    threshold=needed,
                    verdict=verdict(interval, needed),
                    detectable=detectable_gain(interval.se, level),
                    basis="cross-validation" if resampled else "test split",
                )
            )
    return found


def deciding(comparisons: list[Comparison]) -> Comparison:
    """The comparison that decides a challenger's fate: its worst verdict, then the
    smallest margin of the lower bound over the threshold.

    Raises
    ------
    ValueError
        If ``comparisons`` is empty.
    """
    return min(
        comparisons,
        key=lambda c: (VERDICTS.index(c.verdict), c.interval.lower - c.threshold),
    )


def choose_champion(
    reference: Candidate,
    challengers: list[Candidate],
    comparisons: Mapping[str, list[Comparison]],
    p: CompareParams,
) -> tuple[str, str]:
    """Return the champion and the reason, with the numbers that decided it.

    A challenger wins only if its deciding comparison (:func:`deciding`) is
    :data:`.stats.BETTER`, that is, it clears ``compare.min_gain`` against every
    classical model; among winners the highest margin of the lower bound over the
    threshold wins, ties going to the simpler model. The reason names the deciding
    comparison of each challenger and its verdict.

    Parameters
    ----------
    reference : Candidate
        The baseline chosen on cross-validation: champion unless a challenger wins.
    challengers : list of Candidate
    comparisons : mapping of challenger name to list of Comparison
        From :func:`compare_challengers`.
    p : CompareParams

    Returns
    -------
    champion : str
    reason : str
    """
    if reference.name == "dummy":
        base = (
            f"{NO_MODEL_BEATS_GUESSING}: cross-validation chose the dummy floor over every "
            "classical model"
        )
    else:
        base = f"{reference.name} is the baseline chosen on cross-validation"
    if not challengers:
        return reference.name, f"{base}; no other stage proposed a challenger"
    level = one_sided_level(1 - (1 - p.confidence) / len(challengers))
    test = f"lower bounds of two-sided intervals: one-sided tests at level {level:.3g}"
    notes, winners = [], []
    for candidate in challengers:
        found = comparisons[candidate.name]
        decisive = deciding(found)
        others = [c.describe(p.primary_metric, p.min_gain) for c in found if c is not decisive]
        notes.append(
            f"deciding comparison: {decisive.describe(p.primary_metric, p.min_gain)}"
            + "".join(f"; {other}" for other in others)
        )
        if decisive.verdict == BETTER:
            winners.append((candidate, decisive))
    if not winners:
        return reference.name, (
            f"{base}; no challenger clears compare.min_gain against every classical model "
            f"({test}), so the simpler model stays champion: {'; '.join(notes)}"
        )
    best, decisive = max(
        winners,
        key=lambda w: (w[1].interval.lower - w[1].threshold, -w[0].complexity),
    )
    return best.name, (
        f"{best.name} clears compare.min_gain against every classical model ({test}); "
        f"{'; '.join(notes)}"
    )


def perfect_scores(values: Mapping[str, float], metric: str) -> list[str]:
    """Names of the candidates whose test ``metric`` is the best the metric allows.

    A model that never errs on held-out rows (ROC AUC 1, RMSE 0) almost always sees the
    target through a feature: target leakage.

    Parameters
    ----------
    values : mapping of candidate name to float
        Test values of ``metric``.
    metric : str

    Returns
    -------
    list of str
        In the order of ``values``.
    """
    best = PERFECT[metric]
    return [name for name, value in values.items() if np.isclose(value, best, rtol=0, atol=1e-9)]


def leakage_warning(names: list[str], metric: str, allowed: list[str] | None = None) -> str:
    """The warning printed and written when :func:`perfect_scores` finds any model.

    ``allowed`` (``leakage.allowed_columns``) names the columns the user let through the
    leakage check: the first suspects, named rather than asked for.
    """
    suspects = (
        f"the columns in leakage.allowed_columns ({', '.join(allowed)}) are the first "
        "suspects: keep them only if they will be known when the model is used"
        if allowed
        else "find that column and list it in data.drop_columns"
    )
    return (
        f"Warning: perfect test {metric} ({PERFECT[metric]:g}) for {', '.join(names)}: "
        "likely target leakage. A model that never errs on held-out rows almost always "
        "sees the target through a feature (a copy of it, or a value computed from it); "
        f"{suspects}"
    )


def rule_statement(p: CompareParams, n_challengers: int) -> str:
    """The promotion rule in words, with the levels of its test (for the reports).

    Parameters
    ----------
    p : CompareParams
    n_challengers : int
        Challengers compared in this run (the Bonferroni divisor).
    """
    if p.primary_metric in TARGET_UNIT_METRICS:
        gain = (
            f"`compare.min_gain` = {p.min_gain} ({p.min_gain:.1%} of the compared model's "
            f"`{p.primary_metric}` on the test split; the absolute value is stated with each "
            "challenger's verdict)"
        )
    else:
        gain = f"`compare.min_gain` = {p.min_gain} `{p.primary_metric}`"
    level = 1 - (1 - p.confidence) / max(1, n_challengers)
    adjusted = (
        f", Bonferroni-adjusted over the {n_challengers} challengers to {level:.2%}"
        if n_challengers > 1
        else ""
    )
    return (
        f"A challenger becomes champion only if it clears {gain} against every classical "
        f"model but the dummy floor: the lower bound of the two-sided {p.confidence:.0%} "
        f"interval of each gain{adjusted} must reach the threshold. That is a one-sided test "
        f"at level {one_sided_level(level):.3g}, half the two-sided level. Each challenger's "
        "comparison states one of four verdicts; when the models are not significantly "
        f"different, it states the smallest gain this evaluation could have detected with "
        f"{POWER:.0%} power. A gain is positive when the candidate is better than the model "
        f"it is compared with{_sign_note(p.primary_metric)}; the other candidates' lines are "
        "reported for reading, not for the decision."
    )


def _sign_note(metric: str) -> str:
    return f" (for `{metric}`, an error: a lower value)" if not GREATER_IS_BETTER[metric] else ""
