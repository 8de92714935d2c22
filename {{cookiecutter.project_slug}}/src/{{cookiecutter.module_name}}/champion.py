"""The decision rules of ``compare``: each candidate against the reference, and the champion.

Paired statistics on identical test rows (bootstrap interval of the primary metric's gain,
stratified by class; DeLong and McNemar as cross-checks), then the champion: a challenger
wins only if the lower bound of its gain is at least ``compare.min_gain`` (Bonferroni-
adjusted over several challengers); otherwise the simpler model stays. The regression gate
(``check``) uses the same statistics.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from .candidates import Candidate
from .config import CompareParams
from .metrics import GREATER_IS_BETTER, PROBA_PREFIX, positive_class, proba_columns
from .stats import (
    Interval,
    Prepared,
    bootstrap_interval,
    delong,
    mcnemar,
    paired_bootstrap,
    weighted_metric,
)


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
        tasks, the DeLong interval of the ROC AUC difference.
    """
    ref, pos, strata = _prepare_with_strata(reference, task, positive)
    adjusted = 1 - (1 - p.confidence) / max(1, len(challengers))
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
    """The champion's primary metric on the test split with its bootstrap interval."""
    prepared, pos, strata = _prepare_with_strata(predictions, task, positive)
    return bootstrap_interval(
        prepared,
        weighted_metric(p.primary_metric, task, pos),
        strata,
        n_resamples=p.bootstrap_resamples,
        confidence=p.confidence,
        seed=p.seed,
    )


def choose_champion(
    reference: Candidate,
    challengers: list[Candidate],
    statistics: dict[str, dict[str, Any]],
    p: CompareParams,
) -> tuple[str, str]:
    """Return the champion and the reason, with the numbers that decided it.

    A challenger wins only if its interval's lower bound is at least ``min_gain``; among
    winners the highest lower bound wins, ties going to the simpler model.
    """
    base = f"{reference.name} is the baseline chosen on cross-validation"
    if not challengers:
        return reference.name, f"{base}; no other stage proposed a challenger"
    notes, winners = [], []
    for candidate in challengers:
        s = statistics[candidate.name]
        notes.append(
            f"{candidate.name}: gain {s['gain']:+.4f} {p.primary_metric}, "
            f"{s['confidence']:.1%} CI [{s['lower']:+.4f}, {s['upper']:+.4f}], "
            f"lower bound required {p.min_gain:+.4f}"
        )
        if s["lower"] >= p.min_gain:
            winners.append(candidate)
    if not winners:
        return reference.name, (
            f"{base}; no challenger's interval has its lower bound at compare.min_gain or "
            f"above, so the simpler model stays champion ({'; '.join(notes)})"
        )
    best = max(winners, key=lambda c: (statistics[c.name]["lower"], -c.complexity))
    return best.name, (
        f"{best.name} beats {reference.name}: the lower bound of its interval reaches "
        f"compare.min_gain ({'; '.join(notes)})"
    )
