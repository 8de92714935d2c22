"""A batch of new rows to score: read like the raw table, typed like the training split,
checked against the expectation suite.

What a model can still score (text in a numeric column, read as missing; a value outside
the suite's range or set; an unseen category, encoded as all zeros) is reported per
column and does not stop ``predict``; what it cannot (a feature column absent, an
infinite number, no rows) stops it with the column, the lines and the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .checks import Finding, file_lines
from .config import Params
from .data import load_table
from .errors import StageError
from .features import ColumnTypes
from .targets import did_you_mean
from .validation_report import expected, listing, non_numeric_values

#: Expectations about the whole table, which describe the training table, not a batch.
TABLE_EXPECTATIONS = {"expect_table_columns_to_match_set", "expect_table_row_count_to_be_between"}


class BatchError(StageError):
    """The batch cannot be scored as it is; the message names the file, columns and lines."""


@dataclass(frozen=True)
class Batch:
    """A batch read for scoring.

    Attributes
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        Every column of the file; the model's feature columns with their training types.
    features : list of str
        The model's feature columns, in training order.
    ignored : list of str
        Columns neither features, target nor identifiers (``data.drop_columns``).
    findings : list of Finding
        Values the model scores though they are not what training saw (severity ``warning``).
    """

    frame: pd.DataFrame
    features: list[str]
    ignored: list[str]
    findings: list[Finding]


def read_batch(path: Path, params: Params, types: ColumnTypes) -> Batch:
    """Read a CSV batch with the ``data`` loader settings and give features their training types.

    Parameters
    ----------
    path : Path
        The CSV file to score.
    params : Params
        ``data.sep``, ``data.encoding``, ``data.decimal`` and ``data.na_values`` read it.
    types : ColumnTypes
        Fitted on the training split's features: which columns the model needs, which are
        numbers and which text (text columns are read as text whatever they hold).

    Returns
    -------
    Batch
        Numeric features as float64 (text that is not a number read as missing, and
        reported), text features as ``str``.

    Raises
    ------
    BatchError
        If the file is missing, empty or has no rows, lacks a feature column, or holds
        infinite numbers in a feature column (no model can score them).
    """
    source = params.data.model_copy(update={"path": path})
    frame = load_table(
        source, text_columns=types.text_, path_fix="give the path of the CSV file to score"
    )
    features = [str(column) for column in types.feature_names_in_]
    missing = [column for column in features if column not in frame.columns]
    if missing:
        spare = [str(column) for column in frame.columns if column not in features]
        near = "".join(did_you_mean(column, spare) for column in missing)
        raise BatchError(
            f"{path}: column(s) {listing(missing)} missing; the model needs every column it was "
            f"trained on: add them to the file (a column left empty is scored as missing){near}"
        )
    if frame.empty:
        raise BatchError(f"{path}: the file has a header but no rows to score")
    known = {*features, params.data.target, *params.data.drop_columns}
    ignored = [str(column) for column in frame.columns if column not in known]
    findings, infinite = [], []
    for column in types.numeric_:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values[numbers.isna() & values.notna()]
            findings.append(
                Finding(
                    column,
                    "not_numeric",
                    "warning",
                    f"{non_numeric_values(values)} ({file_lines(bad.index, source)}): scored as "
                    "missing",
                )
            )
            values = numbers
        values = values.astype("float64")
        rows = np.flatnonzero(np.isinf(values.to_numpy()))
        if len(rows):
            infinite.append(
                f"{column!r}: {len(rows)} infinite value(s) ({file_lines(rows, source)})"
            )
        frame[column] = values
    if infinite:
        raise BatchError(
            f"{path}: no model can score infinite numbers: {'; '.join(infinite)}. Correct them "
            "in the file, or leave those fields empty (scored as missing)"
        )
    return Batch(frame, features, ignored, findings)


def batch_suite(suite_path: Path, columns: list[str]) -> Any:
    """The expectation suite as it applies to a batch: expectations of ``columns`` only.

    Leaves out the target's expectations, the table's (column set, row count) and those
    of columns the model does not use.

    Returns
    -------
    great_expectations.core.ExpectationSuite

    Raises
    ------
    StageError
        If the suite cannot be read (:func:`.stages.validate.load_suite`).
    """
    from great_expectations.core import ExpectationSuite

    from .stages.validate import load_suite

    load_suite(suite_path)  # the same checks of the file as the validate stage
    raw = json.loads(suite_path.read_text(encoding="utf-8"))
    kept = [
        item
        for item in raw.get("expectations", [])
        if item["type"] not in TABLE_EXPECTATIONS and item["kwargs"].get("column") in columns
    ]
    return ExpectationSuite(name=f"{raw.get('name', 'suite')} (batch)", expectations=kept)


def validate_batch(batch: Batch, suite_path: Path) -> list[Finding]:
    """Check a batch's feature columns against the suite; one finding per failed expectation.

    Every finding has severity ``warning``: the model scores such values (read as missing,
    or encoded as an unseen category), and the finding says what the suite expected.

    Parameters
    ----------
    batch : Batch
        From :func:`read_batch`.
    suite_path : Path
        ``validate.suite``.

    Returns
    -------
    list of Finding
        Column, expectation type and detail: how many values, examples and what the suite
        expects.
    """
    from .stages.validate import validate_frame

    suite = batch_suite(suite_path, batch.features)
    result = validate_frame(batch.frame[batch.features], suite)
    findings = []
    for outcome in result["results"]:
        if outcome["success"]:
            continue
        config = outcome["expectation_config"]
        kind, kwargs = config["type"], config["kwargs"]
        found = outcome.get("result") or {}
        count, total = found.get("unexpected_count"), found.get("element_count")
        if kind == "expect_column_values_to_not_be_null" and count:
            detail = f"{count} of {total} values missing"
        elif count:
            examples = listing(list(dict.fromkeys(found.get("partial_unexpected_list", [])))[:3])
            detail = f"{count} of {total} values outside the suite, e.g. {examples}"
        else:
            detail = "could not be checked"
        findings.append(
            Finding(
                kwargs["column"],
                kind,
                "warning",
                f"{detail}; the suite expects {expected(kind, kwargs)}: scored anyway",
            )
        )
    return findings
