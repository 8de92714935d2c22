"""Candidates: every model's test-set predictions plus a card describing it.

A stage that produces models writes, under ``candidates/<stage>/``, one
``<name>.parquet`` (predictions on the test split) and one ``<name>.json`` (the card).
``compare`` reads every card it finds, so adding a candidate is adding files, not
editing ``compare``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import StageError
from .metrics import PROBA_PREFIX
from .outputs import write_csv, write_json, write_parquet
from .paths import CANDIDATES_DIR, ROW_ID


@dataclass(frozen=True)
class Candidate:
    """What ``compare`` needs to know about one model.

    Attributes
    ----------
    name : str
        Unique candidate name (``dummy``, ``linear``, ``hgb``...).
    stage : str
        Stage that produced it; the ``baseline`` stage's selected model is the reference.
    complexity : int
        Rank used to break ties: lower is simpler (dummy 0, linear 1, trees 2, deep 3).
    selected : bool
        Whether its stage chose it (on cross-validation or validation, never on test).
    cv_metric : str
        Metric of ``cv_mean``/``cv_std`` (the primary metric, in its own units).
    cv_mean, cv_std : float
        Mean and standard deviation over cross-validation folds (NaN if not cross-validated).
    model_path : str
        Saved model, relative to the project root.
    run_id : str
        MLflow run holding the candidate's params, metrics and logged model: empty in the
        stage's card (the run is logged later, :mod:`.run_records`); ``compare`` finds it
        by ``record_id``.
    details : dict
        Anything else worth showing (best hyper-parameters, reason of selection...).
    tracking_uri : str
        Tracking store holding ``run_id`` when the stage ran (``compare`` names it when
        the store has changed since).
    extra_requirements : list of str
        Distributions the saved model needs besides scikit-learn, pandas and numpy.
    threshold : float or None
        Binary tasks: the positive class's probability from which ``y_pred`` is the positive
        class (chosen on the training split; 0.5 when kept fixed, ``details`` says why).
        None for multiclass and regression (labels are the most probable class).
    record_id : str
        The ``record_id`` tag of the candidate's MLflow run.
    """

    name: str
    stage: str
    complexity: int
    selected: bool
    cv_metric: str
    cv_mean: float
    cv_std: float
    model_path: str
    run_id: str
    details: dict[str, object] = field(default_factory=dict)
    tracking_uri: str = ""
    extra_requirements: list[str] = field(default_factory=list)
    threshold: float | None = None
    record_id: str = ""

    @property
    def predictions_path(self) -> Path:
        """Path of the candidate's test-set predictions."""
        return CANDIDATES_DIR / self.stage / f"{self.name}.parquet"

    @property
    def importance_path(self) -> Path:
        """Path of the candidate's permutation importance (:func:`.explain.permutation_scores`)."""
        return CANDIDATES_DIR / self.stage / f"{self.name}_importance.csv"

    def read_importance(self) -> pd.DataFrame | None:
        """The candidate's permutation scores, or None when its stage wrote none."""
        if not self.importance_path.exists():
            return None
        return pd.read_csv(self.importance_path, keep_default_na=False, na_values=[""])


def predictions_frame(
    row_ids: pd.Series,
    y_true: pd.Series,
    y_pred: np.ndarray,
    proba: np.ndarray | None = None,
    classes: list[str] | None = None,
) -> pd.DataFrame:
    """Build a prediction table: one row per test row.

    Parameters
    ----------
    row_ids, y_true : Series of shape (n_test_rows,)
    y_pred : ndarray of shape (n_test_rows,)
    proba : ndarray of shape (n_test_rows, n_classes), default=None
        Class probabilities (classification), columns in the order of ``classes``.
    classes : list of str, default=None

    Returns
    -------
    DataFrame of shape (n_test_rows, 3 + n_classes)
    """
    frame = pd.DataFrame(
        {ROW_ID: row_ids.to_numpy(), "y_true": y_true.to_numpy(), "y_pred": np.asarray(y_pred)}
    )
    if proba is not None and classes is not None:
        for index, label in enumerate(classes):
            frame[f"{PROBA_PREFIX}{label}"] = proba[:, index]
    return frame


def predict_rows(
    model: Any, X: pd.DataFrame, classes: list[str] | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Predict rows with a fitted model: labels or values, and class probabilities.

    Classification: probabilities as float64 rows summing to one (columns in the order of
    ``classes``, the model's ``classes_``) and the most probable class as the label, or,
    for a model with a tuned decision threshold (scikit-learn's
    ``TunedThresholdClassifierCV``, attribute ``best_threshold_``), its own ``predict``:
    the label a served model (``mlflow models serve``) answers, too.

    Parameters
    ----------
    model : fitted estimator with ``predict`` (regression) or ``predict_proba``
    X : DataFrame of shape (n_rows, n_features)
    classes : list of str, or None for regression

    Returns
    -------
    predicted : ndarray of shape (n_rows,)
        Labels (object) or values (float).
    proba : ndarray of shape (n_rows, n_classes), or None for regression
    """
    if classes is None:
        return np.asarray(model.predict(X), dtype=np.float64), None
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    proba /= proba.sum(axis=1, keepdims=True)
    if hasattr(model, "best_threshold_"):
        predicted = np.asarray(model.predict(X), dtype=object)
    else:
        predicted = np.asarray(classes, dtype=object)[proba.argmax(axis=1)]
    return predicted, proba


def predict_test(
    model: Any, X: pd.DataFrame, row_ids: pd.Series, y_true: pd.Series, classes: list[str] | None
) -> pd.DataFrame:
    """Predict the test split with a fitted model, as a prediction table (:func:`predict_rows`).

    Parameters
    ----------
    model : fitted estimator with ``predict`` (regression) or ``predict_proba``
    X : DataFrame of shape (n_test_rows, n_features)
    row_ids, y_true : Series of shape (n_test_rows,)
    classes : list of str, or None for regression

    Returns
    -------
    DataFrame of shape (n_test_rows, 3 + n_classes)
    """
    predicted, proba = predict_rows(model, X, classes)
    return predictions_frame(row_ids, y_true, predicted, proba, classes)


def write_candidate(
    candidate: Candidate, predictions: pd.DataFrame, importance: pd.DataFrame | None = None
) -> Path:
    """Write a candidate's card, predictions and permutation scores; return the card's path.

    ``importance``: :func:`.explain.permutation_scores` rows on held-out rows (with a
    ``fold`` column out of fold), read back by :meth:`Candidate.read_importance`.
    """
    write_parquet(candidate.predictions_path, predictions)
    if importance is not None:
        write_csv(candidate.importance_path, importance)
    return write_json(
        CANDIDATES_DIR / candidate.stage / f"{candidate.name}.json", asdict(candidate)
    )


def read_candidates(directory: Path = CANDIDATES_DIR) -> list[tuple[Candidate, pd.DataFrame]]:
    """Read every candidate card under ``directory`` with its predictions, sorted by name.

    Raises
    ------
    StageError
        If there is no candidate, or a card's predictions file is missing.
    """
    found = []
    for card in sorted(directory.glob("*/*.json")):
        candidate = Candidate(**json.loads(card.read_text(encoding="utf-8")))
        if not candidate.predictions_path.exists():
            raise StageError(f"{card}: predictions {candidate.predictions_path} are missing")
        found.append((candidate, pd.read_parquet(candidate.predictions_path)))
    if not found:
        raise StageError(f"no candidate under {directory}/: run the baseline stage first")
    return found
