"""The validation result in the user's words: one line per failure, and the HTML report.

Great Expectations reports in its own terms (kwargs, observed values, exceptions); these
functions turn each outcome into the column, what the suite expects, what was found and
the fix, with values shown as the user wrote them.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import paths
from .checks import DECIMAL_COMMA
from .targets import show, suggest

_HIDDEN_KWARGS = {"column", "batch_id", "mostly", "result_format", "catch_exceptions", "meta"}
_MATCH_SET = "expect_table_columns_to_match_set"
#: Values of a set or list that a message shows before "and N more".
_SHOWN = 5
_NUMERIC_EXPECTATIONS = {
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_between",
}


def non_numeric_values(column: pd.Series) -> str:
    """Describe the values of a column that are not numbers ("3 values not numeric, e.g. 'n/a'").

    Numbers written with a decimal comma get a hint to set ``data.decimal``.
    """
    present = column.dropna()
    bad = present[pd.to_numeric(present, errors="coerce").isna()]
    examples = ", ".join(repr(value) for value in bad.unique()[:3])
    hint = ""
    if bad.astype(str).str.fullmatch(DECIMAL_COMMA).mean() > 0.5:
        hint = " (numbers with a decimal comma: set data.decimal: ',' in params.yaml)"
    return f"{len(bad)} values not numeric, e.g. {examples}{hint}"


def fix_for(
    kind: str,
    column: str | None,
    frame: pd.DataFrame,
    suite: Path | str,
    target: str | None = None,
) -> str:
    """The fix for a failed expectation, in the product's words, that works for this table.

    Parameters
    ----------
    kind : str
        The expectation type.
    column : str or None
        Its column (None for table expectations).
    frame : DataFrame of shape (n_rows, n_columns)
        The validated table (gives the ``mostly`` that would accept its missing values).
    suite : Path or str
        Where the suite is.
    target : str, default=None
        ``data.target``: a target needs a value in every row, whatever the suite says.
    """
    where = f"{kind} of {column!r} in {suite}" if column else f"{kind} in {suite}"
    if kind == "expect_column_values_to_not_be_null" and column is not None and column == target:
        return "a target needs a value in every row: drop or fill those rows in the data"
    if (
        kind == "expect_column_values_to_be_between"
        and column in frame.columns
        and pd.api.types.is_float_dtype(frame[column])
        and np.isinf(frame[column].to_numpy(dtype=float, na_value=np.nan)).any()
    ):
        return (
            f"the infinite values of {column!r} are named, with their fix, by "
            "check: infinite_values"
        )
    if kind == "expect_column_values_to_not_be_null" and column in frame.columns:
        # Two points below the share present: a few more blanks later still pass.
        present = math.floor(float(frame[column].notna().mean()) * 100) / 100
        mostly = round(max(0.0, present - 0.02), 2)
        return (
            f"if missing values are expected there, set mostly: {mostly} (the share of rows "
            f"that must have a value) on {where}; else fill them in the data"
        )
    if kind == "expect_column_values_to_be_between":
        return (
            f"if these values are right, widen min_value/max_value of {where}; else correct "
            "those rows in the data"
        )
    if kind == "expect_column_values_to_be_in_set":
        return (
            f"if these are valid values, add them to value_set of {where}; else correct those "
            "rows in the data"
        )
    if kind == "expect_table_row_count_to_be_between":
        return f"if rows were added on purpose, raise max_value of {where}; else remove them"
    return (
        f"if the data changed on purpose, edit {where}, or draft the suite again with "
        f"`python -m {__package__} init-suite --force` and review it; else correct the data"
    )


def warning_lines(summary: dict[str, Any]) -> list[str]:
    """One line per failed expectation of severity ``warning`` (they do not fail validation)."""
    return [
        f"validate: warning: {'table' if item['column'] == '(table)' else repr(item['column'])}: "
        f"{item['expectation']}: {item['detail']}"
        for item in summary["expectations"]
        if not item["success"] and item["severity"] == "warning"
    ]


def listing(values: Any) -> str:
    """Values as a user reads them: ``'a', 'b', 3 and 4 more`` (no Python or NumPy reprs)."""
    values = list(values) if isinstance(values, list | tuple | set) else [values]
    shown = ", ".join(show(value) for value in values[:_SHOWN])
    more = len(values) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else (shown or "none")


def expected(expectation: str, kwargs: dict[str, Any]) -> str:
    """What an expectation of the suite asks for, in words ("values between 0 and 10").

    Parameters
    ----------
    expectation : str
        The expectation type, such as ``expect_column_values_to_be_between``.
    kwargs : dict
        Its arguments as written in the suite.
    """
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    subject = {
        "expect_table_row_count_to_be_between": "rows",
        "expect_column_unique_value_count_to_be_between": "distinct values",
    }.get(expectation, "values")
    if low is not None and high is not None:
        text = f"{subject} between {show(low)} and {show(high)}"
    elif low is not None or high is not None:
        bound = f"at least {show(low)}" if low is not None else f"at most {show(high)}"
        text = f"values of {bound}" if subject == "values" else f"{bound} {subject}"
    elif "type_" in kwargs:
        text = f"type {show(kwargs['type_'])}"
    elif "type_list" in kwargs:
        text = f"one of the types {listing(kwargs['type_list'])}"
    elif "value_set" in kwargs:
        text = f"values among {listing(kwargs['value_set'])}"
    elif "column_set" in kwargs:
        text = "exactly the columns of the suite"
    elif expectation == "expect_column_values_to_not_be_null":
        text = "no missing values"
    else:
        rest = {k: v for k, v in kwargs.items() if k not in _HIDDEN_KWARGS and v is not None}
        words = expectation.removeprefix("expect_").replace("_", " ")
        text = "; ".join(f"{k.rstrip('_')} {listing(v)}" for k, v in rest.items()) or words
    if kwargs.get("mostly") is not None:
        text += f" (in at least {kwargs['mostly']:.0%} of rows)"
    return text


def describe(
    outcome: dict[str, Any],
    frame: pd.DataFrame,
    suite: Path | str = "the suite",
    target: str | None = None,
) -> dict[str, Any]:
    """Reduce one expectation outcome to column, expectation, severity, success and detail.

    The detail is written in the user's terms: values as they appear in the table, what the
    suite expects in words, never Great Expectations' internals.

    Parameters
    ----------
    outcome : dict
        One entry of the GX result's ``results``.
    frame : DataFrame of shape (n_rows, n_columns)
        The validated table, to show offending values that GX does not list (text in a
        numeric column makes GX raise instead of counting).
    suite : Path or str, default="the suite"
        Where the suite is, for the fixes that edit it.
    target : str, default=None
        ``data.target`` (its missing values are never fixed in the suite).

    Returns
    -------
    dict
        ``column``, ``expectation``, ``severity``, ``success``, ``detail`` and
        ``missing_columns`` / ``unexpected_columns`` (columns of the suite absent from the
        table, columns of the table absent from the suite).
    """
    config = outcome["expectation_config"]
    kind, kwargs = config["type"], config["kwargs"]
    result = outcome.get("result") or {}
    info = outcome.get("exception_info") or {}
    # GX nests the exception info by metric, or not, depending on where it raised.
    entries = [info] if "raised_exception" in info else list(info.values())
    raised = any(isinstance(entry, dict) and entry.get("raised_exception") for entry in entries)
    column = kwargs.get("column")
    mismatched = (result.get("details") or {}).get("mismatched") or {}
    missing, unexpected = [], []
    if outcome["success"]:
        detail = "passed"
    elif column is not None and column not in frame.columns:
        missing = [column]
        detail = "column missing from the table"
    elif (
        kind == "expect_column_values_to_be_of_type"
        and column in frame.columns
        and frame[column].dtype.kind in "biuf"
        and kwargs.get("type_") in {"str", "object"}
    ):
        detail = (
            f"now read as numbers, but the suite was drafted when it read as text: if "
            f"data.decimal, data.sep or data.na_values changed on purpose, draft the suite "
            f"again with `python -m {__package__} init-suite --force` and review it"
        )
    elif (
        column in frame.columns
        and frame[column].dtype.kind not in "biuf"
        and (kind in _NUMERIC_EXPECTATIONS)
    ):
        detail = (
            f"{non_numeric_values(frame[column])}; expected {expected(kind, kwargs)}; if they "
            "mean missing, add them to data.na_values in params.yaml, else correct them in the data"
        )
    elif mismatched:
        missing, unexpected = mismatched.get("missing", []), mismatched.get("unexpected", [])
        parts = [f"missing {listing(missing)}"] if missing else []
        parts += [f"not in the suite: {listing(unexpected)}"] if unexpected else []
        detail = "columns " + "; ".join(parts)
    elif raised:
        detail = (
            f"could not be evaluated (details in {paths.VALIDATION_RESULT}); "
            f"expected {expected(kind, kwargs)}"
        )
    elif result.get("unexpected_count"):
        examples = listing(result.get("partial_unexpected_list", [])[:3])
        detail = (
            f"{result['unexpected_count']} of {result.get('element_count', '?')} values "
            f"unexpected, e.g. {examples}; expected {expected(kind, kwargs)}; "
            f"{fix_for(kind, column, frame, suite, target)}"
        )
    elif kind == "expect_table_row_count_to_be_between" and kwargs.get("min_value") is not None:
        detail = (
            f"{len(frame)} rows, fewer than the {show(kwargs['min_value'])} the suite expects; if "
            f"rows were removed on purpose, lower the suite's minimum row count (min_value of "
            f"expect_table_row_count_to_be_between) in {suite} or draft again with "
            f"`python -m {__package__} init-suite --force`; else restore the missing rows"
        )
    elif result.get("observed_value") is not None:
        detail = (
            f"observed {listing(result['observed_value'])}; expected {expected(kind, kwargs)}; "
            f"{fix_for(kind, column, frame, suite, target)}"
        )
    else:
        detail = f"expected {expected(kind, kwargs)}; {fix_for(kind, column, frame, suite, target)}"
    return {
        "column": column if column is not None else "(table)",
        "expectation": kind,
        "severity": config.get("severity", "critical"),
        "success": bool(outcome["success"]),
        "detail": detail,
        "missing_columns": list(missing),
        "unexpected_columns": list(unexpected),
    }


def render_report(summary: dict[str, Any]) -> str:
    """Render the validation summary as a self-contained HTML page (no external assets)."""
    rows = "\n".join(
        "<tr class='{cls}'><td>{column}</td><td>{expectation}</td><td>{severity}</td>"
        "<td>{status}</td><td>{detail}</td></tr>".format(
            cls="ok" if item["success"] else item["severity"],
            status="passed"
            if item["success"]
            else ("handled" if item["severity"] == "handled" else "FAILED"),
            **{k: html.escape(str(v)) for k, v in item.items() if k != "success"},
        )
        for item in sorted(summary["expectations"], key=lambda i: (i["success"], i["column"]))
    )
    verdict = "PASSED" if summary["success"] else "FAILED"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Validation {verdict}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; }}
tr.critical {{ background: #fdd; }} tr.warning, tr.handled {{ background: #ffd; }}
tr.ok {{ color: #555; }}
</style></head><body>
<h1>Data validation {verdict}</h1>
<p>Table <code>{html.escape(summary["data_path"])}</code> ({summary["rows"]} rows x
{summary["columns"]} columns, md5 {summary["data_hash"]}) against the expectation suite
<code>{html.escape(summary["suite_path"])}</code>: {summary["failed_critical"]} critical and
{summary["failed_warning"]} warning failure(s) among {len(summary["expectations"])}
expectations.</p>
<table><tr><th>column</th><th>expectation</th><th>severity</th><th>status</th><th>detail</th></tr>
{rows}
</table></body></html>
"""


