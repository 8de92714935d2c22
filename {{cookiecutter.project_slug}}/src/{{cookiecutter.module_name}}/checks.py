"""Checks of the table before training, beyond what an expectation suite can say.

Each finding names the column, what is wrong and the setting or action that fixes it.
``critical`` findings fail the ``validate`` stage; ``handled`` ones are dealt with by the
pipeline (and reported): a constant column carries no signal but does no harm; an all-empty
column is dropped by the imputer.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Params
from .targets import did_you_mean, looks_continuous, show, task_mismatch

#: Tables smaller than this are too small to call a unique column an identifier.
MIN_ROWS_FOR_IDENTIFIERS = 20
#: A number written with a decimal comma: ``93,03``, ``1.234,5``.
DECIMAL_COMMA = r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+"
#: Share of a text column's values that must look like numbers to call it numeric.
NUMERIC_SHARE = 0.9
#: Values sampled to recognise a text column holding dates or decimal-comma numbers.
DATE_SAMPLE = 200


@dataclass(frozen=True)
class Finding:
    """One problem found in the table: ``severity`` is ``critical`` or ``handled``."""

    column: str
    check: str
    severity: str
    detail: str


def target_values(column: pd.Series) -> list[str]:
    """Return a column's non-missing values as text, as the rules of :mod:`.targets` take them.

    Numbers read as floats show as ``"472900.0"``, never as ``np.float64(472900.0)``.
    """
    return [str(value) for value in column.dropna().tolist()]


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(DATE_SAMPLE)
    if sample.empty or sample.str.fullmatch(r"[+-]?\d+([.,]\d+)?").all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def _share_decimal_comma(present: pd.Series) -> float:
    """Share of the values written like ``93,03`` or ``1.234,5`` (a decimal comma)."""
    sample = present.astype(str).head(DATE_SAMPLE).str.strip()
    return float(sample.str.fullmatch(DECIMAL_COMMA).mean())


def rare_class_fix(rows: int, test_size: float, cv_folds: int) -> str:
    """The fix for a class of ``rows`` rows that works: a ``cv_folds`` that fits, or more rows.

    A stratified split needs two rows of a class, and its training part needs one row of
    the class per cross-validation fold: ``k`` folds fit when ``k <= rows * (1 - test_size)``.
    """
    folds = math.floor(rows * (1 - test_size) + 1e-9)
    if rows >= 2 and 2 <= folds < cv_folds:
        return (
            f"set baseline.cv_folds to {folds} or lower in params.yaml, merge the class or add rows"
        )
    least = max(2, math.ceil(2 / (1 - test_size)))
    return (
        f"lowering baseline.cv_folds cannot help a class of {rows} row(s); merge it into "
        f"another class or add rows (at least {least} with baseline.cv_folds 2)"
    )


def _infinite_values(frame: pd.DataFrame) -> list[Finding]:
    """A critical finding per numeric column (target included) holding inf or -inf."""
    findings = []
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        infinite = pd.Series(np.isinf(values.to_numpy(dtype=float)), index=values.index)
        if infinite.any():
            findings.append(
                Finding(
                    column,
                    "infinite_values",
                    "critical",
                    f"{int(infinite.sum())} infinite value(s) (first in row "
                    f"{infinite.idxmax()}), which no model can fit; replace them in the "
                    'data, or read them as missing with data.na_values: ["inf", "-inf"] in '
                    "params.yaml",
                )
            )
    return findings


def junk_tokens(present: pd.Series) -> list[str]:
    """The non-numeric tokens of a mostly numeric text column (empty if it is not one).

    Mostly numeric: at least :data:`NUMERIC_SHARE` of the non-missing values parse as numbers,
    so a few placeholders such as ``?`` turned the whole column into text.
    """
    text = present.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce").notna()
    if numeric.all() or numeric.mean() < NUMERIC_SHARE:
        return []
    return sorted(text[~numeric].unique())


def numeric_junk_detail(present: pd.Series, tokens: list[str]) -> str:
    """The message for a numeric column made text by ``tokens``: count, first row and fix."""
    bad = present.astype(str).str.strip().isin(tokens)
    quoted = ", ".join(f'"{token}"' for token in tokens[:5])
    return (
        f"mostly numbers, but {int(bad.sum())} value(s) are {quoted} (first in row "
        f"{bad.idxmax()}), so it is read as text and one-hot encoded; if they mean missing, "
        f"set data.na_values: [{quoted}] in params.yaml, else correct them in the data"
    )


def check_table(
    frame: pd.DataFrame,
    *,
    target: str,
    task: str,
    test_size: float,
    cv_folds: int,
    dropped: list[str],
    positive: str | None = None,
) -> list[Finding]:
    """Check a raw table for problems that would make a model wrong or a stage crash.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
    target : str
    task : {"binary", "multiclass", "regression"}
    test_size : float
        ``split.test_size``: a class needs rows on both sides of the split.
    cv_folds : int
        ``baseline.cv_folds``: each class needs a row in every fold of the training split.
    dropped : list of str
        ``data.drop_columns``: columns the models never see (not checked).
    positive : str, default=None
        ``data.positive_class`` (binary tasks): must be one of the classes.

    Returns
    -------
    list of Finding
        Empty when the table is fit to train on.
    """
    findings = [
        Finding(
            column,
            "drop_unknown",
            "critical",
            "listed in data.drop_columns but not a column of the table; fix the name in "
            f"params.yaml{did_you_mean(column, list(frame.columns))}",
        )
        for column in dropped
        if column not in frame.columns
    ]
    if target not in frame.columns:
        missing_target = Finding(
            target,
            "target_missing",
            "critical",
            f"target column not in the table (columns: {list(frame.columns)}); "
            f"set data.target in params.yaml{did_you_mean(target, list(frame.columns))}",
        )
        return [*findings, missing_target]
    y = frame[target]
    missing = y.isna()
    if missing.any():
        rows = ", ".join(str(i) for i in missing[missing].index[:5])
        findings.append(
            Finding(
                target,
                "target_missing_values",
                "critical",
                f"{int(missing.sum())} rows have no target value (rows {rows}); "
                "drop or fill them in the data",
            )
        )
    values = target_values(y)
    mismatch = task_mismatch(values, task, target)
    if mismatch:
        findings.append(Finding(target, "task_mismatch", "critical", mismatch))
    # Class checks on measurements would only list hundreds of one-row "classes".
    if task != "regression" and not looks_continuous(values):
        counts = y.dropna().value_counts()
        needed = max(2, math.ceil(cv_folds / (1 - test_size)))
        if len(counts) < 2:
            findings.append(
                Finding(
                    target,
                    "single_class",
                    "critical",
                    f"only one class ({show(counts.index[0])}); a classifier needs "
                    "two or more: check data.target and the data",
                )
            )
        elif task == "binary" and positive is not None and positive not in counts.index.astype(str):
            findings.append(
                Finding(
                    target,
                    "positive_class",
                    "critical",
                    f"data.positive_class {positive!r} is not a class of the target "
                    f"{sorted(counts.index.astype(str))}; set it to one of them (quoted) or null"
                    f"{did_you_mean(positive, list(counts.index.astype(str)))}",
                )
            )
        if len(counts) >= 2 and counts.min() < needed:
            findings.append(
                Finding(
                    target,
                    "rare_class",
                    "critical",
                    f"class {show(counts.idxmin())} has {counts.min()} rows; a stratified split "
                    f"with split.test_size {test_size} and {cv_folds}-fold cross-validation needs "
                    f"at least {needed}: " + rare_class_fix(int(counts.min()), test_size, cv_folds),
                )
            )
    findings += _infinite_values(frame.drop(columns=dropped, errors="ignore"))
    for column in frame.columns.drop([target, *dropped], errors="ignore"):
        values = frame[column]
        present = values.dropna()
        if present.empty:
            findings.append(
                Finding(
                    column,
                    "all_empty",
                    "handled",
                    "every value is missing: the imputer drops the column",
                )
            )
            continue
        if present.nunique() == 1:
            findings.append(
                Finding(
                    column,
                    "constant",
                    "handled",
                    f"one value only ({show(present.iloc[0])}): it carries no signal",
                )
            )
        text = pd.api.types.is_string_dtype(values)
        if (
            len(frame) >= MIN_ROWS_FOR_IDENTIFIERS
            and values.notna().all()
            and values.nunique() == len(frame)
            and (text or pd.api.types.is_integer_dtype(values))
        ):
            findings.append(
                Finding(
                    column,
                    "identifier",
                    "critical",
                    f"unique in every row (e.g. {show(values.iloc[0])}): an identifier that lets a "
                    "model memorise rows; add it to data.drop_columns in params.yaml",
                )
            )
        elif text and _share_decimal_comma(present) >= NUMERIC_SHARE:
            findings.append(
                Finding(
                    column,
                    "decimal_comma",
                    "critical",
                    f"holds numbers written with a decimal comma (e.g. {show(present.iloc[0])}), "
                    "read as text and so one-hot encoded; set data.decimal: ',' in params.yaml",
                )
            )
        elif text and (junk := junk_tokens(present)):
            findings.append(
                Finding(
                    column,
                    "numeric_junk",
                    "critical",
                    numeric_junk_detail(present, junk),
                )
            )
        elif text and _looks_like_dates(values):
            findings.append(
                Finding(
                    column,
                    "datetime_text",
                    "critical",
                    f"holds dates as text (e.g. {show(present.iloc[0])}), which would be one-hot "
                    "encoded; derive numeric features (year, month, age) in the data or add it to "
                    "data.drop_columns",
                )
            )
    duplicated = frame.duplicated(keep=False)
    if duplicated.any():
        rows = ", ".join(str(i) for i in duplicated[duplicated].index[:6])
        findings.append(
            Finding(
                "(table)",
                "duplicate_rows",
                "critical",
                f"{int(frame.duplicated().sum())} rows repeat others exactly (rows {rows}); copies "
                "split across train and test inflate test scores: drop duplicates from the data",
            )
        )
    return findings


def check_params_table(frame: pd.DataFrame, params: Params) -> list[Finding]:
    """:func:`check_table` with the settings of params.yaml (target, task, split, CV folds)."""
    return check_table(
        frame,
        target=params.data.target,
        task=params.data.task,
        test_size=params.split.test_size,
        cv_folds=params.baseline.cv_folds,
        dropped=params.data.drop_columns,
        positive=params.data.positive_class,
    )
