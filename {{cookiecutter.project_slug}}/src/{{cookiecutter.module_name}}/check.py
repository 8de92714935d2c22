"""Command ``check``: the regression gate for pull requests and CI.

Compares the current champion (``reports/compare/metrics.json`` and its test predictions)
with a reference: the champion committed on a git revision (``check.reference``, default
``main``) or, with ``--against champion``, the model holding the MLflow alias
``champion``, re-scored on the current test split. Where both have predictions for the
same test rows, the gain gets the same paired bootstrap interval as ``compare``
(:func:`.champion.paired_statistics`); otherwise only the point values are compared.

The change is a regression, and the command exits 1, when the primary metric got worse by
more than ``check.max_loss`` and, with an interval, significantly so (its upper bound is
below zero). For metrics in the target's units (``rmse``, ``mae``) ``check.max_loss`` is a
fraction of the reference's value (:func:`.champion.threshold`), so the gate does not
depend on the target's scale; the summary states it in both forms. A Markdown summary is
printed and, under GitHub Actions, appended to the job summary (``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

from . import paths, tracking
from .candidates import predict_test, read_candidates
from .config import Params
from .data import features_and_target
from .errors import StageError
from .evaluation import is_resampled, read_plan, same_rows, score
from .metrics import PROBA_PREFIX, positive_class, proba_columns, sign


class RegressionError(StageError):
    """The current champion is significantly worse than the reference."""


def _git_show(revision: str, path: Path) -> bytes | None:
    done = subprocess.run(
        ["git", "show", f"{revision}:{path.as_posix()}"], capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def reference_from_git(
    revision: str, name: str, metric: str
) -> tuple[float, pd.DataFrame | None] | None:
    """The champion committed on ``revision``: its ``metric`` and its test predictions.

    ``metric`` is the current primary metric: when the primary metric changed since
    ``revision``, the reference is scored on the same metric as the current champion.

    Metrics come from git; predictions (DVC outputs) from the DVC cache or remote through
    :func:`dvc.api.read` when available, else None. Returns None if ``revision`` has no
    comparison metrics.

    Raises
    ------
    StageError
        If ``revision`` is not a git revision of this repository, or its champion has no
        ``metric`` (the task changed).
    """
    known = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if known.returncode != 0:
        raise StageError(
            f"unknown git revision {revision!r}: give a branch, tag or commit with --against, "
            "or set check.reference in params.yaml (in CI, fetch it: fetch-depth: 0)"
        )
    raw = _git_show(revision, paths.COMPARE_METRICS)
    if raw is None:
        return None
    metrics = json.loads(raw)
    champion = metrics["champion"]
    scores = metrics["candidates"][champion]
    if metric not in scores:
        raise StageError(
            f"{revision}'s champion {champion!r} has no {metric} (its metrics: "
            f"{', '.join(scores)}): the task changed; compare against a revision of this task"
        )
    value = float(scores[metric])
    predictions = None
    for card in ("baseline", "deep"):
        path = paths.CANDIDATES_DIR / card / f"{champion}.parquet"
        try:
            import dvc.api

            data = dvc.api.read(path.as_posix(), rev=revision, mode="rb")
        except Exception:  # not in this revision's outputs, or not in any cache
            continue
        predictions = pd.read_parquet(io.BytesIO(data))
        break
    return value, predictions


def reference_from_registry(params: Params, classes: list[str] | None) -> pd.DataFrame:
    """Predictions of the registered ``champion`` model on the current test split.

    Raises
    ------
    StageError
        If the tracking store has no model with that alias, or the project has no test
        split (a small table scored out of fold: the registered model was fitted on every
        row, so no row is left to score it on).
    """
    import mlflow

    plan = read_plan()
    if plan.resampled:
        raise StageError(
            f"--against champion needs a test split, and this project has none ({plan.reason}): "
            "the registered model was fitted on every row. Compare against a git revision "
            "instead (check.reference, or --against main), whose out-of-fold predictions use "
            "the same folds"
        )
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking.tracking_uri(params))
    uri = f"models:/{params.mlflow.experiment}@champion"
    try:
        model = mlflow.sklearn.load_model(uri)
    except MlflowException as exc:
        raise StageError(f"{uri}: cannot load the registered champion ({exc})") from exc
    test = pd.read_parquet(paths.TEST)
    X, y = features_and_target(test, params.data.target, params.data.task)
    return predict_test(model, X, test[paths.ROW_ID], y, classes)


def verdict(params: Params, before: float, after: float, stats: dict[str, Any] | None) -> str:
    """``pass`` or ``regression``, with the reason (see the module docstring).

    Parameters
    ----------
    params : Params
    before, after : float
        The primary metric of the reference and of the current champion on the test split.
    stats : dict or None
        The paired interval of ``after - before`` (signed so positive is better), from
        :func:`.champion.paired_statistics`; None when there are no paired predictions.

    Returns
    -------
    str
        Starts with ``pass`` or ``regression``; states ``check.max_loss`` in the metric's
        units and, for ``rmse``/``mae``, as a fraction of ``before``.
    """
    from .champion import describe_threshold, threshold

    metric, setting = params.compare.primary_metric, params.check.max_loss
    max_loss = threshold(setting, metric, before)
    allowed = f"check.max_loss {describe_threshold(setting, metric, before, 'the reference')}"
    loss = sign(metric) * (before - after)
    if stats is None:
        if loss > max_loss:
            return f"regression: {metric} worse by {loss:.4f} > {allowed} (no interval)"
        if loss <= 0:
            return f"pass: {metric} no worse (gain {-loss:+.4f}; no interval)"
        return f"pass: {metric} loss {loss:.4f} within {allowed} (no interval)"
    if loss > max_loss and stats["upper"] < 0:
        return (
            f"regression: {metric} worse by {loss:.4f} > {allowed}, "
            f"and the whole interval is below zero"
        )
    return f"pass: no significant loss of {metric} beyond {allowed}"


def summary_table(
    metric: str,
    reference: str,
    before: float,
    after: float,
    stats: dict | None,
    text: str,
    unpaired: str = "no paired predictions",
) -> str:
    """The Markdown summary: metric, before, after, gain with its interval, and verdict.

    The gain is signed so that positive is better (``before - after`` for losses), as in
    ``compare``; ``unpaired`` says why there is no interval when ``stats`` is None.
    """
    interval = (
        f"[{stats['lower']:+.4f}, {stats['upper']:+.4f}] ({stats['confidence']:.0%})"
        if stats
        else f"n/a ({unpaired})"
    )
    return (
        f"### Regression gate against {reference}\n\n"
        "| metric | before | after | gain (positive: better), interval | verdict |\n"
        "|---|---|---|---|---|\n"
        f"| {metric} | {before:.4f} | {after:.4f} | {sign(metric) * (after - before):+.4f}, "
        f"{interval} | {text} |\n"
    )


def run(params: Params, against: str | None = None) -> None:
    """Compare the current champion with the reference; print the summary.

    Raises
    ------
    RegressionError
        After printing the summary, if the change is a regression.
    StageError
        If there are no current comparison metrics (run ``dvc repro`` first).
    """
    from .champion import paired_statistics

    if not paths.COMPARE_METRICS.exists():
        raise StageError(f"{paths.COMPARE_METRICS} not found: run dvc repro first")
    current = json.loads(paths.COMPARE_METRICS.read_text(encoding="utf-8"))
    metric, champion = current["primary_metric"], current["champion"]
    after = float(current["candidates"][champion][metric])
    ours = next(frame for c, frame in read_candidates() if c.name == champion)
    reference = against or params.check.reference
    task = params.data.task
    classes = (
        None
        if task == "regression"
        else [c.removeprefix(PROBA_PREFIX) for c in proba_columns(ours)]
    )
    positive = positive_class(classes, params.data.positive_class) if task == "binary" else None
    if reference == "champion":
        theirs: pd.DataFrame | None = reference_from_registry(params, classes)
        before = score(theirs, task, positive)[metric]
    else:
        committed = reference_from_git(reference, champion, metric)
        if committed is None:
            _report(f"No {paths.COMPARE_METRICS} on {reference}: nothing to compare against.\n")
            return
        before, theirs = committed
    stats = None
    if theirs is not None and same_rows(ours, theirs):
        stats = paired_statistics(
            theirs, {"current": ours}, set(), task, params.compare, params.data.positive_class
        )["current"]
    text = verdict(params, before, after, stats)
    unpaired = "no paired predictions"
    if theirs is not None and is_resampled(theirs) != is_resampled(ours):
        schemes = {True: "out of fold", False: "on a test split"}
        unpaired = (
            f"the reference was scored {schemes[is_resampled(theirs)]}, the current champion "
            f"{schemes[is_resampled(ours)]}: the values are not comparable row by row"
        )
    report = summary_table(metric, reference, before, after, stats, text, unpaired)
    _report(report)
    if text.startswith("regression"):
        raise RegressionError(text)


def _report(markdown: str) -> None:
    """Print, and append to the GitHub Actions job summary when there is one."""
    print(markdown)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with Path(os.environ["GITHUB_STEP_SUMMARY"]).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
