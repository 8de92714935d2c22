"""Drift of a batch against the training split, one row per feature column.

The population stability index (PSI) compares the share of rows in each bin:
``sum((batch - train) * ln(batch / train))`` over the bins (Siddiqi, *Credit Risk
Scorecards*, Wiley 2006, ch. 8; Yurdakul, "Statistical properties of the population
stability index", 2018). Numbers are binned at the training split's deciles, text at its
ten most frequent categories plus one bin for the rest and values it never had; missing
values are a bin of their own in both, so a column left blank in the batch shows as a
shift. Every bin gets half a row more in both (Jeffreys' prior), so that a bin a small
batch leaves empty is not read as a near-zero share. A PSI is flagged only when sampling
noise would exceed it less than 1 % of the time (:func:`psi_noise_pvalue`): small batches
give large PSIs by chance. By the usual rule a PSI under
0.1 is stable, 0.1 to 0.2 a moderate shift and above 0.2 a shift worth acting on. Numbers
also get scipy's two-sample Kolmogorov-Smirnov test (:func:`scipy.stats.ks_2samp`) of
the values present, for reading: with large batches its p-value is tiny for any shift,
which is why the flag rests on the PSI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2, ks_2samp

from .config import PredictParams

#: Share given to a bin that holds no row, so that its logarithm stays finite.
EMPTY_SHARE = 1e-4
DECILES = np.linspace(0.1, 0.9, 9)
#: Text columns: the most frequent training categories kept as bins, the rest pooled.
TOP_CATEGORIES = 10
#: A PSI is flagged only if sampling noise alone would exceed it less often than this.
NOISE_LEVEL = 0.01


def psi_noise_pvalue(index: float, bins: int, train_rows: int, batch_rows: int) -> float:
    """Chance that two samples of one distribution give a PSI of ``index`` or more.

    Under no shift, ``index / (1 / train_rows + 1 / batch_rows)`` is approximately
    chi-squared with ``bins - 1`` degrees of freedom (Yurdakul 2018): small batches give
    large PSIs by chance alone.
    """
    if bins < 2 or not train_rows or not batch_rows:
        return 1.0
    return float(chi2.sf(index / (1 / train_rows + 1 / batch_rows), bins - 1))


def psi(train_counts: np.ndarray, batch_counts: np.ndarray) -> float:
    """Population stability index of two histograms over the same bins.

    Parameters
    ----------
    train_counts, batch_counts : ndarray of shape (n_bins,)
        Rows per bin (either may be all zeros only if the other is too).

    Returns
    -------
    float
        0 for identical shares; shares of empty bins count as :data:`EMPTY_SHARE`.
    """
    expected = np.maximum(train_counts / max(train_counts.sum(), 1), EMPTY_SHARE)
    actual = np.maximum(batch_counts / max(batch_counts.sum(), 1), EMPTY_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _numeric_bins(train: pd.Series, batch: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    present = train.dropna().to_numpy(dtype=float)
    edges = np.unique(np.quantile(present, DECILES)) if len(present) else np.array([])

    def counts(values: pd.Series) -> np.ndarray:
        numbers = values.dropna().to_numpy(dtype=float)
        binned = np.bincount(
            np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1
        )
        return np.append(binned, values.isna().sum())

    return counts(train), counts(batch)


def _text_bins(train: pd.Series, batch: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    seen = train.dropna().astype(str).value_counts()
    values = batch.dropna().astype(str)
    unseen = values[~values.isin(seen.index)]
    top = seen.index[:TOP_CATEGORIES]
    batch_top = values.value_counts().reindex(top, fill_value=0).to_numpy()
    train_bins = np.concatenate([seen.to_numpy()[: len(top)], [seen.iloc[len(top) :].sum()]])
    batch_bins = np.concatenate([batch_top, [len(values) - batch_top.sum()]])
    # Missing values are a bin of their own; unseen values are pooled with the rare ones.
    train_bins = np.append(train_bins, train.isna().sum())
    batch_bins = np.append(batch_bins, batch.isna().sum())
    return train_bins, batch_bins, unseen


def drift_table(
    train: pd.DataFrame, batch: pd.DataFrame, numeric: list[str], p: PredictParams
) -> pd.DataFrame:
    """Compare every feature column of a batch with the training split.

    Parameters
    ----------
    train : DataFrame of shape (n_train, n_features)
        The training split's features.
    batch : DataFrame of shape (n_rows, n_features)
        The batch's features, typed as in training (:func:`.batch.read_batch`).
    numeric : list of str
        The numeric columns; every other column is compared as categories.
    p : PredictParams
        ``drift_psi_threshold``, ``drift_unseen_share`` and ``drift_min_rows``.

    Returns
    -------
    DataFrame of shape (n_features, 10)
        ``column``, ``kind`` (number or category), ``missing_train`` and ``missing_batch``
        (shares), ``psi``, ``ks_statistic`` and ``ks_pvalue`` (numbers; NaN for
        categories or without values), ``unseen_share`` (categories: share of the
        batch's values absent from training), ``drift`` (the flag) and ``reason``.
        A PSI flags a column from ``drift_min_rows`` batch rows on; an unseen share above
        ``drift_unseen_share`` flags it whatever the batch's size.
    """
    rows = []
    for column in train.columns:
        kind = "number" if column in numeric else "category"
        ks_statistic = ks_pvalue = unseen_share = np.nan
        reasons = []
        if kind == "number":
            train_bins, batch_bins = _numeric_bins(train[column], batch[column])
            left, right = train[column].dropna(), batch[column].dropna()
            if len(left) and len(right):
                test = ks_2samp(left.to_numpy(), right.to_numpy())
                ks_statistic, ks_pvalue = float(test.statistic), float(test.pvalue)
        else:
            train_bins, batch_bins, unseen = _text_bins(train[column], batch[column])
            present = batch[column].notna().sum()
            if present:
                unseen_share = len(unseen) / present
            if unseen_share > p.drift_unseen_share:
                examples = ", ".join(repr(value) for value in unseen.unique()[:3])
                reasons.append(
                    f"{unseen_share:.0%} of its values never seen in training (e.g. {examples}; "
                    f"limit {p.drift_unseen_share:.0%})"
                )
        # Half a row added to every bin (Jeffreys' prior): an empty bin of a small batch
        # is then not read as a share of 1e-4, which alone would look like a shift.
        index, note = psi(train_bins + 0.5, batch_bins + 0.5), ""
        used = int(np.count_nonzero(train_bins + batch_bins))
        noise = psi_noise_pvalue(index, used, len(train), len(batch))
        if len(batch) < p.drift_min_rows:
            note = f"too few rows to judge a shift ({len(batch)} < {p.drift_min_rows})"
        elif index > p.drift_psi_threshold and noise >= NOISE_LEVEL:
            note = f"PSI {index:.2f} within sampling noise for {len(batch)} rows"
        elif index > p.drift_psi_threshold:
            reasons.insert(0, f"PSI {index:.2f} > {p.drift_psi_threshold}")
        rows.append(
            {
                "column": column,
                "kind": kind,
                "missing_train": float(train[column].isna().mean()),
                "missing_batch": float(batch[column].isna().mean()),
                "psi": index,
                "ks_statistic": ks_statistic,
                "ks_pvalue": ks_pvalue,
                "unseen_share": unseen_share,
                "drift": bool(reasons),
                "reason": "; ".join(reasons) or note or "stable",
            }
        )
    return pd.DataFrame(rows)
