"""The paired statistics agree with scikit-learn and scipy on known cases."""

import numpy as np
import pytest
from sklearn.metrics import f1_score, log_loss, r2_score, roc_auc_score

from {{ cookiecutter.module_name }}.candidates import Candidate
from {{ cookiecutter.module_name }}.champion import Comparison, choose_champion
from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.stats import (
    Interval,
    Prepared,
    delong,
    mcnemar,
    paired_bootstrap,
    resample_counts,
    verdict,
    weighted_metric,
)

RNG = np.random.default_rng(0)
TRUTH = RNG.integers(0, 3, 300)
PROBA = RNG.dirichlet([1, 1, 1], 300)
PROBA[np.arange(300), TRUTH] += 0.6
PROBA /= PROBA.sum(axis=1, keepdims=True)
MODEL = Prepared(TRUTH, PROBA.argmax(axis=1), PROBA)
ONE_RESAMPLE = np.ones((1, 300), dtype=np.float32)


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        ("roc_auc", roc_auc_score(TRUTH, PROBA, multi_class="ovr")),
        ("f1", f1_score(TRUTH, PROBA.argmax(axis=1), average="macro")),
        ("log_loss", log_loss(TRUTH, PROBA)),
    ],
)
def test_weighted_metrics_with_unit_weights_equal_scikit_learn(metric, expected):
    assert weighted_metric(metric, "multiclass")(MODEL)(ONE_RESAMPLE)[0] == pytest.approx(expected)


def test_weighted_r2_equals_scikit_learn():
    y = RNG.normal(size=50)
    pred = y + RNG.normal(size=50)
    value = weighted_metric("r2", "regression")(Prepared(y, pred, None))(np.ones((1, 50)))
    assert value[0] == pytest.approx(r2_score(y, pred))


def test_stratified_resamples_keep_each_class_size_and_fit_in_batches():
    strata = np.array([0] * 7 + [1] * 3)
    batches = list(resample_counts(strata, 25, seed=1, max_cells=100))
    counts = np.vstack(batches)
    assert counts.shape == (25, 10) and len(batches) == 3
    assert (counts[:, :7].sum(axis=1) == 7).all() and (counts[:, 7:].sum(axis=1) == 3).all()


def test_bootstrap_and_delong_agree_on_a_clear_auc_gain():
    truth = RNG.integers(0, 2, 2000)
    weak, strong = RNG.random(2000) + 0.3 * truth, RNG.random(2000) + 0.6 * truth
    a = Prepared(truth, (weak > 0.6).astype(int), np.c_[1 - weak, weak])
    b = Prepared(truth, (strong > 0.6).astype(int), np.c_[1 - strong, strong])
    boot = paired_bootstrap(
        a,
        {"strong": b, "same": a},
        weighted_metric("roc_auc", "binary", positive=1),
        truth,
        greater_is_better=True,
        n_resamples=500,
        confidence={"strong": 0.95, "same": 0.9},
        seed=0,
    )
    check = delong(truth == 1, weak, strong, 0.95)
    assert boot["strong"].gain == pytest.approx(check.gain)
    assert boot["strong"].lower > 0 and check.lower > 0
    assert boot["strong"].lower == pytest.approx(check.lower, abs=0.01)
    assert boot["same"] == Interval(gain=0.0, lower=0.0, upper=0.0, confidence=0.9, se=0.0)
    assert boot["strong"].se == pytest.approx(check.se, rel=0.15)


def test_weighted_auc_with_ties_equals_scikit_learn_on_a_resample():
    truth = RNG.integers(0, 2, 400)
    scores = np.round(RNG.random(400) + 0.5 * truth, 1)  # many ties
    model = Prepared(truth, (scores > 0.7).astype(int), np.c_[1 - scores, scores])
    counts = next(resample_counts(truth, 1, seed=3))
    rows = np.repeat(np.arange(400), counts[0].astype(int))
    expected = roc_auc_score(truth[rows], scores[rows])
    auc = weighted_metric("roc_auc", "binary", positive=1)(model)(counts)[0]
    assert auc == pytest.approx(expected)


def test_identical_models_never_disagree_in_mcnemar():
    correct = MODEL.pred == TRUTH
    assert mcnemar(correct, correct) == (0, 0, 1.0)


def _candidate(name, stage, complexity):
    return Candidate(name, stage, complexity, True, "roc_auc", 0.9, 0.01, "m", "run", {})


def _against_linear(gain, lower, upper, min_gain):
    interval = Interval(gain, lower, upper, 0.95, se=0.008)
    return {
        "mlp": [
            Comparison("mlp", "linear", interval, 0.9, min_gain, verdict(interval, min_gain), 0.02)
        ]
    }


def test_a_challenger_below_min_gain_leaves_the_simpler_champion(project):
    p = load_params().compare
    champion, reason = choose_champion(
        _candidate("linear", "baseline", 1),
        [_candidate("mlp", "deep", 3)],
        _against_linear(0.004, -0.011, 0.019, p.min_gain),
        p,
    )
    assert champion == "linear"
    assert "gain +0.0040" in reason and "[-0.0110, +0.0190]" in reason
    assert "not significantly different" in reason and "only gains of +0.0200" in reason


def test_a_challenger_whose_lower_bound_clears_min_gain_becomes_champion(project):
    p = load_params().compare
    champion, reason = choose_champion(
        _candidate("linear", "baseline", 1),
        [_candidate("mlp", "deep", 3)],
        _against_linear(0.08, p.min_gain + 0.01, 0.1, p.min_gain),
        p,
    )
    assert champion == "mlp"
    assert "one-sided tests at level 0.025" in reason


def test_corrected_resampled_t_widens_the_naive_t_interval_by_the_overlap_term():
    from scipy import stats

    from {{ cookiecutter.module_name }}.stats import corrected_resampled_t, effective_folds

    values = RNG.normal(0.02, 0.03, 10)
    corrected = corrected_resampled_t(values, 0.25, 0.95)
    naive = stats.t.interval(0.95, 9, loc=values.mean(), scale=stats.sem(values))
    ratio = (corrected.upper - corrected.lower) / (naive[1] - naive[0])
    # Nadeau & Bengio (2003): variance (1/J + n2/n1) s^2 instead of s^2 / J.
    assert ratio == pytest.approx(np.sqrt((1 / 10 + 0.25) / (1 / 10)))
    assert corrected.gain == pytest.approx(values.mean())
    assert effective_folds(10, 0.25) == pytest.approx(1 / 0.35)
