"""The shared preprocessing imputes, scales and one-hot encodes."""

import numpy as np
import pandas as pd

from {{ cookiecutter.module_name }}.features import build_preprocessor


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
