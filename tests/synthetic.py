"""Generated tables whose truth is known, for the deep stage's promotion tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(X: np.ndarray, positive: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["label"] = np.where(positive, "yes", "no")
    return frame


def linear_table(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Logistic truth: a linear model is the right model; an MLP cannot do better."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 8))
    logit = X @ np.array([1.5, -1.0, 0.8, 0.5, 0.0, 0.0, -0.7, 0.3])
    return _frame(X, rng.random(rows) < 1 / (1 + np.exp(-logit)))


def interaction_table(rows: int = 5000, seed: int = 0) -> pd.DataFrame:
    """Sign of a sum of products of oblique projections: no linear model can express it,
    and axis-aligned trees need very many splits; a smooth MLP fits it well."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 10))
    P = X @ (rng.normal(size=(4, 10)) / np.sqrt(10)).T
    score = P[:, 0] * P[:, 1] + P[:, 2] * P[:, 3]
    return _frame(X, score + 0.1 * rng.normal(size=rows) > 0)


def irregular_table(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Heavy-tailed features (Student t, 1.5 d.f.), 17 of 20 uninformative, and a target
    that is a step function of three thresholds (5 % label noise): trees' home ground."""
    rng = np.random.default_rng(seed)
    X = rng.standard_t(1.5, size=(rows, 20))
    steps = (X[:, 0] > 0.5).astype(int) + (X[:, 1] > -0.3) + (X[:, 2] > 1.0)
    positive = steps >= 2
    return _frame(X, np.where(rng.random(rows) < 0.05, ~positive, positive))
