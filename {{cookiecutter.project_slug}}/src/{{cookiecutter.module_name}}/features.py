"""Preprocessing shared by every model: one scikit-learn ColumnTransformer."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_preprocessor() -> ColumnTransformer:
    """Return the unfitted preprocessing for a table of mixed columns.

    Numeric columns: median imputation (with a missing-indicator column) then
    standardisation. Other columns (text, categories, booleans): most-frequent imputation
    then one-hot encoding; categories unseen during ``fit`` are encoded as all zeros
    (``handle_unknown="ignore"``) instead of raising.

    Columns are chosen by dtype when the transformer is fitted
    (:func:`sklearn.compose.make_column_selector`), so the same object serves any table.

    Returns
    -------
    ColumnTransformer
        Maps a DataFrame of shape (n_rows, n_columns) to an array of shape
        (n_rows, n_numeric + n_indicators + n_one_hot).
    """
    numeric = make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True),
        StandardScaler(),
    )
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("categorical", categorical, make_column_selector(dtype_exclude="number")),
        ],
        verbose_feature_names_out=False,
    )
