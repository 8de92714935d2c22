"""Rows with identical feature values never fall on both sides of a split or a fold."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from {{ cookiecutter.module_name }}.config import load_params
from {{ cookiecutter.module_name }}.groups import feature_groups, group_folds, holdout, repeats
from {{ cookiecutter.module_name }}.leakage import single_column_scores
from {{ cookiecutter.module_name }}.stages.baseline import make_folds
from {{ cookiecutter.module_name }}.stages.split import split_table


def _survey(rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """Two answers of three levels and a 0-2 count: 18 feature vectors, many repeats."""
    rng = np.random.default_rng(seed)
    answer = rng.choice(["no", "maybe", "yes"], rows)
    level = rng.choice(["low", "mid", "high"], rows)
    count = rng.integers(0, 3, rows)
    y = np.where((answer == "yes") ^ (rng.random(rows) < 0.3), "pos", "neg")
    return pd.DataFrame({"answer": answer, "level": level, "count": count, "y": y})


def _vectors(frame: pd.DataFrame) -> set[tuple]:
    return set(frame.drop(columns=["row_id", "y"], errors="ignore").itertuples(index=False))


def test_identical_feature_vectors_share_a_group_missing_values_included():
    X = pd.DataFrame({"a": [1.0, 2.0, 1.0, np.nan, np.nan], "b": ["x", "y", "x", None, None]})
    groups = feature_groups(X)
    assert groups.tolist() == [0, 1, 0, 2, 2]
    assert repeats(groups) == {"feature_groups": 3, "repeated_rows": 2}


@pytest.mark.parametrize("stratify", [True, False])
def test_the_split_puts_each_feature_vector_on_one_side_only(stratify):
    frame = _survey()
    train, test = split_table(frame, "y", test_size=0.2, seed=3, stratify=stratify)
    again, _ = split_table(frame, "y", test_size=0.2, seed=3, stratify=stratify)
    assert sorted([*train["row_id"], *test["row_id"]]) == list(range(len(frame)))
    assert not _vectors(train) & _vectors(test)
    assert 0 < len(test) < len(frame) / 2
    assert train["row_id"].tolist() == again["row_id"].tolist()


def test_a_table_without_repeats_splits_as_train_test_split_does():
    y = pd.Series(["a", "b"] * 20)
    train, test = holdout(np.arange(40), y, test_size=0.25, seed=5, stratify=True)
    expected = train_test_split(np.arange(40), test_size=0.25, random_state=5, stratify=y)
    assert train.tolist() == expected[0].tolist() and test.tolist() == expected[1].tolist()


@pytest.mark.parametrize("classification", [True, False])
def test_no_fold_has_a_feature_vector_on_both_sides(classification):
    frame = _survey()
    groups = feature_groups(frame.drop(columns="y"))
    y = frame["y"] if classification else frame["count"] * 1.5
    folds = group_folds(groups, y, classification=classification, n_splits=5, seed=1)
    assert len(folds) == 5
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested.tolist()) == list(range(len(frame)))  # every row tested once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])


def test_the_baseline_folds_keep_groups_and_repeat_with_the_seed(project):
    params = load_params().baseline
    frame = _survey()
    X, y = frame.drop(columns="y"), frame["y"]
    groups = feature_groups(X)
    folds = make_folds(X, y, "binary", params)
    again = make_folds(X, y, "binary", params)
    assert len(folds) == params.cv_folds
    for (train, test), (train_again, _) in zip(folds, again, strict=True):
        assert not set(groups[train]) & set(groups[test])
        assert train.tolist() == train_again.tolist()


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_the_leakage_check_scores_a_table_of_few_feature_vectors():
    # Three feature vectors, one per class: at most three folds, each scoring a class the
    # tree never saw, so even a perfect copy of the target scores no better than chance.
    classes = pd.Series(np.repeat(["a", "b", "c"], 30))
    X = pd.DataFrame({"label": classes.map({"a": 2.0, "b": 0.0, "c": 1.0})})
    assert single_column_scores(X, classes, "multiclass", seed=1)["label"] == 0.0
