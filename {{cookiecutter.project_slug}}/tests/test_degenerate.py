"""Degenerate results are said out loud (zero width, few minority rows, constant models)."""

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.degenerate import (
    constant_predictions,
    evaluation_basis,
    few_minority_rows,
    zero_width,
)
from {{ cookiecutter.module_name }}.evaluation import Plan
from {{ cookiecutter.module_name }}.stats import Interval, corrected_resampled_t

HOLDOUT = Plan("holdout", rows=32, test_size=0.2)
RESAMPLED = Plan("resampled", rows=32, folds=4, repeats=2)


def _predictions(truth: list[str], positive_proba: list[float], folds: int = 0) -> pd.DataFrame:
    proba = np.asarray(positive_proba)
    frame = pd.DataFrame(
        {
            "row_id": np.arange(len(truth)),
            "y_true": truth,
            "y_pred": np.where(proba >= 0.5, "1", "0"),
            "proba_0": 1 - proba,
            "proba_1": proba,
        }
    )
    if folds:
        frame.insert(1, "fold", np.arange(len(truth)) % folds)
        frame.insert(1, "repeat", 0)
    return frame


def test_a_zero_width_interval_is_named_with_advice_that_fits_the_evaluation():
    flat = Interval(gain=1.0, lower=1.0, upper=1.0, confidence=0.95)
    wide = Interval(gain=0.8, lower=0.6, upper=0.95, confidence=0.95)
    notices = zero_width({"linear's roc_auc": flat, "hgb's gain": wide}, HOLDOUT)
    assert len(notices) == 1 and "linear's roc_auc has zero width" in notices[0]
    assert "not certainty" in notices[0]
    assert "dvc exp run -S split.resample_below_rows=33" in notices[0]
    resampled = zero_width({"x": {"lower": 0.0, "upper": 0.0}}, RESAMPLED)
    assert "split.resample_repeats" in resampled[0]


def test_every_fold_scoring_alike_gives_zero_width_and_varying_folds_do_not():
    assert corrected_resampled_t(np.full(10, 0.5), 0.25, 0.95).upper == 0.5
    varying = corrected_resampled_t(np.array([0.5, 0.7, 0.6, 0.9]), 0.25, 0.95)
    assert varying.upper - varying.lower > 0.1


def test_too_few_rows_of_the_rarest_class_are_named_with_the_count():
    seven = _predictions(["0"] * 5 + ["1"] * 2, [0.2] * 5 + [0.8] * 2)
    (notice,) = few_minority_rows(seven, 10, HOLDOUT)
    assert "only 2 of class '1'" in notice and "compare.min_minority_rows: 10" in notice
    assert few_minority_rows(seven, 2, HOLDOUT) == []


def test_constant_probabilities_and_constant_labels_are_flagged_but_not_for_the_dummy():
    truth = ["0", "1"] * 6
    frames = {
        "dummy": _predictions(truth, [0.5] * 12),
        "linear": _predictions(truth, [0.4] * 12),
        "hgb": _predictions(truth, [0.1, 0.3] * 6),
        "fine": _predictions(truth, [0.2, 0.8] * 6),
    }
    notices = constant_predictions(frames, "binary")
    assert len(notices) == 2
    assert notices[0].startswith("Warning: linear predicts the same probabilities for every")
    assert "no better than the dummy by construction" in notices[0]
    assert notices[1].startswith("Warning: hgb labels every row '0' on the test split")


def test_out_of_fold_constant_models_are_counted_per_fold():
    truth = ["0", "1"] * 8
    proba = [0.3] * 8 + [0.2] * 4 + [0.7] * 4  # fold = row % 4: each fold gets 0.2 and 0.7
    notices = constant_predictions({"linear": _predictions(truth, proba, folds=4)}, "binary")
    assert notices == []
    flat = constant_predictions({"linear": _predictions(truth, [0.3] * 16, folds=4)}, "binary")
    assert "in 4 of 4 folds" in flat[0]


def test_the_basis_states_rows_classes_and_effective_folds():
    holdout = evaluation_basis(_predictions(["0", "1", "1"], [0.1, 0.9, 0.8]), "binary")
    assert holdout == "3 test rows (1: 2, 0: 1), each scored once"
    resampled = evaluation_basis(_predictions(["0", "1"] * 8, [0.3] * 16, folds=4), "binary")
    assert resampled.startswith("all 16 rows (0: 8, 1: 8), each scored once out of fold")
    assert "4 fold scores" in resampled and "3 degrees of freedom" in resampled
