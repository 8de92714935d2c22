"""Pictures of the explanations (:mod:`.explain`), drawn with matplotlib and scikit-learn.

Each function draws one PNG from a table and returns its path. ROC and precision-recall
curves come from scikit-learn's ``RocCurveDisplay`` and ``PrecisionRecallDisplay``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .metrics import PROBA_PREFIX

#: Bars shown at most in the coefficient and importance plots (the tables hold all).
TOP = 20


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    # Column names are text: a "$" in one must not start TeX-like math.
    matplotlib.rcParams["text.parse_math"] = False
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    _pyplot().close(figure)
    return path


def plot_coefficients(table: pd.DataFrame, task: str, path: Path, top: int = TOP) -> Path:
    """Horizontal bars of the ``top`` largest coefficients (:func:`.explain.coefficients`).

    Multiclass: one panel per class, the same features in each.
    """
    plt = _pyplot()
    shown = table.head(top).iloc[::-1]
    columns = [c for c in table.columns if c.startswith("coefficient")]
    figure, axes = plt.subplots(
        1, len(columns), figsize=(4 + 2.5 * len(columns), 1.5 + 0.3 * len(shown)), sharey=True
    )
    axes = np.atleast_1d(axes)
    scale = "per standard deviation (numeric) or level (one-hot)"
    what = {
        "binary": "log-odds of the positive class",
        "regression": "target units",
    }.get(task, "logit")
    for axis, column in zip(axes, columns, strict=True):
        values = shown[column]
        axis.barh(shown["feature"], values, color=np.where(values >= 0, "tab:blue", "tab:red"))
        axis.axvline(0, color="grey", linewidth=1)
        axis.set_title(column.removeprefix("coefficient_") if task == "multiclass" else "")
        axis.set_xlabel(f"coefficient ({what})")
    figure.suptitle(f"Linear model: the {len(shown)} largest coefficients, {scale}", fontsize=10)
    return _save(figure, path)


def plot_importance(
    importances: dict[str, pd.DataFrame], metric: str, rows: str, path: Path, top: int = TOP
) -> Path:
    """Every candidate's permutation importance side by side, mean with one standard deviation.

    Parameters
    ----------
    importances : dict of candidate to DataFrame
        :func:`.explain.summarise_importance` tables; the first candidate's order sorts
        the features (the champion's).
    metric : str
        The primary metric (the importance's units).
    rows : str
        Where it was measured, for the title.
    path : Path
    top : int
        Features shown: the largest by the first candidate's mean.
    """
    plt = _pyplot()
    first = next(iter(importances.values()))
    features = list(first["feature"].head(top))[::-1]
    height = 0.8 / max(1, len(importances))
    figure, axis = plt.subplots(figsize=(7, 1.5 + 0.25 * len(features) * len(importances) ** 0.5))
    positions = np.arange(len(features))
    for k, (name, table) in enumerate(importances.items()):
        rows_of = table.set_index("feature").reindex(features)
        axis.barh(
            # The first candidate (the champion) on top of each group.
            positions + (len(importances) - 1 - k) * height,
            rows_of["importance_mean"],
            height=height,
            xerr=rows_of["importance_std"],
            label=name,
            capsize=2,
        )
    axis.set_yticks(positions + height * (len(importances) - 1) / 2, features)
    axis.axvline(0, color="grey", linewidth=1)
    axis.set_xlabel(f"drop in {metric} when the column is shuffled")
    axis.set_title(f"Permutation importance ({rows})", fontsize=10)
    axis.legend(fontsize="small", loc="lower right")
    return _save(figure, path)


def plot_partial_dependence(table: pd.DataFrame, task: str, champion: str, path: Path) -> Path:
    """Partial dependence (thick) and individual curves (thin) of each feature of ``table``.

    ``table`` is :func:`.explain.partial_dependence_table`'s; numeric features are drawn as
    lines over their original values, others as points per level.
    """
    plt = _pyplot()
    features = list(dict.fromkeys(table["feature"]))
    figure, axes = plt.subplots(1, len(features), figsize=(4 * len(features), 3.5), squeeze=False)
    classes = list(dict.fromkeys(table["class"])) if "class" in table.columns else [None]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for axis, feature in zip(axes[0], features, strict=True):
        rows = table[table["feature"] == feature]
        numeric = rows["kind"].iloc[0] == "numeric"
        for k, label in enumerate(classes):
            own = rows if label is None else rows[rows["class"] == label]
            colour = colours[k % len(colours)]
            for curve, points in own.groupby("curve", sort=False):
                average = curve == "average"
                x = points["value"].astype(float) if numeric else points["value"].astype(str)
                axis.plot(
                    x,
                    points["response"],
                    color=colour,
                    linestyle="-" if numeric else "none",
                    marker=None if numeric else "o" if average else ".",
                    linewidth=2.5 if average else 0.5,
                    alpha=1.0 if average else 0.25,
                    label=(label or "average") if average else None,
                )
        scale = "original scale" if numeric else "most frequent levels"
        axis.set_xlabel(f"{feature} ({scale})")
        if not numeric:
            axis.tick_params(axis="x", labelrotation=45)
    what = {"regression": "predicted value", "binary": f"probability of {classes[0]!r}"}
    axes[0][0].set_ylabel(what.get(task, "probability of each class"))
    axes[0][-1].legend(fontsize="small")
    figure.suptitle(f"{champion}: partial dependence (thick) and individual curves", fontsize=10)
    return _save(figure, path)


def plot_reliability(
    curves: dict[str, pd.DataFrame], briers: dict[str, float], task: str, rows: str, path: Path
) -> Path:
    """Reliability diagram of every candidate (:func:`.explain.reliability`), with its Brier."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for name, curve in curves.items():
        axis.plot(
            curve["mean_predicted"],
            curve["observed_frequency"],
            marker="o",
            label=f"{name} (Brier {briers[name]:.4f})",
        )
    if task == "binary":
        axis.set(xlabel="predicted probability of the positive class", ylabel="observed frequency")
    else:
        axis.set(xlabel="probability of the top label", ylabel="how often the top label is right")
    axis.set(xlim=(0, 1), ylim=(0, 1))
    axis.set_title(f"Reliability ({rows})", fontsize=10)
    axis.legend(fontsize="small", loc="upper left")
    return _save(figure, path)


def plot_roc_pr(predictions: dict[str, pd.DataFrame], positive: str, rows: str, path: Path) -> Path:
    """ROC and precision-recall curves of every candidate, side by side (binary tasks)."""
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    plt = _pyplot()
    figure, (roc, pr) = plt.subplots(1, 2, figsize=(11, 4.5))
    for index, (name, frame) in enumerate(predictions.items()):
        truth, score = frame["y_true"].astype(str), frame[PROBA_PREFIX + positive]
        first = index == 0
        RocCurveDisplay.from_predictions(
            truth, score, pos_label=positive, name=name, ax=roc, plot_chance_level=first
        )
        PrecisionRecallDisplay.from_predictions(
            truth, score, pos_label=positive, name=name, ax=pr, plot_chance_level=first
        )
    roc.set_title(f"ROC of {positive!r} ({rows})", fontsize=10)
    pr.set_title(f"Precision-recall of {positive!r} ({rows})", fontsize=10)
    return _save(figure, path)


def plot_residuals(table: pd.DataFrame, champion: str, feature: str, rows: str, path: Path) -> Path:
    """Residuals (actual - predicted) against the prediction and against ``feature``.

    ``table``: ``predicted``, ``residual`` and ``top_feature_value`` columns
    (:func:`.stages.compare` writes it as ``residuals.csv``).
    """
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    left.scatter(table["predicted"], table["residual"], s=8, alpha=0.5)
    left.set(xlabel="predicted", ylabel="residual (actual - predicted)")
    values = table["top_feature_value"]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        right.scatter(values, table["residual"], s=8, alpha=0.5)
    else:
        groups = [g["residual"].to_numpy() for _, g in table.groupby(values.astype(str))]
        labels = sorted(values.astype(str).unique())
        right.boxplot(groups, tick_labels=labels)
        right.tick_params(axis="x", labelrotation=45)
    right.set(xlabel=f"{feature} (original scale)")
    for axis in (left, right):
        axis.axhline(0, color="grey", linewidth=1)
    figure.suptitle(f"{champion}: residuals ({rows})", fontsize=10)
    return _save(figure, path)
