"""Stage ``baseline``: the mandatory classical models, tuned on train, scored held out.

Three models: a dummy floor (which ignores the features), a regularised linear model (the
glass box) and histogram gradient-boosted trees; the last two share one preprocessing
(:func:`..features.build_preprocessor`, sparse one-hot columns for the linear model).
Each is tuned by grid search with k-fold cross-validation on the training split only,
all on the same folds; rows with identical feature values stay in one fold
(:func:`..groups.group_folds`). The baseline is the simplest model whose mean CV score is
within one standard error of the best one (the one-standard-error rule of Breiman,
Friedman, Olshen & Stone, *Classification and Regression Trees*, 1984, section 3.4.3, and
Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning*, 2nd ed., 2009,
section 7.10), the standard error taken of the paired per-fold differences
(:func:`select_baseline`); the test split never takes part. Binary tasks: the selected
baseline's labels are the positive class from a probability threshold tuned on
cross-validated training predictions
(``baseline.threshold_metric``, scikit-learn's ``TunedThresholdClassifierCV``); the other
models keep 0.5 (:func:`_thresholded` says why).

Small tables have no test split (:mod:`..evaluation`): the training split is every row,
each model's whole tuning (and threshold) runs again inside every training fold of the
split stage's repeated cross-validation (:func:`refit_on_fold`), and its out-of-fold
predictions are its candidate predictions; the saved model is the one tuned on all rows.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer
from sklearn.model_selection import GridSearchCV, TunedThresholdClassifierCV
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from .. import paths, tracking
from ..candidates import Candidate, predict_test, write_candidate
from ..config import BaselineParams, Params
from ..data import features_and_target, read_splits
from ..errors import StageError
from ..evaluation import out_of_fold, read_plan, score
from ..explain import fold_share, held_out_importance
from ..features import build_preprocessor
from ..groups import Fold, feature_groups, group_folds
from ..metrics import cv_scorer, positive_class, positive_class_note, sign
from ..outputs import clear, write_csv, write_json
from ..plots import write_plots
from ..targets import show

#: Simpler models first; ties go to the simpler one.
COMPLEXITY = {"dummy": 0, "linear": 1, "hgb": 2}


def build_searches(
    task: str, p: BaselineParams, scoring: Any, folds: list[Fold]
) -> dict[str, GridSearchCV]:
    """Return one unfitted grid search per baseline model, all on the same ``folds``.

    ``dummy`` and ``linear`` always; ``hgb`` unless ``baseline.hgb.enabled`` is false.
    ``folds`` are (train, test) row positions (:func:`make_folds`).
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
    else:
        models = {
            "dummy": (DummyClassifier(strategy=p.dummy.strategy, random_state=p.seed), {}),
            "linear": (LogisticRegression(max_iter=p.linear.max_iter), {"C": p.linear.C}),
            "hgb": (
                HistGradientBoostingClassifier(max_iter=p.hgb.max_iter, random_state=p.seed),
                {},
            ),
        }
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


def make_folds(X: pd.DataFrame, y: pd.Series, task: str, p: BaselineParams) -> list[Fold]:
    """The ``baseline.cv_folds`` seeded folds every search and the threshold tuning share.

    Rows with identical feature values stay in one fold (:func:`..groups.group_folds`:
    ``StratifiedGroupKFold`` for classes, ``GroupKFold`` for regression).

    Parameters
    ----------
    X : DataFrame of shape (n_train, n_features)
    y : Series of shape (n_train,)
    task : {"binary", "multiclass", "regression"}
    p : BaselineParams
        ``cv_folds`` and ``seed``.

    Returns
    -------
    list of (train, test) pairs of ndarray
        ``p.cv_folds`` pairs of row positions of ``X``.

    Raises
    ------
    StageError
        If ``X`` has fewer distinct feature vectors than ``baseline.cv_folds``.
    """
    classification = task != "regression"
    try:
        return group_folds(
            feature_groups(X), y, classification=classification, n_splits=p.cv_folds, seed=p.seed
        )
    except ValueError as exc:
        raise StageError(
            f"the training split cannot make baseline.cv_folds ({p.cv_folds}) folds that keep "
            f"identical rows together: {exc}; lower baseline.cv_folds or add data"
        ) from exc