def restore_hint(data_path: Path) -> str | None:
    """How to get the committed version of a DVC-tracked table back, or None if untracked.

    ``dvc repro`` records an edited table in its ``.dvc`` file before ``validate`` runs,
    so the ``.dvc`` file comes back from git first; ``--force`` lets DVC replace a table
    that is not in its cache.
    """
    dvc_file = data_path.with_name(data_path.name + ".dvc")
    if not dvc_file.exists():
        return None
    return (
        f"If {data_path} changed by mistake, get the committed version back (this discards "
        f"the edited table): git checkout HEAD -- {dvc_file.as_posix()} && dvc checkout "
        f"--force {dvc_file.as_posix()}"
    )


def failure_message(summary: dict[str, Any], hint: str | None = None) -> str:
    """Return the short, column-grouped message printed when validation fails.

    A column of the suite missing from the table is reported once, with its fix, instead
    of once per expectation on it. ``hint`` (see :func:`restore_hint`) ends the message.
    """
    data, suite = summary["data_path"], summary["suite_path"]
    failed = [
        item
        for item in summary["expectations"]
        if not item["success"] and item["severity"] == "critical"
    ]
    checked = {item["column"] for item in failed if item["expectation"].startswith("check:")}
    missing = dict.fromkeys(c for item in failed for c in item.get("missing_columns", []))
    extra = [c for item in failed for c in item.get("unexpected_columns", [])]
    lines = [
        f"{summary['failed_critical']} critical expectation(s) or check(s) failed on "
        f"{data} (suite {suite}):"
    ]
    for column in missing:
        if column in checked:
            continue  # a check of params.yaml names this column's fix
        renamed = suggest(column, extra)
        lines.append(
            f"  column {column!r} is missing from {data}"
            + (f" (renamed to {renamed!r}?)" if renamed else "")
            + f"; the suite expects it: restore it in the data, or remove it from {suite} "
            f"(its expectations, and its name in the column set of {_MATCH_SET})"
        )
    for item in sorted(failed, key=lambda i: i["column"]):
        column = item["column"]
        if item["expectation"] == _MATCH_SET and item.get("missing_columns"):
            if item.get("unexpected_columns"):
                lines.append(
                    f"  table: columns not in the suite: {listing(item['unexpected_columns'])}; "
                    f"remove them from the data, or add them to {_MATCH_SET} in {suite}"
                )
            continue
        if column in missing and not item["expectation"].startswith("check:"):
            continue
        where = "table" if column == "(table)" else f"column {column!r}"
        lines.append(f"  {where}: {item['expectation']}: {item['detail']}")
    lines.append(
        "Apply the fix named on each line: in the data, in params.yaml, or in the suite at "
        f"{suite} if the data changed on purpose. "
        f"Full result: {paths.VALIDATION_RESULT}, report: {paths.VALIDATION_REPORT}"
    )
    if hint:
        lines.append(hint)
    return "\n".join(lines)
