"""Preprocessing shared by every model: one scikit-learn ColumnTransformer."""

from __future__ import annotations

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_preprocessor(sparse: bool = False) -> ColumnTransformer:
    """Return the unfitted preprocessing for a table of mixed columns.

    Numeric columns: mean imputation with a missing-indicator column, then standardisation.
    With the indicator, the fill value does not matter to a linear model (the indicator's
    coefficient absorbs it) nor to trees, and the mean is computed far faster than the
    median on large tables. Other columns (text, categories, booleans): one-hot encoding,
    missing values being a category of their own; categories unseen during ``fit`` are
    encoded as all zeros (``handle_unknown="ignore"``) instead of raising.

    With ``sparse=True`` the output is a SciPy sparse matrix whenever less than 30 % of it
    is non-zero (many one-hot columns): less memory and faster linear fits on large
    tables. Gradient-boosted trees need the dense output (the default).

    Columns are chosen by dtype when the transformer is fitted
    (:func:`sklearn.compose.make_column_selector`), so the same object serves any table.

    Returns
    -------
    ColumnTransformer
        Maps a DataFrame of shape (n_rows, n_columns) to an array (or, with ``sparse``, a
        sparse matrix) of shape (n_rows, n_numeric + n_indicators + n_one_hot).
    """
    numeric = make_pipeline(
        SimpleImputer(strategy="mean", add_indicator=True),
        StandardScaler(),
    )
    return ColumnTransformer(
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
