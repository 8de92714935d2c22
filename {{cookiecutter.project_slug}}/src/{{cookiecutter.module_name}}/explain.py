"""What each model learned, as tables: coefficients, importance, partial dependence, calibration.

Everything here comes from scikit-learn's ``inspection`` and ``calibration`` modules and
its metrics; :mod:`.explain_plots` draws the tables, the ``compare`` stage writes them.

- :func:`coefficients`: the linear model read directly, one row per column after
  preprocessing (numeric columns on the standardised scale, one-hot levels ``column=value``).
- :func:`permutation_scores`: how much a model's primary metric drops when one original
  column is shuffled (Breiman, "Random Forests", *Machine Learning* 45, 2001; scikit-learn's
  ``permutation_importance``). Shuffling a raw column moves all its one-hot levels at once,
  so importance is per original column. Every candidate is scored on the same rows
  (:func:`importance_rows`), held out from its fit.
- :func:`partial_dependence_table`: the average prediction (and individual curves, ICE:
  Goldstein et al., *JCGS* 24, 2015) as one feature moves over its range, on its original
  scale (Friedman, *Annals of Statistics* 29, 2001).
- :func:`reliability` and :func:`brier`: whether predicted probabilities match observed
  frequencies (reliability diagram; Brier, *Monthly Weather Review* 78, 1950). Multiclass:
  the top-label reliability of Guo et al., "On Calibration of Modern Neural Networks",
  ICML 2017.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.metrics import brier_score_loss

from .metrics import PROBA_PREFIX, classes_of, positive_class

#: Name of a numeric column's missing-value indicator after preprocessing.
MISSING = "(missing)"


def sample_rows(
    n_rows: int, max_rows: int, seed: int, labels: np.ndarray | None = None
) -> np.ndarray:
    """Positions of a seeded sample of about ``max_rows`` of ``n_rows`` rows, in order.

    Every candidate gets the same positions for the same arguments, so their importances
    are measured on the same rows. With ``labels`` (classification), a class the sample
    missed gets one of its rows back: ROC AUC and log loss need every class.

    Returns
    -------
    ndarray of int of shape (min(n_rows, max_rows) + n_missed_classes,)
        Sorted positions (all rows when ``n_rows <= max_rows``).
    """
    if n_rows <= max_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n_rows, size=max_rows, replace=False)
    if labels is not None:
        missed = sorted(set(labels) - set(labels[chosen]))
        chosen = np.append(chosen, [rng.choice(np.flatnonzero(labels == c)) for c in missed])
    return np.sort(chosen)


def unwrap(model: Any) -> Any:
    """The pipeline inside a threshold tuner (``TunedThresholdClassifierCV``), or ``model``."""
    return getattr(model, "estimator_", model)


def encoded_columns(preprocess: Any) -> pd.DataFrame:
    """The columns :func:`.features.build_preprocessor` makes, in output order.

    Numeric columns keep their name, their missing-value indicators are ``<column>
    (missing)``, one-hot levels are ``<column>=<value>`` (a missing value's level is
    ``<column>=(missing)``).

    Parameters
    ----------
    preprocess : fitted Pipeline
        Steps ``columns`` and ``encode`` (the ``preprocess`` step of a baseline model).

    Returns
    -------
    DataFrame of shape (n_features_out, 3)
        ``feature`` (the name above), ``column`` (the raw column it comes from) and
        ``kind`` (``numeric``, ``missing indicator`` or ``one-hot level``).
    """
    encode = preprocess.named_steps["encode"]
    rows: list[tuple[str, str, str]] = []
    for name, transformer, columns in encode.transformers_:
        if len(columns) == 0:
            continue
        if name == "numeric":
            imputer = transformer[0]
            indicator = getattr(imputer, "indicator_", None)
            flagged = [] if indicator is None else [columns[i] for i in indicator.features_]
            kept = list(imputer.get_feature_names_out(columns))
            rows += [(c, c, "numeric") for c in kept[: len(kept) - len(flagged)]]
            rows += [(f"{c} {MISSING}", c, "missing indicator") for c in flagged]
        elif name == "categorical":
            for column, levels in zip(columns, transformer.categories_, strict=True):
                rows += [
                    (f"{column}={MISSING if pd.isna(v) else v}", column, "one-hot level")
                    for v in levels
                ]
    return pd.DataFrame(rows, columns=["feature", "column", "kind"])


def coefficients(model: Any, task: str, positive: str | None = None) -> pd.DataFrame:
    """The linear model's coefficients per column after preprocessing, largest first.

    Parameters
    ----------
    model : fitted Pipeline (``preprocess``, ``model``), possibly in a threshold tuner
        The baseline's ``linear`` model (``LogisticRegression`` or ``Ridge``).
    task : {"binary", "multiclass", "regression"}
    positive : str, optional
        Binary tasks: the positive class; coefficients raise its log-odds when positive.

    Returns
    -------
    DataFrame of shape (n_features_out, 4 to 3 + n_classes)
        :func:`encoded_columns` (``feature``, ``column``, ``kind``) and:
        binary, ``coefficient`` (change of the positive class's log-odds per standard
        deviation of a numeric column, or for a one-hot level against none) and
        ``odds_ratio`` (its exponential); multiclass, ``coefficient_<class>`` per class
        (multinomial logits); regression, ``coefficient`` (target units per standard
        deviation or per level). Sorted by the largest absolute coefficient.
    """
    pipeline = unwrap(model)
    linear = pipeline.named_steps["model"]
    frame = encoded_columns(pipeline.named_steps["preprocess"])
    weights = np.atleast_2d(linear.coef_)
    if task == "multiclass":
        for label, row in zip(linear.classes_, weights, strict=True):
            frame[f"coefficient_{label}"] = row
        size = np.abs(weights).max(axis=0)
    else:
        sign = -1.0 if task == "binary" and str(linear.classes_[1]) != positive else 1.0
        frame["coefficient"] = sign * weights[0]
        if task == "binary":
            frame["odds_ratio"] = np.exp(frame["coefficient"])
        size = np.abs(weights[0])
    order = np.lexsort((frame["feature"].to_numpy(), -size))
    return frame.iloc[order].reset_index(drop=True)


def permutation_scores(
    model: Any, X: pd.DataFrame, y: pd.Series, scoring: Any, repeats: int, seed: int
) -> pd.DataFrame:
    """Drop in the score when each original column is shuffled, ``repeats`` times each.

    scikit-learn's :func:`sklearn.inspection.permutation_importance` on the raw table, so a
    column's one-hot levels move together.

    Parameters
    ----------
    model : fitted estimator taking the raw table
    X : DataFrame of shape (n_rows, n_features)
        Rows the model was not fitted on.
    y : Series of shape (n_rows,)
    scoring : scikit-learn scorer (larger is better)
        The primary metric's (:func:`.metrics.cv_scorer`).
    repeats : int
    seed : int

    Returns
    -------
    DataFrame of shape (n_features x repeats, 3)
        ``feature``, ``repeat``, ``importance`` (score with the true column minus score
        with it shuffled, in the primary metric's units; larger: more relied on).
    """
    result = permutation_importance(
        model, X, y, scoring=scoring, n_repeats=repeats, random_state=seed, n_jobs=1
    )
    values = result.importances
    return pd.DataFrame(
        {
            "feature": np.repeat(np.asarray(X.columns, dtype=str), repeats),
            "repeat": np.tile(np.arange(repeats), len(X.columns)),
            "importance": values.ravel(),
        }
    )


def fold_share(total: int, folds: int) -> int:
    """Each fold's share of a total (rows, shuffles), rounded up: ``ceil(total / folds)``.

    Out of fold, each of the first repeat's folds shuffles each column ``fold_share(
    explain.importance_repeats, folds)`` times on at most ``fold_share(explain.max_rows,
    folds)`` of its rows: about the totals a test split gets, spread over the folds' models.
    """
    return -(-total // folds)


def held_out_importance(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    scoring: Any,
    repeats: int,
    seed: int,
    max_rows: int,
) -> pd.DataFrame:
    """:func:`permutation_scores` on a seeded sample of at most ``max_rows`` held-out rows.

    The sample (:func:`sample_rows`, every class kept) depends only on the rows, their
    labels, ``max_rows`` and ``seed``, so every candidate is scored on the same rows.

    Returns
    -------
    DataFrame of shape (n_features x repeats, 4)
        As :func:`permutation_scores`, with ``rows`` (the rows shuffled).
    """
    labels = None if pd.api.types.is_numeric_dtype(y) else y.to_numpy()
    keep = sample_rows(len(X), max_rows, seed, labels)
    scores = permutation_scores(model, X.iloc[keep], y.iloc[keep], scoring, repeats, seed)
    return scores.assign(rows=len(keep))


def summarise_importance(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread of each column's importance over repeats (and folds), largest first.

    Parameters
    ----------
    scores : DataFrame
        Rows of :func:`permutation_scores`, several folds' concatenated.

    Returns
    -------
    DataFrame of shape (n_features, 4)
        ``feature``, ``importance_mean``, ``importance_std`` (standard deviation over the
        shuffles and folds), ``shuffles`` (how many).
    """
    grouped = scores.groupby("feature", sort=True)["importance"]
    summary = grouped.agg(["mean", "std", "size"])
    summary = summary.set_axis(["importance_mean", "importance_std", "shuffles"], axis=1)
    summary["importance_std"] = summary["importance_std"].fillna(0.0)
    summary = summary.reset_index().sort_values(
        ["importance_mean", "feature"], ascending=[False, True], kind="stable"
    )
    return summary.reset_index(drop=True)


