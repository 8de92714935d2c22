"""Small tables: out-of-fold comparisons on tables whose truth is known, no mocks.

A table of 150 rows is scored by 2 x 5-fold cross-validation (:mod:`.evaluation`), and a
challenger is promoted by the corrected resampled t interval of its gain (Nadeau & Bengio,
Machine Learning 52, 2003; Bouckaert & Frank, PAKDD 2004). Here the true gain is zero by
construction, so every promotion is a false one: the rule must promote in at most 5 % of
200 repetitions, and its interval must cover the true gain at least about as often as it
claims.
The naive t interval (``s / sqrt(J)``, folds taken as independent) is measured beside it:
it covers far less, which is why the product does not use it.
"""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from {{ cookiecutter.module_name }}.candidates import Candidate
from {{ cookiecutter.module_name }}.champion import (
    champion_interval,
    choose_champion,
    compare_challengers,
)
from {{ cookiecutter.module_name }}.config import CompareParams
from {{ cookiecutter.module_name }}.evaluation import folds_table, held_out_ratio, out_of_fold
from {{ cookiecutter.module_name }}.groups import feature_groups, repeated_group_folds

AUC = CompareParams(
    primary_metric="roc_auc",
    min_gain=0.01,
    bootstrap_resamples=1000,
    confidence=0.95,
    seed=0,
    register_champion=False,
)
CLASSES = ["0", "1"]
FOLDS, REPEATS = 5, 2
ROWS, REPETITIONS = 150, 200
#: What each model sees: a shared feature, its own signal feature and its own noise column.
#: The target weighs x1 and x2 equally and the columns are exchangeable, so the two models
#: have the same true ROC AUC: the challenger's true gain is exactly 0.
REFERENCE_COLUMNS = ["x0", "x1", "noise1"]
CHALLENGER_COLUMNS = ["x0", "x2", "noise2"]
REFERENCE = Candidate("linear", "baseline", 1, True, "roc_auc", np.nan, np.nan, "m", "run", {})
CHALLENGER = Candidate("mlp", "deep", 3, True, "roc_auc", np.nan, np.nan, "m", "run", {})


def grades_table(seed: int = 7) -> pd.DataFrame:
    """32 students shaped like Spector & Mazzeo's teaching-method data (J. Econ. Educ. 1980).

    GPA, TUCE (a test score), PSI (taught by the new method, 0/1) and GRADE (improved,
    0/1, about a third of the rows), drawn from a logistic model; seeded.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "GPA": rng.uniform(2.0, 4.0, 32).round(2),
            "TUCE": rng.integers(12, 30, 32),
            "PSI": rng.integers(0, 2, 32),
        }
    )
    logit = -11 + 3.0 * frame["GPA"] + 0.08 * frame["TUCE"] + 2.4 * frame["PSI"]
    return frame.assign(GRADE=(rng.random(32) < 1 / (1 + np.exp(-logit))).astype(int))


def _fit_logistic(X: pd.DataFrame, y: pd.Series) -> LogisticRegression:
    # liblinear: on 120 rows and 3 columns it fits in a few milliseconds, lbfgs in ~30.
    return LogisticRegression(solver="liblinear").fit(X, y)


def _fit_scaled_logistic(X: pd.DataFrame, y: pd.Series):
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)


def _known_truth_table(seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """150 rows; ``y = 1`` when ``1.5 x0 + x1 + x2 + e > 0``, all standard normal."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(ROWS, 5)), columns=["x0", "x1", "x2", "noise1", "noise2"])
    latent = 1.5 * X["x0"] + X["x1"] + X["x2"] + rng.normal(size=ROWS)
    return X, (latent > 0).astype(int).astype(str)


