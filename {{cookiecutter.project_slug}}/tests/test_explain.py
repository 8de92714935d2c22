"""Explanations on generated tables whose truth is known, with the baseline's real models.

Each table has a column built to raise the target (``strong``), a category whose level
``red`` raises it too, and a column of pure noise, for every task. The linear model must
give ``strong`` and ``colour=red`` positive coefficients, permutation importance on held-out
rows must rank ``strong`` above ``noise`` for the linear model and the trees, partial
dependence must rise with ``strong``; a calibrated model must score a lower Brier score
than a miscalibrated one.
"""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import BaselineParams, DummyParams, HGBParams, LinearParams
from {{ cookiecutter.module_name }}.explain import (
    MISSING,
    brier,
    coefficients,
    encoded_columns,
    held_out_importance,
    partial_dependence_table,
    reliability,
    sample_rows,
    summarise_importance,
)
from {{ cookiecutter.module_name }}.metrics import cv_scorer
from {{ cookiecutter.module_name }}.stages.baseline import fit_baseline

ROWS = 1200
TASKS = ["binary", "multiclass", "regression"]
METRIC = {"binary": "roc_auc", "multiclass": "roc_auc", "regression": "rmse"}


def known_table(task: str, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """``strong`` and ``colour == "red"`` raise the target; ``noise`` does nothing.

    Binary: the target is ``"yes"`` with probability sigmoid(2 strong + red), ``"no"``
    otherwise. Multiclass: the score picks ``"high"`` over ``"mid"`` over ``"low"``.
    Regression: 3 strong + 2 red + noise. ``weak`` has missing values.
    """
    rng = np.random.default_rng(seed)
    strong, noise = rng.normal(size=ROWS), rng.normal(size=ROWS)
    colour = rng.choice(["red", "green", "blue"], size=ROWS)
    weak = np.where(rng.random(ROWS) < 0.1, np.nan, rng.normal(size=ROWS))
    X = pd.DataFrame({"strong": strong, "noise": noise, "colour": colour, "weak": weak})
    X["count"] = rng.integers(0, 10, size=ROWS)  # an integer column: no signal either
    X["colour"] = X["colour"].astype("str")
    score = 2 * strong + (colour == "red")
    if task == "regression":
        y = pd.Series(3 * strong + 2 * (colour == "red") + rng.normal(size=ROWS), name="y")
    elif task == "binary":
        y = pd.Series(np.where(rng.random(ROWS) < 1 / (1 + np.exp(-score)), "yes", "no"))
    else:
        noisy = score + rng.logistic(size=ROWS)
        y = pd.Series(np.select([noisy < -1, noisy < 1], ["low", "mid"], "high"))
    return X, y


def baseline_params(task: str) -> BaselineParams:
    classification = task != "regression"
    return BaselineParams(
        cv_folds=3,
        seed=0,
        threshold_metric=None,
        dummy=DummyParams(strategy="prior" if classification else "mean"),
        linear=LinearParams(C=[1.0]) if classification else LinearParams(alpha=[1.0]),
        hgb=HGBParams(
            learning_rate=[0.1], max_leaf_nodes=[15], l2_regularization=[0.0], max_iter=50
        ),
    )


@pytest.fixture(scope="module", params=TASKS)
def fitted(request: pytest.FixtureRequest):
    """(task, models, held-out X, held-out y): the baseline fitted on 2/3 of a known table."""
    task = request.param
    X, y = known_table(task)
    cut = 2 * ROWS // 3
    positive = "yes" if task == "binary" else None
    searches = fit_baseline(
        X.iloc[:cut],
        y.iloc[:cut],
        task=task,
        params=baseline_params(task),
        scoring=cv_scorer(METRIC[task], task, positive),
    )
    models = {name: s.best_estimator_ for name, s in searches.items()}
    return task, models, X.iloc[cut:], y.iloc[cut:]


def test_the_coefficient_of_a_feature_built_to_raise_the_target_is_positive(fitted) -> None:
    task, models, _, _ = fitted
    table = coefficients(models["linear"], task, positive="yes")
    weights = table.set_index("feature")
    if task == "multiclass":
        # The score raises "high" against "low".
        assert list(weights.columns[2:]) == [
            "coefficient_high",
            "coefficient_low",
            "coefficient_mid",
        ]
        raises = weights["coefficient_high"] - weights["coefficient_low"]
    else:
        raises = weights["coefficient"]
    assert raises["strong"] > 0 and raises["colour=red"] > 0
    assert abs(raises["noise"]) < abs(raises["strong"]) / 5
    assert table["feature"].iloc[0] == "strong"  # sorted by size
    assert set(table["feature"]) == {
        "strong",
        "noise",
        "weak",
        f"weak {MISSING}",
        "count",
        "colour=blue",
        "colour=green",
        "colour=red",
    }
    assert weights.loc["colour=red", "column"] == "colour"
    assert weights.loc["colour=red", "kind"] == "one-hot level"
    if task == "binary":
        np.testing.assert_allclose(weights["odds_ratio"], np.exp(weights["coefficient"]))


def test_the_positive_class_sets_the_sign_of_binary_coefficients(fitted) -> None:
    task, models, _, _ = fitted
    if task != "binary":
        pytest.skip("binary only")
    as_yes = coefficients(models["linear"], task, positive="yes").set_index("feature")
    as_no = coefficients(models["linear"], task, positive="no").set_index("feature")
    np.testing.assert_allclose(as_no["coefficient"], -as_yes["coefficient"])


@pytest.mark.parametrize("name", ["linear", "hgb"])
def test_permutation_importance_ranks_a_strong_feature_above_pure_noise(fitted, name) -> None:
    task, models, X, y = fitted
    positive = "yes" if task == "binary" else None
    scores = held_out_importance(
        models[name],
        X,
        y,
        scoring=cv_scorer(METRIC[task], task, positive),
        repeats=5,
        seed=0,
        max_rows=300,
    )
    assert (scores["rows"] == 300).all()
    summary = summarise_importance(scores).set_index("feature")
    assert summary["shuffles"].eq(5).all()
    assert summary.index[0] == "strong"
    strong, noise = summary.loc["strong"], summary.loc["noise"]
    assert strong["importance_mean"] - 2 * strong["importance_std"] > noise["importance_mean"]
    assert abs(noise["importance_mean"]) < 0.02 * (10 if task == "regression" else 1)


def test_the_dummy_relies_on_no_column(fitted) -> None:
    task, models, X, y = fitted
    positive = "yes" if task == "binary" else None
    scores = held_out_importance(
        models["dummy"],
        X,
        y,
        scoring=cv_scorer(METRIC[task], task, positive),
        repeats=2,
        seed=0,
        max_rows=100,
    )
    assert (scores["importance"] == 0).all()


@pytest.mark.parametrize("positive", ["yes", "no"])
def test_partial_dependence_rises_with_a_feature_that_raises_the_target(fitted, positive) -> None:
    task, models, X, _ = fitted
    table = partial_dependence_table(
        models["hgb"],
        X,
        ["strong", "colour", "count"],
        task,
        positive=positive,
        resolution=10,
        curves=7,
    )
    average = table[(table["curve"] == "average") & (table["feature"] == "strong")]
    if task == "multiclass":
        average = average[average["class"] == "high"]
    values = average["response"].to_numpy()
    rising = values[-1] - values[0]
    # The probability of "no" falls as strong raises "yes".
    assert rising < 0 if (task, positive) == ("binary", "no") else rising > 0
    # Original scale: the grid spans the 5th to 95th percentile of strong.
    grid = average["value"].astype(float)
    assert grid.min() == pytest.approx(np.quantile(X["strong"], 0.05))
    assert grid.max() == pytest.approx(np.quantile(X["strong"], 0.95))
    curves = table[(table["feature"] == "strong") & (table["curve"] != "average")]["curve"]
    assert curves.nunique() == 7
    levels = set(table[table["feature"] == "colour"]["value"])
    assert levels == {"red", "green", "blue"}
    kinds = table.groupby("feature")["kind"].first().to_dict()
    assert kinds == {"strong": "numeric", "colour": "categorical", "count": "numeric"}


def test_a_calibrated_model_scores_a_lower_brier_score_than_a_miscalibrated_one() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20_000)
    outcome = np.where(rng.random(p.size) < p, "yes", "no")

    def table(q: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"y_true": outcome, "proba_no": 1 - q, "proba_yes": q})

    calibrated, overconfident = table(p), table(np.clip(1.6 * (p - 0.5) + 0.5, 0, 1))
    assert brier(calibrated, "binary", "yes") < brier(overconfident, "binary", "yes") - 0.005
    curve = reliability(calibrated, "binary", "yes", bins=10)
    assert len(curve) == 10 and curve["rows"].sum() == p.size
    assert (curve["observed_frequency"] - curve["mean_predicted"]).abs().max() < 0.03
    off = reliability(overconfident, "binary", "yes", bins=10)
    assert (off["observed_frequency"] - off["mean_predicted"]).abs().max() > 0.1