def grid_values(column: pd.Series, resolution: int) -> np.ndarray:
    """The values a partial dependence curve visits for one raw column.

    Numeric: up to ``resolution`` distinct quantiles from the 5th to the 95th percentile
    (scikit-learn's default range), missing values ignored. Otherwise: the ``resolution``
    most frequent values. Empty for a column with no value.
    """
    present = column.dropna()
    if present.empty:
        return np.array([])
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        quantiles = np.quantile(present.astype(float), np.linspace(0.05, 0.95, resolution))
        return np.unique(quantiles)
    return np.asarray(present.value_counts().index[:resolution], dtype=object)


def partial_dependence_table(
    model: Any,
    X: pd.DataFrame,
    features: list[str],
    task: str,
    *,
    positive: str | None = None,
    resolution: int = 20,
    curves: int = 50,
    seed: int = 0,
) -> pd.DataFrame:
    """Partial dependence and individual conditional expectation curves of some columns.

    scikit-learn's :func:`sklearn.inspection.partial_dependence` (``kind="both"``, brute
    force through the whole pipeline) on each feature in turn, its values on their original
    scale (:func:`grid_values`).

    Parameters
    ----------
    model : fitted estimator taking the raw table
    X : DataFrame of shape (n_rows, n_features)
        Rows averaged over (a sample: :func:`sample_rows`).
    features : list of str
        Raw columns of ``X``.
    task : {"binary", "multiclass", "regression"}
    positive : str, optional
        Binary: the class whose probability is shown.
    resolution : int
        Grid points per feature.
    curves : int
        Individual curves kept per feature (a seeded sample of the rows).
    seed : int

    Returns
    -------
    DataFrame
        Long format: ``feature``, ``kind`` (``numeric`` or ``categorical``), ``value``,
        ``curve`` (``average`` or the row's position in ``X``), ``response`` (predicted
        value, or the probability of ``class``) and, for classification, ``class``.
    """
    keep = sample_rows(len(X), curves, seed)
    classes = [str(c) for c in getattr(model, "classes_", [])]
    # scikit-learn refuses integer columns (its grid would be cast); the pipeline's first
    # step makes every numeric column float64 anyway.
    integers = [f for f in features if pd.api.types.is_integer_dtype(X[f])]
    X = X.astype(dict.fromkeys(integers, "float64"))
    frames = []
    for feature in features:
        grid = grid_values(X[feature], resolution)
        if len(grid) == 0:
            continue
        numeric = grid.dtype != object
        result = partial_dependence(
            model,
            X,
            [feature],
            kind="both",
            custom_values={feature: grid},
            categorical_features=None if numeric else [feature],
            response_method="auto" if task == "regression" else "predict_proba",
        )
        averages, individual = result["average"], result["individual"]
        if task == "binary":
            # scikit-learn reports the probability of classes_[1].
            flip = classes[1] != positive
            labels = [positive]
            averages = 1 - averages if flip else averages
            individual = 1 - individual if flip else individual
        elif task == "multiclass":
            labels = classes
        else:
            labels = [None]
        for k, label in enumerate(labels):
            parts = [pd.DataFrame({"value": grid, "curve": "average", "response": averages[k]})]
            parts += [
                pd.DataFrame({"value": grid, "curve": str(row), "response": individual[k][row]})
                for row in keep
            ]
            frame = pd.concat(parts, ignore_index=True).assign(
                feature=feature, kind="numeric" if numeric else "categorical"
            )
            frames.append(frame if label is None else frame.assign(**{"class": label}))
    if not frames:
        return pd.DataFrame(columns=["feature", "kind", "value", "curve", "response"])
    table = pd.concat(frames, ignore_index=True)
    first = ["feature", "kind", "value", "curve"]
    return table[first + [c for c in table.columns if c not in first]]