def _out_of_fold_pair(seed: int) -> dict[str, pd.DataFrame]:
    """Out-of-fold predictions of both models on the same 2 x 5 folds of a fresh table."""
    X, y = _known_truth_table(seed)
    row_ids = pd.Series(np.arange(ROWS))
    folds = repeated_group_folds(
        feature_groups(X), y, classification=True, n_splits=FOLDS, n_repeats=REPEATS, seed=seed
    )
    table = folds_table(folds, row_ids.to_numpy(), FOLDS)
    return {
        name: out_of_fold(_fit_logistic, X[columns], y, row_ids, table, CLASSES, n_jobs=1)[0]
        for name, columns in (("linear", REFERENCE_COLUMNS), ("mlp", CHALLENGER_COLUMNS))
    }


def _naive_half_width(se: float, folds: int, ratio: float, confidence: float) -> float:
    """Half-width of the naive t interval, ``t * s / sqrt(J)``, from the corrected one's se.

    The corrected standard error is ``sqrt(1 / J + ratio) * s``
    (:func:`.stats.corrected_resampled_t`), so ``s`` is recovered without scoring the folds
    again (scoring is the slow part of each repetition).
    """
    s = se / np.sqrt(1 / folds + ratio)
    return float(stats.t.ppf(0.5 + confidence / 2, df=folds - 1) * s / np.sqrt(folds))


def test_no_true_gain_is_rarely_promoted_and_the_interval_covers_it():
    promoted, covered, covered_naive, widths = 0, 0, 0, []
    for repetition in range(REPETITIONS):
        frames = _out_of_fold_pair(seed=1000 + repetition)
        comparisons = compare_challengers(frames, ["mlp"], ["linear"], "binary", AUC, None)
        champion, _ = choose_champion(REFERENCE, [CHALLENGER], comparisons, AUC)
        promoted += champion == "mlp"
        (comparison,) = comparisons["mlp"]
        interval = comparison.interval  # one challenger: the level is confidence, 0.95
        assert comparison.basis == "cross-validation"
        assert interval.confidence == AUC.confidence
        covered += interval.lower <= 0.0 <= interval.upper
        widths.append(interval.upper - interval.lower)
        half = _naive_half_width(
            interval.se, FOLDS * REPEATS, held_out_ratio(frames["linear"]), AUC.confidence
        )
        covered_naive += abs(interval.gain) <= half
    rate, coverage, naive = (
        promoted / REPETITIONS,
        covered / REPETITIONS,
        covered_naive / REPETITIONS,
    )
    print(
        f"\n{ROWS} rows, {REPEATS} x {FOLDS}-fold CV, true ROC AUC gain 0, {REPETITIONS} "
        f"repetitions: promoted {promoted} ({rate:.1%}); coverage of the 95% interval: "
        f"corrected {coverage:.1%}, naive {naive:.1%}; mean width {np.mean(widths):.4f}"
    )
    assert rate <= 0.05  # no promotion in at least 95 % of the repetitions
    # The corrected interval is known to be conservative (Bouckaert & Frank 2004): measured
    # 98.5 % here, the naive one 84.5 %. The bound of 90 % leaves room for other seeds and
    # library versions, yet the naive interval fails it.
    assert coverage >= 0.90
    assert naive < 0.90 < coverage


def test_a_32_row_table_gets_an_interval_of_nonzero_width():
    data = grades_table()
    X, y = data[["GPA", "TUCE", "PSI"]], data["GRADE"].astype(str)
    row_ids = pd.Series(np.arange(len(data)))
    folds = repeated_group_folds(
        feature_groups(X), y, classification=True, n_splits=FOLDS, n_repeats=REPEATS, seed=0
    )
    table = folds_table(folds, row_ids.to_numpy(), FOLDS)
    frame, _ = out_of_fold(_fit_scaled_logistic, X, y, row_ids, table, CLASSES, n_jobs=1)
    assert len(frame) == REPEATS * len(data)
    interval = champion_interval(frame, "binary", AUC, None)
    print(
        f"\n32 rows: out-of-fold ROC AUC {interval.gain:.3f}, 95% interval "
        f"[{interval.lower:.3f}, {interval.upper:.3f}]"
    )
    assert 0.0 <= interval.lower < interval.gain < interval.upper <= 1.0
    assert interval.upper - interval.lower > 0.05  # 32 rows cannot pin a ROC AUC down
