"""MLflow tracking: one run per stage execution, anchored to the project root.

Only the stages import this module, and it imports ``mlflow`` only inside the functions
that need it, so ``--help`` and params checks stay fast. The stages before ``compare``
open their run with :func:`stage_run`, which writes it as a record
(:mod:`.run_records`) instead of opening MLflow; ``compare`` and ``predict`` open theirs
with :func:`logged_run`, which first logs every pending record. The logging functions
below write to whichever run is open.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Params
from .data import file_hash
from .errors import TrackingStoreError, TrackingUnavailableError
from .run_records import (
    MODEL_TAG,
    RECORD_TAG,
    Record,
    log_pending,
    now_ms,
    open_record,
    quiet_table_logging,
)
from .targets import resolve_positive_class

if TYPE_CHECKING:
    from mlflow import ActiveRun

#: MLflow rejects longer param values; longer ones are cut and marked.
MAX_PARAM_LENGTH = 500

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# A tracking server that dies mid-stage fails the stage in about a minute, not after
# MLflow's default retries (minutes); both can be overridden in the environment.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def project_root() -> Path:
    """Return the project's real root, also under ``dvc exp run --temp`` or the queue.

    DVC runs temporary and queued experiments in a copy under ``<root>/.dvc/tmp/exps/``;
    the tracking store must stay in ``<root>`` so that every run lands in one place.
    """
    root = Path(os.environ.get("DVC_ROOT", Path.cwd())).resolve()
    if ".dvc" in root.parts:
        root = Path(*root.parts[: root.parts.index(".dvc")])
    return root


def tracking_uri(params: Params) -> str:
    """Return the tracking URI: ``MLFLOW_TRACKING_URI`` if set, else ``mlflow.tracking_uri``.

    A relative sqlite path is anchored to :func:`project_root`.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI") or params.mlflow.tracking_uri
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        uri = prefix + str(project_root() / uri.removeprefix(prefix))
    return uri


#: URI schemes the stages accept: the local store, a tracking server, a database.
SCHEMES = ("sqlite:///", "http://", "https://", "databricks", "postgresql", "mysql", "mssql")


