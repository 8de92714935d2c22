"""Loading the raw table: one loader, the same for validation and training."""

from __future__ import annotations

import csv
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .config import DataParams
from .errors import StageError
from .paths import ROW_ID, TEST, TRAIN


class DataError(StageError):
    """The raw table cannot be read as configured; the message names the file and setting."""


def load_table(
    data: DataParams,
    *,
    text_columns: Iterable[str] = (),
    path_fix: str = "set data.path in params.yaml",
) -> pd.DataFrame:
    """Read the raw CSV with the ``data`` settings of params.yaml.

    Parameters
    ----------
    data : DataParams
        ``path``, ``sep``, ``encoding``, ``decimal`` and ``na_values`` are passed to
        :func:`pandas.read_csv`.
    text_columns : iterable of str, default=()
        Columns read as text whatever they hold (a batch to score: ``007`` stays
        ``007`` where training read text); names absent from the file are ignored.
    path_fix : str, default="set data.path in params.yaml"
        What a missing or empty file's message tells the user to do.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
        The table as read; text columns have pandas' ``str`` dtype. Whole numbers beyond
        the 64-bit signed range (``uint64``, or Python integers pandas leaves as objects)
        become float64, the dtype every later step (suite, split files, models) handles.

    Raises
    ------
    DataError
        If the file is missing or empty, cannot be decoded with ``data.encoding``, repeats
        a column name, or reads as one column whose name holds another separator
        (``data.sep`` is wrong).
    """
    try:
        frame = pd.read_csv(
            data.path,
            sep=data.sep,
            encoding=data.encoding,
            decimal=data.decimal,
            na_values=data.na_values or None,
            dtype=dict.fromkeys(text_columns, "str") or None,
        )
    except FileNotFoundError as exc:
        raise DataError(f"{data.path}: file not found; {path_fix}") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{data.path}: the file is empty; {path_fix}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{data.path}: byte {_first_undecodable(data.path, data.encoding)} cannot be decoded "
            f"as {data.encoding!r}; set data.encoding in params.yaml (for example 'latin-1')"
        ) from exc
    _check_header(frame, data)
    return _wide_integers_as_floats(frame)


def _wide_integers_as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    wide = [
        column
        for column in frame.columns
        if frame[column].dtype == "uint64"
        or (
            frame[column].dtype == object
            and pd.api.types.infer_dtype(frame[column], skipna=True) == "integer"
        )
    ]
    return frame.astype(dict.fromkeys(wide, "float64")) if wide else frame


def _check_header(frame: pd.DataFrame, data: DataParams) -> None:
    if frame.shape[1] == 1:
        name = str(frame.columns[0])
        for sep in (";", "\t", "|", ","):
            if sep != data.sep and sep in name:
                raise DataError(
                    f"{data.path}: read as one column named {name[:60]!r}, which holds "
                    f"{sep!r}; set data.sep: {sep!r} in params.yaml"
                )
    header = pd.read_csv(data.path, sep=data.sep, encoding=data.encoding, header=None, nrows=1)
    names = header.iloc[0].astype(str)
    repeated = sorted(set(names[names.duplicated()]))
    if repeated:
        raise DataError(
            f"{data.path}: column name(s) {repeated} appear more than once in the header; "
            "rename them in the file so that every column has its own name"
        )


def record_lines(data: DataParams, records: Iterable[int]) -> dict[int, int]:
    """The line of the CSV file on which each record of :func:`load_table` starts.

    Record ``i`` is row ``i`` of the table (from 0, after the header). Quoted fields that
    span lines and blank lines (which pandas skips) shift records from line ``i + 2``; the
    file is read with :mod:`csv` up to the last record asked for.

    Returns
    -------
    dict of int to int
        Record to its first line (1 is the header's); empty if the file cannot be read
        with :mod:`csv` (a separator of several characters).
    """
    wanted = set(records)
    found: dict[int, int] = {}
    if not wanted:
        return found
    try:
        with data.path.open(encoding=data.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=data.sep)
            record, last = -1, 0  # -1: the header
            for row in reader:
                first, last = last + 1, reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # a blank line: pandas skips it
                if record in wanted:
                    found[record] = first
                record += 1
                if record > max(wanted):
                    break
    except (OSError, UnicodeDecodeError, TypeError, csv.Error):
        return {}
    return found


def _first_undecodable(path: Path, encoding: str) -> int:
    """Offset of the first byte of ``path`` that ``encoding`` cannot decode (-1 if none)."""
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def read_splits() -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Read the train and test splits written by the ``split`` stage.

    Returns
    -------
    train : DataFrame of shape (n_train, n_columns + 1)
    test : DataFrame of shape (n_test, n_columns + 1), or None
        None when the table is scored by resampling (:mod:`.evaluation`): no test split,
        ``train`` holds every row.

    Raises
    ------
    StageError
        If a split is missing (the ``split`` stage has not run).
    """
    try:
        return pd.read_parquet(TRAIN), pd.read_parquet(TEST) if TEST.exists() else None
    except FileNotFoundError as exc:
        raise StageError(
            f"{exc.filename} not found: run the split stage first (dvc repro)"
        ) from exc


def file_hash(path: Path) -> str:
    """Return the MD5 hex digest of a file (the same digest DVC records).

    A file is read once per process while its size and modification time stay the same.
    """
    stat = path.stat()
    return _md5(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _md5(path: Path, size: int, mtime_ns: int) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "md5").hexdigest()


def features_and_target(
    frame: pd.DataFrame, target: str, task: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Split a split table into model inputs and target.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        A split table: ``row_id``, the target and the feature columns.
    target : str
        Name of the target column.
    task : {"binary", "multiclass", "regression"}
        For classification the target is returned as text, so class labels read the
        same in every file (``0`` and ``"0"`` are one class).

    Returns
    -------
    X : DataFrame of shape (n_rows, n_columns - 2)
    y : Series of shape (n_rows,)
    """
    y = frame[target]
    if task != "regression":
        y = y.astype(str)
    return frame.drop(columns=[ROW_ID, target]), y
