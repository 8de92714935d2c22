"""Stage ``baseline``: the mandatory classical models, tuned on train, scored on test.

Three models: a dummy floor (which ignores the features), a regularised linear model (the
glass box) and histogram gradient-boosted trees; the last two share one preprocessing
(:func:`..features.build_preprocessor`, sparse one-hot columns for the linear model).
Each is tuned by grid search with k-fold cross-validation on the training split only.
The baseline is the simplest model whose mean CV score is within one standard error of
the best one (the one-standard-error rule, Hastie, Tibshirani & Friedman, *The Elements
of Statistical Learning*, 2nd ed., section 7.10); the test split never takes part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from .. import paths, tracking
from ..candidates import Candidate, predict_test, write_candidate
from ..config import BaselineParams, Params
from ..data import features_and_target, read_splits
from ..errors import StageError
from ..features import build_preprocessor
from ..metrics import cv_scorer, evaluate, positive_class, positive_class_note, sign
from ..outputs import clear, write_csv, write_json
from ..plots import write_plots
from ..targets import show

#: Simpler models first; ties go to the simpler one.
COMPLEXITY = {"dummy": 0, "linear": 1, "hgb": 2}


def build_searches(task: str, p: BaselineParams, scoring: Any) -> dict[str, GridSearchCV]:
    """Return one unfitted grid search per baseline model, all on the same folds.

    ``dummy`` and ``linear`` always; ``hgb`` unless ``baseline.hgb.enabled`` is false.
    """
    if task == "regression":
        models = {
            "dummy": (DummyRegressor(strategy=p.dummy.strategy), {}),
            "linear": (Ridge(), {"alpha": p.linear.alpha}),
            "hgb": (
                HistGradientBoostingRegressor(max_iter=p.hgb.max_iter, random_state=p.seed),
                {},
            ),
        }
        folds: KFold = KFold(p.cv_folds, shuffle=True, random_state=p.seed)
    else:
        models = {
            "dummy": (DummyClassifier(strategy=p.dummy.strategy, random_state=p.seed), {}),
            "linear": (LogisticRegression(max_iter=p.linear.max_iter), {"C": p.linear.C}),
            "hgb": (
                HistGradientBoostingClassifier(max_iter=p.hgb.max_iter, random_state=p.seed),
                {},
            ),
        }
        folds = StratifiedKFold(p.cv_folds, shuffle=True, random_state=p.seed)
    models["hgb"][1].update(
        learning_rate=p.hgb.learning_rate,
        max_leaf_nodes=p.hgb.max_leaf_nodes,
        l2_regularization=p.hgb.l2_regularization,
    )
    if not p.hgb.enabled:
        del models["hgb"]
    return {
        name: GridSearchCV(
            # The dummy ignores the features: preprocessing them would only cost time.
            # The linear model takes sparse one-hot columns; the trees need dense ones.
            Pipeline(
                [("model", model)]
                if name == "dummy"
                else [("preprocess", build_preprocessor(sparse=name == "linear")), ("model", model)]
            ),
            {f"model__{key}": values for key, values in grid.items()},
            scoring=scoring,
            cv=folds,
            n_jobs=p.n_jobs,
        )
        for name, (model, grid) in models.items()
    }


def select_baseline(
    cv_scores: dict[str, tuple[float, float]], n_folds: int, direction: float = 1.0
) -> tuple[str, str]:
    """Pick the simplest model within one standard error of the best mean CV score.

    Parameters
    ----------
    cv_scores : dict of str to (mean, std)
        Scorer values (larger is better) per model over the folds.
    n_folds : int
    direction : float, default=1.0
        -1 for loss metrics, whose scorer values are negated: turns them back in the reason.

    Returns
    -------
    name : str
    reason : str
    """
    best = max(cv_scores, key=lambda name: cv_scores[name][0])
    mean, std = cv_scores[best]
    threshold = mean - std / np.sqrt(n_folds)
    chosen = min((n for n, (m, _) in cv_scores.items() if m >= threshold), key=COMPLEXITY.get)
    if chosen == best:
        return chosen, f"{chosen} has the best mean CV score ({direction * mean:.4f})"
    return chosen, (
        f"{chosen} ({direction * cv_scores[chosen][0]:.4f}) is within one standard error "
        f"({std / np.sqrt(n_folds):.4f}) of the best, {best} ({direction * mean:.4f}), and simpler"
    )


def check_target(y: pd.Series, task: str, target: str, cv_folds: int) -> None:
    """Raise if the training target cannot support ``task`` and ``cv_folds``.

    Raises
    ------
    StageError
        Missing target values; fewer rows than ``baseline.cv_folds``; a regression target
        that is not numeric; a binary task without exactly two classes; a class with fewer
        rows than ``baseline.cv_folds``.
    """
    if y.isna().any() or (task != "regression" and (y == "nan").any()):
        raise StageError(
            f"target {target!r} has missing values in the training split; "
            "drop those rows or tighten the suite's not-null expectation"
        )
    if len(y) < cv_folds:
        raise StageError(
            f"{len(y)} training rows cannot make baseline.cv_folds ({cv_folds}) "
            "folds; lower baseline.cv_folds"
        )
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y):
            raise StageError(
                f"target {target!r} is not numeric (e.g. {show(y.iloc[0])}); "
                "set data.task to binary or multiclass in params.yaml"
            )
        return
    counts = y.value_counts()
    listing = ", ".join(show(label) for label in sorted(counts.index)[:5])
    if task == "binary" and len(counts) != 2:
        raise StageError(
            f"target {target!r} has {len(counts)} classes ({listing}); "
            "data.task 'binary' needs exactly two (use 'multiclass')"
        )
    if counts.min() < cv_folds:
        raise StageError(
            f"class {show(counts.idxmin())} of target {target!r} has {counts.min()} training rows, "
            f"fewer than baseline.cv_folds ({cv_folds}); "
            + (
                f"set baseline.cv_folds to {counts.min()} or lower, or add data"
                if counts.min() >= 2
                else "lowering baseline.cv_folds cannot help: merge the class or add rows"
            )
        )


def fit_baseline(
    X: pd.DataFrame, y: pd.Series, *, task: str, params: BaselineParams, scoring: Any
) -> dict[str, GridSearchCV]:
    """Tune every baseline model by grid search with cross-validation.

    Parameters
    ----------
    X : DataFrame of shape (n_train, n_features)
    y : Series of shape (n_train,)
    task : str
    params : BaselineParams
    scoring : scikit-learn scorer of the primary metric

    Returns
    -------
    dict of str to fitted GridSearchCV
        ``dummy``, ``linear`` and (if enabled) ``hgb``, each refitted on all of ``X`` with
        its best params.

    Notes
    -----
    Each fit runs on one OpenMP thread (threadpoolctl): on a busy machine, OpenMP threads of
    several processes spinning for the same cores slow gradient boosting down by orders of
    magnitude. Parallelism comes from ``baseline.n_jobs`` worker processes instead.
    """
    searches = build_searches(task, params, scoring)
    with threadpool_limits(limits=1, user_api="openmp"):
        for search in searches.values():
            search.fit(X, y)
    return searches


def run(params: Params) -> dict[str, Path]:
    """Tune, select and score the baseline models; write models, candidates, metrics, plots.

    Nothing is written until every model is fitted, so a failure leaves no partial models.
    """
    task, metric, target = params.data.task, params.compare.primary_metric, params.data.target
    train, test = read_splits()
    X_train, y_train = features_and_target(train, target, task)
    X_test, y_test = features_and_target(test, target, task)
    with tracking.stage_run("baseline", params):
        check_target(y_train, task, target, params.baseline.cv_folds)
        classes = sorted(y_train.unique()) if task != "regression" else None
        positive = positive_class(classes, params.data.positive_class) if task == "binary" else None
        if positive is not None:
            print(f"baseline: {positive_class_note(classes, params.data.positive_class)}")
            tracking.log_positive_class(classes, params.data.positive_class)
        searches = fit_baseline(
            X_train,
            y_train,
            task=task,
            params=params.baseline,
            scoring=cv_scorer(metric, task, positive),
        )
        cv_scores = {
            name: (
                float(s.cv_results_["mean_test_score"][s.best_index_]),
                float(s.cv_results_["std_test_score"][s.best_index_]),
            )
            for name, s in searches.items()
        }
        selected, reason = select_baseline(cv_scores, params.baseline.cv_folds, sign(metric))
        # Every model is fitted: only now replace the previous run's outputs.
        clear(paths.BASELINE_MODELS, paths.BASELINE_CANDIDATES, paths.BASELINE_PLOTS)
        summary: dict[str, Any] = {"selected": selected}
        if positive is not None:
            summary["positive_class"] = positive  # the class f1 and roc_auc count as positive
        predictions = {}
        for name, search in searches.items():
            model = search.best_estimator_
            predictions[name] = predict_test(model, X_test, test[paths.ROW_ID], y_test, classes)
            mean, std = sign(metric) * cv_scores[name][0], cv_scores[name][1]
            test_metrics = evaluate(predictions[name], task, positive)
            summary[name] = {
                f"cv_{metric}_mean": mean,
                f"cv_{metric}_std": std,
                "test": test_metrics,
            }
            joblib.dump(model, _mkdir(paths.BASELINE_MODELS) / f"{name}.joblib")
            with tracking.child_run(f"baseline/{name}", {"model": name}) as child:
                tracking.log_params({"best": search.best_params_, "grid": search.param_grid})
                tracking.log_metrics({f"cv_{metric}_mean": mean, f"cv_{metric}_std": std})
                tracking.log_metrics(test_metrics, prefix="test_")
                uri = tracking.log_sklearn_model(model, name, X_train)
            write_candidate(
                Candidate(
                    name=name,
                    stage="baseline",
                    complexity=COMPLEXITY[name],
                    selected=name == selected,
                    cv_metric=metric,
                    cv_mean=mean,
                    cv_std=std,
                    model_path=str(paths.BASELINE_MODELS / f"{name}.joblib"),
                    run_id=child.info.run_id,
                    details={
                        "best_params": search.best_params_,
                        "model_uri": uri,
                        "selection": reason if name == selected else "",
                    },
                    tracking_uri=tracking.tracking_uri(params),
                ),
                predictions[name],
            )
        write_json(paths.BASELINE_METRICS, summary)
        write_csv(paths.BASELINE_CV_RESULTS, _cv_table(searches, metric))
        plot_files = write_plots(paths.BASELINE_PLOTS, predictions, selected, task, positive)
        tracking.log_metrics(
            {f"{name}/test_{k}": v for name in searches for k, v in summary[name]["test"].items()}
        )
        tracking.set_tags({"selected": selected, "selection_reason": reason})
        tracking.log_artifacts(paths.BASELINE_METRICS, paths.BASELINE_CV_RESULTS)
        tracking.log_artifacts(*plot_files, directory="plots")
    return {"metrics": paths.BASELINE_METRICS, "models": paths.BASELINE_MODELS}


def _cv_table(searches: dict[str, GridSearchCV], metric: str) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "model": name,
                "params": [str(p) for p in search.cv_results_["params"]],
                f"cv_{metric}_mean": sign(metric) * search.cv_results_["mean_test_score"],
                f"cv_{metric}_std": search.cv_results_["std_test_score"],
                "rank": search.cv_results_["rank_test_score"],
            }
        )
        for name, search in searches.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _mkdir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory
