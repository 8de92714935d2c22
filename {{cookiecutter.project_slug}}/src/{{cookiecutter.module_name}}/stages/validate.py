"""Stage ``validate``: the raw table against its Great Expectations suite.

Writes the full validation result (JSON) and a self-contained HTML report, then fails with
a summary grouped by column when any critical expectation fails. ``split`` depends on the
result file and re-checks it, so no later stage runs on data that failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from .. import paths, tracking
from ..checks import check_params_table
from ..config import Params
from ..data import file_hash, load_table
from ..errors import StageError, ValidationFailedError
from ..imbalance import metric_warning
from ..outputs import write_json, write_text
from ..validation_report import (
    describe,
    failure_message,
    render_report,
    restore_hint,
    warning_lines,
)


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


def run(params: Params) -> dict[str, Path]:
    """Validate the raw table; write the result and the report.

    Failed expectations of severity ``warning`` are printed and listed but do not fail
    the stage; so is a rare class with ``compare.primary_metric`` accuracy or f1
    (:func:`..imbalance.metric_warning`).

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
        expectations = [
            describe(outcome, frame, suite_path, params.data.target)
            for outcome in result["results"]
        ]
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
        advice = (
            metric_warning(
                frame[params.data.target], params.data.task, params.compare.primary_metric
            )
            if params.data.target in frame.columns
            else None
        )
        if advice is not None:
            expectations.append(
                {
                    "column": params.data.target,
                    "expectation": "check: primary metric suits the class balance",
                    "severity": "warning",
                    "success": False,
                    "detail": advice,
                }
            )
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
        for line in warning_lines(summary):
            print(line)
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
            raise ValidationFailedError(failure_message(summary, restore_hint(params.data.path)))
    return {"result": paths.VALIDATION_RESULT, "report": paths.VALIDATION_REPORT}
