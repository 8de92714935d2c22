"""The typed schema of ``params.yaml``: every stage validates it before doing any work.

``params.yaml`` is the only place a user tunes anything. A missing, unknown or mistyped
key fails at once with the file, the dotted key and the expected type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from ruamel.yaml import YAML, YAMLError

from .errors import StageError
from .targets import did_you_mean

PARAMS_FILE = Path("params.yaml")

Task = Literal["binary", "multiclass", "regression"]
PositiveFloat = Annotated[float, Field(gt=0)]

#: Metrics available per task; the first one is the default primary metric.
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "accuracy", "f1", "log_loss"),
    "multiclass": ("roc_auc", "accuracy", "f1", "log_loss"),
    "regression": ("rmse", "mae", "r2"),
}


class ParamsError(StageError):
    """``params.yaml`` is missing, unreadable or does not match the schema."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Section):
    """Where the raw table is, how to read it (pandas ``read_csv``) and columns never to use."""

    path: Path
    target: str = Field(min_length=1)
    task: Task
    positive_class: str | None = None
    sep: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    na_values: list[str] = []
    drop_columns: list[str] = []


class ValidateParams(_Section):
    """The expectation suite that gates the pipeline."""

    suite: Path


class SplitParams(_Section):
    """How models are scored (:mod:`.evaluation`).

    Tables of at least ``resample_below_rows`` rows: one seeded holdout split of
    ``test_size``, stratified on the target for classification. Smaller tables:
    ``resample_repeats`` x ``resample_folds``-fold cross-validation over all rows.
    """

    test_size: float = Field(gt=0, lt=1)
    seed: int
    resample_below_rows: int = Field(default=1000, ge=0)
    resample_folds: int = Field(default=5, ge=2)
    resample_repeats: int = Field(default=2, ge=1)


class LeakageParams(_Section):
    """Target leakage check of ``split``: a column that alone predicts the target too well.

    A column whose one-column cross-validated score (ROC AUC, balanced accuracy or R²)
    exceeds ``max_single_column_score`` stops the pipeline unless ``allowed_columns``
    lists it; 1.0 turns the check off.
    """

    max_single_column_score: float = Field(gt=0, le=1)
    allowed_columns: list[str] = []


class DummyParams(_Section):
    """The floor: ``DummyClassifier``/``DummyRegressor`` strategy."""

    strategy: Literal["prior", "most_frequent", "stratified", "uniform", "mean", "median"]


class LinearParams(_Section):
    """The glass box: ``LogisticRegression`` (grid over ``C``) or ``Ridge`` (over ``alpha``)."""

    C: list[PositiveFloat] | None = Field(default=None, min_length=1)
    alpha: list[PositiveFloat] | None = Field(default=None, min_length=1)
    max_iter: int = Field(default=1000, gt=0)


class HGBParams(_Section):
    """Gradient-boosted trees: ``HistGradientBoosting*`` grid.

    ``enabled: false`` leaves them out (dummy and linear remain), for tables so large
    that tuning them costs more than a run is worth.
    """

    enabled: bool = True
    learning_rate: list[PositiveFloat] = Field(min_length=1)
    max_leaf_nodes: list[Annotated[int, Field(ge=2)]] = Field(min_length=1)
    l2_regularization: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    max_iter: int = Field(gt=0)


class BaselineParams(_Section):
    """Cross-validated tuning of the three baseline models, on the training split only."""

    cv_folds: int = Field(ge=2)
    seed: int
    n_jobs: int = 1
    #: Binary tasks: the metric the decision threshold is tuned for on cross-validated
    #: training predictions; None keeps labels at probability 0.5.
    threshold_metric: Literal["f1", "balanced_accuracy"] | None = "f1"
    dummy: DummyParams
    linear: LinearParams
    hgb: HGBParams


