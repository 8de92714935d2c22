"""Rules about the target column, in the standard library only.

The pre-generation hook loads this file by path in a Python that may have nothing but
cookiecutter, so it imports no third-party package and nothing relative. The pandas side
(``checks``, ``suite``, ``metrics``) calls the same functions with the target's values as
text, so each rule exists once.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import math
from collections.abc import Sequence
from pathlib import Path

#: Text that pandas reads as missing by default (``pandas.read_csv``'s ``na_values``).
MISSING = frozenset(
    {
        *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
        *("1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
    }
)
#: A numeric target with more distinct values than this is no longer a set of classes...
MAX_CLASSES = 20
#: ... if it also has fewer than this many rows per distinct value (or non-integer values).
MIN_ROWS_PER_CLASS = 10
#: Lower-case label pairs whose first member is the positive class.
POSITIVE_PAIRS = frozenset(
    {
        ("yes", "no"),
        ("y", "n"),
        ("true", "false"),
        ("t", "f"),
        ("positive", "negative"),
        ("pos", "neg"),
        ("present", "absent"),
        ("+", "-"),
    }
)
#: Words that turn a label into its negation ("churn" / "no churn").
NEGATIONS = ("no", "not", "non")
#: Rows read by :func:`check_csv_target` (enough to tell a task from its target).
MAX_ROWS = 200_000


def show(value: object) -> str:
    """Show a value as the user wrote it: text quoted (``'yes'``), numbers bare (``472900.0``).

    NumPy scalars are shown as the Python number they hold, never as ``np.float64(...)``.
    """
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    return repr(value) if isinstance(value, str) else str(value)


def suggest(name: str, choices: Sequence[str]) -> str | None:
    """Return the choice closest to ``name`` (case-insensitive, :mod:`difflib`), or None.

    Parameters
    ----------
    name : str
        A name as the user typed it, such as a misspelt column.
    choices : sequence of str
        The names that exist.

    Returns
    -------
    str or None
        The closest choice, as spelt in ``choices``; None if none is close.
    """
    lowered = {str(choice).lower(): str(choice) for choice in choices}
    exact = lowered.get(name.lower())
    if exact is not None and exact != name:
        return exact
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def did_you_mean(name: str, choices: Sequence[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""`` if none is close."""
    close = suggest(name, choices)
    return f"; did you mean {close!r}?" if close else ""


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values))


def _examples(distinct: list[str]) -> str:
    if len(distinct) <= 3:
        return "/".join(distinct)
    return f"{', '.join(distinct[:3])}, ... ({len(distinct)} distinct)"


def looks_continuous(values: Sequence[str]) -> bool:
    """Whether a target's values (as text) are measurements rather than class labels.

    True when every value is a number and there are more than ``MAX_CLASSES`` distinct
    values with fractions, or with fewer than ``MIN_ROWS_PER_CLASS`` rows each.
    """
    distinct = _distinct(values)
    numbers = [_number(value) for value in distinct]
    if len(distinct) <= MAX_CLASSES or None in numbers:
        return False
    fractional = any(number != int(number) for number in numbers if number is not None)
    return fractional or len(values) < MIN_ROWS_PER_CLASS * len(distinct)


def task_mismatch(
    values: Sequence[str],
    task: str,
    column: str,
    *,
    key: str = "data.task",
    file: str = "params.yaml",
) -> str | None:
    """Say why the target's values do not fit ``task``, or return None when they do.

    Parameters
    ----------
    values : sequence of str
        The target's non-missing values, as text (``"yes"``, ``"472900.0"``).
    task : {"binary", "multiclass", "regression"}
    column : str
        The target column's name, for the message.
    key : str, default="data.task"
        The setting the message tells the user to change.
    file : str, default="params.yaml"
        Where that setting lives ("" to leave it out).

    Returns
    -------
    str or None
        One line naming the column, a few of its values and the task to set, e.g.
        "`churned` holds text values yes/no: a classification target; set data.task:
        binary in params.yaml".
    """
    distinct = _distinct(values)
    if not distinct:
        return None
    numbers = [_number(value) for value in distinct]
    numeric = sum(number is not None for number in numbers)
    where = f" in {file}" if file else ""
    classes = "binary" if len(distinct) == 2 else "multiclass"
    if task == "regression":
        if numeric < len(distinct) / 2:
            kind = f"holds text values {_examples(distinct)}: a classification target"
        elif len(distinct) == 2:
            kind = f"holds only two values {_examples(distinct)}: a classification target"
        else:
            return None
        return f"`{column}` {kind}; set {key}: {classes}{where}"
    if looks_continuous(values):
        return (
            f"`{column}` has {len(distinct)} distinct numeric values (e.g. "
            f"{', '.join(distinct[:3])}): looks like a regression target; "
            f"set {key}: regression{where}"
        )
    if task == "binary" and len(distinct) > 2:
        return (
            f"`{column}` has {len(distinct)} classes ({_examples(distinct)}): task binary needs "
            f"exactly two; set {key}: multiclass{where}"
        )
    if task == "multiclass" and len(distinct) == 2:
        return f"`{column}` has two classes {_examples(distinct)}; set {key}: binary{where}"
    return None


