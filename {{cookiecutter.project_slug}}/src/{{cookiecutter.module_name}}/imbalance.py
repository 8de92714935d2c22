"""Rare classes: whether the primary metric can still tell a model from a guess.

With a class of 4 % of the rows, always predicting the other class scores 0.96 accuracy:
accuracy and F1 at one decision threshold then rank a useless model with, or above, a
useful one. Ranking metrics of the probabilities (ROC AUC) and proper scoring rules
(log loss) do not depend on a threshold (Saito & Rehmsmeier, PLoS ONE 10(3), 2015,
doi:10.1371/journal.pone.0118432).
"""

from __future__ import annotations

import pandas as pd

#: A class is rare below this share of the rows (and below half of an even share).
RARE_SHARE = 0.10
#: Primary metrics that score labels at a threshold, and what to use instead (each one a
#: value ``compare.primary_metric`` accepts).
THRESHOLD_METRICS = ("accuracy", "f1")
INSTEAD = ("roc_auc", "log_loss")


def rare_classes(y: pd.Series, share: float = RARE_SHARE) -> dict[str, float]:
    """Return each rare class of a target with its share of the rows.

    Parameters
    ----------
    y : Series of shape (n_rows,)
        Class labels; missing values are left out.
    share : float, default=0.10
        A class is rare when its share is below ``share`` and below half of ``1 / n_classes``
        (so that 12 even classes of 8.3 % each are not all rare).

    Returns
    -------
    dict of str to float
        Label (as text) to share of the non-missing rows, in [0, 1], rarest first.

    Examples
    --------
    >>> rare_classes(pd.Series(["no"] * 96 + ["yes"] * 4))
    {'yes': 0.04}
    """
    shares = y.dropna().astype(str).value_counts(normalize=True).sort_values()
    limit = min(share, 0.5 / max(len(shares), 1))
    return {str(label): float(value) for label, value in shares.items() if value < limit}


def metric_warning(y: pd.Series, task: str, primary_metric: str) -> str | None:
    """Warn when the primary metric scores labels and a class is rare.

    Parameters
    ----------
    y : Series of shape (n_rows,)
        The target column of the whole table.
    task : {"binary", "multiclass", "regression"}
    primary_metric : str
        ``compare.primary_metric``.

    Returns
    -------
    str or None
        The warning, naming the rare classes, their shares and the metric to use instead
        (``roc_auc``); None when there is nothing to warn about.
    """
    if task == "regression" or primary_metric not in THRESHOLD_METRICS:
        return None
    rare = rare_classes(y)
    if not rare:
        return None
    listing = ", ".join(f"{label!r} {value:.1%}" for label, value in rare.items())
    floor = float(y.dropna().astype(str).value_counts(normalize=True).max())
    return (
        f"rare class ({listing} of the rows, below {RARE_SHARE:.0%}): compare.primary_metric "
        f"{primary_metric!r} rewards predicting the common class (always guessing it "
        f"scores {floor:.2f} accuracy), so it cannot tell a useful model from the dummy; set "
        f"compare.primary_metric to {INSTEAD[0]} in params.yaml (or {INSTEAD[1]}), and read "
        "average_precision and balanced_accuracy in the reports"
    )
