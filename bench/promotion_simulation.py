"""False promotion rate and power of compare's promotion rule, measured by simulation.

The rule under test is the generated project's own code: :func:`champion.compare_challengers`
(paired bootstrap, thresholds, verdicts) and the verdict that promotes a challenger
(:data:`stats.BETTER`: the lower bound of the two-sided interval reaches ``min_gain``).
Each repetition draws a fresh test split from a model with a known true gain of the
challenger over the reference, and records whether the challenger would be promoted:

- binary, ROC AUC, ``min_gain`` 0.01 (absolute): binormal scores, positives shifted by
  ``d`` with ``AUC = Phi(d / sqrt(2))``; the two models' noises correlate (rho 0.6), as
  models fitted to the same rows do.
- regression, RMSE, ``min_gain`` 0.02 (a fraction of the reference's RMSE): normal errors
  whose standard deviations differ by the true relative gain, correlated (rho 0.6).

Settings: true gain 0, ``min_gain`` and twice ``min_gain``. At a true gain of 0 a
promotion is a false promotion; at exactly ``min_gain`` the null hypothesis "gain below
min_gain" holds at its boundary, where a one-sided test at level 0.025 should promote
about 2.5 % of the time; at twice ``min_gain`` the promotion rate is the power.
The exact binomial (Clopper-Pearson) 95 % interval of each rate is printed with it.

Run from the template's root (bakes a project into a temporary folder first):

    .venv/bin/python bench/promotion_simulation.py --repetitions 200

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
from scipy import stats

TEMPLATE = Path(__file__).resolve().parents[1]
RHO = 0.6


def bake(folder: Path) -> Path:
    """Bake the template with its defaults into ``folder``; return the project's path."""
    from cookiecutter.main import cookiecutter

    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(folder),
            extra_context={"init_git_and_dvc": "no"},
        )
    )


