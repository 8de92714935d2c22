"""Preprocessing shared by every model: column types as in training, then one ColumnTransformer."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted


class ColumnTypes(TransformerMixin, BaseEstimator):
    """Give every column the type it had in training, whatever a new batch looks like.

    A batch read from a file or sent to a served model may hold a column that is blank in
    every row (read as float64 NaN), a text column whose values all look like numbers
    (read as integers), or None instead of NaN. Without this step such a batch crashes
    inside the encoder or meets a column selector that picks it by the wrong type. In
    ``transform`` the columns seen in ``fit`` are taken in their order (others are
    dropped); numeric columns become float64 and text columns pandas' ``str`` dtype,
    missing values (None, NaN, pd.NA) staying missing. Other columns (booleans) pass
    unchanged.

    Attributes
    ----------
    feature_names_in_ : ndarray of str, shape (n_features,)
    numeric_, text_ : list of str
        Columns cast to float64 and to text.

    Raises
    ------
    KeyError
        In ``transform``, if a column seen in ``fit`` is absent.
    ValueError
        In ``transform``, if a numeric column holds text that is not a number.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> ColumnTypes:
        """Record the columns of ``X`` (n_rows x n_features) and their kinds."""
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.numeric_ = [
            str(c)
            for c in X.columns
            if pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c])
        ]
        self.text_ = [
            str(c)
            for c in X.columns
            if pd.api.types.is_string_dtype(X[c]) and str(c) not in self.numeric_
        ]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return ``X``'s training columns (n_rows x n_features) with their training types."""
        check_is_fitted(self)
        frame = X[list(self.feature_names_in_)].copy()
        for column in self.numeric_:
            if frame[column].dtype != "float64":
                numbers = pd.to_numeric(frame[column], errors="coerce").astype("float64")
                bad = frame[column][numbers.isna() & frame[column].notna()]
                if len(bad):
                    raise ValueError(
                        f"column {column!r} holds numbers in training but {len(bad)} value(s) "
                        f"that are not numbers here, e.g. {bad.iloc[0]!r}"
                    )
                frame[column] = numbers
        for column in self.text_:
            if frame[column].dtype != "str":
                frame[column] = frame[column].astype("str")
        return frame

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The training columns, in order (the step renames nothing)."""
        check_is_fitted(self)
        return self.feature_names_in_.copy()


def build_preprocessor(sparse: bool = False) -> Pipeline:
    """Return the unfitted preprocessing for a table of mixed columns.

    First :class:`ColumnTypes` (each column's training type), then one
    ``ColumnTransformer``. Numeric columns: mean imputation with a missing-indicator
    column, then standardisation. With the indicator, the fill value does not matter to a
    linear model (the indicator's coefficient absorbs it) nor to trees, and the mean is
    computed far faster than the median on large tables. Other columns (text, categories,
    booleans): one-hot encoding, missing values being a category of their own; categories
    unseen during ``fit`` are encoded as all zeros (``handle_unknown="ignore"``) instead
    of raising.

    With ``sparse=True`` the output is a SciPy sparse matrix whenever less than 30 % of it
    is non-zero (many one-hot columns): less memory and faster linear fits on large
    tables. Gradient-boosted trees need the dense output (the default).

    Columns are chosen by dtype when the transformer is fitted
    (:func:`sklearn.compose.make_column_selector`), so the same object serves any table.

    Returns
    -------
    Pipeline
        Steps ``columns`` and ``encode``; maps a DataFrame of shape (n_rows, n_columns) to
        an array (or, with ``sparse``, a sparse matrix) of shape
        (n_rows, n_numeric + n_indicators + n_one_hot).
    """
    numeric = make_pipeline(
        SimpleImputer(strategy="mean", add_indicator=True),
        StandardScaler(),
    )
    encode = ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=sparse),
                make_column_selector(dtype_exclude="number"),
            ),
        ],
        sparse_threshold=0.3 if sparse else 0.0,
        verbose_feature_names_out=False,
    )
    return Pipeline([("columns", ColumnTypes()), ("encode", encode)])