def select_baseline(fold_scores: dict[str, np.ndarray], direction: float = 1.0) -> tuple[str, str]:
    """Pick the simplest model within one standard error of the best mean CV score.

    The one-standard-error rule (Breiman et al., *Classification and Regression Trees*,
    1984, section 3.4.3; Hastie, Tibshirani & Friedman, *The Elements of Statistical
    Learning*, 2nd ed., 2009, section 7.10): among the models whose mean CV score is no more
    than one standard error below the best model's, take the simplest (:data:`COMPLEXITY`).
    Every model is scored on the same folds, so the standard error is that of the mean of
    the paired per-fold differences ``d_k = best_k - model_k`` over the K folds,
    ``std(d, ddof=1) / sqrt(K)``: the fold-to-fold variation that all models share cancels
    out, and ``ddof=1`` is the unbiased variance estimate (ddof=0 understates the standard
    error by a factor ``sqrt(K / (K - 1))``, 1.12 with 5 folds). A model is kept when
    ``mean(d) <= std(d, ddof=1) / sqrt(K)``.

    Parameters
    ----------
    fold_scores : dict of str to array of shape (n_folds,)
        Scorer values (larger is better) per model and fold, the folds in the same order
        for every model.
    direction : float, default=1.0
        -1 for loss metrics, whose scorer values are negated: turns them back in the reason.

    Returns
    -------
    name : str
    reason : str

    Raises
    ------
    ValueError
        If the models do not have the same number of folds, or fewer than two.

    Notes
    -----
    Each model's score is the best over its grid, which is optimistic by an amount that
    grows with the grid (the dummy has no grid); nested cross-validation would remove this
    bias (Varma & Simon, *BMC Bioinformatics* 7:91, 2006) at ``cv_folds`` times the cost.
    The rule leans towards the simpler model, which partly offsets it. Folds are not
    independent (their training sets overlap), so the standard error is itself approximate
    (Bengio & Grandvalet, *JMLR* 5, 2004): it is a guide to parsimony, not a test.

    Examples
    --------
    >>> best = np.array([0.80, 0.85, 0.90, 0.95, 1.00])
    >>> select_baseline({"linear": best - 0.02, "hgb": best})[0]
    'hgb'
    """
    scores = {name: np.asarray(values, dtype=float) for name, values in fold_scores.items()}
    lengths = {len(values) for values in scores.values()}
    if len(lengths) != 1 or min(lengths) < 2:
        raise ValueError(f"every model needs the same number (>= 2) of fold scores; got {lengths}")
    best = max(scores, key=lambda name: (scores[name].mean(), -COMPLEXITY.get(name, 99)))
    gaps = {}
    for name, values in scores.items():
        diff = scores[best] - values
        gaps[name] = (float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff))))
    chosen = min((n for n, (gap, se) in gaps.items() if gap <= se), key=COMPLEXITY.get)
    mean = float(scores[best].mean())
    if chosen == best:
        return chosen, f"{chosen} has the best mean CV score ({direction * mean:.4f})"
    gap, se = gaps[chosen]
    return chosen, (
        f"{chosen} ({direction * scores[chosen].mean():.4f}) is within one standard error of "
        f"the best, {best} ({direction * mean:.4f}): paired per-fold difference {gap:.4f}, "
        f"standard error {se:.4f}; and simpler"
    )


