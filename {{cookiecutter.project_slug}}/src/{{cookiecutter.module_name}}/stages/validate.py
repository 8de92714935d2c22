"""Stage ``validate``: the raw table against its Great Expectations suite.

Writes the full validation result (JSON) and a self-contained HTML report, then fails with
a summary grouped by column when any critical expectation fails. ``split`` depends on the
result file and re-checks it, so no later stage runs on data that failed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths, tracking
from ..checks import check_params_table
from ..config import Params
from ..data import file_hash, load_table
from ..errors import StageError, ValidationFailedError
from ..outputs import write_json, write_text

_HIDDEN_KWARGS = {"column", "batch_id"}
_NUMERIC_EXPECTATIONS = {
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_between",
}


def load_suite(path: Path) -> Any:
    """Read an expectation suite from JSON.

    Returns
    -------
    great_expectations.core.ExpectationSuite

    Raises
    ------
    StageError
        If the file is missing or not JSON, or an expectation type is unknown to Great
        Expectations (GX drops those silently; this check compares the counts).
    """
    from great_expectations.core import ExpectationSuite

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StageError(
            f"{path}: expectation suite not found; draft one with "
            f"`python -m {__package__.split('.')[0]} init-suite` or set validate.suite in "
            "params.yaml"
        ) from exc
    except json.JSONDecodeError as exc:
        raise StageError(f"{path}: not valid JSON ({exc})") from exc
    suite = ExpectationSuite(**raw)
    loaded = {expectation.expectation_type for expectation in suite.expectations}
    unknown = sorted({item["type"] for item in raw.get("expectations", [])} - loaded)
    if unknown or len(suite.expectations) != len(raw.get("expectations", [])):
        raise StageError(f"{path}: unknown expectation type(s) {unknown}; check their spelling")
    return suite


#: Rows from which validation shows progress bars.
LARGE_TABLE = 100_000


def validate_frame(frame: pd.DataFrame, suite: Any) -> dict[str, Any]:
    """Validate a DataFrame against a suite in an ephemeral GX context.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    suite : great_expectations.core.ExpectationSuite

    Returns
    -------
    dict
        The GX validation result as JSON-ready data (``success``, ``results``, ``statistics``).
    """
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # GX's own progress bars only where validation takes a while.
    context.variables.progress_bars = ProgressBarsConfig(globally=len(frame) >= LARGE_TABLE)
    batch = (
        context.data_sources.add_pandas("raw")
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    return batch.validate(suite).to_json_dict()


def non_numeric_values(column: pd.Series) -> str:
    """Describe the values of a column that are not numbers ("3 values not numeric, e.g. 'n/a'").

    Numbers written with a decimal comma get a hint to set ``data.decimal``.
    """
    present = column.dropna()
    bad = present[pd.to_numeric(present, errors="coerce").isna()]
    examples = ", ".join(repr(value) for value in bad.unique()[:3])
    hint = ""
    if bad.astype(str).str.fullmatch(r"[+-]?\d+,\d+").mean() > 0.5:
        hint = " (numbers with a decimal comma: set data.decimal: ',' in params.yaml)"
    return f"{len(bad)} values not numeric, e.g. {examples}{hint}"


def describe(outcome: dict[str, Any], frame: pd.DataFrame) -> dict[str, Any]:
    """Reduce one expectation outcome to column, expectation, severity, success and detail.

    Parameters
    ----------
    outcome : dict
        One entry of the GX result's ``results``.
    frame : DataFrame of shape (n_rows, n_columns)
        The validated table, to show offending values that GX does not list (text in a
        numeric column makes GX raise instead of counting).
    """
    config = outcome["expectation_config"]
    kwargs = {k: v for k, v in config["kwargs"].items() if k not in _HIDDEN_KWARGS}
    result = outcome.get("result") or {}
    errors = [
        info["exception_message"]
        for info in (outcome.get("exception_info") or {}).values()
        if isinstance(info, dict) and info.get("raised_exception")
    ]
    column = config["kwargs"].get("column")
    mismatched = (result.get("details") or {}).get("mismatched")
    if outcome["success"]:
        detail = "passed"
    elif (
        column in frame.columns
        and frame[column].dtype.kind not in "biuf"
        and config["type"] in _NUMERIC_EXPECTATIONS
    ):
        detail = f"{non_numeric_values(frame[column])}; expected numbers {kwargs}"
    elif mismatched:
        detail = (
            f"missing columns {mismatched.get('missing', [])}, "
            f"unexpected columns {mismatched.get('unexpected', [])}"
        )
    elif errors:
        detail = "; ".join(dict.fromkeys(errors))
    elif result.get("unexpected_count"):
        examples = ", ".join(repr(v) for v in result.get("partial_unexpected_list", [])[:3])
        detail = (
            f"{result['unexpected_count']} of {result.get('element_count', '?')} values "
            f"unexpected, e.g. {examples}; expected {kwargs}"
        )
    else:
        detail = f"observed {result.get('observed_value')!r}; expected {kwargs}"
    return {
        "column": column if column is not None else "(table)",
        "expectation": config["type"],
        "severity": config.get("severity", "critical"),
        "success": bool(outcome["success"]),
        "detail": detail,
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


def failure_message(summary: dict[str, Any]) -> str:
    """Return the short, column-grouped message printed when validation fails."""
    lines = [
        f"{summary['failed_critical']} critical expectation(s) or check(s) failed on "
        f"{summary['data_path']} (suite {summary['suite_path']}):"
    ]
    for item in sorted(summary["expectations"], key=lambda i: i["column"]):
        if not item["success"] and item["severity"] == "critical":
            column = item["column"]
            where = "table" if column == "(table)" else f"column {column!r}"
            lines.append(f"  {where}: {item['expectation']}: {item['detail']}")
    lines.append(
        "Apply the fix named on each line: in the data, in params.yaml, or in the suite at "
        f"{summary['suite_path']} if the data changed on purpose. "
        f"Full result: {paths.VALIDATION_RESULT}, report: {paths.VALIDATION_REPORT}"
    )
    return "\n".join(lines)


def run(params: Params) -> dict[str, Path]:
    """Validate the raw table; write the result and the report.

    Returns
    -------
    dict of str to Path
        ``result`` (JSON) and ``report`` (HTML).

    Raises
    ------
    ValidationFailedError
        If any critical expectation fails (after both files are written).
    StageError
        If the table or the suite cannot be read.
    """
    for stale in (paths.VALIDATION_RESULT, paths.VALIDATION_REPORT):
        stale.unlink(missing_ok=True)
    with tracking.stage_run("validate", params):
        suite_path = params.validate_.suite
        suite = load_suite(suite_path)
        frame = load_table(params.data)
        print(
            f"validate: {len(frame):,} rows x {frame.shape[1]} columns of {params.data.path} "
            f"against {len(suite.expectations)} expectations of {suite_path}, then table checks"
        )
        result = validate_frame(frame, suite)
        expectations = [describe(outcome, frame) for outcome in result["results"]]
        findings = check_params_table(frame, params)
        expectations += [
            {
                "column": f.column,
                "expectation": f"check: {f.check}",
                "severity": f.severity,
                "success": False,
                "detail": f.detail,
            }
            for f in findings
        ]
        failed = [item for item in expectations if not item["success"]]
        summary = {
            "success": not any(item["severity"] == "critical" for item in failed),
            "data_path": str(params.data.path),
            "data_hash": file_hash(params.data.path),
            "suite_path": str(suite_path),
            "rows": len(frame),
            "columns": frame.shape[1],
            "failed_critical": sum(item["severity"] == "critical" for item in failed),
            "failed_warning": sum(item["severity"] == "warning" for item in failed),
            "handled": sum(item["severity"] == "handled" for item in failed),
            "expectations": expectations,
        }
        write_json(paths.VALIDATION_RESULT, {**summary, "gx_result": result})
        write_text(paths.VALIDATION_REPORT, render_report(summary))
        tracking.log_metrics(
            {
                "expectations": len(expectations),
                "failed_critical": summary["failed_critical"],
                "failed_warning": summary["failed_warning"],
                "handled": summary["handled"],
                "rows": len(frame),
            }
        )
        tracking.log_artifacts(paths.VALIDATION_REPORT, paths.VALIDATION_RESULT)
        tracking.set_tags({"validation_success": summary["success"]})
        if not summary["success"]:
            raise ValidationFailedError(failure_message(summary))
    return {"result": paths.VALIDATION_RESULT, "report": paths.VALIDATION_REPORT}