def test_a_calibrated_multiclass_model_scores_a_lower_brier_score() -> None:
    rng = np.random.default_rng(1)
    classes = np.array(["a", "b", "c"])
    proba = rng.dirichlet([1.0, 1.0, 1.0], size=20_000)
    drawn = classes[(rng.random((len(proba), 1)) > proba.cumsum(axis=1)).sum(axis=1)]
    sharpened = proba**3 / (proba**3).sum(axis=1, keepdims=True)

    def table(q: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {"y_true": drawn, **{f"proba_{c}": q[:, i] for i, c in enumerate(classes)}}
        )

    assert brier(table(proba), "multiclass") < brier(table(sharpened), "multiclass") - 0.01
    top = reliability(table(proba), "multiclass", bins=10)
    assert (top["observed_frequency"] - top["mean_predicted"]).abs().max() < 0.05


def test_the_costly_parts_use_a_seeded_sample_of_a_large_test_split() -> None:
    first, again = sample_rows(100_000, 2000, 42), sample_rows(100_000, 2000, 42)
    assert len(first) == 2000 and np.array_equal(first, again)
    assert np.all(np.diff(first) > 0)  # sorted, no repeats
    assert not np.array_equal(first, sample_rows(100_000, 2000, 7))
    assert np.array_equal(sample_rows(500, 2000, 42), np.arange(500))
    # A class the sample would miss gets one of its rows back.
    labels = np.array(["common"] * 99_999 + ["rare"])
    kept = sample_rows(100_000, 2000, 42, labels)
    assert len(kept) == 2001 and 99_999 in kept
    assert np.array_equal(sample_rows(100_000, 2000, 42, np.array(["a", "b"] * 50_000)), first)


def test_importance_on_100000_test_rows_shuffles_a_sample_of_max_rows(fitted) -> None:
    task, models, X, y = fitted
    big = X.sample(100_000, replace=True, random_state=0)
    truth = y.loc[big.index].reset_index(drop=True)
    positive = "yes" if task == "binary" else None
    scores = held_out_importance(
        models["linear"],
        big.reset_index(drop=True),
        truth,
        scoring=cv_scorer(METRIC[task], task, positive),
        repeats=2,
        seed=3,
        max_rows=500,
    )
    assert set(scores["rows"]) == {500} and len(scores) == 2 * X.shape[1]


def test_encoded_column_names_follow_the_preprocessing(fitted) -> None:
    _, models, X, _ = fitted
    preprocess = models["linear"].named_steps["preprocess"]
    names = encoded_columns(preprocess)
    assert len(names) == preprocess.transform(X.head(3)).shape[1]
    assert names.groupby("column").size().to_dict() == {
        "colour": 3,
        "count": 1,
        "noise": 1,
        "strong": 1,
        "weak": 2,
    }
