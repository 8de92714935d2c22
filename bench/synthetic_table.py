"""A generated table for the scaling benchmark: 20 mixed columns and a binary target.

14 numeric columns (two with 5 % missing values, one heavy-tailed) and 6 categorical
columns (3 to 40 levels, one with 2 % missing), a binary target ``churned`` drawn from a
logistic model of 8 of the columns. The same ``rows`` and ``seed`` give the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "churned"
LEVELS = {"region": 5, "plan": 3, "channel": 8, "device": 4, "segment": 12, "city": 40}


def synthetic_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """Return a (rows x 21) DataFrame: 20 feature columns plus the target ``churned``.

    Parameters
    ----------
    rows : int
        Number of rows.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`.
    """
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(rows, 14)).astype(np.float32)
    numeric[:, 13] = rng.standard_t(2.0, size=rows)
    frame = pd.DataFrame(numeric.round(4), columns=[f"num_{i:02d}" for i in range(14)])
    for column in ("num_11", "num_12"):
        frame.loc[rng.random(rows) < 0.05, column] = np.nan
    codes = {name: rng.integers(0, k, size=rows) for name, k in LEVELS.items()}
    for name, k in LEVELS.items():
        labels = np.array([f"{name}_{i}" for i in range(k)], dtype=object)
        frame[name] = labels[codes[name]]
    frame.loc[rng.random(rows) < 0.02, "city"] = None
    logit = (
        numeric[:, :6] @ np.array([0.9, -0.7, 0.5, 0.4, -0.3, 0.2])
        + 0.6 * (codes["plan"] == 2)
        - 0.4 * (codes["channel"] % 3 == 0)
        - 0.5
    )
    frame[TARGET] = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return frame
