"""The deep stage's justification gate and its MLP."""

import numpy as np
import pandas as pd
from conftest import edit_params

from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.stages.deep import fit_mlp, gate


def _splits(rows: int, text: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = pd.DataFrame(
        {"row_id": range(rows), "x": np.arange(rows, dtype=float), "y": ["a", "b"] * (rows // 2)}
    )
    if text:
        frame["note"] = "the customer wrote a long complaint about the delivery"
    return frame.iloc[: rows // 2], frame.iloc[rows // 2 :]


def test_auto_skips_a_small_table_and_says_why(project):
    trains, reason = gate(*_splits(100), "y", load_params().deep)
    assert not trains
    assert "100 rows < deep.min_rows" in reason


def test_auto_trains_on_enough_rows_or_text_like_columns(project):
    p = load_params().deep
    assert gate(*_splits(p.min_rows), "y", p)[0]
    trains, reason = gate(*_splits(100, text=True), "y", p)
    assert trains and "note" in reason


def test_policies_always_and_never_override_the_data(project):
    edit_params(project / "params.yaml", deep__policy="always")
    assert gate(*_splits(10), "y", load_params().deep)[0]
    edit_params(project / "params.yaml", deep__policy="never")
    assert not gate(*_splits(10_000), "y", load_params().deep)[0]


def test_the_mlp_predicts_class_labels_like_every_other_candidate(project):
    edit_params(project / "params.yaml", deep__max_epochs=2)
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    y = pd.Series(np.where(X[:, 0] > 0, "yes", "no"))
    assert set(fit_mlp(X, y, "binary", load_params().deep).predict(X)) <= {"yes", "no"}


def test_the_mlp_is_deterministic_for_a_seed(project):
    edit_params(project / "params.yaml", deep__max_epochs=5)
    p = load_params().deep
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = pd.Series(np.where(X[:, 0] > 0, "a", "b"))
    first = fit_mlp(X, y, "binary", p).predict_proba(X)
    second = fit_mlp(X, y, "binary", p).predict_proba(X)
    assert np.array_equal(first, second)
