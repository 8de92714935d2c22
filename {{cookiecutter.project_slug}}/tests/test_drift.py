"""Drift of a batch against the training split: PSI, KS and unseen categories."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.config import PredictParams
from {{ cookiecutter.module_name }}.drift import drift_table, psi

DEFAULTS = PredictParams()


def test_psi_is_zero_for_equal_shares_and_matches_the_formula():
    assert psi(np.array([10, 20, 70]), np.array([1, 2, 7])) == pytest.approx(0.0)
    # Shares 0.5/0.5 against 0.2/0.8: 0.3 * ln(0.8 / 0.5) - 0.3 * ln(0.2 / 0.5).
    expected = 0.3 * np.log(0.8 / 0.5) - 0.3 * np.log(0.2 / 0.5)
    assert psi(np.array([50, 50]), np.array([20, 80])) == pytest.approx(expected)


def frames(shift: float, rows: int = 500, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    train = pd.DataFrame(
        {
            "x": rng.normal(size=2000),
            "colour": pd.Series(rng.choice(["red", "blue"], 2000), dtype="str"),
        }
    )
    batch = pd.DataFrame(
        {
            "x": rng.normal(loc=shift, size=rows),
            "colour": pd.Series(rng.choice(["red", "blue"], rows), dtype="str"),
        }
    )
    return train, batch


def test_a_sample_of_the_same_distribution_is_stable_and_a_shift_is_flagged():
    table = drift_table(*frames(0.0), ["x"], DEFAULTS).set_index("column")
    assert not table["drift"].any()
    assert table.loc["x", "psi"] < 0.05
    shifted = drift_table(*frames(1.0), ["x"], DEFAULTS).set_index("column")
    assert shifted.loc["x", "drift"]
    assert shifted.loc["x", "psi"] > DEFAULTS.drift_psi_threshold
    assert shifted.loc["x", "ks_pvalue"] < 1e-6
    assert not shifted.loc["colour", "drift"]


def test_unseen_categories_and_a_blank_column_are_flagged():
    train, batch = frames(0.0)
    batch.loc[:99, "colour"] = "green"  # 20 % of the rows
    batch["x"] = np.nan
    table = drift_table(train, batch, ["x"], DEFAULTS).set_index("column")
    assert table.loc["colour", "unseen_share"] == pytest.approx(0.2)
    assert "never seen in training" in table.loc["colour", "reason"]
    assert table.loc["x", "drift"] and table.loc["x", "missing_batch"] == 1.0


def test_a_one_row_batch_is_not_judged_for_shifts_but_unseen_values_still_count():
    train, batch = frames(3.0, rows=1)
    table = drift_table(train, batch, ["x"], DEFAULTS).set_index("column")
    assert not table.loc["x", "drift"]
    assert "too few rows" in table.loc["x", "reason"]
    batch["colour"] = "green"
    assert drift_table(train, batch, ["x"], DEFAULTS).set_index("column").loc["colour", "drift"]