class DeepParams(_Section):
    """The optional deep stage: its justification gate and the MLP's training settings."""

    policy: Literal["auto", "always", "never"]
    min_rows: int = Field(ge=1)
    text_min_tokens: int = Field(ge=1)
    hidden_units: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    dropout: float = Field(ge=0, lt=1)
    learning_rate: PositiveFloat
    weight_decay: float = Field(ge=0)
    batch_size: int = Field(ge=1)
    max_epochs: int = Field(ge=1)
    patience: int = Field(ge=1)
    validation_fraction: float = Field(gt=0, lt=1)
    seed: int


class CompareParams(_Section):
    """How the champion is chosen: paired bootstrap of the primary metric's gain.

    ``min_gain`` is in the primary metric's units for unit-free metrics (ROC AUC,
    accuracy, F1, log loss, R2) and a fraction of the compared model's value for metrics
    in the target's units (RMSE, MAE); see :func:`.champion.threshold`. A challenger must
    clear it with the lower bound of the two-sided ``confidence`` interval: a one-sided
    test at level ``(1 - confidence) / 2``.
    """

    primary_metric: str
    min_gain: float = Field(ge=0)
    bootstrap_resamples: int = Field(ge=100)
    confidence: float = Field(gt=0.5, lt=1)
    seed: int
    register_champion: bool
    #: Classification: fewer rows of the rarest class than this in the evaluation rows
    #: (test split, or all rows when resampled) is said out loud as a weak basis.
    min_minority_rows: int = Field(default=10, ge=0)


class ExplainParams(_Section):
    """What each model learned (:mod:`.explain`), in the report and the model card.

    The costly parts (permutation importance, partial dependence, residual plots) use at
    most ``max_rows`` evaluation rows, a sample seeded by ``seed``: the same rows for every
    candidate. Out of fold, each fold of the first repeat gives its share of the rows and
    of the ``importance_repeats`` shuffles (:func:`.explain.fold_share`).
    """

    max_rows: int = Field(default=2000, ge=10)
    importance_repeats: int = Field(default=5, ge=1)
    partial_dependence_features: int = Field(default=3, ge=0)
    ice_curves: int = Field(default=50, ge=0)
    grid_resolution: int = Field(default=20, ge=2)
    calibration_bins: int = Field(default=10, ge=2)
    seed: int = 42


class CheckParams(_Section):
    """The regression gate (``python -m <package> check``).

    ``max_loss`` is scale-free like ``compare.min_gain``: a fraction of the reference's
    value for RMSE and MAE, in the metric's units otherwise.
    """

    reference: str = Field(min_length=1)
    max_loss: float = Field(ge=0)


class PredictParams(_Section):
    """Scoring new rows (``python -m <package> predict``): when a column's drift is flagged.

    ``drift_psi_threshold``: population stability index above which a column has shifted
    (0.2, the usual limit; :mod:`.drift`), judged from ``drift_min_rows`` batch rows on.
    ``drift_unseen_share``: share of a text column's values unseen in training above which
    it is flagged, whatever the batch's size.
    """

    drift_psi_threshold: PositiveFloat = 0.2
    drift_unseen_share: float = Field(default=0.05, ge=0, lt=1)
    drift_min_rows: int = Field(default=30, ge=1)


class MlflowParams(_Section):
    """Tracking: ``MLFLOW_TRACKING_URI`` in the environment wins over ``tracking_uri``."""

    tracking_uri: str
    experiment: str = Field(min_length=1)