def load_package(project: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    """Import the baked project's ``champion``, ``stats`` and ``config`` modules."""
    sys.path.insert(0, str(project / "src"))
    (package,) = [p.parent.name for p in (project / "src").glob("*/champion.py")]
    return tuple(importlib.import_module(f"{package}.{m}") for m in ("champion", "stats", "config"))


def _correlated_noise(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    common, a, b = rng.normal(size=(3, rows))
    return np.sqrt(RHO) * common + np.sqrt(1 - RHO) * a, np.sqrt(RHO) * common + np.sqrt(
        1 - RHO
    ) * b


def binary_frames(rng: np.random.Generator, rows: int, gain: float) -> dict[str, pd.DataFrame]:
    """Reference of ROC AUC 0.80 and a challenger of ROC AUC 0.80 + ``gain``."""
    y = np.zeros(rows, dtype=int)
    y[: rows // 2] = 1  # balanced classes: the stratified bootstrap keeps them
    frames = {}
    for name, auc, noise in zip(
        ("reference", "challenger"), (0.80, 0.80 + gain), _correlated_noise(rng, rows), strict=True
    ):
        shift = np.sqrt(2) * stats.norm.ppf(auc)
        p1 = 1 / (1 + np.exp(-(shift * y + noise - shift / 2)))
        frames[name] = pd.DataFrame(
            {
                "y_true": y.astype(str),
                "y_pred": (p1 > 0.5).astype(int).astype(str),
                "proba_0": 1 - p1,
                "proba_1": p1,
            }
        )
    return frames


def regression_frames(
    rng: np.random.Generator, rows: int, gain: float, scale: float = 1000.0
) -> dict[str, pd.DataFrame]:
    """Reference of RMSE ``scale`` and a challenger of RMSE ``scale * (1 - gain)``."""
    y = rng.normal(0, 3 * scale, rows)
    e_ref, e_ch = _correlated_noise(rng, rows)
    return {
        "reference": pd.DataFrame({"y_true": y, "y_pred": y + scale * e_ref}),
        "challenger": pd.DataFrame({"y_true": y, "y_pred": y + scale * (1 - gain) * e_ch}),
    }


def simulate(
    champion: ModuleType,
    stats_module: ModuleType,
    params: object,
    task: str,
    rows: int,
    gain: float,
    repetitions: int,
    seed: int,
) -> tuple[int, float]:
    """Promotions out of ``repetitions``, and the mean smallest detectable gain."""
    rng = np.random.default_rng(seed)
    make = binary_frames if task == "binary" else regression_frames
    promoted, detectable = 0, []
    for repetition in range(repetitions):
        frames = make(rng, rows, gain)
        p = params.model_copy(update={"seed": seed + repetition})
        (found,) = champion.compare_challengers(
            frames, ["challenger"], ["reference"], task, p, None
        )["challenger"]
        promoted += found.verdict == stats_module.BETTER
        detectable.append(found.detectable / (found.opponent_value if task != "binary" else 1))
    return promoted, float(np.mean(detectable))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a baked project (default: bake one)")
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument(
        "--rows",
        default="1000,5000",
        help="test-split sizes, comma-separated (default: %(default)s)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = args.project or bake(Path(folder))
        run(*load_package(project), args)


def run(
    champion: ModuleType, stats_module: ModuleType, config: ModuleType, args: argparse.Namespace
) -> None:
    """Simulate every setting and print one Markdown table row each."""
    sizes = [int(rows) for rows in args.rows.split(",")]
    settings = [
        (task, metric, min_gain, rows)
        for task, metric, min_gain in (("binary", "roc_auc", 0.01), ("regression", "rmse", 0.02))
        for rows in sizes
    ]
    print(
        f"{args.repetitions} repetitions per setting, {args.resamples} bootstrap resamples, "
        f"confidence 0.95 (one-sided level 0.025), noise correlation {RHO}, power "
        f"{stats_module.POWER:.0%} for the detectable gain"
    )
    print(
        "| task | metric | test rows | min_gain | true gain | promoted | rate | 95% CI "
        "| mean detectable gain | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for task, metric, min_gain, rows in settings:
        params = config.CompareParams(
            primary_metric=metric,
            min_gain=min_gain,
            bootstrap_resamples=args.resamples,
            confidence=0.95,
            seed=0,
            register_champion=False,
        )
        unit = "" if task == "binary" else " (relative)"
        for gain in (0.0, min_gain, 2 * min_gain):
            start = time.perf_counter()
            promoted, detectable = simulate(
                champion, stats_module, params, task, rows, gain, args.repetitions, seed=1
            )
            ci = stats.binomtest(promoted, args.repetitions).proportion_ci(method="exact")
            print(
                f"| {task} | {metric} | {rows} | {min_gain}{unit} | {gain:g} | {promoted}/"
                f"{args.repetitions} | {promoted / args.repetitions:.3f} | [{ci.low:.3f}, "
                f"{ci.high:.3f}] | {detectable:.4f} | {time.perf_counter() - start:.0f} s |"
            )
    print()
    print(
        "Who must be beaten (issue 13, item 5): regression, a challenger as good as the trees "
        f"(true gain 0 over them) and {2 * 0.02:.0%} better than the linear model."
    )
    print("| test rows | promoted against linear only (before) | against every model (now) |")
    print("|---|---|---|")
    for rows in sizes:
        before, now = simulate_rivals(champion, stats_module, config, rows, args)
        print(
            f"| {rows} | {before}/{args.repetitions} ({before / args.repetitions:.3f}) | "
            f"{now}/{args.repetitions} ({now / args.repetitions:.3f}) |"
        )


def simulate_rivals(
    champion: ModuleType,
    stats_module: ModuleType,
    config: ModuleType,
    rows: int,
    args: argparse.Namespace,
    min_gain: float = 0.02,
) -> tuple[int, int]:
    """Promotions of a challenger equal to the trees and better than the linear model,
    judged against the linear model only (the old rule) and against both (the new one)."""
    rng = np.random.default_rng(2)
    promoted_before = promoted_now = 0
    for repetition in range(args.repetitions):
        y = rng.normal(0, 3, rows)
        common, *own = rng.normal(size=(4, rows))
        noise = [np.sqrt(RHO) * common + np.sqrt(1 - RHO) * e for e in own]
        sd = {"linear": 1.0, "hgb": 1 - 2 * min_gain, "mlp": 1 - 2 * min_gain}
        frames = {
            name: pd.DataFrame({"y_true": y, "y_pred": y + sd[name] * e})
            for name, e in zip(sd, noise, strict=True)
        }
        p = config.CompareParams(
            primary_metric="rmse",
            min_gain=min_gain,
            bootstrap_resamples=args.resamples,
            confidence=0.95,
            seed=repetition,
            register_champion=False,
        )
        found = champion.compare_challengers(
            frames, ["mlp"], ["linear", "hgb"], "regression", p, None
        )["mlp"]
        verdicts = {c.opponent: c.verdict for c in found}
        promoted_before += verdicts["linear"] == stats_module.BETTER
        promoted_now += champion.deciding(found).verdict == stats_module.BETTER
    return promoted_before, promoted_now


if __name__ == "__main__":
    main()
