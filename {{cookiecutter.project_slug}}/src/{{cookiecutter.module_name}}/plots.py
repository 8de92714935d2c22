"""Plot data for ``dvc plots`` (CSV) and pictures for MLflow (PNG).

The CSV files feed the templates declared in ``dvc.yaml``; the PNGs are drawn with
scikit-learn's display objects (``PrecisionRecallDisplay``, ``ConfusionMatrixDisplay``,
``PredictionErrorDisplay``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_curve, roc_curve
from sklearn.preprocessing import label_binarize

from .metrics import PROBA_PREFIX, classes_of, positive_class, proba_columns
from .outputs import write_csv


def roc_points(predictions: pd.DataFrame, positive: str | None) -> pd.DataFrame:
    """Return the ROC curve of a prediction table as ``fpr``, ``tpr`` columns.

    Binary: the positive class's curve, with a ``positive_class`` column naming that class.
    Multiclass: the micro-averaged one-vs-rest curve.
    """
    columns = proba_columns(predictions)
    classes = classes_of(predictions)
    y_true = predictions["y_true"].astype(str).to_numpy()
    if len(classes) == 2:
        pos = positive_class(classes, positive)
        fpr, tpr, _ = roc_curve(y_true == pos, predictions[PROBA_PREFIX + pos])
        points = {"fpr": np.round(fpr, 6), "tpr": np.round(tpr, 6), "positive_class": pos}
        return pd.DataFrame(points)
    truth = label_binarize(y_true, classes=classes)
    fpr, tpr, _ = roc_curve(truth.ravel(), predictions[columns].to_numpy().ravel())
    return pd.DataFrame({"fpr": np.round(fpr, 6), "tpr": np.round(tpr, 6)})


def precision_recall_points(predictions: pd.DataFrame, positive: str | None) -> pd.DataFrame:
    """Return the precision-recall curve of a binary prediction table.

    Parameters
    ----------
    predictions : DataFrame of shape (n_test_rows, 5)
        ``y_true`` and the two ``proba_<class>`` columns.
    positive : str or None
        The positive class (None: as :func:`.metrics.positive_class` resolves it).

    Returns
    -------
    DataFrame of shape (n_thresholds + 1, 4)
        ``recall``, ``precision`` (scikit-learn's ``precision_recall_curve``, by increasing
        recall), ``threshold`` (the positive class's probability from which rows are labelled
        positive; empty on the last point, recall 0) and ``positive_class``.

    Raises
    ------
    StageError
        If ``positive`` is not a class of the table.
    """
    pos = positive_class(classes_of(predictions), positive)
    y_true = predictions["y_true"].astype(str).to_numpy() == pos
    precision, recall, thresholds = precision_recall_curve(y_true, predictions[PROBA_PREFIX + pos])
    order = np.argsort(recall, kind="stable")
    points = pd.DataFrame(
        {
            "recall": np.round(recall, 6),
            "precision": np.round(precision, 6),
            "threshold": np.round(np.append(thresholds, np.nan), 6),
            "positive_class": pos,
        }
    )
    return points.iloc[order].reset_index(drop=True)


def write_plots(
    directory: Path,
    predictions: dict[str, pd.DataFrame],
    selected: str,
    task: str,
    positive: str | None = None,
    rows: str = "test split",
) -> list[Path]:
    """Write every plot of the baseline stage under ``directory``.

    ``rows`` names the predictions in the titles: ``test split``, or ``out of fold`` for
    small tables (every row's out-of-fold predictions of every repeat, pooled).

    Classification: ``roc_<model>.csv`` per model, ``confusion.csv`` (selected model) and
    ``roc.png``, ``confusion.png``; binary also ``pr_<model>.csv`` per model and ``pr.png``
    (precision-recall curves, the positive class's share of the test rows drawn as the
    level of a model that cannot rank). Regression: ``predicted_vs_actual.csv`` and ``.png``
    (selected model).

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import (
        ConfusionMatrixDisplay,
        PrecisionRecallDisplay,
        PredictionErrorDisplay,
    )

    chosen = predictions[selected]
    written = []
    if task == "regression":
        points = chosen[["y_true", "y_pred"]].set_axis(["actual", "predicted"], axis=1)
        written.append(write_csv(directory / "predicted_vs_actual.csv", points))
        display = PredictionErrorDisplay.from_predictions(
            chosen["y_true"], chosen["y_pred"], kind="actual_vs_predicted"
        )
        display.ax_.set_title(f"{selected}: predicted vs actual ({rows})")
        written.append(_save(display.figure_, directory / "predicted_vs_actual.png"))
        plt.close("all")
        return written
    figure, axis = plt.subplots()
    for name, frame in predictions.items():
        points = roc_points(frame, positive)
        written.append(write_csv(directory / f"roc_{name}.csv", points))
        axis.plot(points["fpr"], points["tpr"], label=name)
    title = f"ROC ({rows})"
    if task == "binary":
        pos = positive_class(classes_of(chosen), positive)
        title = f"ROC of the positive class {pos!r} ({rows})"
    axis.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    axis.legend()
    written.append(_save(figure, directory / "roc.png"))
    if task == "binary":
        figure, axis = plt.subplots()
        pos = positive_class(classes_of(chosen), positive)
        for index, (name, frame) in enumerate(predictions.items()):
            written.append(
                write_csv(directory / f"pr_{name}.csv", precision_recall_points(frame, positive))
            )
            PrecisionRecallDisplay.from_predictions(
                frame["y_true"].astype(str),
                frame[PROBA_PREFIX + pos],
                pos_label=pos,
                name=name,
                ax=axis,
                plot_chance_level=index == 0,
            )
        axis.set_title(f"Precision-recall of the positive class {pos!r} ({rows})")
        written.append(_save(figure, directory / "pr.png"))
    pairs = chosen[["y_true", "y_pred"]].astype(str).set_axis(["actual", "predicted"], axis=1)
    written.append(write_csv(directory / "confusion.csv", pairs))
    display = ConfusionMatrixDisplay.from_predictions(pairs["actual"], pairs["predicted"])
    display.ax_.set_title(f"{selected}: confusion matrix ({rows})")
    written.append(_save(display.figure_, directory / "confusion.png"))
    plt.close("all")
    return written


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    return path
