"""The ``compare`` stage's explanations of every candidate, as files under ``reports/explain/``.

:func:`explain_candidates` computes every table first (:mod:`.explain`), :func:`write_explanations`
then replaces the folder with the tables (CSV, for ``dvc plots``) and their pictures (PNG,
:mod:`.explain_plots`). What is measured where:

- coefficients: the saved ``linear`` baseline (fitted on the training split, or on every
  row when resampled);
- permutation importance: written by each model stage with its candidate, on rows held
  out from the fit (the test split, or the first repeat's held-out folds), the same rows
  for every candidate;
- partial dependence: the champion's saved model over a seeded sample of the evaluation
  rows (the test split, or every row when resampled);
- reliability, Brier score, ROC and precision-recall: every candidate's evaluation
  predictions (out of fold: every repeat's);
- residuals (regression): the champion's evaluation predictions (the first repeat's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from . import explain, explain_plots, paths
from .candidates import Candidate
from .config import Params
from .data import features_and_target
from .evaluation import FOLD, REPEAT, Plan
from .metrics import classes_of, positive_class
from .outputs import clear, write_csv


@dataclass
class Explanations:
    """Everything :func:`explain_candidates` found; :func:`write_explanations` fills ``images``.

    Attributes
    ----------
    rows : str
        Where importance was measured, in words.
    coefficients : DataFrame or None
        :func:`.explain.coefficients` of the ``linear`` baseline (None without one).
    importance : dict of str to DataFrame
        :func:`.explain.summarise_importance` per candidate, the champion first.
    ranked_by : str
        The candidate whose importance picks the features to explain (the champion, or
        the reference when the champion is the dummy, which uses none).
    partial_dependence : DataFrame or None
        :func:`.explain.partial_dependence_table` of the champion (None: ``reason``).
    reliability : dict of str to DataFrame
        :func:`.explain.reliability` per candidate (classification).
    brier : dict of str to float
        Brier score per candidate (classification; the mean over folds when resampled).
    residuals : DataFrame or None
        Regression: ``row_id``, ``actual``, ``predicted``, ``residual``, ``top_feature``,
        ``top_feature_value``.
    notes : list of str
        What was left out and why.
    images : dict of str to Path
        Title of each picture and its PNG.
    """

    rows: str
    coefficients: pd.DataFrame | None
    importance: dict[str, pd.DataFrame]
    ranked_by: str
    partial_dependence: pd.DataFrame | None
    reliability: dict[str, pd.DataFrame] = field(default_factory=dict)
    brier: dict[str, float] = field(default_factory=dict)
    residuals: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    images: dict[str, Path] = field(default_factory=dict)

    @property
    def top_features(self) -> list[str]:
        """Raw columns by the importance of :attr:`ranked_by`, most important first."""
        table = self.importance.get(self.ranked_by)
        return [] if table is None else list(table["feature"])


def _evaluation_features(params: Params, plan: Plan) -> pd.DataFrame:
    """The raw features of the evaluation rows (test split, or every row), by ``row_id``."""
    frame = pd.read_parquet(paths.TRAIN if plan.resampled else paths.TEST)
    X, _ = features_and_target(frame, params.data.target, params.data.task)
    return X.set_axis(frame[paths.ROW_ID].to_numpy())


def _importance_rows(scores: pd.DataFrame, plan: Plan, max_rows: int, test_rows: int) -> str:
    """Where permutation importance was measured, in words (``test_rows``: the test split's)."""
    if plan.resampled:
        rows = int(scores.groupby(FOLD)["rows"].first().sum())
        sampled = f", a seeded sample (explain.max_rows = {max_rows})" if rows < plan.rows else ""
        return (
            f"{rows} rows held out in the first repeat's {plan.folds} folds{sampled}; each "
            "fold's model scored on the rows it did not see"
        )
    rows = int(scores["rows"].iloc[0])
    sampled = f" (a seeded sample, explain.max_rows = {max_rows})" if rows < test_rows else ""
    return f"{rows} test rows{sampled}, the same for every candidate"


def explain_candidates(
    candidates: list[Candidate],
    frames: dict[str, pd.DataFrame],
    champion: str,
    reference: str,
    params: Params,
    plan: Plan,
) -> Explanations:
    """Compute every explanation of the candidates (nothing is written).

    Parameters
    ----------
    candidates : list of Candidate
    frames : dict of str to DataFrame
        Each candidate's prediction table (test split or out of fold).
    champion, reference : str
        Candidate names.
    params : Params
        ``explain`` (rows, repeats, seeds), ``data`` (target, task, positive class).
    plan : Plan

    Returns
    -------
    Explanations
    """
    task, e = params.data.task, params.explain
    positive = None
    if task == "binary":
        positive = positive_class(classes_of(frames[champion]), params.data.positive_class)
    by_name = {c.name: c for c in candidates}
    notes: list[str] = []
    scores = {c.name: c.read_importance() for c in candidates}
    missing = sorted(name for name, table in scores.items() if table is None)
    if missing:
        notes.append(
            f"No permutation importance for {', '.join(missing)}: its stage wrote none "
            "(outputs of an earlier version; dvc repro -f)"
        )
    order = [champion] + [n for n in by_name if n != champion]
    importance = {
        n: explain.summarise_importance(scores[n]) for n in order if scores[n] is not None
    }
    found = next((scores[n] for n in order if scores[n] is not None), None)
    rows = "no rows"
    if found is not None:
        rows = _importance_rows(found, plan, e.max_rows, len(frames[champion]))
    ranked_by = reference if champion == "dummy" else champion
    result = Explanations(rows, None, importance, ranked_by, None, notes=notes)
    if "linear" in by_name:
        linear = joblib.load(by_name["linear"].model_path)
        result.coefficients = explain.coefficients(linear, task, positive)
    X = _evaluation_features(params, plan)
    sample = X.iloc[explain.sample_rows(len(X), e.max_rows, e.seed)]
    features = [f for f in result.top_features if f in X.columns][: e.partial_dependence_features]
    if champion == "dummy":
        notes.append("No partial dependence: the champion, the dummy, ignores every feature")
    elif features:
        model = joblib.load(by_name[champion].model_path)
        result.partial_dependence = explain.partial_dependence_table(
            model,
            sample,
            features,
            task,
            positive=positive,
            resolution=e.grid_resolution,
            curves=e.ice_curves,
            seed=e.seed,
        )
    if task == "regression":
        result.residuals = _residuals(frames[champion], X, result.top_features, e)
        return result
    for name in order:
        frame = frames[name]
        result.reliability[name] = explain.reliability(frame, task, positive, e.calibration_bins)
        if plan.resampled:
            folds = [explain.brier(rows, task, positive) for _, rows in frame.groupby(FOLD)]
            result.brier[name] = float(np.mean(folds))
        else:
            result.brier[name] = explain.brier(frame, task, positive)
    return result


def _residuals(
    predictions: pd.DataFrame, X: pd.DataFrame, ranking: list[str], e: Any
) -> pd.DataFrame:
    """The champion's residuals on a seeded sample of the evaluation rows (first repeat)."""
    if REPEAT in predictions.columns:
        predictions = predictions[predictions[REPEAT] == 0]
    predictions = predictions.iloc[explain.sample_rows(len(predictions), e.max_rows, e.seed)]
    feature = next((f for f in ranking if f in X.columns), X.columns[0])
    return pd.DataFrame(
        {
            paths.ROW_ID: predictions[paths.ROW_ID].to_numpy(),
            "actual": predictions["y_true"].to_numpy(dtype=float),
            "predicted": predictions["y_pred"].to_numpy(dtype=float),
            "residual": (predictions["y_true"] - predictions["y_pred"]).to_numpy(dtype=float),
            "top_feature": feature,
            "top_feature_value": X.loc[predictions[paths.ROW_ID].to_numpy(), feature].to_numpy(),
        }
    )


def write_explanations(
    result: Explanations,
    frames: dict[str, pd.DataFrame],
    champion: str,
    params: Params,
    plan: Plan,
) -> None:
    """Replace ``reports/explain/`` with the tables and pictures of ``result``, whole or not at all.

    Files: ``coefficients.csv``/``.png``; ``importance/<candidate>.csv`` and
    ``importance.png``; ``partial_dependence.csv``/``.png``; classification
    ``calibration/<candidate>.csv`` and ``calibration.png``, binary ``roc_pr.png``;
    regression ``residuals.csv``/``.png``. Everything is drawn in a sibling folder first,
    which replaces the old one only once every file is written (a failing picture leaves
    the previous explanations in place). Fills ``result.images``.
    """
    final = paths.EXPLAIN_DIR
    work = final.with_name(f".{final.name}.partial")
    clear(work)
    try:
        _draw(result, frames, champion, params, plan, work)
    except BaseException:
        clear(work)
        raise
    clear(final)
    work.rename(final)
    result.images = {title: final / p.relative_to(work) for title, p in result.images.items()}


def _draw(
    result: Explanations,
    frames: dict[str, pd.DataFrame],
    champion: str,
    params: Params,
    plan: Plan,
    directory: Path,
) -> None:
    """Write every table and picture of ``result`` under ``directory``."""
    task = params.data.task
    where = "out of fold" if plan.resampled else "test split"
    images = result.images
    if result.coefficients is not None:
        write_csv(directory / "coefficients.csv", result.coefficients)
        images["Linear model coefficients"] = explain_plots.plot_coefficients(
            result.coefficients, task, directory / "coefficients.png"
        )
    for name, table in result.importance.items():
        write_csv(directory / "importance" / f"{name}.csv", table)
    if result.importance:
        images["Permutation importance"] = explain_plots.plot_importance(
            result.importance,
            params.compare.primary_metric,
            where,
            directory / "importance.png",
        )
    if result.partial_dependence is not None:
        write_csv(directory / "partial_dependence.csv", result.partial_dependence)
        images["Partial dependence of the champion"] = explain_plots.plot_partial_dependence(
            result.partial_dependence, task, champion, directory / "partial_dependence.png"
        )
    if result.residuals is not None:
        write_csv(directory / "residuals.csv", result.residuals)
        images["Residuals of the champion"] = explain_plots.plot_residuals(
            result.residuals,
            champion,
            str(result.residuals["top_feature"].iloc[0]),
            where,
            directory / "residuals.png",
        )
    for name, curve in result.reliability.items():
        write_csv(directory / "calibration" / f"{name}.csv", curve)
    if result.reliability:
        images["Reliability diagram"] = explain_plots.plot_reliability(
            result.reliability, result.brier, task, where, directory / "calibration.png"
        )
    if task == "binary":
        positive = positive_class(classes_of(frames[champion]), params.data.positive_class)
        images["ROC and precision-recall"] = explain_plots.plot_roc_pr(
            frames, positive, where, directory / "roc_pr.png"
        )