def tune_threshold(
    model: Pipeline, X: pd.DataFrame, y: pd.Series, *, positive: str, metric: str, folds: Any
) -> TunedThresholdClassifierCV | None:
    """Choose a binary model's decision threshold on cross-validated training predictions.

    Parameters
    ----------
    model : Pipeline
        The tuned (unfitted or fitted) pipeline; it is cloned.
    X : DataFrame of shape (n_train, n_features)
    y : Series of shape (n_train,)
    positive : str
        The positive class: its probability is thresholded.
    metric : {"f1", "balanced_accuracy"}
        What the threshold maximises (F1 of the positive class, or balanced accuracy),
        averaged over ``folds`` on a grid of 100 thresholds.
    folds : cross-validation splitter or list of (train, test) pairs
        The folds the grid search used (:func:`make_folds`).

    Returns
    -------
    TunedThresholdClassifierCV or None
        Fitted, refitted on all of ``X``; ``best_threshold_`` is the threshold (a probability
        in [0, 1]) and ``predict`` labels rows at it. None when the model's probabilities
        are the same for every row in a fold (no threshold separates them): it keeps 0.5.
    """
    # The scorer's pos_label is the class whose probability the tuner thresholds.
    score = f1_score if metric == "f1" else _balanced_accuracy
    tuned = TunedThresholdClassifierCV(
        model,
        scoring=make_scorer(score, pos_label=positive, zero_division=0.0),
        response_method="predict_proba",
        cv=folds,
        refit=True,
        store_cv_results=False,
    )
    with threadpool_limits(limits=1, user_api="openmp"):
        try:
            return tuned.fit(X, y)
        except ValueError as exc:
            if "constant predictions" not in str(exc):
                raise
            return None


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
        its best params; all cross-validated on the same :func:`make_folds`, whose list is
        each search's ``cv``.

    Notes
    -----
    Each fit runs on one OpenMP thread (threadpoolctl): on a busy machine, OpenMP threads of
    several processes spinning for the same cores slow gradient boosting down by orders of
    magnitude. Parallelism comes from ``baseline.n_jobs`` worker processes instead.
    """
    searches = build_searches(task, params, scoring, make_folds(X, y, task, params))
    with threadpool_limits(limits=1, user_api="openmp"):
        for search in searches.values():
            search.fit(X, y)
    return searches


def refit_on_fold(
    search: GridSearchCV,
    X: pd.DataFrame,
    y: pd.Series,
    *,
    task: str,
    params: BaselineParams,
    positive: str | None,
    tune: bool,
) -> Any:
    """Run one model's whole tuning on a training fold: the nested step of resampling.

    Parameters
    ----------
    search : GridSearchCV
        The model's search as :func:`build_searches` made it (cloned, not refitted).
    X : DataFrame of shape (n_fold_train, n_features)
    y : Series of shape (n_fold_train,)
    task : str
    params : BaselineParams
        Inner folds (``cv_folds``, grouped as :func:`make_folds`) and threshold metric.
    positive : str or None
    tune : bool
        Tune the decision threshold inside the fold too (the model whose saved version
        has a tuned threshold).

    Returns
    -------
    estimator
        The best pipeline refitted on ``X`` (inside a threshold tuner when ``tune``).
    """
    folds = make_folds(X, y, task, params)
    fitted = clone(search).set_params(cv=folds, n_jobs=1)
    with threadpool_limits(limits=1, user_api="openmp"):
        fitted.fit(X, y)
    if not tune:
        return fitted.best_estimator_
    assert positive is not None and params.threshold_metric is not None
    tuned = tune_threshold(
        fitted.best_estimator_, X, y, positive=positive, metric=params.threshold_metric, folds=folds
    )
    return fitted.best_estimator_ if tuned is None else tuned


def run(params: Params) -> dict[str, Path]:
    """Tune, select and score the baseline models; write models, candidates, metrics, plots.

    Nothing is written until every model is fitted, so a failure leaves no partial models.
    """
    task, metric, target = params.data.task, params.compare.primary_metric, params.data.target
    train, test = read_splits()
    plan = read_plan()
    X_train, y_train = features_and_target(train, target, task)
    scope = "out_of_fold" if plan.resampled else "test"
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
        fold_scores = {
            name: np.array(
                [
                    s.cv_results_[f"split{k}_test_score"][s.best_index_]
                    for k in range(params.baseline.cv_folds)
                ]
            )
            for name, s in searches.items()
        }
        selected, reason = select_baseline(fold_scores, sign(metric))
        models, thresholds = _thresholded(
            searches, selected, X_train, y_train, positive, params.baseline
        )
        importance = partial(
            held_out_importance,
            scoring=cv_scorer(metric, task, positive),
            seed=params.explain.seed,
        )
        if plan.resampled:
            print(f"baseline: scoring by {plan.describe()}")
            share = partial(
                importance,
                repeats=fold_share(params.explain.importance_repeats, plan.folds),
                max_rows=fold_share(params.explain.max_rows, plan.folds),
            )
            predictions, importances = {}, {}
            for name, search in searches.items():
                predictions[name], importances[name] = out_of_fold(
                    partial(
                        refit_on_fold,
                        search,
                        task=task,
                        params=params.baseline,
                        positive=positive,
                        tune=hasattr(models[name], "best_threshold_"),
                    ),
                    X_train,
                    y_train,
                    train[paths.ROW_ID],
                    pd.read_parquet(paths.FOLDS),
                    classes,
                    params.baseline.n_jobs,
                    inspect=share,
                )
        else:
            assert test is not None
            X_test, y_test = features_and_target(test, target, task)
            predictions = {
                name: predict_test(models[name], X_test, test[paths.ROW_ID], y_test, classes)
                for name in searches
            }
            with threadpool_limits(limits=1, user_api="openmp"):
                importances = {
                    name: importance(
                        models[name],
                        X_test,
                        y_test,
                        repeats=params.explain.importance_repeats,
                        max_rows=params.explain.max_rows,
                    )
                    for name in searches
                }
        # Every model is fitted: only now replace the previous run's outputs.
        clear(paths.BASELINE_MODELS, paths.BASELINE_CANDIDATES, paths.BASELINE_PLOTS)
        summary: dict[str, Any] = {"selected": selected}
        if positive is not None:
            summary["positive_class"] = positive  # the class f1 and roc_auc count as positive
        for name, search in searches.items():
            model = models[name]
            mean, std = sign(metric) * cv_scores[name][0], cv_scores[name][1]
            test_metrics = score(predictions[name], task, positive)
            threshold, threshold_note = thresholds.get(name, (None, ""))
            summary[name] = {
                f"cv_{metric}_mean": mean,
                f"cv_{metric}_std": std,
                **({"threshold": threshold} if threshold is not None else {}),
                scope: test_metrics,
            }
            joblib.dump(model, _mkdir(paths.BASELINE_MODELS) / f"{name}.joblib")
            with tracking.child_run(f"baseline/{name}", {"model": name}) as child:
                tracking.log_params({"best": search.best_params_, "grid": search.param_grid})
                tracking.log_metrics({f"cv_{metric}_mean": mean, f"cv_{metric}_std": std})
                if threshold is not None:
                    tracking.log_metrics({"threshold": threshold})
                    tracking.set_tags({"threshold_choice": threshold_note})
                tracking.log_metrics(test_metrics, prefix=f"{scope}_")
                tracking.log_sklearn_model(model, name, X_train)
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
                    run_id="",
                    record_id=child.record_id,
                    details={
                        "best_params": search.best_params_,
                        "selection": reason if name == selected else "",
                        **({"threshold_choice": threshold_note} if threshold_note else {}),
                    },
                    tracking_uri=tracking.tracking_uri(params),
                    threshold=threshold,
                ),
                predictions[name],
                importances[name],
            )
        summary["evaluation"] = plan.method
        write_json(paths.BASELINE_METRICS, summary)
        write_csv(paths.BASELINE_CV_RESULTS, _cv_table(searches, metric))
        plot_files = write_plots(
            paths.BASELINE_PLOTS,
            predictions,
            selected,
            task,
            positive,
            "out of fold" if plan.resampled else "test split",
        )
        tracking.log_metrics(
            {f"{name}/{scope}_{k}": v for name in searches for k, v in summary[name][scope].items()}
        )
        tracking.log_metrics({f"{name}/threshold": t for name, (t, _) in thresholds.items()})
        tracking.set_tags({"selected": selected, "selection_reason": reason})
        tracking.log_artifacts(paths.BASELINE_METRICS, paths.BASELINE_CV_RESULTS)
        tracking.log_artifacts(*plot_files, directory="plots")
    return {"metrics": paths.BASELINE_METRICS, "models": paths.BASELINE_MODELS}


def _balanced_accuracy(y_true: Any, y_pred: Any, pos_label: str, zero_division: float) -> float:
    """``balanced_accuracy_score``, taking the arguments that tell the tuner the positive class."""
    return float(balanced_accuracy_score(y_true, y_pred))


def _thresholded(
    searches: dict[str, GridSearchCV],
    selected: str,
    X: pd.DataFrame,
    y: pd.Series,
    positive: str | None,
    p: BaselineParams,
) -> tuple[dict[str, Any], dict[str, tuple[float, str]]]:
    """The models to save and, for binary tasks, each one's threshold and how it was chosen.

    Only the selected baseline (the reference ``compare`` starts from) gets a tuned
    threshold: tuning costs ``cv_folds + 1`` more fits, which for the trees would slow the
    stage by about half. The others keep 0.5, and their cards say so. The dummy keeps 0.5
    in any case: its probabilities are the same for every row, so any threshold labels
    every row alike. ``baseline.threshold_metric: null`` keeps 0.5 for all.
    """
    models: dict[str, Any] = {name: s.best_estimator_ for name, s in searches.items()}
    if positive is None:
        return models, {}
    thresholds = {}
    for name, search in searches.items():
        if name == "dummy" or name != selected or p.threshold_metric is None:
            if name == "dummy":
                why = "the dummy's probabilities are the same for every row"
            elif p.threshold_metric is None:
                why = "baseline.threshold_metric is null"
            else:
                why = f"only the selected baseline, {selected}, is tuned"
            thresholds[name] = (0.5, f"fixed at 0.5 ({why})")
            continue
        tuned = tune_threshold(
            search.best_estimator_,
            X,
            y,
            positive=positive,
            metric=p.threshold_metric,
            folds=search.cv,
        )
        if tuned is None:
            thresholds[name] = (
                0.5,
                "fixed at 0.5 (its probabilities are the same for every row of a fold: no "
                "threshold separates them)",
            )
            continue
        models[name] = tuned
        thresholds[name] = (
            float(tuned.best_threshold_),
            f"maximises {p.threshold_metric} of cross-validated training predictions",
        )
    return models, thresholds


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
