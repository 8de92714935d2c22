"""Test-set metrics computed from saved predictions, the same for every candidate.

Prediction tables have one row per test row: ``row_id``, ``y_true``, ``y_pred`` and, for
classification, one ``proba_<class>`` column per class (columns in sorted class order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    get_scorer,
    log_loss,
    make_scorer,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.preprocessing import label_binarize

from .errors import StageError
from .targets import did_you_mean, resolve_positive_class

PROBA_PREFIX = "proba_"

#: Whether a larger value of the metric is better.
GREATER_IS_BETTER = {
    "roc_auc": True,
    "accuracy": True,
    "f1": True,
    "log_loss": False,
    "average_precision": True,
    "balanced_accuracy": True,
    "rmse": False,
    "mae": False,
    "r2": True,
}


def proba_columns(predictions: pd.DataFrame) -> list[str]:
    """Return the ``proba_<class>`` columns of a prediction table, in stored order."""
    return [column for column in predictions.columns if column.startswith(PROBA_PREFIX)]


def classes_of(predictions: pd.DataFrame) -> list[str]:
    """Return the classes of a classification prediction table, from its ``proba_`` columns."""
    return [column.removeprefix(PROBA_PREFIX) for column in proba_columns(predictions)]


def positive_class(classes: list[str], configured: str | None) -> str:
    """Return the positive class of a binary task.

    ``data.positive_class`` if set; else the label that is certain (yes/no, true/false,
    1/0...: :func:`.targets.infer_positive_class`); else the last class in sorted order.

    Raises
    ------
    StageError
        If ``configured`` is not one of ``classes``.
    """
    if configured is not None and configured not in classes:
        raise StageError(
            f"data.positive_class {configured!r} is not a target class; set it in params.yaml "
            f"to one of {sorted(classes)} (quoted) or null{did_you_mean(configured, classes)}"
        )
    return resolve_positive_class(classes, configured)[0]


def positive_class_note(classes: list[str], configured: str | None) -> str:
    """State the positive class and how it was chosen, for reports and logs.

    Returns
    -------
    str
        For example "positive class 'yes' (inferred from the labels no/yes; set
        data.positive_class in params.yaml to choose)".
    """
    positive_class(classes, configured)  # raises if data.positive_class is not a class
    positive, how = resolve_positive_class(classes, configured)
    change = "" if configured is not None else "; set data.positive_class in params.yaml to choose"
    return f"positive class {positive!r} ({how}{change})"


def evaluate(predictions: pd.DataFrame, task: str, positive: str | None = None) -> dict[str, float]:
    """Score one candidate's test predictions.

    Parameters
    ----------
    predictions : DataFrame of shape (n_test_rows, 3 + n_classes)
        ``y_true``, ``y_pred`` and, for classification, ``proba_<class>`` columns.
    task : {"binary", "multiclass", "regression"}
    positive : str, default=None
        Positive class for binary F1 and average precision (ROC AUC does not depend on it).

    Returns
    -------
    dict of str to float
        Classification: ``roc_auc`` (one-vs-rest macro for multiclass), ``accuracy``,
        ``f1`` (binary: of the positive class; multiclass: macro), ``log_loss`` (nats),
        ``average_precision`` (area under the precision-recall curve as the step sum of
        scikit-learn's ``average_precision_score``; binary: of the positive class, whose
        share of the rows is its value for a model that cannot rank; multiclass:
        one-vs-rest macro) and ``balanced_accuracy`` (mean recall over the classes, 1 / n_classes
        for a constant guess; Brodersen et al., ICPR 2010). ``accuracy``, ``f1`` and
        ``balanced_accuracy`` score the labels ``y_pred``; the others score the
        probabilities. Regression: ``rmse``, ``mae`` (target units) and ``r2``.

    Notes
    -----
    With a rare class, accuracy rewards always predicting the majority class; average
    precision and balanced accuracy do not (Saito & Rehmsmeier, PLoS ONE 2015,
    doi:10.1371/journal.pone.0118432).
    """
    y_true = predictions["y_true"].to_numpy()
    y_pred = predictions["y_pred"].to_numpy()
    if task == "regression":
        return {
            "rmse": float(root_mean_squared_error(y_true, y_pred)),
            "mae": float(mean_absolute_error(y_true, y_pred)),
            "r2": float(r2_score(y_true, y_pred)),
        }
    columns = proba_columns(predictions)
    classes = [column.removeprefix(PROBA_PREFIX) for column in columns]
    proba = predictions[columns].to_numpy(dtype=float)
    y_true = y_true.astype(str)
    y_pred = y_pred.astype(str)
    if task == "binary":
        pos = positive_class(classes, positive)
        auc = roc_auc_score(y_true == pos, proba[:, classes.index(pos)])
        f1 = f1_score(y_true, y_pred, pos_label=pos, average="binary")
        ap = average_precision_score(y_true == pos, proba[:, classes.index(pos)])
    else:
        auc = roc_auc_score(y_true, proba, multi_class="ovr", average="macro", labels=classes)
        f1 = f1_score(y_true, y_pred, average="macro", labels=classes)
        ap = average_precision_score(
            label_binarize(y_true, classes=classes), proba, average="macro"
        )
    return {
        "roc_auc": float(auc),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1": float(f1),
        "log_loss": float(log_loss(y_true, np.clip(proba, 1e-15, 1.0), labels=classes)),
        "average_precision": float(ap),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
    }


def cv_scorer(metric: str, task: str, positive: str | None = None):
    """Return the scikit-learn scorer for cross-validating on ``metric``.

    Scorers follow scikit-learn's convention that larger is better, so loss metrics are
    negated (``neg_log_loss``, ``neg_root_mean_squared_error``...).
    """
    names = {
        "roc_auc": "roc_auc" if task == "binary" else "roc_auc_ovr",
        "accuracy": "accuracy",
        "log_loss": "neg_log_loss",
        "rmse": "neg_root_mean_squared_error",
        "mae": "neg_mean_absolute_error",
        "r2": "r2",
    }
    if metric == "f1":
        if task == "binary":
            return make_scorer(f1_score, pos_label=positive)
        return get_scorer("f1_macro")
    return get_scorer(names[metric])


def sign(metric: str) -> float:
    """Return +1 if larger is better for ``metric``, else -1 (turns scorer values back)."""
    return 1.0 if GREATER_IS_BETTER[metric] else -1.0
