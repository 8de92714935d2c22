"""Rare classes: the metrics that see them, the tuned threshold and the metric warning."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from {{ cookiecutter.module_name }}.candidates import predict_test
from {{ cookiecutter.module_name }}.imbalance import metric_warning, rare_classes
from {{ cookiecutter.module_name }}.metrics import evaluate
from {{ cookiecutter.module_name }}.plots import precision_recall_points
from {{ cookiecutter.module_name }}.stages.baseline import tune_threshold


def _table(y_true: list[str], p_yes: list[float], y_pred: list[str]) -> pd.DataFrame:
    p = np.array(p_yes)
    return pd.DataFrame(
        {
            "row_id": range(len(p)),
            "y_true": y_true,
            "y_pred": y_pred,
            "proba_no": 1 - p,
            "proba_yes": p,
        }
    )


def test_average_precision_and_balanced_accuracy_see_the_rare_class():
    # Positives ranked 1st and 3rd: precision 1/1 and 2/3 at recalls 1/2 and 1, AP = 5/6.
    # Labels: recall of "yes" 1/2, of "no" 3/3: balanced accuracy 0.75 while accuracy is 0.8.
    frame = _table(
        ["yes", "no", "yes", "no", "no"],
        [0.9, 0.8, 0.7, 0.2, 0.1],
        ["yes", "no", "no", "no", "no"],
    )
    metrics = evaluate(frame, "binary", "yes")
    assert metrics["average_precision"] == pytest.approx(5 / 6)
    assert metrics["balanced_accuracy"] == pytest.approx(0.75)
    assert metrics["accuracy"] == pytest.approx(0.8)


def test_the_precision_recall_points_follow_the_positive_class():
    frame = _table(["yes", "no", "yes", "no"], [0.9, 0.8, 0.7, 0.1], ["yes"] * 4)
    points = precision_recall_points(frame, "yes")
    assert points["recall"].is_monotonic_increasing
    assert points["precision"].iloc[-1] == pytest.approx(2 / 3)  # all of recall 1 at 0.7
    assert set(points["positive_class"]) == {"yes"}


def test_a_rare_class_is_named_with_its_share():
    y = pd.Series(["no"] * 96 + ["yes"] * 4)
    assert rare_classes(y) == {"yes": 0.04}
    assert rare_classes(pd.Series(["a", "b"] * 50)) == {}


@pytest.mark.parametrize("metric", ["accuracy", "f1"])
def test_a_label_metric_on_a_rare_class_warns_naming_roc_auc(metric):
    y = pd.Series(["no"] * 96 + ["yes"] * 4)
    advice = metric_warning(y, "binary", metric)
    assert advice is not None
    assert "'yes' 4.0%" in advice and "compare.primary_metric to roc_auc" in advice
    assert "0.96 accuracy" in advice


def test_the_advised_metric_and_balanced_classes_raise_no_warning():
    rare = pd.Series(["no"] * 96 + ["yes"] * 4)
    assert metric_warning(rare, "binary", "roc_auc") is None
    assert metric_warning(pd.Series(["no", "yes"] * 50), "binary", "accuracy") is None


def test_a_tuned_threshold_lifts_f1_of_a_rare_positive_class():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 3)), columns=["a", "b", "c"])
    logit = -4.2 + 1.5 * X["a"] - 1.0 * X["b"]
    y = pd.Series(np.where(rng.random(2000) < 1 / (1 + np.exp(-logit)), "yes", "no"))
    train, test = slice(0, 1500), slice(1500, 2000)
    model = make_pipeline(LogisticRegression())
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    tuned = tune_threshold(model, X[train], y[train], positive="yes", metric="f1", folds=folds)
    assert 0.05 < tuned.best_threshold_ < 0.45
    fixed = model.fit(X[train], y[train])
    classes = ["no", "yes"]
    rows = pd.Series(range(500))
    at_half = evaluate(predict_test(fixed, X[test], rows, y[test], classes), "binary", "yes")
    at_tuned = evaluate(predict_test(tuned, X[test], rows, y[test], classes), "binary", "yes")
    assert at_tuned["f1"] > at_half["f1"] + 0.1
    assert at_tuned["roc_auc"] == pytest.approx(at_half["roc_auc"])  # same probabilities
