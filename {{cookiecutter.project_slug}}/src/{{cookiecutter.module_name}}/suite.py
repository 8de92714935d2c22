"""Drafting an expectation suite from a table, for the user to review and commit.

The draft is plain JSON in Great Expectations 1.x's suite format, built with pandas only,
so drafting needs no GX import. ``python -m <module> init-suite`` writes it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .checks import Finding, check_params_table, target_values
from .config import PARAMS_FILE, Params
from .data import load_table
from .errors import StageError
from .outputs import write_json
from .params_file import update_data_params
from .targets import did_you_mean, infer_positive_class, show, task_mismatch

#: Text columns with at most this many distinct values get a value-set expectation.
MAX_CATEGORIES = 20
#: Numeric ranges are widened by this fraction of the observed range on each side.
RANGE_MARGIN = 0.1


def _expectation(kind: str, severity: str = "critical", **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {}, "severity": severity}


def _column_expectations(
    name: str, column: pd.Series, is_target: bool, classes: bool
) -> list[dict[str, Any]]:
    drafted = []
    nulls = float(column.isna().mean())
    if nulls == 0 or is_target:
        drafted.append(_expectation("expect_column_values_to_not_be_null", column=name))
    else:
        mostly = max(0.0, round(1 - nulls - 0.05, 2))
        drafted.append(
            _expectation("expect_column_values_to_not_be_null", column=name, mostly=mostly)
        )
    values = column.dropna()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        drafted.append(
            _expectation(
                "expect_column_values_to_be_in_type_list",
                column=name,
                type_list=["int64", "float64"],
            )
        )
        if classes:  # a numeric class label (0/1...): the classes, not a range
            labels = sorted(values.unique().tolist())
            drafted.append(
                _expectation("expect_column_values_to_be_in_set", column=name, value_set=labels)
            )
        elif len(finite := values[np.isfinite(values.to_numpy(dtype=float))]):
            low, high = drafted_bounds(finite)
            drafted.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    column=name,
                    min_value=low,
                    max_value=high,
                )
            )
        return drafted
    if pd.api.types.is_string_dtype(column):
        drafted.append(_expectation("expect_column_values_to_be_of_type", column=name, type_="str"))
    # The values as the loader reads them (True stays a boolean), as validation sees them.
    distinct = sorted(values.unique().tolist(), key=lambda value: (str(type(value)), value))
    if is_target or len(distinct) <= MAX_CATEGORIES:
        drafted.append(
            _expectation("expect_column_values_to_be_in_set", column=name, value_set=distinct)
        )
    return drafted


def drafted_bounds(values: pd.Series) -> tuple[float, float]:
    """The range drafted for finite numeric ``values``: observed range widened by the margin.

    The bounds fit the column: whole numbers stay whole (floor and ceiling), a non-negative
    column stays non-negative, and one within [0, 1] or [0, 100] (shares, percentages)
    stays within it. Whole-number bounds are returned as ``int`` (written ``52``, not
    ``52.0``).
    """
    low, high = float(values.min()), float(values.max())
    margin = (high - low) * RANGE_MARGIN
    lower, upper = low - margin, high + margin
    if low >= 0:
        lower = max(lower, 0.0)
        for natural in (1.0, 100.0):
            if high <= natural:
                upper = min(upper, natural)
                break
    if (values == values.round()).all():
        return math.floor(lower), math.ceil(upper)
    return float(f"{lower:.6g}"), float(f"{upper:.6g}")


def draft_suite(frame: pd.DataFrame, target: str, task: str, name: str) -> dict[str, Any]:
    """Draft an expectation suite describing ``frame``.

    Drafted: the exact column set; a row-count range (at least half the rows seen; more
    than ten times as many only warns); per column
    the null rule, the type family (numeric or text), numeric ranges of the finite values
    widened by 10 % of the observed range (see :func:`drafted_bounds`), and value sets, in
    the values' own types, for other columns with at most 20 distinct values; for
    classification the target's classes (at least two).

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    target : str
    task : {"binary", "multiclass", "regression"}
    name : str
        Suite name.

    Returns
    -------
    dict
        A suite in GX 1.x JSON form (``name``, ``expectations``, ``meta``).

    Raises
    ------
    StageError
        If ``target`` is not a column of ``frame``.
    """
    if target not in frame.columns:
        raise StageError(
            f"target column {target!r} not in the table (columns: {list(frame.columns)}); "
            f"set data.target in params.yaml{did_you_mean(target, list(frame.columns))}"
        )
    expectations = [
        _expectation(
            "expect_table_columns_to_match_set", column_set=list(frame.columns), exact_match=True
        ),
        _expectation("expect_table_row_count_to_be_between", min_value=math.ceil(len(frame) / 2)),
        # Far more rows than drafted from is worth a look (another file?), not a stop.
        _expectation(
            "expect_table_row_count_to_be_between", severity="warning", max_value=10 * len(frame)
        ),
    ]
    for column in frame.columns:
        is_target = column == target
        expectations += _column_expectations(
            column, frame[column], is_target, classes=is_target and task != "regression"
        )
        if is_target and task != "regression":
            expectations.append(
                _expectation(
                    "expect_column_unique_value_count_to_be_between", column=column, min_value=2
                )
            )
    return {
        "name": name,
        "expectations": expectations,
        "meta": {"drafted_by": "init-suite", "rows_seen": len(frame), "review": "required"},
        "notes": None,
        "id": None,
    }


def summarise_suite(suite: dict[str, Any]) -> str:
    """One line per column saying what the draft expects of it, for the user to review."""
    rules: dict[str, list[str]] = {}
    for expectation in suite["expectations"]:
        kwargs, kind = expectation["kwargs"], expectation["type"]
        column = kwargs.get("column", "(table)")
        if kind == "expect_table_columns_to_match_set":
            rule = f"exactly these {len(kwargs['column_set'])} columns"
        elif kind == "expect_table_row_count_to_be_between" and "min_value" in kwargs:
            rule = f"at least {kwargs['min_value']} rows"
        elif kind == "expect_table_row_count_to_be_between":
            rule = f"at most {kwargs['max_value']} rows (warning)"
        elif kind == "expect_column_values_to_not_be_null":
            rule = f"at least {kwargs['mostly']:.0%} filled" if "mostly" in kwargs else "no nulls"
        elif kind == "expect_column_values_to_be_in_type_list":
            rule = "numeric"
        elif kind == "expect_column_values_to_be_of_type":
            rule = "text"
        elif kind == "expect_column_values_to_be_between":
            rule = f"in [{kwargs['min_value']}, {kwargs['max_value']}]"
        elif kind == "expect_column_values_to_be_in_set":
            shown = ", ".join(map(str, kwargs["value_set"][:6]))
            more = ", ..." if len(kwargs["value_set"]) > 6 else ""
            rule = f"one of {{{shown}{more}}}"
        else:
            rule = f"at least {kwargs['min_value']} distinct values"
        rules.setdefault(column, []).append(rule)
    return "\n".join(f"  {column}: {'; '.join(items)}" for column, items in rules.items())


def certain_fixes(
    frame: pd.DataFrame, params: Params, findings: list[Finding]
) -> tuple[dict[str, Any], list[str]]:
    """The settings drafting can fix for certain, and a line per fix saying how to undo it.

    Identifier columns (unique in every row) and dates stored as text (which would be
    one-hot encoded) go to ``data.drop_columns``; a binary target whose labels make the
    positive class certain (yes/no, 1/0...) sets ``data.positive_class`` if it is null.
    Otherwise the class chosen by sorted order is stated, with the setting that changes it.

    Returns
    -------
    updates : dict of str to Any
        New values of ``data`` keys (empty if there is nothing to fix).
    notes : list of str
        One line per fix.
    """
    data = params.data
    updates: dict[str, Any] = {}
    notes = []
    why = {
        "identifier": "an identifier the models must not see",
        "datetime_text": "dates as text, which would be one-hot encoded; derive numeric "
        "features from it (year, month, age) in the data to use it",
    }
    dropped = [f for f in findings if f.check in why]
    if dropped:
        updates["drop_columns"] = [*data.drop_columns, *(f.column for f in dropped)]
        notes += [
            f"fixed: added {f.column!r} to data.drop_columns in {PARAMS_FILE}: {why[f.check]}; "
            "to use it as it is, remove it there"
            for f in dropped
        ]
    if data.task == "binary" and data.positive_class is None and data.target in frame.columns:
        values = target_values(frame[data.target])
        positive = infer_positive_class(values)
        if positive is not None:
            updates["positive_class"] = positive
            labels = "/".join(sorted(set(values)))
            notes.append(
                f"fixed: set data.positive_class: {show(positive)} in {PARAMS_FILE} (inferred from "
                f"the "
                f"labels {labels}): the class F1 and the ROC curve count as positive; to "
                "choose the other, set it there (null: the last class in sorted order)"
            )
        elif len(set(values)) == 2:
            notes.append(
                f"note: positive class {show(sorted(set(values))[-1])}: the last of "
                f"{'/'.join(sorted(set(values)))} in sorted order, as the labels do not say; F1 "
                f"and the ROC curve count it as positive: set data.positive_class in "
                f"{PARAMS_FILE} to the class you want to detect"
            )
    return updates, notes


def run(params: Params, *, force: bool = False) -> Path:
    """Draft the suite at ``validate.suite`` from the table at ``data.path``.

    Also applies the fixes of :func:`certain_fixes` to ``params.yaml`` (comments and
    layout kept) and prints each with how to undo it; other findings are printed as advice.

    Raises
    ------
    StageError
        If a suite exists there already and ``force`` is false (a reviewed suite is never
        overwritten silently); the target's values do not fit ``data.task``; a column holds
        numbers with a decimal comma, placeholders among numbers, or infinite values (a
        suite drafted then would describe what the fix changes); or, after
        drafting, a critical check remains that would stop ``dvc repro``.
    """
    path = params.validate_.suite
    if path.exists() and not force:
        raise StageError(f"{path} exists; review it, or pass --force to draft it again")
    frame = load_table(params.data)
    target, task = params.data.target, params.data.task
    if target in frame.columns:
        mismatch = task_mismatch(target_values(frame[target]), task, target)
        if mismatch:
            raise StageError(f"{params.data.path}: {mismatch}")
    findings = check_params_table(frame, params)
    # Values whose fix changes the data or how it is read (numbers read as text, infinite
    # values): a suite drafted now would describe the values the fix changes.
    misread = [
        f for f in findings if f.check in {"decimal_comma", "numeric_junk", "infinite_values"}
    ]
    if misread:
        raise StageError(
            f"{params.data.path}: "
            + "; ".join(f"column {show(f.column)}: {f.detail}" for f in misread)
            + f". Nothing was drafted; after the fix run python -m {__package__} init-suite "
            "--force (drafted now, the suite would describe the values the fix changes)"
        )
    suite = draft_suite(frame, target, task, name=path.stem)
    write_json(path, suite, allow_nan=False)
    print(summarise_suite(suite))
    updates, notes = certain_fixes(frame, params, findings)
    if updates:
        update_data_params(PARAMS_FILE, updates)
    for note in notes:
        print(f"  {note}")
    fixed = set(updates.get("drop_columns", []))
    remaining = [f for f in findings if f.column not in fixed]
    for finding in remaining:
        where = show(finding.column)
        print(f"  check {finding.check} ({finding.severity}) on {where}: {finding.detail}")
    print(
        f"drafted {len(suite['expectations'])} expectations for {frame.shape[1]} columns "
        f"of {params.data.path} ({len(frame)} rows) into {path}; review it, then commit it"
    )
    blocking = [f for f in remaining if f.severity == "critical"]
    if blocking:
        raise StageError(
            f"{path} is drafted, but `dvc repro` would stop on "
            + "; ".join(f"{f.check} ({show(f.column)})" for f in blocking)
            + ": apply the fix printed on each check line above, then dvc repro"
        )
    return path