def check_reachable(uri: str, timeout: float = 5.0) -> None:
    """Raise at once if ``uri`` is not a usable tracking URI or its server does not answer.

    MLflow's own client retries for minutes; for an http(s) URI this asks the server's
    ``/health`` endpoint once, before the stage does any work. Databases and Databricks
    are not probed.

    Raises
    ------
    TrackingUnavailableError
        Naming the URI, the reason and how to fall back to the local store.
    """
    fallback = (
        "unset MLFLOW_TRACKING_URI and set mlflow.tracking_uri: sqlite:///mlflow.db in "
        "params.yaml; then run dvc repro again"
    )
    if not uri.startswith(SCHEMES):
        raise TrackingUnavailableError(
            f"tracking URI {uri!r} (from MLFLOW_TRACKING_URI or mlflow.tracking_uri) is not "
            f"one of {', '.join(SCHEMES)}: give the http(s):// address of an mlflow server, "
            f"or track locally: {fallback}"
        )
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError as exc:
        reason = f"its /health answered HTTP {exc.code}: is it an MLflow tracking server?"
    except (OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", exc))
    raise TrackingUnavailableError(
        f"MLflow tracking server {uri} is unreachable ({reason}). Start it (mlflow server), "
        f"or track locally for now: {fallback}"
    )


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "none"
    return done.stdout.strip()


def _flatten(prefix: str, value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(_flatten(f"{prefix}.{key}", item))
        return flat
    text = json.dumps(value) if isinstance(value, list) else str(value)
    if len(text) > MAX_PARAM_LENGTH:
        text = text[: MAX_PARAM_LENGTH - 3] + "..."
    return {prefix: text}


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    prefix = "sqlite:///"
    return Path(uri.removeprefix(prefix)) if uri.startswith(prefix) else None


@contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """Hold a file lock beside a local sqlite store (no-op for other stores).

    Stages started at once (``dvc queue start -j 2``) would otherwise both create the
    store's tables (an alembic migration error) or both create the experiment.
    """
    database = _sqlite_path(uri)
    if database is None:
        yield
        return
    from filelock import FileLock

    database.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{database}.lock", timeout=300):
        yield


def _experiment_id(name: str, uri: str) -> str:
    """Return the id of experiment ``name``, creating it (and the store) on first use.

    Raises
    ------
    TrackingStoreError
        If the experiment was deleted (MLflow UI or CLI): naming the command that
        restores it.
    """
    import mlflow

    with store_lock(uri):
        client = mlflow.MlflowClient(uri)  # opening the client creates the store
        experiment = client.get_experiment_by_name(name)
        if experiment is not None and experiment.lifecycle_stage == "deleted":
            raise TrackingStoreError(
                f"MLflow experiment {name!r} (id {experiment.experiment_id}) in {uri} was "
                "deleted (in the MLflow UI or CLI), so no run can be logged in it. Restore "
                f"it with its runs: MLFLOW_TRACKING_URI={uri} mlflow experiments restore "
                f"--experiment-id {experiment.experiment_id}; or start a new experiment: set "
                "another mlflow.experiment in params.yaml (the champion is then registered "
                "under that name, a new registered model). Then run dvc repro again"
            )
        if experiment is not None:
            return experiment.experiment_id
        location = None
        if _sqlite_path(uri) is not None:
            location = (project_root() / "mlruns").as_uri()
        return client.create_experiment(name, artifact_location=location)


def pending_folder() -> Path:
    """Where run records wait to be logged: ``mlruns/pending/`` at the project root."""
    return project_root() / "mlruns" / "pending"


def _run_fields(stage: str, params: Params) -> tuple[dict[str, str], dict[str, str]]:
    """The tags and params every stage run starts with."""
    everything = params.model_dump(mode="json", by_alias=True)
    tags = {
        "stage": stage,
        "git_commit": _git_commit(),
        "data_hash": file_hash(params.data.path) if params.data.path.exists() else "missing",
        "params_hash": hashlib.sha256(json.dumps(everything, sort_keys=True).encode()).hexdigest()[
            :16
        ],
        "task": params.data.task,
    }
    if os.environ.get("DVC_EXP_NAME"):
        tags["dvc_experiment"] = os.environ["DVC_EXP_NAME"]
    logged = _flatten("data", everything["data"])
    if params.data.positive_class is None:
        # Logged by the stage that resolves it (log_positive_class), never as "None".
        del logged["data.positive_class"]
    if stage in everything:
        logged.update(_flatten(stage, everything[stage]))
    return tags, logged


#: The records open in this process: the stage's, then a nested one (:func:`child_run`).
#: Each change is written to the stage's ``record.json`` at once, so that a killed stage
#: is logged, FAILED, with what it had logged (:func:`.run_records.pending_records`).
_OPEN: list[Record] = []


@contextmanager
def stage_run(stage: str, params: Params) -> Iterator[Record]:
    """Open the run of one stage execution as a record, logged to MLflow later.

    The run is named after the stage, logs the stage's params (``<stage>.<key>``, plus
    ``data.*``) and is tagged with the stage, git commit, raw-data hash and params hash.
    It is kept under :func:`pending_folder` and logged, with its start and end times,
    by the next :func:`logged_run` (``compare`` or ``predict``). An exception inside the
    block ends the run as FAILED, logs it and every pending record at once, and
    propagates, so the stage exits non-zero.

    Parameters
    ----------
    stage : str
        Stage name, also the params section logged (if it exists).
    params : Params
        The validated params.

    Yields
    ------
    Record
        Its ``record_id`` is the ``record_id`` tag of the logged run.

    Raises
    ------
    TrackingUnavailableError
        Before any work, if the tracking server does not answer.
    """
    uri = tracking_uri(params)
    check_reachable(uri)
    tags, logged = _run_fields(stage, params)
    record = open_record(pending_folder(), stage, uri, params.mlflow.experiment)
    record.tags.update(tags)
    record.params.update(logged)
    _OPEN.append(record)
    try:
        yield record
    except BaseException:
        _OPEN.clear()
        record.finish("FAILED")
        record.save()
        try:
            log_pending_runs()
            import mlflow

            mlflow.set_tracking_uri(uri)  # where a caller in this process finds the run
        except Exception as exc:  # the stage's own error matters more
            print(
                f"warning: the FAILED {stage} run could not be logged to {uri} ({exc}); it "
                f"stays in {pending_folder()} and is logged by the next compare"
            )
        raise
    _OPEN.clear()
    record.finish("FINISHED")
    record.save()


@contextmanager
def logged_run(stage: str, params: Params) -> Iterator[ActiveRun]:
    """Open the MLflow run of one stage execution, after logging every pending record.

    As :func:`stage_run`, but the run is written to MLflow as it goes: for the stages
    that need the store itself (``compare`` finds the candidates' runs and registers the
    champion; ``predict`` loads it).

    Yields
    ------
    mlflow.ActiveRun

    Raises
    ------
    TrackingUnavailableError
        Before any work, if the tracking server does not answer.
    TrackingStoreError
        Before any work, if the project's experiment was deleted.
    """
    uri = tracking_uri(params)
    check_reachable(uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    experiment_id = _experiment_id(params.mlflow.experiment, uri)
    mlflow.set_experiment(experiment_id=experiment_id)
    log_pending_runs()
    tags, logged = _run_fields(stage, params)
    with mlflow.start_run(experiment_id=experiment_id, run_name=stage, tags=tags) as run:
        mlflow.log_params(logged)
        yield run


def log_pending_runs() -> list[str]:
    """Log every pending run record (:func:`stage_run`) to its store; return their names.

    Raises
    ------
    TrackingUnavailableError, TrackingStoreError
        As :func:`logged_run`; the records stay pending.
    """

    @functools.cache  # once per store and experiment, however many records
    def experiment_id(name: str, uri: str) -> str:
        check_reachable(uri)
        return _experiment_id(name, uri)

    return log_pending(pending_folder(), experiment_id)


def find_runs(record_ids: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Find the logged runs of records in the active store.

    Parameters
    ----------
    record_ids : mapping of str to str
        Name (a candidate) to the record id its stage gave its run.

    Returns
    -------
    dict of str to (run id, model URI)
        The names whose run the store holds (the model URI empty if none was logged). A
        run is missing when it was logged in another store: the store was switched
        (``MLFLOW_TRACKING_URI`` or ``mlflow.tracking_uri``), ``mlflow.db`` was deleted, or
        the outputs came from a colleague's machine (``dvc pull``).
    """
    import mlflow

    client = mlflow.MlflowClient()
    experiment_id = mlflow.active_run().info.experiment_id
    found = {}
    for name, record_id in record_ids.items():
        if not record_id:
            continue
        runs = client.search_runs(
            [experiment_id], f"tags.{RECORD_TAG} = '{record_id}'", max_results=1
        )
        if runs:
            found[name] = (runs[0].info.run_id, runs[0].data.tags.get(MODEL_TAG, ""))
    return found


def log_positive_class(classes: list[str], configured: str | None) -> None:
    """Record the positive class of a binary task in the active run.

    Tags ``positive_class`` and ``positive_class_rule`` (how it was chosen); the param
    ``data.positive_class`` too when params.yaml leaves it null (:func:`stage_run` then
    skips it), so every run states the class its F1 and ROC curve count as positive.

    Parameters
    ----------
    classes : list of str
        The target's two classes.
    configured : str or None
        ``data.positive_class``.
    """
    positive, how = resolve_positive_class(classes, configured)
    if configured is None:
        log_params({"data.positive_class": positive})
    set_tags({"positive_class": positive, "positive_class_rule": how})


@contextmanager
def child_run(name: str, tags: Mapping[str, str]) -> Iterator[Record]:
    """Open a run nested in the open stage run (one per model), inheriting its stage tag.

    Only inside :func:`stage_run`. Yields the nested record; it ends with the block.
    """
    parent = _OPEN[-1]
    nested = parent.child(name, {"stage": parent.tags.get("stage", ""), **tags})
    _OPEN.append(nested)
    try:
        yield nested
    except BaseException:
        nested.finish("FAILED")
        raise
    finally:
        if nested in _OPEN:
            _OPEN.remove(nested)
    nested.finish("FINISHED")


def log_params(values: Mapping[str, Any], prefix: str = "") -> None:
    """Log nested params to the open run as ``<prefix><key>.<subkey>`` text values."""
    flat: dict[str, str] = {}
    for key, value in values.items():
        flat.update(_flatten(f"{prefix}{key}", value))
    if _OPEN:
        _OPEN[-1].params.update(flat)
        _OPEN[0].write()
        return
    import mlflow

    mlflow.log_params(flat)


def log_metrics(metrics: Mapping[str, float], prefix: str = "", step: int | None = None) -> None:
    """Log a flat dict of metrics to the open run, keys prefixed with ``prefix``."""
    values = {f"{prefix}{key}": float(value) for key, value in metrics.items()}
    if _OPEN:
        stamp = now_ms()
        _OPEN[-1].metrics.extend([key, value, stamp, step or 0] for key, value in values.items())
        _OPEN[0].write()
        return
    import mlflow

    mlflow.log_metrics(values, step=step)


def log_artifacts(*files: Path, directory: str | None = None) -> None:
    """Copy files into the open run's artifacts (under ``directory`` if given)."""
    if _OPEN:
        for file in files:
            _OPEN[-1].add_artifact(Path(file), directory)
        _OPEN[0].write()
        return
    import mlflow

    for file in files:
        mlflow.log_artifact(str(file), artifact_path=directory)


def log_folder(folder: Path, directory: str) -> None:
    """Copy a folder's files, sub-folders kept, into the active run's ``directory``.

    The MLflow UI previews the PNG files among them as images.
    """
    if _OPEN:
        _OPEN[-1].add_artifact(folder, directory)
        _OPEN[0].write()
        return
    import mlflow

    mlflow.log_artifacts(str(folder), artifact_path=directory)


def set_tags(tags: Mapping[str, object]) -> None:
    """Set tags on the open run; values are stored as text."""
    text = {key: str(value) for key, value in tags.items()}
    if _OPEN:
        _OPEN[-1].tags.update(text)
        _OPEN[0].write()
        return
    import mlflow

    mlflow.set_tags(text)


def log_table(table: Any, name: str) -> None:
    """Log a DataFrame as an MLflow table artifact (viewable side by side in the UI)."""
    if _OPEN:
        _OPEN[-1].add_table(table, name)
        _OPEN[0].write()
        return
    import mlflow

    with quiet_table_logging():
        mlflow.log_table(data=table, artifact_file=name)


def register_champion(model_uri: str, name: str, candidate: str, reason: str) -> str:
    """Register a logged model under ``name`` and point the alias ``champion`` at it.

    If the alias already points at a version of the same logged model, nothing new is
    registered. Returns the champion's model version (as text), tagged with the
    candidate's name (``candidate``, read by ``predict``) and the reason.
    ``model_uri`` must be in the active store (see :func:`runs_not_in_store`).
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    with store_lock(mlflow.get_tracking_uri()):
        try:
            current = client.get_model_version_by_alias(name, "champion")
        except MlflowException:
            current = None
        if current is not None and current.source == model_uri:
            return str(current.version)
        version = mlflow.register_model(
            model_uri, name, tags={"candidate": candidate, "reason": reason[:5000]}
        )
        client.set_registered_model_alias(name, "champion", version.version)
    return str(version.version)


def log_sklearn_model(model: Any, name: str, X_example: Any, extra: tuple[str, ...] = ()) -> str:
    """Log a fitted scikit-learn estimator with an explicit signature and requirements.

    Passing ``pip_requirements`` and ``signature`` skips MLflow's requirement inference
    (a subprocess of several seconds); ``extra`` names further distributions the model
    needs (pinned to their installed versions). Returns the model URI; inside
    :func:`stage_run`, the model and 5 example rows are kept in the record and logged
    with it, and the URI is empty (``compare`` finds it: :func:`find_runs`).

    Every input column is declared ``Any`` (required): MLflow's own type enforcement
    refuses a batch whose column is blank in every row (NaN in a text column) or holds
    only whole numbers (int64 where float64 was seen), though the model scores both: its
    first step (:class:`.features.ColumnTypes`) gives each column its training type.
    """
    if _OPEN:
        _OPEN[-1].add_model(model, X_example.head(5), name, extra)
        _OPEN[0].write()
        return ""
    import logging
    from importlib.metadata import version

    import mlflow
    import numpy
    import pandas
    import sklearn
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import AnyType, ColSpec, Schema

    # The models are made and loaded by this project itself: cloudpickle's warning about
    # untrusted files does not apply, and skops refuses HistGradientBoosting's trees.
    logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)
    example = X_example.head(5)
    inputs = Schema([ColSpec(AnyType(), str(column)) for column in example.columns])
    outputs = infer_signature(example, model.predict(example)).outputs
    info = mlflow.sklearn.log_model(
        model,
        name=name,
        signature=ModelSignature(inputs, outputs),
        pip_requirements=[
            f"scikit-learn=={sklearn.__version__}",
            f"pandas=={pandas.__version__}",
            f"numpy=={numpy.__version__}",
            *(f"{package}=={version(package)}" for package in extra),
        ],
        serialization_format="cloudpickle",
    )
    return info.model_uri
