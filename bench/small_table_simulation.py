"""False promotion rate and interval coverage of compare on small tables, by simulation.

Below ``split.resample_below_rows`` rows every model is scored by repeated k-fold
cross-validation, and a challenger is promoted on the corrected resampled t interval of
its per-fold gains (Nadeau & Bengio, *Machine Learning* 52, 2003; Bouckaert & Frank,
PAKDD 2004). This runs the generated project's own code end to end on a table whose truth
is known: :func:`groups.repeated_group_folds`, :func:`evaluation.folds_table`,
:func:`evaluation.out_of_fold`, :func:`champion.compare_challengers` and
:func:`champion.choose_champion`.

Each repetition draws a fresh table of ``--rows`` rows (default 150): standard normal
``x0, x1, x2, noise1, noise2`` and ``y = 1`` when ``1.5 x0 + x1 + x2 + e > 0`` (``e``
standard normal). The reference (``linear``) is a logistic regression on
``x0, x1, noise1``, the challenger (``mlp``) the same on ``x0, x2, noise2``: the columns
are exchangeable, so both have the same true ROC AUC and the challenger's true gain is
exactly 0. Both are scored out of fold on the same 2 x 5 folds; every promotion is false.

Printed: the false promotion rate with its exact binomial (Clopper-Pearson) 95 % interval,
the coverage of the true gain 0 by the product's corrected interval and by the naive t
interval (``t * s / sqrt(J)``, folds taken as independent), and their mean widths. The
naive interval's per-fold values are scored here independently of the product
(:func:`sklearn.metrics.roc_auc_score` on each fold).

Run from the template's root (bakes a project into a temporary folder first):

    .venv/bin/python bench/small_table_simulation.py --repetitions 200

or point it at a baked project: ``--project /path/to/tabular-baseline``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from promotion_simulation import bake
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

CLASSES = ["0", "1"]
REFERENCE_COLUMNS = ["x0", "x1", "noise1"]
CHALLENGER_COLUMNS = ["x0", "x2", "noise2"]


def load_package(project: Path) -> dict[str, ModuleType]:
    """Import the baked project's modules this simulation uses."""
    sys.path.insert(0, str(project / "src"))
    (package,) = [p.parent.name for p in (project / "src").glob("*/champion.py")]
    names = ("candidates", "champion", "config", "evaluation", "groups")
    return {m: importlib.import_module(f"{package}.{m}") for m in names}


def fit_logistic(features: pd.DataFrame, y: pd.Series) -> LogisticRegression:
    """A logistic regression (liblinear: a few milliseconds on 120 rows)."""
    return LogisticRegression(solver="liblinear").fit(features, y)


def known_truth_table(rng: np.random.Generator, rows: int) -> tuple[pd.DataFrame, pd.Series]:
    """``rows`` rows whose two models of interest have the same true ROC AUC."""
    columns = ["x0", "x1", "x2", "noise1", "noise2"]
    features = pd.DataFrame(rng.normal(size=(rows, 5)), columns=columns)
    latent = 1.5 * features["x0"] + features["x1"] + features["x2"] + rng.normal(size=rows)
    return features, (latent > 0).astype(int).astype(str)


def fold_aucs(frame: pd.DataFrame) -> np.ndarray:
    """ROC AUC of each fold of out-of-fold predictions, by scikit-learn directly."""
    return np.array(
        [
            roc_auc_score(rows["y_true"] == "1", rows["proba_1"])
            for _, rows in frame.groupby("fold", sort=True)
        ]
    )


