"""The floor: the pipeline's modelling work as one plain script, no tracking and no DVC.

It does what validate, split, baseline and compare do for a classification project, the
way a careful data scientist would write it in one file: read the CSV with the same
settings, apply the expectation suite's checks with pandas, then score the same three
models, tuned with the same grids behind the same preprocessing, the way the pipeline
scores them:

- tables of ``split.resample_below_rows`` rows or more: one seeded holdout split, each
  model tuned by grid search on the training split, the one-standard-error pick, the
  pick's decision threshold tuned (``TunedThresholdClassifierCV``), all scored on the test
  split;
- smaller tables (the bundled breast-cancer table): the same tuning on all rows (the model
  one would keep), then every model's whole tuning again inside each training fold of
  repeated k-fold cross-validation (``split.resample_repeats`` x ``split.resample_folds``,
  nested cross-validation), the picked model's threshold tuned inside each fold too, and
  the out-of-fold predictions scored; folds run on ``baseline.n_jobs`` worker processes,
  as in the pipeline.

What it leaves out is what the pipeline adds: MLflow runs, DVC bookkeeping, leakage
checks, permutation importance, the statistics of the comparison, reports, plots and the
model card.

Usage: ``python bench/plain_script.py <baked project folder>``; prints the metrics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, make_scorer, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    RepeatedStratifiedKFold,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    train_test_split,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits


def check(frame: pd.DataFrame, suite: dict) -> list[str]:
    """Evaluate the suite's expectations with pandas; return the failed ones."""
    failed = []
    for expectation in suite["expectations"]:
        kind, kw = expectation["type"], expectation["kwargs"]
        values = frame[kw["column"]] if "column" in kw else None
        if kind == "expect_table_columns_to_match_set":
            ok = set(frame.columns) == set(kw["column_set"])
        elif kind == "expect_table_row_count_to_be_between":
            ok = kw.get("min_value", 0) <= len(frame) <= kw.get("max_value", np.inf)
        elif kind == "expect_column_values_to_not_be_null":
            ok = values.notna().mean() >= kw.get("mostly", 1.0)
        elif kind == "expect_column_values_to_be_between":
            ok = values.dropna().between(kw.get("min_value"), kw.get("max_value")).all()
        elif kind == "expect_column_values_to_be_in_set":
            ok = values.dropna().isin(kw["value_set"]).all()
        elif kind == "expect_column_unique_value_count_to_be_between":
            ok = kw.get("min_value", 0) <= values.nunique() <= kw.get("max_value", np.inf)
        else:  # type expectations: pandas' dtype is the type
            ok = True
        if not ok:
            failed.append(f"{kind} {kw.get('column', '')}")
    return failed


def preprocessor() -> ColumnTransformer:
    """The same preprocessing as the project's features.py."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler()),
                make_column_selector(dtype_include="number"),
            ),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude="number"),
            ),
        ],
        verbose_feature_names_out=False,
    )


def searches_for(base: dict, folds: StratifiedKFold) -> dict[str, GridSearchCV]:
    """One unfitted grid search per model (dummy, linear, hgb if enabled), on ``folds``."""
    hgb = base["hgb"]
    models = {
        "dummy": (DummyClassifier(strategy=base["dummy"]["strategy"]), {}),
        "linear": (
            LogisticRegression(max_iter=base["linear"]["max_iter"]),
            {"C": base["linear"]["C"]},
        ),
    }
    if hgb.get("enabled", True):
        models["hgb"] = (
            HistGradientBoostingClassifier(max_iter=hgb["max_iter"], random_state=base["seed"]),
            {key: hgb[key] for key in ("learning_rate", "max_leaf_nodes", "l2_regularization")},
        )
    return {
        name: GridSearchCV(
            Pipeline(
                [("model", model)]
                if name == "dummy"
                else [("pre", preprocessor()), ("model", model)]
            ),
            {f"model__{k}": v for k, v in grid.items()},
            scoring="roc_auc",
            cv=folds,
            n_jobs=1,
        )
        for name, (model, grid) in models.items()
    }


def one_standard_error(searches: dict[str, GridSearchCV], n_folds: int) -> str:
    """The first (simplest) model within one standard error of the best mean CV score."""
    best = max(searches, key=lambda n: searches[n].best_score_)
    results, i = searches[best].cv_results_, searches[best].best_index_
    bar = results["mean_test_score"][i] - results["std_test_score"][i] / np.sqrt(n_folds)
    return next(n for n in searches if searches[n].best_score_ >= bar)


def fit_and_tune(
    search: GridSearchCV, X: pd.DataFrame, y: pd.Series, positive: str, tune: bool
) -> object:
    """Tune ``search`` on (X, y); with ``tune``, also its decision threshold (F1)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        fitted = clone(search).fit(X, y)
        if not tune:
            return fitted
        return TunedThresholdClassifierCV(
            fitted.best_estimator_,
            scoring=make_scorer(f1_score, pos_label=positive, zero_division=0.0),
            cv=search.cv,
        ).fit(X, y)


