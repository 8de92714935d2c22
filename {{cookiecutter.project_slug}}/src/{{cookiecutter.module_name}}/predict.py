"""Command ``predict``: score a batch of new rows with the champion (or a named candidate).

``python -m <package> predict BATCH.csv [--output PATH] [--model NAME]``

1. Reads the batch with the raw table's loader settings (``data.*``) and gives every
   feature column its training type (:mod:`.batch`); a missing feature column, infinite
   numbers or an empty file stop it.
2. Checks the feature columns against the expectation suite (target and table
   expectations left out) and reports what does not fit, per column; the model still
   scores those values.
3. Compares each feature with the training split (:mod:`.drift`) and flags shifts.
4. Scores with the model behind the MLflow alias ``champion`` (default), or with a
   candidate's saved model (``--model linear``), and writes one row per batch row, in the
   batch's order: identifier columns (``data.drop_columns`` present in the batch), the
   prediction, each class's probability, the model and its version. The file is written
   whole or not at all. With the target in the batch, its metrics are reported too.
5. Logs one MLflow run ``predict``: the input's hash and size, the validation and drift
   summaries, the model version and the predictions file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import paths, tracking
from .batch import Batch, read_batch, validate_batch
from .candidates import Candidate, predict_rows
from .config import Params
from .data import features_and_target, file_hash
from .drift import drift_table
from .errors import StageError
from .features import ColumnTypes
from .metrics import PROBA_PREFIX, evaluate, positive_class
from .outputs import write_csv, write_parquet
from .targets import did_you_mean

PREDICTIONS_DIR = Path("predictions")
CHAMPION = "champion"
#: Folders whose files the stages write or DVC tracks: never a place for predictions.
PROJECT_FOLDERS = ("data", "models", "candidates", "reports", "expectations")
#: Drift table rows printed (flagged columns first, then by PSI); the run holds every one.
CONSOLE_ROWS = 30


def default_output(batch: Path) -> Path:
    """``predictions/<batch name>.csv``."""
    return PREDICTIONS_DIR / f"{batch.stem}.csv"


def load_champion(params: Params) -> tuple[Any, str, str]:
    """Load the model behind the alias ``champion`` of the registered model ``mlflow.experiment``.

    Returns
    -------
    model : fitted scikit-learn estimator
    candidate : str
        The candidate it was (``linear``, ``hgb``, ``mlp``).
    version : str
        Its model version, e.g. ``"3"``.

    Raises
    ------
    StageError
        If no version has the alias (``dvc repro`` not run, or ``compare`` never
        registered a champion), naming the way to score with a candidate instead.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    name = params.mlflow.experiment
    try:
        version = mlflow.MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        raise StageError(
            f"no model {name!r} with the alias {CHAMPION!r} in the tracking store "
            f"{mlflow.get_tracking_uri()}: run dvc repro first (compare registers the champion "
            "when compare.register_champion is true), or score with a candidate's saved model: "
            "--model linear"
        ) from exc
    model = mlflow.sklearn.load_model(f"models:/{name}/{version.version}")
    return model, version.tags.get("candidate", "unknown"), str(version.version)


def load_candidate(name: str) -> tuple[Any, str, str]:
    """Load a candidate's saved model (``models/<stage>/<name>.joblib``) by its name.

    Returns
    -------
    model, candidate, version
        The version is ``local <first 12 hex digits of the file's MD5>``.

    Raises
    ------
    StageError
        If no candidate has that name (the known names are listed).
    """
    import joblib

    cards = {card.stem: card for card in sorted(paths.CANDIDATES_DIR.glob("*/*.json"))}
    if name not in cards:
        known = ", ".join(sorted(cards)) or "none yet (run dvc repro first)"
        raise StageError(
            f"--model {name}: no such candidate (candidates: {known}; or {CHAMPION}, the "
            f"registered champion){did_you_mean(name, list(cards))}"
        )
    candidate = Candidate(**json.loads(cards[name].read_text(encoding="utf-8")))
    model_path = Path(candidate.model_path)
    if not model_path.exists():
        raise StageError(f"{model_path} not found: run dvc repro (or dvc pull) first")
    return joblib.load(model_path), name, f"local {file_hash(model_path)[:12]}"