class Params(_Section):
    """All of ``params.yaml``, one section per stage."""

    data: DataParams
    validate_: ValidateParams = Field(alias="validate")
    split: SplitParams
    leakage: LeakageParams
    baseline: BaselineParams
    deep: DeepParams | None = None
    compare: CompareParams
    explain: ExplainParams = ExplainParams()
    check: CheckParams
    predict: PredictParams = PredictParams()
    mlflow: MlflowParams

    @model_validator(mode="after")
    def _check_task_settings(self) -> Params:
        task = self.data.task
        grid = "alpha" if task == "regression" else "C"
        if getattr(self.baseline.linear, grid) is None:
            raise ValueError(f"baseline.linear.{grid} is required for task '{task}'")
        regression_dummies = {"mean", "median"}
        if (self.baseline.dummy.strategy in regression_dummies) != (task == "regression"):
            options = (
                "mean, median"
                if task == "regression"
                else ("prior, most_frequent, stratified, uniform")
            )
            raise ValueError(
                f"baseline.dummy.strategy '{self.baseline.dummy.strategy}' does not suit task "
                f"'{task}'; use one of {options}"
            )
        allowed = TASK_METRICS[task]
        if self.compare.primary_metric not in allowed:
            raise ValueError(
                f"compare.primary_metric '{self.compare.primary_metric}' does not suit task "
                f"'{task}'; use one of {', '.join(allowed)}"
            )
        return self


def read_yaml(text: str) -> Any:
    """Parse YAML as DVC does (YAML 1.2, ruamel.yaml): ``yes``, ``no``, ``on`` stay text.

    ``dvc exp run -S`` rewrites params.yaml with YAML 1.2 quoting, which leaves a label
    such as ``yes`` unquoted; a YAML 1.1 reader (PyYAML) would turn it into a boolean.

    Raises
    ------
    ruamel.yaml.YAMLError
        If the text is not YAML.
    """
    return YAML(typ="safe", pure=True).load(text)


def load_params(path: Path = PARAMS_FILE) -> Params:
    """Read and validate ``params.yaml``.

    Parameters
    ----------
    path : Path, default=Path("params.yaml")
        The params file, relative to the project root.

    Returns
    -------
    Params
        The validated, immutable params.

    Raises
    ------
    ParamsError
        If the file is missing or not YAML, or a key is missing, unknown or of the wrong
        type; the message names the file, each dotted key and what was expected.
    """
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParamsError(f"{path}: file not found; run from the project root") from exc
    except YAMLError as exc:
        raise ParamsError(f"{path}: not valid YAML: {exc}") from exc
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "(top level)"
            if error["type"] == "extra_forbidden":
                problems.append(f"  {key}: unknown {_unknown(error['loc'])}")
            elif error["type"] == "missing":
                problems.append(f"  {key}: missing key")
            elif not error["loc"]:
                problems.append(f"  {error['msg'].removeprefix('Value error, ')}")
            else:
                got = error.get("input")
                hint = ""
                if error["type"] == "string_type" and isinstance(got, bool | int | float):
                    hint = "; YAML reads true/false and numbers as non-text: quote the value"
                problems.append(f"  {key}: {error['msg']} (got {got!r}){hint}")
        raise ParamsError(
            f"{path} does not match the params schema:\n" + "\n".join(problems)
        ) from exc


def _section_model(section: tuple[str, ...]) -> type[BaseModel] | None:
    """The schema model of a section given as a path of keys (``()`` is the whole file)."""
    model: type[BaseModel] | None = Params
    for part in section:
        assert model is not None
        field = next(
            (f for name, f in model.model_fields.items() if (f.alias or name) == part), None
        )
        if field is None:
            return None
        model = next(
            (
                kind
                for kind in (field.annotation, *get_args(field.annotation))
                if isinstance(kind, type) and issubclass(kind, BaseModel)
            ),
            None,
        )
        if model is None:
            return None
    return model


def _unknown(loc: tuple[Any, ...]) -> str:
    """``"key; did you mean 'test_size'?"``, or the known keys when none is close."""
    model = _section_model(tuple(str(part) for part in loc[:-1]))
    known = [f.alias or name for name, f in model.model_fields.items()] if model else []
    kind = "section" if len(loc) == 1 else "key"
    hint = did_you_mean(str(loc[-1]), known)
    if hint or not known:
        return f"{kind}{hint}"
    return f"{kind} (check its spelling; known: {', '.join(known)})"
