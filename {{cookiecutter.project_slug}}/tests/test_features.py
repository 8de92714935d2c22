"""The shared preprocessing imputes, scales and one-hot encodes."""

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.module_name }}.features import ColumnTypes, build_preprocessor


def test_missing_values_are_imputed_and_flagged():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0], "colour": ["red", None, "blue"]})
    out = build_preprocessor().fit_transform(frame)
    assert not np.isnan(out).any()
    # x, x missing-indicator, colour=blue, colour=red, colour missing
    assert out.shape == (3, 5)
    assert out[1, -1] == 1.0


def test_a_category_unseen_in_training_is_encoded_as_zeros():
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"]})
    preprocessor = build_preprocessor().fit(train)
    out = preprocessor.transform(pd.DataFrame({"x": [2.0], "colour": ["green"]}))
    assert out[0, -2:].tolist() == [0.0, 0.0]


def test_a_batch_with_other_dtypes_is_scored_as_the_training_types():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "x": rng.normal(size=60),
            "code": pd.Series(rng.choice(["007", "010", None], 60), dtype="str"),
        }
    )
    y = np.where(train["x"] > 0, "yes", "no")
    model = make_pipeline(build_preprocessor(), LogisticRegression()).fit(train, y)
    as_trained = pd.DataFrame({"x": [1.0, 2.0], "code": pd.Series([None, None], dtype="str")})
    # Blank in every row (read as float NaN) / None, and whole numbers where floats were seen.
    blank = pd.DataFrame({"x": [1, 2], "code": [np.nan, np.nan]})
    nones = pd.DataFrame({"code": [None, None], "x": [1, 2], "extra": ["a", "b"]})
    expected = model.predict_proba(as_trained)
    np.testing.assert_allclose(model.predict_proba(blank), expected)
    np.testing.assert_allclose(model.predict_proba(nones), expected)


def test_columns_types_name_what_a_batch_lacks_or_cannot_be():
    types = ColumnTypes().fit(pd.DataFrame({"x": [1.5], "colour": pd.Series(["red"], dtype="str")}))
    assert types.numeric_ == ["x"] and types.text_ == ["colour"]
    assert types.transform(pd.DataFrame({"x": ["2"], "colour": [7]})).iloc[0].tolist() == [2.0, "7"]
    with pytest.raises(KeyError):
        types.transform(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ValueError, match="column 'x' holds numbers in training"):
        types.transform(pd.DataFrame({"x": ["n/a"], "colour": ["red"]}))