def batch_metrics(
    frame: pd.DataFrame,
    predicted: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str] | None,
    params: Params,
) -> tuple[dict[str, float], str]:
    """Score the batch against its target, where the batch has one.

    Returns
    -------
    metrics : dict of str to float
        Those of :func:`.metrics.evaluate`, on the rows whose target is present; empty
        when they cannot be computed.
    note : str
        Why metrics are missing, or on how many rows they were computed.
    """
    target, task = params.data.target, params.data.task
    if target not in frame.columns:
        return {}, "no target column in the batch: no metrics"
    labelled = frame[target].notna().to_numpy()
    y = frame.loc[labelled, target]
    if task != "regression":
        if pd.api.types.is_float_dtype(y) and (y == y.round()).all():
            y = y.astype("int64")  # read as floats because of blanks: 1.0 is the class '1'
        y = y.astype(str)
    if task == "regression" and not pd.api.types.is_numeric_dtype(y):
        return {}, f"target {target!r} of the batch is not numeric: no metrics"
    table = pd.DataFrame({"y_true": y.to_numpy(), "y_pred": predicted[labelled]})
    if classes is not None and proba is not None:
        unknown = sorted(set(table["y_true"]) - set(classes))
        if unknown:
            return {}, f"target {target!r} has classes the model never saw ({unknown}): no metrics"
        if table["y_true"].nunique() < 2:
            return {}, f"target {target!r} has one class in this batch: no metrics"
        for index, label in enumerate(classes):
            table[f"{PROBA_PREFIX}{label}"] = proba[labelled, index]
    if len(table) < 2:
        return {}, "fewer than 2 rows with a target: no metrics"
    positive = positive_class(classes, params.data.positive_class) if task == "binary" else None
    return evaluate(table, task, positive), f"on the {len(table):,} rows with a target"


def output_table(
    batch: Batch,
    predicted: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str] | None,
    ids: list[str],
    model: tuple[str, str],
) -> pd.DataFrame:
    """The predictions file: one row per batch row, in the batch's order.

    Returns
    -------
    DataFrame of shape (n_rows, n_ids + 1 + n_classes + 2)
        Identifier columns, ``prediction``, ``proba_<class>`` per class (classification),
        ``model`` (the candidate) and ``model_version``.
    """
    table = batch.frame[ids].reset_index(drop=True)
    table["prediction"] = predicted
    if classes is not None and proba is not None:
        for index, label in enumerate(classes):
            table[f"{PROBA_PREFIX}{label}"] = proba[:, index]
    table["model"], table["model_version"] = model
    return table


def _print_report(
    batch: Batch,
    drift: pd.DataFrame,
    metrics: dict[str, float],
    note: str,
    source: str,
    min_rows: int,
) -> None:
    from tabulate import tabulate

    rows = len(batch.frame)
    print(f"predict: {rows:,} rows of {source}")
    if batch.ignored:
        print(f"predict: columns not used by the model, ignored: {', '.join(batch.ignored)}")
    for finding in batch.findings:
        print(f"predict: values: {finding.column!r}: {finding.detail}")
    flagged = drift[drift["drift"]]
    judged = rows >= min_rows
    print(
        f"predict: drift against the training split: {len(flagged)} of {len(drift)} column(s) "
        "flagged"
        + ("" if judged else f" (shifts not judged: {rows} row(s) < predict.drift_min_rows)")
        + " (missing: share in training -> in the batch)"
    )
    top = drift.sort_values(["drift", "psi"], ascending=False, kind="stable").head(CONSOLE_ROWS)
    shown = top.assign(
        missing=[
            f"{a:.0%} -> {b:.0%}"
            for a, b in zip(top["missing_train"], top["missing_batch"], strict=True)
        ],
        drift=top["drift"].map({True: "yes", False: ""}),
    )[["column", "kind", "missing", "psi", "ks_statistic", "drift", "reason"]]
    print(tabulate(shown, headers="keys", tablefmt="github", showindex=False, floatfmt=".3f"))
    if len(drift) > CONSOLE_ROWS:
        print(f"... and {len(drift) - CONSOLE_ROWS} more column(s): drift.json in the MLflow run")
    if len(flagged):
        print(f"predict: warning: drift in {', '.join(flagged['column'])}")
    if metrics:
        shown_metrics = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items())
        print(f"predict: batch metrics {note}: {shown_metrics}")
    else:
        print(f"predict: {note}")


