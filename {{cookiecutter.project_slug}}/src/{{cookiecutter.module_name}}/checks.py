"""Checks of the table before training, beyond what an expectation suite can say.

Each finding names the column, what is wrong and the setting or action that fixes it.
``critical`` findings fail the ``validate`` stage; ``warning`` ones are printed and reported
but let it pass (rows repeated exactly: the splits keep them together); ``handled`` ones are
dealt with by the pipeline (and reported): a constant column carries no signal but does no
harm; an all-empty column is dropped by the imputer.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import DataParams, Params
from .data import record_lines
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
    """One problem found in the table: ``severity`` is ``critical``, ``warning`` or ``handled``."""

    column: str
    check: str
    severity: str
    detail: str


def target_values(column: pd.Series) -> list[str]:
    """Return a column's non-missing values as text, as the rules of :mod:`.targets` take them.

    Numbers read as floats show as ``"472900.0"``, never as ``np.float64(472900.0)``.
    """
    return [str(value) for value in column.dropna().tolist()]


def file_lines(rows: Iterable[int], source: DataParams | None = None, shown: int = 5) -> str:
    """Name table rows by their line in the CSV file: ``line 7`` or ``lines 7, 9 and 3 more``.

    With ``source`` (the ``data`` params that read the table) the lines are read from the
    file (:func:`.data.record_lines`: fields spanning lines, blank lines); without it, row
    ``i`` (from 0 after the header) is taken to be on line ``i + 2``.
    """
    rows = [int(row) for row in rows]
    exact = record_lines(source, rows[:shown]) if source is not None else {}
    numbers = [exact.get(row, row + 2) for row in rows]
    listed = ", ".join(str(number) for number in numbers[:shown])
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return f"line{'s' if len(numbers) > 1 else ''} {listed}{more}"


def _redraft_note() -> str:
    return (
        "; the values then read as missing, so let the expectation suite accept them in "
        "this column (lower `mostly` of its expect_column_values_to_not_be_null) or draft "
        f"the suite again: python -m {__package__} init-suite --force"
    )


def _na_values_fix(tokens: list[str]) -> str:
    return f"data.na_values: [{', '.join(json.dumps(token) for token in tokens)}] in params.yaml"


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


def rare_class_fix(
    rows: int, test_size: float, cv_folds: int, resample_folds: int | None = None
) -> str:
    """The fix for a class of ``rows`` rows that works: folds that fit, or more rows.

    A stratified split needs two rows of a class, and its training part needs one row of
    the class per cross-validation fold: ``k`` folds fit when ``k <= rows * (1 - test_size)``.
    A table scored by resampling (``resample_folds``) holds out one of ``resample_folds``
    folds instead (``test_size`` is then ``1 / resample_folds``), which also needs a row of
    the class per fold: when ``rows < resample_folds`` both settings must come down.
    """
    if resample_folds is not None and rows < resample_folds:
        inner = min(cv_folds, rows - 1)
        if rows >= 3:
            return (
                f"set split.resample_folds to {rows} and baseline.cv_folds to {inner} or lower "
                "in params.yaml, merge the class or add rows"
            )
        return (
            f"lowering the folds cannot help a class of {rows} row(s); merge it into another "
            "class or add rows (at least 3, with split.resample_folds 3 and baseline.cv_folds 2)"
        )
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


def _infinite_values(
    frame: pd.DataFrame, target: str, na_values: list[str], source: DataParams | None
) -> list[Finding]:
    """A critical finding per numeric column (target included) holding inf or -inf.

    ``na_values`` is the complete list to advise for ``data.na_values`` (the current one
    merged with every token the other checks ask for).
    """
    findings = []
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        infinite = pd.Series(
            np.isinf(values.to_numpy(dtype=float, na_value=np.nan)), index=values.index
        )
        if not infinite.any():
            continue
        lines = file_lines(infinite[infinite].index, source)
        found = f"{int(infinite.sum())} infinite value(s) ({lines})"
        if column == target:
            fix = "a target must be a finite number: correct or remove those rows in the data"
        else:
            fix = (
                "which no model can fit; correct them in the data, or read them as missing "
                f"with {_na_values_fix(na_values)}{_redraft_note()}"
            )
        findings.append(Finding(column, "infinite_values", "critical", f"{found}; {fix}"))
    return findings


def junk_tokens(present: pd.Series) -> list[str]:
    """The non-numeric tokens of a mostly numeric text column (empty if it is not one).

    Mostly numeric: at least :data:`NUMERIC_SHARE` of the non-missing values parse as numbers,
    so a few placeholders such as ``?`` turned the whole column into text. Tokens are
    returned exactly as written (spaces kept: ``data.na_values`` matches whole values).
    """
    text = present.astype(str)
    numeric = pd.to_numeric(text.str.strip(), errors="coerce").notna()
    if numeric.all() or numeric.mean() < NUMERIC_SHARE:
        return []
    return sorted(text[~numeric].unique())


def numeric_junk_detail(
    present: pd.Series, tokens: list[str], na_values: list[str], source: DataParams | None = None
) -> str:
    """The message for a numeric column made text by ``tokens``: count, lines and fix.

    ``na_values`` is the complete list to advise for ``data.na_values`` (the current one
    merged with the tokens of every column), so that applying it fixes every column.
    """
    bad = present.astype(str).isin(tokens)
    quoted = ", ".join(f'"{token}"' for token in tokens[:5])
    return (
        f"mostly numbers, but {int(bad.sum())} value(s) are {quoted} "
        f"({file_lines(bad[bad].index, source)}), so it is read as text and one-hot encoded; "
        f"if they mean missing, set {_na_values_fix(na_values)}{_redraft_note()}; else "
        "correct them in the data"
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
    na_values: list[str] | None = None,
    source: DataParams | None = None,
    resample_folds: int | None = None,
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
    na_values : list of str, default=None
        ``data.na_values``: kept in the advice that extends it.
    source : DataParams, default=None
        How the table was read: messages then name the file's exact lines.
    resample_folds : int, default=None
        ``split.resample_folds`` when the table is scored by resampling (fewer rows than
        ``split.resample_below_rows``): each fold holds out ``1 / resample_folds`` of a
        class instead of ``test_size``.

    Returns
    -------
    list of Finding
        Empty when nothing needs attention; only ``critical`` findings stop training.
    """
    held_out = f"split.test_size {test_size}"
    if resample_folds is not None:
        test_size = 1 / resample_folds
        held_out = (
            f"split.resample_folds {resample_folds} (a table under split.resample_below_rows)"
        )
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
        findings.append(
            Finding(
                target,
                "target_missing_values",
                "critical",
                f"{int(missing.sum())} rows have no target value "
                f"({file_lines(missing[missing].index, source)}); drop or fill them in the data",
            )
        )
    labels = y.dropna()
    if (
        pd.api.types.is_float_dtype(labels)
        and np.isfinite(labels).all()
        and (labels == labels.round()).all()
    ):
        labels = labels.astype("int64")  # blank targets had turned whole labels into floats
    values = target_values(labels)
    mismatch = task_mismatch(values, task, target)
    if mismatch:
        findings.append(Finding(target, "task_mismatch", "critical", mismatch))
    # Class checks on measurements would only list hundreds of one-row "classes".
    if task != "regression" and not looks_continuous(values):
        counts = labels.value_counts()
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
                    f"with {held_out} and {cv_folds}-fold cross-validation needs "
                    f"at least {needed}: "
                    + rare_class_fix(int(counts.min()), test_size, cv_folds, resample_folds),
                )
            )
    features = frame.columns.drop([target, *dropped], errors="ignore")
    junk = {
        column: tokens
        for column in features
        if pd.api.types.is_string_dtype(frame[column])
        and (tokens := junk_tokens(frame[column].dropna()))
    }
    infinite = any(
        pd.api.types.is_float_dtype(frame[column])
        and np.isinf(frame[column].to_numpy(dtype=float, na_value=np.nan)).any()
        for column in features
    )
    advised = sorted(
        {*(na_values or []), *(t for tokens in junk.values() for t in tokens)}
        | ({"inf", "-inf"} if infinite else set())
    )
    findings += _infinite_values(
        frame.drop(columns=dropped, errors="ignore"), target, advised, source
    )
    for column in features:
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
        if column in junk:
            findings.append(
                Finding(
                    column,
                    "numeric_junk",
                    "critical",
                    numeric_junk_detail(present, junk[column], advised, source),
                )
            )
        elif (
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
    repeats = frame.duplicated()
    if repeats.any():
        first = frame.duplicated(keep="last") & ~repeats
        read_as = " as read (data.na_values read as missing)" if na_values else ""
        findings.append(
            Finding(
                "(table)",
                "duplicate_rows",
                "warning",
                f"{int(repeats.sum())} row(s) repeat an earlier row exactly{read_as} "
                f"({file_lines(repeats[repeats].index, source)}; earlier copies on "
                f"{file_lines(first[first].index, source)}). They are kept together: rows with "
                "identical feature values fall on the same side of the split and of every "
                "cross-validation fold, so no copy is both trained on and tested on. In survey "
                "or panel data they are usually different people with the same answers: keep "
                "them, as deleting them biases the sample. Delete the repeated lines from the "
                "file only if they are true copies of one record (entered or exported twice)",
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
        na_values=params.data.na_values,
        source=params.data,
        resample_folds=(
            params.split.resample_folds if len(frame) < params.split.resample_below_rows else None
        ),
    )
