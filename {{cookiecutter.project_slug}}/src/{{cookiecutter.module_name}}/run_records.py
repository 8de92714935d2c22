"""Run records: a stage's MLflow run kept on disk until one process logs it.

Importing MLflow and opening its store cost about 1.8 s per process on 2 cores (issue 17),
more than the whole work of ``validate`` or ``split`` on small tables. So the stages
before ``compare`` do not open MLflow: each one writes its run (params, metrics, tags,
artifacts, tables, models, nested runs, start and end times, status) as a record under
``mlruns/pending/`` at the project root. ``compare`` (the end of every ``dvc repro``) and
``predict`` log every pending record first, with its original start and end times; a
stage that fails logs the pending records and its own run, FAILED, at once. A record is
deleted once logged, so each stage execution gets exactly one run.

Each logged run is tagged ``record_id``, by which ``compare`` finds the runs of the
candidates it compares (:func:`find_runs`).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Tag naming a run's record, on every run logged from one.
RECORD_TAG = "record_id"
#: Tag of a run that logged a model: the model's URI.
MODEL_TAG = "model_uri"


@contextmanager
def quiet_table_logging() -> Iterator[None]:
    """Hide MLflow's own pandas-3 deprecation warning while it logs a table.

    ``log_table`` selects ``object`` columns, which pandas 3 warns about; nothing in the
    project can change that, and the warning would reach every stage's output.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="For backward compatibility, 'str' dtypes")
        yield


def now_ms() -> int:
    """The time now, in milliseconds since the epoch (MLflow's unit)."""
    return int(time.time() * 1000)


