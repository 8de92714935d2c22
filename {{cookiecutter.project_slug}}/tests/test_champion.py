"""The decision rules of compare, on prediction tables whose truth is known."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.candidates import Candidate
from {{ cookiecutter.module_name }}.champion import (
    NO_MODEL_BEATS_GUESSING,
    choose_champion,
    compare_challengers,
    deciding,
    perfect_scores,
    threshold,
)
from {{ cookiecutter.module_name }}.check import verdict as gate
from {{ cookiecutter.module_name }}.config import CompareParams, load_params
from {{ cookiecutter.module_name }}.stats import (
    BETTER,
    BETTER_BELOW_THRESHOLD,
    NO_DIFFERENCE,
    WORSE,
    Interval,
    detectable_gain,
    verdict,
)

RMSE = CompareParams(
    primary_metric="rmse",
    min_gain=0.02,
    bootstrap_resamples=1000,
    confidence=0.95,
    seed=0,
    register_champion=False,
)


def _candidate(name: str, stage: str, complexity: int) -> Candidate:
    return Candidate(name, stage, complexity, True, "rmse", 1.0, 0.1, "m", "run", {})


def _regression_frames(noise: dict[str, float], rows: int = 3000, scale: float = 1.0):
    """Predictions ``y + e`` with independent normal errors of the given standard deviation,
    so each model's true RMSE is its noise level (times ``scale``)."""
    rng = np.random.default_rng(0)
    y = rng.normal(0, 5, rows)
    return {
        name: pd.DataFrame({"y_true": y * scale, "y_pred": (y + rng.normal(0, sd, rows)) * scale})
        for name, sd in noise.items()
    }


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (0.02, 0.08, BETTER),
        (0.004, 0.03, BETTER_BELOW_THRESHOLD),
        (-0.01, 0.03, NO_DIFFERENCE),
        (-0.05, -0.002, WORSE),
        (0.0, 0.02, NO_DIFFERENCE),  # a lower bound of exactly zero is no evidence
    ],
)
def test_an_interval_gets_one_of_four_verdicts(lower, upper, expected):
    interval = Interval((lower + upper) / 2, lower, upper, 0.95, se=0.01)
    assert verdict(interval, threshold=0.01) == expected


def test_the_detectable_gain_is_the_one_sided_z_test_minimum_effect():
    # (z_0.975 + z_0.8) * se = (1.959964 + 0.841621) * 0.01
    assert detectable_gain(0.01, 0.95) == pytest.approx(0.0280159, abs=1e-6)
    assert detectable_gain(0.01, 0.975) == pytest.approx(0.0308302, abs=1e-6)


def test_thresholds_in_target_units_are_fractions_and_unit_free_ones_absolute():
    assert threshold(0.02, "rmse", 250.0) == pytest.approx(5.0)
    assert threshold(0.02, "mae", -4.0) == pytest.approx(0.08)
    assert threshold(0.01, "roc_auc", 0.8) == 0.01


def test_an_mlp_as_good_as_the_trees_does_not_displace_them_for_beating_the_linear_model():
    frames = _regression_frames({"linear": 1.0, "hgb": 0.6, "mlp": 0.6})
    found = compare_challengers(frames, ["mlp"], ["linear", "hgb"], "regression", RMSE, None)
    by_opponent = {c.opponent: c for c in found["mlp"]}
    assert by_opponent["linear"].verdict == BETTER
    assert by_opponent["hgb"].verdict == NO_DIFFERENCE
    assert deciding(found["mlp"]).opponent == "hgb"
    champion, reason = choose_champion(
        _candidate("linear", "baseline", 1), [_candidate("mlp", "deep", 3)], found, RMSE
    )
    assert champion == "linear"
    assert "deciding comparison: mlp against hgb: not significantly different" in reason
    assert "this test split detects, with 80% power, only gains of" in reason


def test_a_challenger_that_beats_every_classical_model_is_promoted_with_its_deciding_rival():
    frames = _regression_frames({"linear": 1.0, "hgb": 0.8, "mlp": 0.5})
    found = compare_challengers(frames, ["mlp"], ["linear", "hgb"], "regression", RMSE, None)
    champion, reason = choose_champion(
        _candidate("linear", "baseline", 1), [_candidate("mlp", "deep", 3)], found, RMSE
    )
    assert champion == "mlp"
    assert "deciding comparison: mlp against hgb: significantly better by at least" in reason
    assert "2.0% of hgb's rmse" in reason


def test_a_significant_gain_below_min_gain_is_named_as_such():
    rng = np.random.default_rng(0)
    y, error = rng.normal(0, 5, 3000), rng.normal(0, 1, 3000)
    # The MLP makes the linear model's errors, 1 % smaller: a sure gain, below 2 %.
    frames = {
        "linear": pd.DataFrame({"y_true": y, "y_pred": y + error}),
        "mlp": pd.DataFrame({"y_true": y, "y_pred": y + 0.99 * error}),
    }
    (found,) = compare_challengers(frames, ["mlp"], ["linear"], "regression", RMSE, None)["mlp"]
    assert found.verdict == BETTER_BELOW_THRESHOLD
    assert found.interval.gain == pytest.approx(0.01 * found.opponent_value)
    assert 0 < found.interval.lower < found.threshold == pytest.approx(0.02 * found.opponent_value)


def test_multiplying_the_target_by_1000_changes_no_decision():
    noise = {"linear": 1.0, "hgb": 0.9, "mlp": 0.85}
    decisions = []
    for scale in (1.0, 1000.0):
        frames = _regression_frames(noise, scale=scale)
        found = compare_challengers(frames, ["mlp"], ["linear", "hgb"], "regression", RMSE, None)
        champion, _ = choose_champion(
            _candidate("linear", "baseline", 1), [_candidate("mlp", "deep", 3)], found, RMSE
        )
        decisions.append((champion, [(c.opponent, c.verdict) for c in found["mlp"]]))
        assert found["mlp"][0].threshold == pytest.approx(0.02 * found["mlp"][0].opponent_value)
    assert decisions[0] == decisions[1]


def test_a_dummy_reference_is_reported_as_no_model_beating_guessing():
    champion, reason = choose_champion(_candidate("dummy", "baseline", 0), [], {}, RMSE)
    assert champion == "dummy"
    assert reason.startswith(NO_MODEL_BEATS_GUESSING)


def test_perfect_test_scores_are_found_for_gains_and_losses():
    assert perfect_scores({"linear": 1.0, "hgb": 0.97}, "roc_auc") == ["linear"]
    assert perfect_scores({"linear": 0.0, "hgb": 1e-3}, "rmse") == ["linear"]


def test_the_regression_gate_is_scale_free_for_rmse(project):
    params = load_params()
    params = params.model_copy(
        update={
            "compare": params.compare.model_copy(update={"primary_metric": "rmse"}),
            "check": params.check.model_copy(update={"max_loss": 0.02}),
        }
    )
    below = {"lower": -4.0, "upper": -0.5, "confidence": 0.95}
    for scale in (1.0, 1000.0):
        interval = {k: v * scale if k != "confidence" else v for k, v in below.items()}
        assert gate(params, 100.0 * scale, 101.5 * scale, interval).startswith("pass")
        failed = gate(params, 100.0 * scale, 103.0 * scale, interval)
        assert failed.startswith("regression") and "(2.0% of the reference's rmse" in failed