def _probabilities(
    predictions: pd.DataFrame, task: str, positive: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, predicted probability): the positive class, or the top label (multiclass)."""
    truth = predictions["y_true"].astype(str).to_numpy()
    if task == "binary":
        pos = positive_class(classes_of(predictions), positive)
        return truth == pos, predictions[PROBA_PREFIX + pos].to_numpy()
    classes = np.asarray(classes_of(predictions), dtype=object)
    proba = predictions[[PROBA_PREFIX + c for c in classes]].to_numpy()
    return classes[proba.argmax(axis=1)] == truth, proba.max(axis=1)


def reliability(
    predictions: pd.DataFrame, task: str, positive: str | None = None, bins: int = 10
) -> pd.DataFrame:
    """The reliability diagram of a prediction table, one row per non-empty bin.

    Binary: the positive class's predicted probability against how often it is the true
    class. Multiclass: the top label's probability (the model's confidence) against how
    often the top label is right (Guo et al., ICML 2017). Bins of equal width on [0, 1]
    (:func:`sklearn.calibration.calibration_curve`, ``strategy="uniform"``).

    Parameters
    ----------
    predictions : DataFrame of shape (n_rows, 3 + n_classes)
        A prediction table (``y_true`` and ``proba_<class>`` columns).
    task : {"binary", "multiclass"}
    positive : str, optional
    bins : int

    Returns
    -------
    DataFrame of shape (n_non_empty_bins, 3)
        ``mean_predicted``, ``observed_frequency`` (both probabilities in [0, 1]) and
        ``rows``. A calibrated model's points lie on the diagonal.
    """
    outcome, probability = _probabilities(predictions, task, positive)
    observed, predicted = calibration_curve(outcome, probability, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.bincount(np.searchsorted(edges[1:-1], probability), minlength=bins)
    return pd.DataFrame(
        {
            "mean_predicted": np.round(predicted, 6),
            "observed_frequency": np.round(observed, 6),
            "rows": counts[counts > 0],
        }
    )


def brier(predictions: pd.DataFrame, task: str, positive: str | None = None) -> float:
    """The Brier score of a prediction table: mean squared error of the probabilities.

    Binary: of the positive class's probability, in [0, 1]. Multiclass: summed over the
    classes, in [0, 2] (scikit-learn's ``brier_score_loss`` with ``labels``). Lower is
    better; a model that always predicts the base rate scores its variance.
    """
    truth = predictions["y_true"].astype(str).to_numpy()
    classes = classes_of(predictions)
    if task == "binary":
        pos = positive_class(classes, positive)
        return float(brier_score_loss(truth, predictions[PROBA_PREFIX + pos], pos_label=pos))
    proba = predictions[[PROBA_PREFIX + c for c in classes]].to_numpy()
    return float(brier_score_loss(truth, proba, labels=classes))
