"""Stage ``baseline``: the mandatory classical models, tuned on train, scored on test.

Three models share one preprocessing (:func:`..features.build_preprocessor`): a dummy
floor, a regularised linear model (the glass box) and histogram gradient-boosted trees.
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

from .. import paths, tracking
from ..candidates import Candidate, predictions_frame, write_candidate
from ..config import BaselineParams, Params
from ..data import features_and_target
from ..features import build_preprocessor
from ..metrics import cv_scorer, evaluate, positive_class, sign
from ..outputs import write_csv, write_json
from ..plots import write_plots

#: Simpler models first; ties go to the simpler one.
COMPLEXITY = {"dummy": 0, "linear": 1, "hgb": 2}


def build_searches(task: str, p: BaselineParams, scoring: Any) -> dict[str, GridSearchCV]:
    """Return one unfitted grid search per baseline model, all on the same folds."""
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
    return {
        name: GridSearchCV(
            Pipeline([("preprocess", build_preprocessor()), ("model", model)]),
            {f"model__{key}": values for key, values in grid.items()},
            scoring=scoring,
            cv=folds,
            n_jobs=p.n_jobs,
        )
        for name, (model, grid) in models.items()
    }


def select_baseline(cv_scores: dict[str, tuple[float, float]], n_folds: int) -> tuple[str, str]:
    """Pick the simplest model within one standard error of the best mean CV score.

    Parameters
    ----------
    cv_scores : dict of str to (mean, std)
        Scorer values (larger is better) per model over the folds.
    n_folds : int

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
        return chosen, f"{chosen} has the best mean CV score ({mean:.4f})"
    return chosen, (
        f"{chosen} ({cv_scores[chosen][0]:.4f}) is within one standard error of the best, "
        f"{best} ({mean:.4f} - {std / np.sqrt(n_folds):.4f}), and simpler"
    )


def run(params: Params) -> dict[str, Path]:
    """Tune, select and score the baseline models; write models, candidates, metrics, plots."""
    task, metric = params.data.task, params.compare.primary_metric
    train, test = pd.read_parquet(paths.TRAIN), pd.read_parquet(paths.TEST)
    X_train, y_train = features_and_target(train, params.data.target, task)
    X_test, y_test = features_and_target(test, params.data.target, task)
    classes = sorted(y_train.unique()) if task != "regression" else None
    positive = positive_class(classes, params.data.positive_class) if task == "binary" else None
    searches = build_searches(task, params.baseline, cv_scorer(metric, task, positive))
    predictions, cv_scores, runs, uris = {}, {}, {}, {}
    with tracking.stage_run("baseline", params):
        for name, search in searches.items():
            search.fit(X_train, y_train)
            joblib.dump(search.best_estimator_, _mkdir(paths.BASELINE_MODELS) / f"{name}.joblib")
            best = search.best_index_
            cv_scores[name] = (
                float(search.cv_results_["mean_test_score"][best]),
                float(search.cv_results_["std_test_score"][best]),
            )
            model = search.best_estimator_
            proba = model.predict_proba(X_test) if classes else None
            predictions[name] = predictions_frame(
                test[paths.ROW_ID], y_test, model.predict(X_test), proba, classes
            )
            with tracking.child_run(f"baseline/{name}", {"model": name}) as child:
                tracking.log_params({"best": search.best_params_, "grid": search.param_grid})
                tracking.log_metrics(
                    {
                        f"cv_{metric}_mean": sign(metric) * cv_scores[name][0],
                        f"cv_{metric}_std": cv_scores[name][1],
                    }
                )
                tracking.log_metrics(evaluate(predictions[name], task, positive), prefix="test_")
                uris[name] = tracking.log_sklearn_model(model, name, X_train)
                runs[name] = child.info.run_id
        selected, reason = select_baseline(cv_scores, params.baseline.cv_folds)
        summary: dict[str, Any] = {"selected": selected}
        for name, search in searches.items():
            mean, std = cv_scores[name]
            test_metrics = evaluate(predictions[name], task, positive)
            summary[name] = {
                f"cv_{metric}_mean": sign(metric) * mean,
                f"cv_{metric}_std": std,
                "test": test_metrics,
            }
            write_candidate(
                Candidate(
                    name=name,
                    stage="baseline",
                    complexity=COMPLEXITY[name],
                    selected=name == selected,
                    cv_metric=metric,
                    cv_mean=sign(metric) * mean,
                    cv_std=std,
                    model_path=str(paths.BASELINE_MODELS / f"{name}.joblib"),
                    run_id=runs[name],
                    details={
                        "best_params": search.best_params_,
                        "model_uri": uris[name],
                        "selection": reason if name == selected else "",
                    },
                ),
                predictions[name],
            )
        write_json(paths.BASELINE_METRICS, summary)
        write_csv(paths.BASELINE_CV_RESULTS, _cv_table(searches, metric))
        plot_files = write_plots(paths.BASELINE_PLOTS, predictions, selected, task, positive)
        tracking.log_metrics(
            {
                f"{name}/test_{key}": value
                for name in searches
                for key, value in summary[name]["test"].items()
            }
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