def simulate(modules: dict[str, ModuleType], args: argparse.Namespace) -> dict[str, float]:
    """Run the repetitions; return the counts and mean widths."""
    candidates, champion, config, evaluation, groups = (
        modules[m] for m in ("candidates", "champion", "config", "evaluation", "groups")
    )
    params = config.CompareParams(
        primary_metric="roc_auc",
        min_gain=args.min_gain,
        bootstrap_resamples=1000,
        confidence=args.confidence,
        seed=0,
        register_champion=False,
    )
    reference = candidates.Candidate(
        "linear", "baseline", 1, True, "roc_auc", np.nan, np.nan, "m", "run", {}
    )
    challenger = candidates.Candidate(
        "mlp", "deep", 3, True, "roc_auc", np.nan, np.nan, "m", "run", {}
    )
    folds_total = args.folds * args.repeats
    t = float(stats.t.ppf(0.5 + args.confidence / 2, df=folds_total - 1))
    found = dict.fromkeys(
        ("promoted", "covered", "covered_naive", "promoted_naive", "width", "width_naive"), 0.0
    )
    gains = []
    for repetition in range(args.repetitions):
        seed = args.seed + repetition
        features, y = known_truth_table(np.random.default_rng(seed), args.rows)
        row_ids = pd.Series(np.arange(args.rows))
        folds = groups.repeated_group_folds(
            groups.feature_groups(features),
            y,
            classification=True,
            n_splits=args.folds,
            n_repeats=args.repeats,
            seed=seed,
        )
        table = evaluation.folds_table(folds, row_ids.to_numpy(), args.folds)
        frames = {
            name: evaluation.out_of_fold(
                fit_logistic, features[columns], y, row_ids, table, CLASSES, n_jobs=1
            )[0]
            for name, columns in (("linear", REFERENCE_COLUMNS), ("mlp", CHALLENGER_COLUMNS))
        }
        comparisons = champion.compare_challengers(
            frames, ["mlp"], ["linear"], "binary", params, None
        )
        chosen, _ = champion.choose_champion(reference, [challenger], comparisons, params)
        (comparison,) = comparisons["mlp"]
        interval = comparison.interval
        found["promoted"] += chosen == "mlp"
        found["covered"] += interval.lower <= 0.0 <= interval.upper
        found["width"] += interval.upper - interval.lower
        gains.append(interval.gain)

        diffs = fold_aucs(frames["mlp"]) - fold_aucs(frames["linear"])
        half = t * diffs.std(ddof=1) / np.sqrt(folds_total)
        lower_naive = diffs.mean() - half
        found["covered_naive"] += lower_naive <= 0.0 <= diffs.mean() + half
        found["promoted_naive"] += lower_naive > 0 and lower_naive >= comparison.threshold
        found["width_naive"] += 2 * half
    found["gain_sd"] = float(np.std(gains, ddof=1))
    found["gain_mean"] = float(np.mean(gains))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a baked project (default: bake one)")
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--rows", type=int, default=150)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--min-gain", type=float, default=0.01)
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--seed", type=int, default=1000, help="seed of the first repetition")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = args.project or bake(Path(folder))
        start = time.perf_counter()
        found = simulate(load_package(project), args)
        report(found, args, time.perf_counter() - start)


def report(found: dict[str, float], args: argparse.Namespace, seconds: float) -> None:
    """Print the rates as a Markdown table."""
    n = args.repetitions
    print(
        f"{n} repetitions: {args.rows} rows, {args.repeats} x {args.folds}-fold "
        f"cross-validation, ROC AUC, true gain 0, compare.min_gain {args.min_gain}, "
        f"confidence {args.confidence} ({seconds:.0f} s)"
    )
    print(
        f"gain over the repetitions: mean {found['gain_mean']:+.4f}, standard deviation "
        f"{found['gain_sd']:.4f}"
    )
    print("| interval | promoted | false promotion rate | 95% CI (exact) | coverage | mean width |")
    print("|---|---|---|---|---|---|")
    for label, key in (("corrected resampled t (product)", ""), ("naive t, s/sqrt(J)", "_naive")):
        promoted = int(found[f"promoted{key}"])
        ci = stats.binomtest(promoted, n).proportion_ci(method="exact")
        print(
            f"| {label} | {promoted}/{n} | {promoted / n:.3f} | [{ci.low:.3f}, {ci.high:.3f}] "
            f"| {found[f'covered{key}'] / n:.3f} | {found[f'width{key}'] / n:.4f} |"
        )


if __name__ == "__main__":
    main()