@dataclass
class Record:
    """One run to log: the same fields an MLflow run has, and its files.

    Attributes
    ----------
    name : str
        Run name (the stage, or ``<stage>/<model>`` for a nested run).
    folder : str
        Folder of the record's files, shared by its nested runs (when read back, the
        folder it is read from).
    tracking_uri, experiment : str
        Where it is logged (the store and experiment of the stage's params).
    params, tags : dict of str to str
    metrics : list of [key, value, timestamp in ms, step]
    artifacts : list of [file in ``folder``, artifact directory or None]
    tables : list of [JSON file in ``folder`` (pandas ``split`` orient), artifact file]
    models : list of dict
        ``name``, ``file`` (joblib: the fitted model and 5 input rows), ``extra``
        (further distributions the model needs).
    children : list of Record
        Nested runs (one per model).
    start_time, end_time : int
        Milliseconds since the epoch (end 0 while running).
    status : {"RUNNING", "FINISHED", "FAILED"}
    record_id : str
    """

    name: str
    folder: str
    tracking_uri: str
    experiment: str
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[list[Any]] = field(default_factory=list)
    artifacts: list[list[Any]] = field(default_factory=list)
    tables: list[list[str]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    children: list[Record] = field(default_factory=list)
    start_time: int = field(default_factory=now_ms)
    end_time: int = 0
    status: str = "RUNNING"
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def child(self, name: str, tags: dict[str, str]) -> Record:
        """Open a nested run (its files in this record's folder)."""
        nested = Record(name, self.folder, self.tracking_uri, self.experiment, tags=dict(tags))
        self.children.append(nested)
        return nested

    def add_artifact(self, source: Path, directory: str | None) -> None:
        """Copy a file or folder into the record's folder now, to log under ``directory``.

        The copy keeps its name (``files/<n>/<name>``), the name it gets in the run.
        """
        files = Path(self.folder) / "files"
        files.mkdir(exist_ok=True)
        target = files / str(len(list(files.iterdir()))) / source.name
        target.parent.mkdir()
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
        self.artifacts.append([str(target.relative_to(self.folder)), directory])

    def add_table(self, table: Any, name: str) -> None:
        """Keep a DataFrame, to log as the MLflow table artifact ``name``."""
        file = Path(self.folder) / f"table-{self.record_id[:8]}-{len(self.tables)}.json"
        table.to_json(file, orient="split", index=False)
        self.tables.append([file.name, name])

    def add_model(self, model: Any, example: Any, name: str, extra: tuple[str, ...]) -> None:
        """Keep a fitted model and its example input rows, to log as the model ``name``."""
        import joblib

        file = Path(self.folder) / f"model-{self.record_id[:8]}-{len(self.models)}.joblib"
        joblib.dump((model, example), file)
        self.models.append({"name": name, "file": file.name, "extra": list(extra)})

    def finish(self, status: str) -> None:
        """Set the end time and status of the record and of its open nested runs."""
        for nested in self.children:
            if not nested.end_time:
                nested.finish(status)
        self.end_time, self.status = now_ms(), status

    @classmethod
    def load(cls, folder: Path) -> Record:
        """Read the record saved in ``folder`` (:meth:`save`)."""

        def build(data: dict[str, Any]) -> Record:
            children = [build(child) for child in data.pop("children")]
            return cls(**{**data, "folder": str(folder)}, children=children)

        return build(json.loads((folder / "record.json").read_text(encoding="utf-8")))

    def write(self) -> None:
        """Write ``record.json`` into the folder (atomically: never half a file)."""
        folder = Path(self.folder)
        text = json.dumps(asdict(self), indent=1)
        (folder / "record.json.tmp").write_text(text, encoding="utf-8")
        (folder / "record.json.tmp").replace(folder / "record.json")

    def save(self) -> Path:
        """Write the ended record, then make its folder pending: drop the ``.open`` suffix.

        Returns the pending folder, ``<pending>/<start>-<name>-<id>``.
        """
        self.write()
        folder = Path(self.folder)
        final = folder.with_suffix("")
        folder.replace(final)
        self.folder = str(final)
        return final


def open_record(pending: Path, name: str, tracking_uri: str, experiment: str) -> Record:
    """Start the record of a stage execution, its folder ``<pending>/<start>-<name>-<id>.open``.

    The folder holds the process id and the record as it starts (RUNNING): if the process
    is killed before it ends the run, the next :func:`log_pending` logs it as FAILED.
    """
    record = Record(name, "", tracking_uri, experiment)
    folder = pending / f"{record.start_time}-{name}-{record.record_id[:8]}.open"
    folder.mkdir(parents=True)
    (folder / "pid").write_text(str(os.getpid()), encoding="utf-8")
    record.folder = str(folder)
    record.write()
    return record


def _alive(folder: Path) -> bool:
    """Whether the process that opened a record folder is still running."""
    try:
        os.kill(int((folder / "pid").read_text(encoding="utf-8")), 0)
    except PermissionError:  # alive, another user's
        return True
    except (OSError, ValueError):
        return False
    return True


def pending_records(pending: Path) -> list[Path]:
    """The folders of records to log, oldest first: ended ones, and open ones whose
    process is gone (killed before it could end its run)."""
    if not pending.is_dir():
        return []
    return sorted(
        p
        for p in pending.iterdir()
        if (p / "record.json").is_file() and (p.suffix != ".open" or not _alive(p))
    )


def log_pending(pending: Path, experiment_id: Any) -> list[str]:
    """Log every pending record, oldest first, and delete each once it is logged.

    Parameters
    ----------
    pending : Path
        The folder of pending records.
    experiment_id : callable
        ``experiment_id(name, uri)``: the id of a record's experiment (created if new).

    Returns
    -------
    list of str
        The names of the runs logged.

    Raises
    ------
    mlflow.exceptions.MlflowException
        If the store refuses a run; the records not yet logged stay pending.
    """
    from filelock import FileLock

    if not pending_records(pending):
        return []
    logged = []
    with FileLock(pending.with_suffix(".lock"), timeout=600):
        # Another process (a queued experiment) may have logged some meanwhile.
        for folder in pending_records(pending):
            record = Record.load(folder)
            if record.status == "RUNNING":  # its process was killed
                record.tags["killed"] = "the process ended before it could end its run"
                record.finish("FAILED")
                # Its last sign of life: the newest file it kept.
                last = max(f.stat().st_mtime for f in folder.rglob("*") if f.is_file())
                record.end_time = int(last * 1000)
            _log_run(record, experiment_id(record.experiment, record.tracking_uri))
            logged.append(record.name)
            # Gone before the next record: never logged twice, even if a later one fails.
            (folder / "record.json").unlink()
            shutil.rmtree(folder, ignore_errors=True)
    return logged


def _log_run(record: Record, experiment_id: str, parent: str | None = None) -> None:
    """Log one record (and its nested runs) as an MLflow run.

    A run the store refuses half-way is deleted again, so that logging the record once
    more (it stays pending) leaves one run, not two.
    """
    from mlflow import MlflowClient

    client = MlflowClient(record.tracking_uri)
    tags = {**record.tags, RECORD_TAG: record.record_id}
    if parent is not None:
        tags["mlflow.parentRunId"] = parent
    run = client.create_run(
        experiment_id, start_time=record.start_time, tags=tags, run_name=record.name
    )
    try:
        _log_fields(client, run.info.run_id, record)
        for nested in record.children:
            _log_run(nested, experiment_id, parent=run.info.run_id)
    except BaseException:
        client.delete_run(run.info.run_id)
        raise
    client.set_terminated(run.info.run_id, record.status, end_time=record.end_time or now_ms())


def _log_fields(client: Any, run_id: str, record: Record) -> None:
    """Log a record's params, metrics, artifacts, tables and models into its run."""
    import pandas as pd
    from mlflow.entities import Metric, Param, RunTag

    folder = Path(record.folder)
    client.log_batch(
        run_id,
        metrics=[Metric(key, float(value), at, step) for key, value, at, step in record.metrics],
        params=[Param(key, value) for key, value in record.params.items()],
    )
    for file, directory in record.artifacts:
        source = folder / file
        if source.is_dir():  # its files, sub-folders kept, under ``directory``
            client.log_artifacts(run_id, str(source), directory)
        else:
            client.log_artifact(run_id, str(source), directory)
    for file, artifact_file in record.tables:
        table = pd.read_json(folder / file, orient="split")
        with quiet_table_logging():
            client.log_table(run_id, data=table, artifact_file=artifact_file)
    for model in record.models:
        uri = _log_model(record.tracking_uri, run_id, folder, model)
        client.log_batch(run_id, tags=[RunTag(MODEL_TAG, uri)])


def _log_model(uri: str, run_id: str, folder: Path, model: dict[str, Any]) -> str:
    """Log a saved model of a record into its run; return the model URI."""
    import joblib
    import mlflow

    from .tracking import log_sklearn_model

    fitted, example = joblib.load(folder / model["file"])
    mlflow.set_tracking_uri(uri)
    with mlflow.start_run(run_id=run_id):
        return log_sklearn_model(fitted, model["name"], example, extra=tuple(model["extra"]))