def _normalised(label: str) -> str:
    return " ".join(label.lower().replace("_", " ").replace("-", " ").split())


def _negates(label: str, other: str) -> bool:
    """Whether ``label`` is ``other`` negated: "no churn", "not_default", "non-smoker"."""
    words, base = _normalised(label), _normalised(other)
    return bool(base) and any(
        words in (f"{negation} {base}", f"{negation}{base}") for negation in NEGATIONS
    )


def infer_positive_class(values: Sequence[str]) -> str | None:
    """Return the positive label of a two-class target when the labels make it certain.

    Certain pairs (case-insensitive): yes/no, y/n, true/false, t/f, positive/negative,
    pos/neg, present/absent, +/-, the numbers 1/0 and 1/-1, and a label with its negation
    ("churn"/"no churn", "smoker"/"non-smoker").

    Parameters
    ----------
    values : sequence of str
        The target's values (or its distinct classes) as text.

    Returns
    -------
    str or None
        The positive label as written in ``values``; None if there are not exactly two
        labels or neither is clearly positive.

    Examples
    --------
    >>> infer_positive_class(["no", "Yes", "no"])
    'Yes'
    >>> infer_positive_class(["cat", "dog"]) is None
    True
    """
    distinct = _distinct(values)
    if len(distinct) != 2:
        return None
    first, second = distinct
    for positive, negative in ((first, second), (second, first)):
        if (positive.lower(), negative.lower()) in POSITIVE_PAIRS or _negates(negative, positive):
            return positive
    numbers = [_number(label) for label in distinct]
    if None not in numbers:
        for label, number in zip(distinct, numbers, strict=True):
            if number == 1 and set(numbers) in ({0.0, 1.0}, {-1.0, 1.0}):
                return label
    return None


def resolve_positive_class(classes: Sequence[str], configured: str | None) -> tuple[str, str]:
    """Return the positive class of a binary target and how it was chosen, for reports.

    Parameters
    ----------
    classes : sequence of str
        The two classes.
    configured : str or None
        ``data.positive_class``.

    Returns
    -------
    positive : str
    how : str
        "set in data.positive_class", "inferred from the labels no/yes" or "the last class
        in sorted order (data.positive_class is null)".
    """
    ordered = sorted(classes)
    if configured is not None:
        return configured, "set in data.positive_class"
    inferred = infer_positive_class(ordered)
    if inferred is not None:
        return inferred, f"inferred from the labels {'/'.join(ordered)}"
    return ordered[-1], "the last class in sorted order (data.positive_class is null)"


def check_csv_target(
    path: Path,
    target: str,
    task: str,
    sep: str = ",",
    encoding: str = "utf-8",
    *,
    target_key: str = "target_column",
    task_key: str = "task",
) -> list[str]:
    """Check a CSV's target column against ``task`` with the :mod:`csv` module.

    Parameters
    ----------
    path : Path
    target : str
        The target column's name.
    task : {"binary", "multiclass", "regression"}
    sep, encoding : str
        How to read the file (``data.sep``, ``data.encoding``).
    target_key, task_key : str, default="target_column", "task"
        The settings the messages tell the user to change (the bake's questions).

    Returns
    -------
    list of str
        Problems, each naming the file, the column and the setting: the target is not a
        column (with the columns and a near miss), or its values do not fit ``task``.
        Empty if there is none, or if the file cannot be parsed as configured (the
        project's loader reports that later with the setting to change).
    """
    try:
        with open(path, newline="", encoding=encoding) as handle:
            rows = csv.reader(handle, delimiter=sep)
            header = [name.strip() for name in next(rows)]
            if len(header) < 2 or target not in header:
                values: list[str] = []
            else:
                index = header.index(target)
                values = [
                    row[index].strip()
                    for _, row in zip(range(MAX_ROWS), rows, strict=False)
                    if len(row) > index and row[index].strip() not in MISSING
                ]
    except (OSError, UnicodeDecodeError, csv.Error, StopIteration):
        return []
    if len(header) < 2:
        return []  # one column: another separator; the loader names data.sep
    if target not in header:
        return [
            f"{path.name} has no column {target!r} (columns: {', '.join(header)})"
            f"{did_you_mean(target, header)}; set {target_key}"
        ]
    mismatch = task_mismatch(values, task, target, key=task_key, file="")
    return [f"{path.name}: {mismatch}"] if mismatch else []