def run(params: Params, *, source: Path, output: Path | None = None, model: str = CHAMPION) -> Path:
    """Score ``source`` and write its predictions; return the predictions file's path.

    Parameters
    ----------
    params : Params
    source : Path
        CSV batch, read with the ``data`` loader settings.
    output : Path, default=None
        Where to write (``.csv`` or ``.parquet``); default ``predictions/<batch name>.csv``.
    model : str, default="champion"
        ``champion`` (the MLflow alias) or a candidate's name.

    Raises
    ------
    StageError
        The batch cannot be scored (:class:`.batch.BatchError`), the model cannot be found,
        the split is missing, or ``output`` is the batch itself. The MLflow run ends
        FAILED and no predictions file is written.
    """
    output = output or default_output(source)
    if source.is_dir():
        raise StageError(f"{source} is a folder; give the CSV file to score")
    if output.suffix.lower() not in {".csv", ".parquet"}:
        raise StageError(f"--output {output}: give a .csv or .parquet file name")
    if output.resolve() == source.resolve():
        raise StageError(f"--output {output} is the batch itself; give another file name")
    root = Path.cwd().resolve()
    if any(output.resolve().is_relative_to(root / folder) for folder in PROJECT_FOLDERS):
        raise StageError(
            f"--output {output} is inside the pipeline's folders ({', '.join(PROJECT_FOLDERS)}), "
            f"whose files DVC and the stages own; write under {PREDICTIONS_DIR}/ or elsewhere"
        )
    for parent in output.parents:
        if parent.exists() and not parent.is_dir():
            raise StageError(f"--output {output}: {parent} is a file, not a folder")
    if not paths.TRAIN.exists():
        raise StageError(f"{paths.TRAIN} not found: run dvc repro (or dvc pull) first")
    with tracking.logged_run("predict", params):
        fitted, candidate, version = (
            load_champion(params) if model == CHAMPION else load_candidate(model)
        )
        train = pd.read_parquet(paths.TRAIN)
        X_train, _ = features_and_target(train, params.data.target, params.data.task)
        types = ColumnTypes().fit(X_train)
        trained_on = [str(c) for c in getattr(fitted, "feature_names_in_", X_train.columns)]
        if trained_on != [str(c) for c in X_train.columns]:
            raise StageError(
                f"model {candidate} (version {version}) was fitted on other columns than "
                f"{paths.TRAIN}: run dvc repro so that the split and the models agree"
            )
        batch = read_batch(source, params, types)
        batch.findings.extend(validate_batch(batch, params.validate_.suite))
        drift = drift_table(X_train, batch.frame[batch.features], types.numeric_, params.predict)
        classes = None if params.data.task == "regression" else [str(c) for c in fitted.classes_]
        predicted, proba = predict_rows(fitted, batch.frame[batch.features], classes)
        metrics, note = batch_metrics(batch.frame, predicted, proba, classes, params)
        ids = [c for c in params.data.drop_columns if c in batch.frame.columns]
        table = output_table(batch, predicted, proba, classes, ids, (candidate, version))
        _print_report(batch, drift, metrics, note, str(source), params.predict.drift_min_rows)
        _track(source, output, batch, drift, metrics, (candidate, version, model))
        (write_parquet if output.suffix.lower() == ".parquet" else write_csv)(output, table)
        tracking.log_artifacts(output, directory="predictions")
    print(f"predict: {len(table):,} predictions of {candidate} (version {version}) in {output}")
    return output


def _track(
    source: Path,
    output: Path,
    batch: Batch,
    drift: pd.DataFrame,
    metrics: dict[str, float],
    model: tuple[str, str, str],
) -> None:
    import mlflow

    candidate, version, asked = model
    tracking.log_params(
        {"input": str(source.resolve()), "output": str(output.resolve()), "model": asked}
    )
    tracking.set_tags(
        {
            "input_hash": file_hash(source),
            "model_candidate": candidate,
            "model_version": version,
            "drift_flagged": ", ".join(drift.loc[drift["drift"], "column"]) or "none",
            "ignored_columns": ", ".join(batch.ignored) or "none",
        }
    )
    tracking.log_metrics(
        {
            "rows": len(batch.frame),
            "columns_with_unexpected_values": len({f.column for f in batch.findings}),
            "drifted_columns": int(drift["drift"].sum()),
        }
    )
    tracking.log_metrics(metrics, prefix="batch_")
    tracking.log_table(drift, "drift.json")
    mlflow.log_dict({"findings": [asdict(f) for f in batch.findings]}, "validation.json")
