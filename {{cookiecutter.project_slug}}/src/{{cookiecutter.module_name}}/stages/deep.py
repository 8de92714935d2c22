"""Stage ``deep``: a PyTorch MLP that must earn its place against the baseline.

A justification gate runs first (``deep.policy``): ``never`` skips, ``always`` trains,
``auto`` trains only when the data justifies it: at least ``deep.min_rows`` rows, or a
text-like column (median of ``deep.text_min_tokens`` words or more). A skipped stage
records why, in its metrics, its MLflow run and the model card, and leaves the pipeline
green.

The MLP is trained through skorch (scikit-learn's estimator contract around PyTorch) on
exactly the baseline's fitted preprocessing, with early stopping on a stratified
validation slice of the training split, seeded and deterministic on the CPU; it uses a
GPU when one is present. Its test predictions go to ``candidates/deep/`` in the same
format as the baseline's, so ``compare`` treats it as one more candidate. Small tables
(no test split, :mod:`..evaluation`): the preprocessing and the MLP are fitted again on
every training fold of the split stage's folds, and their out-of-fold predictions are the
candidate's; the saved model is fitted on all rows.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

from .. import paths, tracking
from ..candidates import Candidate, predict_test, write_candidate
from ..config import DeepParams, Params
from ..data import features_and_target, read_splits
from ..errors import StageError
from ..evaluation import evaluation_rows, out_of_fold, read_plan, score
from ..explain import fold_share, held_out_importance
from ..metrics import cv_scorer, positive_class
from ..outputs import clear, write_csv, write_json, write_text

NAME = "mlp"
COMPLEXITY = 3
#: Distributions the logged model needs besides scikit-learn, pandas and numpy.
EXTRA_REQUIREMENTS = ("torch", "skorch")


def gate(
    train: pd.DataFrame, test: pd.DataFrame | None, target: str, p: DeepParams
) -> tuple[bool, str]:
    """Decide whether the deep stage trains, and why.

    Parameters
    ----------
    train, test : DataFrame
        The two splits (their rows together are the table's rows); ``test`` is None for
        a table scored by resampling (``train`` holds every row).
    target : str
    p : DeepParams
        ``policy``, ``min_rows`` and ``text_min_tokens``. ``min_rows`` counts every row of
        the table, test rows included: with ``split.test_size`` 0.2 and
        ``deep.validation_fraction`` 0.2, 1,000 rows leave the MLP 640 to fit its weights on.

    Returns
    -------
    train : bool
    reason : str
    """
    rows = len(train) + (0 if test is None else len(test))
    if p.policy == "never":
        return False, "deep.policy is 'never'"
    if p.policy == "always":
        return True, f"deep.policy is 'always' ({rows} rows)"
    text = [
        column
        for column in train.columns.drop([paths.ROW_ID, target])
        if pd.api.types.is_string_dtype(train[column])
        and train[column].dropna().str.split().str.len().median() >= p.text_min_tokens
    ]
    if text:
        return True, f"text-like columns {text} (median >= {p.text_min_tokens} words)"
    counted = (
        "every row of the table"
        if test is None
        else f"counting test rows too: train {len(train)} + test {len(test)}"
    )
    if rows >= p.min_rows:
        return True, f"{rows} rows >= deep.min_rows ({p.min_rows}), {counted}"
    return False, (
        f"{rows} rows < deep.min_rows ({p.min_rows}), {counted}, and no text-like column: "
        "a classical model is the right tool here; set deep.policy=always to train anyway"
    )


class MLP(torch.nn.Module):
    """A multilayer perceptron for tabular features: [Linear, ReLU, Dropout] x k, Linear.

    Maps (batch, n_features) float32 to (batch, n_outputs) logits, or to (batch,) values
    when ``n_outputs`` is 1 (regression).
    """

    def __init__(
        self, n_features: int, n_outputs: int, hidden_units: list[int], dropout: float
    ) -> None:
        super().__init__()
        layers: list[torch.nn.Module] = []
        width = n_features
        for units in hidden_units:
            layers += [torch.nn.Linear(width, units), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
            width = units
        layers.append(torch.nn.Linear(width, n_outputs))
        self.layers = torch.nn.Sequential(*layers)
        self.n_outputs = n_outputs

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        out = self.layers(X)
        return out.squeeze(-1) if self.n_outputs == 1 else out


class LabelledNetClassifier(NeuralNetClassifier):
    """skorch's classifier whose ``predict`` returns class labels, not column indices.

    Every other candidate (and so the registered champion) predicts labels; skorch's
    :meth:`skorch.NeuralNetClassifier.predict` returns ``argmax`` indices.
    """

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_, dtype=object)[super().predict(X)]


def to_float32(X: Any) -> np.ndarray:
    """Return a writable dense float32 copy of an array or sparse matrix (what torch needs)."""
    if sparse.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float32).copy()


def build_model(task: str, n_features: int, classes: list[str] | None, p: DeepParams) -> Any:
    """Return the unfitted MLP as a scikit-learn estimator (skorch).

    Early stopping watches the loss on a validation slice of the training rows
    (``deep.validation_fraction``, stratified for classification), stops after
    ``deep.patience`` epochs without improvement and restores the best epoch's weights.
    Classification: cross-entropy on logits (skorch applies softmax in ``predict_proba``).
    Regression: mean squared error on the standardised target
    (:class:`sklearn.compose.TransformedTargetRegressor`).
    """
    classification = classes is not None
    # The default valid_acc callback scores label predictions against encoded targets.
    extra = {"classes": classes, "callbacks__valid_acc": None} if classification else {}
    net = (LabelledNetClassifier if classification else NeuralNetRegressor)(
        MLP,
        module__n_features=n_features,
        module__n_outputs=len(classes) if classification else 1,
        module__hidden_units=list(p.hidden_units),
        module__dropout=p.dropout,
        criterion=torch.nn.CrossEntropyLoss if classification else torch.nn.MSELoss,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=p.weight_decay,
        lr=p.learning_rate,
        batch_size=p.batch_size,
        max_epochs=p.max_epochs,
        train_split=ValidSplit(
            p.validation_fraction, stratified=classification, random_state=p.seed
        ),
        callbacks=[EarlyStopping(patience=p.patience, load_best=True)],
        iterator_train__shuffle=True,
        device="cuda" if torch.cuda.is_available() else "cpu",
        verbose=1,  # one line per epoch: losses, time, early-stopping progress
        **extra,
    )
    if classification:
        return net
    scale = make_pipeline(StandardScaler(), FunctionTransformer(to_float32))
    return TransformedTargetRegressor(regressor=net, transformer=scale, check_inverse=False)


def fit_mlp(X: np.ndarray, y: pd.Series, task: str, p: DeepParams, verbose: int = 1) -> Any:
    """Fit the MLP, seeded, on preprocessed features.

    Parameters
    ----------
    X : ndarray of shape (n_train, n_features), float32
    y : Series of shape (n_train,)
        Class labels (text) or values.
    task : str
    p : DeepParams
    verbose : int, default=1
        1 prints one line per epoch; 0 is silent (the fits on resampling folds).

    Returns
    -------
    estimator
        Fitted; a classifier's ``classes_`` are the sorted labels, the order of
        ``predict_proba``'s columns (its ``predict`` returns column indices).
    """
    torch.manual_seed(p.seed)
    torch.use_deterministic_algorithms(True)
    # One thread: reproducible, and immune to other processes competing for the cores.
    torch.set_num_threads(1)
    if task == "regression":
        model = build_model(task, X.shape[1], None, p).set_params(regressor__verbose=verbose)
        return model.fit(X, y.to_numpy(dtype=np.float32))
    classes = sorted(y.unique())
    codes = y.map({label: code for code, label in enumerate(classes)}).to_numpy(np.int64)
    return build_model(task, X.shape[1], classes, p).set_params(verbose=verbose).fit(X, codes)


def fit_pipeline(
    preprocess: Any, X: pd.DataFrame, y: pd.Series, *, task: str, p: DeepParams, verbose: int = 1
) -> Pipeline:
    """Fit the preprocessing (unless fitted) and the MLP on it; return both as one pipeline.

    Parameters
    ----------
    preprocess : transformer
        The baseline's preprocessing: fitted (the model on the training split) or an
        unfitted clone (a resampling fold, where it must see only the fold's rows).
    X : DataFrame of shape (n_rows, n_features)
    y : Series of shape (n_rows,)
    task : str
    p : DeepParams
    verbose : int, default=1

    Returns
    -------
    Pipeline
        preprocessing, float32 conversion, MLP; ``predict_proba`` for classes.
    """
    try:
        check_is_fitted(preprocess)
    except NotFittedError:
        preprocess = preprocess.fit(X, y)
    net = fit_mlp(to_float32(preprocess.transform(X)), y, task, p, verbose)
    return make_pipeline(preprocess, FunctionTransformer(to_float32), net)


def _fitted_baseline() -> Pipeline:
    """Load the glass-box baseline, whose fitted preprocessing the MLP reuses.

    Raises
    ------
    StageError
        If the baseline has not run, or ran on another split (its preprocessing would have
        seen today's test rows).
    """
    predictions = paths.BASELINE_CANDIDATES / "linear.parquet"
    model = paths.BASELINE_MODELS / "linear.joblib"
    if not (predictions.exists() and model.exists()):
        raise StageError(f"{model} not found: run the baseline stage first (dvc repro)")
    scored = pd.read_parquet(predictions, columns=[paths.ROW_ID])[paths.ROW_ID]
    if scored.tolist() != evaluation_rows()[paths.ROW_ID].tolist():
        raise StageError(
            f"{model} was fitted on another split than {paths.TEST}: re-run the baseline "
            "stage first (dvc repro does it in order)"
        )
    loaded = joblib.load(model)
    # Binary tasks: the pipeline sits inside the threshold tuner (TunedThresholdClassifierCV).
    return getattr(loaded, "estimator_", loaded)


def _check_validation_slice(y: pd.Series, task: str, fraction: float) -> None:
    needed = 1 if task == "regression" else y.nunique()
    if int(fraction * len(y)) < max(needed, 1):
        raise StageError(
            f"deep.validation_fraction {fraction} leaves {int(fraction * len(y))} of "
            f"{len(y)} training rows for early stopping, fewer than {needed}; raise it "
            "(0.1 to 0.3 is usual)"
        )


def _skip(reason: str) -> dict[str, Path]:
    write_json(paths.DEEP_METRICS, {"status": "skipped", "reason": reason})
    for directory in (paths.DEEP_CANDIDATES, paths.DEEP_MODELS):
        write_text(directory / "SKIPPED.txt", reason + "\n")
    write_csv(paths.DEEP_HISTORY, pd.DataFrame(columns=["epoch", "train_loss", "valid_loss"]))
    print(f"deep: skipped: {reason}")
    return {"metrics": paths.DEEP_METRICS}


def run(params: Params) -> dict[str, Path]:
    """Apply the gate; if it passes, train, score and save the MLP as a candidate."""
    p, task, target = params.deep, params.data.task, params.data.target
    if p is None:
        raise StageError("params.yaml has no deep section; add it or remove the deep stage")
    train, test = read_splits()
    with tracking.stage_run("deep", params) as run:
        trains, reason = gate(train, test, target, p)
        tracking.set_tags(
            {"deep_status": "trained" if trains else "skipped", "deep_reason": reason}
        )
        if not trains:
            clear(paths.DEEP_CANDIDATES, paths.DEEP_MODELS)
            return _skip(reason)
        X_train, y_train = features_and_target(train, target, task)
        _check_validation_slice(y_train, task, p.validation_fraction)
        preprocess = _fitted_baseline().named_steps["preprocess"]
        model = fit_pipeline(preprocess, X_train, y_train, task=task, p=p)
        classes = None if task == "regression" else list(model.classes_)
        positive = positive_class(classes, params.data.positive_class) if task == "binary" else None
        explain = params.explain
        importance = partial(
            held_out_importance,
            scoring=cv_scorer(params.compare.primary_metric, task, positive),
            seed=explain.seed,
        )
        if test is None:
            plan = read_plan()
            print(f"deep: scoring by {plan.describe()}")
            fit = partial(fit_pipeline, clone(preprocess), task=task, p=p, verbose=0)
            predictions, importances = out_of_fold(
                fit,
                X_train,
                y_train,
                train[paths.ROW_ID],
                evaluation_rows(),
                classes,
                1,
                inspect=partial(
                    importance,
                    repeats=fold_share(explain.importance_repeats, plan.folds),
                    max_rows=fold_share(explain.max_rows, plan.folds),
                ),
            )
        else:
            X_test, y_test = features_and_target(test, target, task)
            predictions = predict_test(model, X_test, test[paths.ROW_ID], y_test, classes)
            importances = importance(
                model, X_test, y_test, repeats=explain.importance_repeats, max_rows=explain.max_rows
            )
        # Trained and scored: only now replace the previous run's outputs.
        clear(paths.DEEP_CANDIDATES, paths.DEEP_MODELS)
        if positive is not None:
            tracking.log_positive_class(classes, params.data.positive_class)
        test_metrics = score(predictions, task, positive)
        scope = "test" if test is not None else "out_of_fold"
        net = model[-1] if classes else model[-1].regressor_
        history = pd.DataFrame(
            net.history[:, ("epoch", "train_loss", "valid_loss")],
            columns=["epoch", "train_loss", "valid_loss"],
        )
        best_epoch = int(history.loc[history["valid_loss"].idxmin(), "epoch"])
        joblib.dump(model, _mkdir(paths.DEEP_MODELS) / f"{NAME}.joblib")
        write_csv(paths.DEEP_HISTORY, history)
        for row in history.itertuples():
            tracking.log_metrics(
                {"train_loss": row.train_loss, "valid_loss": row.valid_loss}, step=int(row.epoch)
            )
        tracking.log_metrics(test_metrics, prefix=f"{scope}_")
        tracking.log_metrics({"best_epoch": best_epoch})
        tracking.log_sklearn_model(model, NAME, X_train, extra=EXTRA_REQUIREMENTS)
        write_json(
            paths.DEEP_METRICS,
            {
                "status": "trained",
                "reason": reason,
                "best_epoch": best_epoch,
                "epochs": len(history),
                scope: test_metrics,
                **({"positive_class": positive} if positive is not None else {}),
            },
        )
        write_candidate(
            Candidate(
                name=NAME,
                stage="deep",
                complexity=COMPLEXITY,
                selected=True,
                cv_metric=params.compare.primary_metric,
                cv_mean=float("nan"),
                cv_std=float("nan"),
                model_path=str(paths.DEEP_MODELS / f"{NAME}.joblib"),
                run_id="",
                record_id=run.record_id,
                details={
                    "best_epoch": best_epoch,
                    "selection": "early stopping on a validation slice of train",
                    **(
                        {
                            "threshold_choice": "fixed at 0.5 (tuning it by cross-validation "
                            "would refit the MLP once per fold)"
                        }
                        if positive is not None
                        else {}
                    ),
                },
                tracking_uri=tracking.tracking_uri(params),
                extra_requirements=list(EXTRA_REQUIREMENTS),
                threshold=0.5 if positive is not None else None,
            ),
            predictions,
            importances,
        )
    return {"metrics": paths.DEEP_METRICS, "candidates": paths.DEEP_CANDIDATES}


def _mkdir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory
