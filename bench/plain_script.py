"""The floor: the pipeline's modelling work as one plain script, no tracking and no DVC.

It does what validate, split, baseline and compare do for a classification project, the
way a careful data scientist would write it in one file: read the CSV with the same
settings, apply the expectation suite's checks with pandas, split with the same seed,
tune the same three models with the same folds and grids behind the same preprocessing,
pick one by the one-standard-error rule and score everyone on the test split. What it
leaves out is what the pipeline adds: MLflow runs, DVC bookkeeping, the bootstrap,
reports, plots and the model card.

Usage: ``python bench/plain_script.py <baked project folder>``; prints the test metrics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
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


def main(project: Path) -> dict[str, dict[str, float]]:
    """Run the floor on a baked classification project; return test metrics per model."""
    params = yaml.safe_load((project / "params.yaml").read_text())
    data, base = params["data"], params["baseline"]
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
    X_train, X_test, y_train, y_test = train_test_split(
        X,
        y,
        test_size=params["split"]["test_size"],
        random_state=params["split"]["seed"],
        stratify=y,
    )
    folds = StratifiedKFold(base["cv_folds"], shuffle=True, random_state=base["seed"])
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
    positive = data["positive_class"] or sorted(y.unique())[-1]
    searches = {}
    with threadpool_limits(limits=1, user_api="openmp"):
        for name, (model, grid) in models.items():
            steps = (
                [("model", model)]
                if name == "dummy"
                else [("pre", preprocessor()), ("model", model)]
            )
            searches[name] = GridSearchCV(
                Pipeline(steps),
                {f"model__{k}": v for k, v in grid.items()},
                scoring="roc_auc",
                cv=folds,
                n_jobs=base["n_jobs"],
            ).fit(X_train, y_train)
    scores = {n: s.cv_results_ for n, s in searches.items()}
    best = max(searches, key=lambda n: searches[n].best_score_)
    i = searches[best].best_index_
    threshold = scores[best]["mean_test_score"][i] - scores[best]["std_test_score"][i] / np.sqrt(
        base["cv_folds"]
    )
    selected = next(n for n in searches if searches[n].best_score_ >= threshold)
    metrics = {}
    for name, search in searches.items():
        proba = search.predict_proba(X_test)
        column = list(search.classes_).index(positive)
        metrics[name] = {
            "roc_auc": roc_auc_score(y_test == positive, proba[:, column]),
            "accuracy": accuracy_score(y_test, search.predict(X_test)),
            "f1": f1_score(y_test, search.predict(X_test), pos_label=positive),
            "log_loss": log_loss(y_test, proba, labels=search.classes_),
        }
    metrics["selected"] = selected
    return metrics


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