def scores(model: object, X: pd.DataFrame, y: pd.Series, positive: str) -> dict[str, float]:
    """Primary and secondary metrics of a fitted classifier on held-out rows."""
    proba = model.predict_proba(X)
    column = list(model.classes_).index(positive)
    labels = model.predict(X)
    return {
        "roc_auc": roc_auc_score(y == positive, proba[:, column]),
        "accuracy": accuracy_score(y, labels),
        "f1": f1_score(y, labels, pos_label=positive),
        "log_loss": log_loss(y, proba, labels=model.classes_),
    }


def nested_fold(
    search: GridSearchCV,
    X: pd.DataFrame,
    y: pd.Series,
    train: np.ndarray,
    test: np.ndarray,
    base: dict,
    positive: str,
    tune: bool,
) -> dict[str, float]:
    """The whole tuning on one outer training fold, scored on its held-out fold."""
    inner = StratifiedKFold(base["cv_folds"], shuffle=True, random_state=base["seed"])
    model = fit_and_tune(
        clone(search).set_params(cv=inner), X.iloc[train], y.iloc[train], positive, tune
    )
    return scores(model, X.iloc[test], y.iloc[test], positive)


def main(project: Path) -> dict[str, object]:
    """Run the floor on a baked classification project; return metrics per model."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    data, base, split = params["data"], params["baseline"], params["split"]
    frame = pd.read_csv(
        project / data["path"],
        sep=data["sep"],
        encoding=data["encoding"],
        decimal=data["decimal"],
        na_values=data["na_values"] or None,
    )
    failed = check(frame, json.loads((project / params["validate"]["suite"]).read_text()))
    target = frame[data["target"]]
    if failed or target.isna().any() or frame.duplicated().any():
        sys.exit(f"data checks failed: {failed}")
    X, y = frame.drop(columns=[data["target"], *data["drop_columns"]]), target.astype(str)
    positive = data["positive_class"] or sorted(y.unique())[-1]
    resampled = len(frame) < split["resample_below_rows"]
    if not resampled:
        X, X_test, y, y_test = train_test_split(
            X, y, test_size=split["test_size"], random_state=split["seed"], stratify=y
        )
    folds = StratifiedKFold(base["cv_folds"], shuffle=True, random_state=base["seed"])
    searches = searches_for(base, folds)
    for search in searches.values():
        search.set_params(n_jobs=base["n_jobs"])
    with threadpool_limits(limits=1, user_api="openmp"):
        for search in searches.values():
            search.fit(X, y)
    selected = one_standard_error(searches, base["cv_folds"])
    tune = base.get("threshold_metric") is not None
    models = {
        name: fit_and_tune(search, X, y, positive, tune) if name == selected and tune else search
        for name, search in searches.items()
    }
    metrics: dict[str, object] = {"selected": selected}
    if not resampled:
        for name, model in models.items():
            metrics[name] = scores(model, X_test, y_test, positive)
        return metrics
    outer = RepeatedStratifiedKFold(
        n_splits=split["resample_folds"],
        n_repeats=split["resample_repeats"],
        random_state=split["seed"],
    )
    for name, search in searches.items():
        per_fold = Parallel(n_jobs=base["n_jobs"])(
            delayed(nested_fold)(
                search, X, y, train, test, base, positive, tune and name == selected
            )
            for train, test in outer.split(X, y)
        )
        metrics[name] = pd.DataFrame(per_fold).mean().to_dict()
    return metrics


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
