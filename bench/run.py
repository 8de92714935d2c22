"""Benchmark of a baked project: the pipeline against a plain script, and growth with rows.

Usage (from the template root, in the environment of ``make test``)::

    python bench/run.py                      # everything: about 15 minutes on 2 cores
    python bench/run.py --repeats 3 --rows 10000 100000

Part 1, on the bundled breast-cancer table, ``--repeats`` times each (median, min, max):
bake time (``cookiecutter --no-input``, hooks with git and DVC init included); cold
``dvc repro`` (fresh project, fresh tracking store, empty run cache); ``dvc repro`` after
changing ``baseline.linear.C`` (the usual iteration: baseline and compare run); after
changing only ``compare.confidence``; with nothing changed; each stage run by hand
(``python -m <package> <stage>``); and the floor, ``plain_script.py``: the same modelling
work as one script without tracking or DVC. Then issue 17's targets, as ratios to the
floor of the same run or in seconds, each marked met or not.

Part 2, on generated tables (:mod:`synthetic_table`: 20 mixed columns) of ``--rows``
rows: validate, split, baseline and compare, one ``dvc repro --single-item`` each, with
wall time and peak memory (resident set of the stage and its worker processes, sampled
every 50 ms). The baseline runs dummy and linear models (``baseline.hgb.enabled: false``)
with ``--n-jobs`` worker processes; everything else keeps the baked defaults.

Part 3, scoring (``python -m tabular_baseline predict``): a project trained on a generated
table of ``--score-train-rows`` rows (baked defaults, gradient-boosted trees included),
then fresh batches of ``--score-rows`` rows of the same kind (another seed, no target)
scored with the registered champion: reading, suite validation, drift, scoring, the
predictions file and the MLflow run, with wall time and peak memory. Targets (issue 15,
2 cores): 100,000 rows under 15 s, 1,000,000 under 2 minutes, under 4 GB.

No timing here is asserted anywhere: the figures are for reading.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent
SLUG = "tabular-baseline"
STAGES = ["validate", "split", "baseline", "compare"]
sys.path.insert(0, str(HERE))

from synthetic_table import TARGET, synthetic_table  # noqa: E402


def environment(project: Path | None = None) -> dict[str, str]:
    """Environment for commands: this interpreter first on PATH, no telemetry, no analytics."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    if project is not None:
        env["PYTHONPATH"] = str(project / "src")
    return env


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak MB of its process tree's resident memory).

    Raises
    ------
    RuntimeError
        If the command exits non-zero (its output is included).
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    tree = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            members = [tree, *tree.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in members if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    output = process.stdout.read().decode(errors="replace") if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n{output}")
    return seconds, peak / 2**20


def bake(output_dir: Path, **answers: str) -> tuple[float, Path]:
    """Bake the template with ``answers``; return (seconds, project folder)."""
    extra = [f"{key}={value}" for key, value in answers.items()]
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output_dir)]
    seconds, _ = measure([*command, str(TEMPLATE), *extra], TEMPLATE, environment())
    return seconds, output_dir / SLUG


def set_params(project: Path, changes: dict[str, dict[str, object]]) -> None:
    """Update sections of the project's params.yaml (comments are not kept)."""
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for section, values in changes.items():
        for key, value in values.items():
            target = params[section]
            *parents, leaf = key.split(".")
            for parent in parents:
                target = target[parent]
            target[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def summary(values: list[float]) -> str:
    """Median with min and max, in seconds."""
    return f"{statistics.median(values):7.2f} s  (min {min(values):.2f}, max {max(values):.2f})"


#: Part 1's rows: key, label.
ROWS = {
    "bake": "bake (cookiecutter --no-input, git + DVC init)",
    "cold": "cold dvc repro (fresh tracking store)",
    "iterate": "baseline.linear.C changed, dvc repro",
    "compare": "compare.confidence changed, dvc repro",
    "noop": "dvc repro, nothing changed",
    **{f"hand_{stage}": f"python -m <package> {stage} (by hand)" for stage in STAGES},
    "plain": "plain script (the floor)",
}
#: Issue 17's targets: key, what, limit, whether the limit is a ratio to the floor.
TARGETS = [
    ("cold", "cold dvc repro / floor", 2.5, True),
    ("iterate", "one baseline param changed / floor", 2.0, True),
    ("compare", "compare-only rerun, seconds", 3.0, False),
    ("noop", "nothing changed, seconds", 0.5, False),
]


def bundled_table(work: Path, repeats: int) -> None:
    """Part 1: bake, cold/iteration/compare-only/no-op ``dvc repro``, stages, the floor."""
    times: dict[str, list[float]] = {key: [] for key in ROWS}
    for i in range(repeats):
        seconds, project = bake(work / f"bundled-{i}")
        times["bake"].append(seconds)
        env = environment(project)
        dvc = [sys.executable, "-m", "dvc", "repro"]
        times["cold"].append(measure(dvc, project, env)[0])
        set_params(project, {"baseline": {"linear.C": [0.01, 0.1, 1.0]}})
        times["iterate"].append(measure(dvc, project, env)[0])
        set_params(project, {"compare": {"confidence": 0.9}})
        times["compare"].append(measure(dvc, project, env)[0])
        times["noop"].append(measure(dvc, project, env)[0])
        module = next(project.glob("src/*/__main__.py")).parent.name
        for stage in STAGES:
            command = [sys.executable, "-m", module, stage]
            times[f"hand_{stage}"].append(measure(command, project, env)[0])
        plain = [sys.executable, str(HERE / "plain_script.py"), str(project)]
        times["plain"].append(measure(plain, project, env)[0])
        print(
            f"  repeat {i + 1}/{repeats}: "
            + ", ".join(f"{k} {v[-1]:.2f}" for k, v in times.items())
        )
    print(f"\nBundled table (breast cancer, 569 rows), {repeats} repeats: median (min, max)")
    for number, (key, label) in enumerate(ROWS.items(), start=1):
        print(f"  {number:>2}. {label:<50} {summary(times[key])}")
    floor = statistics.median(times["plain"])
    print(f"\nTargets (issue 17), against the floor of this run ({floor:.2f} s):")
    for key, what, limit, ratio in TARGETS:
        value = statistics.median(times[key]) / (floor if ratio else 1.0)
        unit = "x" if ratio else " s"
        verdict = "met" if value <= limit else "NOT MET"
        print(f"  {what:<40} {value:7.2f}{unit}  (target at most {limit:g}{unit})  {verdict}")


def scaling(work: Path, rows_list: list[int], n_jobs: int) -> None:
    """Part 2: each stage's wall time and peak memory on generated tables."""
    results: dict[int, dict[str, tuple[float, float]]] = {}
    for rows in rows_list:
        table = work / f"table_{rows}.csv"
        synthetic_table(rows).to_csv(table, index=False)
        _, project = bake(
            work / f"rows-{rows}",
            data_source="own_csv",
            csv_path=str(table),
            target_column=TARGET,
            task="binary",
        )
        set_params(project, {"baseline": {"hgb.enabled": False, "n_jobs": n_jobs}})
        env = environment(project)
        results[rows] = {}
        for stage in STAGES:
            command = [sys.executable, "-m", "dvc", "repro", "--single-item", stage]
            results[rows][stage] = measure(command, project, env)
            seconds, peak = results[rows][stage]
            print(f"  {rows:>9,} rows  {stage:<9} {seconds:8.2f} s  {peak:8.0f} MB")
        table.unlink()
    print(f"\nGenerated tables (20 columns; baseline: dummy + linear, n_jobs={n_jobs})")
    print(f"  {'rows':>9}  " + "  ".join(f"{s:>17}" for s in STAGES) + f"  {'total':>8}")
    for rows, stages in results.items():
        cells = "  ".join(f"{stages[s][0]:7.1f} s {stages[s][1]:5.0f} MB" for s in STAGES)
        total = sum(seconds for seconds, _ in stages.values())
        print(f"  {rows:>9,}  {cells}  {total:6.1f} s")
    ordered = sorted(results)
    for small, large in itertools.pairwise(ordered):
        growth = {s: results[large][s][0] / results[small][s][0] for s in STAGES}
        total = sum(v[0] for v in results[large].values()) / sum(
            v[0] for v in results[small].values()
        )
        print(
            f"  time x{large / small:g} rows ({small:,} -> {large:,}): "
            + ", ".join(f"{s} x{g:.1f}" for s, g in growth.items())
            + f", total x{total:.1f}"
        )


#: Scoring targets of issue 15: rows -> seconds.
SCORING_TARGETS = {100_000: 15.0, 1_000_000: 120.0}


def scoring(work: Path, train_rows: int, batch_rows: list[int]) -> None:
    """Part 3: ``predict`` on generated batches with the registered champion."""
    table = work / "scoring_train.csv"
    synthetic_table(train_rows).to_csv(table, index=False)
    _, project = bake(
        work / "scoring",
        data_source="own_csv",
        csv_path=str(table),
        target_column=TARGET,
        task="binary",
    )
    env = environment(project)
    seconds, _ = measure([sys.executable, "-m", "dvc", "repro"], project, env)
    champion = yaml.safe_load((project / "reports/compare/metrics.json").read_text())["champion"]
    print(f"  trained on {train_rows:,} rows in {seconds:.1f} s; champion: {champion}")
    results = {}
    for rows in batch_rows:
        batch = work / f"batch_{rows}.csv"
        synthetic_table(rows, seed=1).drop(columns=[TARGET]).to_csv(batch, index=False)
        command = [sys.executable, "-m", SLUG.replace("-", "_"), "predict", str(batch)]
        results[rows] = measure(command, project, env)
        print(f"  {rows:>9,} rows scored {results[rows][0]:8.2f} s  {results[rows][1]:8.0f} MB")
        batch.unlink()
    print(f"\nScoring with the champion ({champion}, trained on {train_rows:,} generated rows)")
    for rows, (seconds, peak) in results.items():
        limit = SCORING_TARGETS.get(rows)
        verdict = f"target < {limit:.0f} s, < 4096 MB" if limit else "no target"
        print(f"  {rows:>9,} rows  {seconds:7.1f} s  {peak:6.0f} MB peak   ({verdict})")


def main() -> None:
    """Parse the arguments and run the three parts in a temporary folder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs of each part-1 step")
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--n-jobs", type=int, default=2, help="baseline.n_jobs for part 2")
    parser.add_argument(
        "--score-rows", type=int, nargs="*", default=[100_000, 1_000_000], help="part 3 batches"
    )
    parser.add_argument("--score-train-rows", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the baked projects")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="baseline-first-bench-"))
    print(f"Working in {work} ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    try:
        if args.repeats:
            bundled_table(work, args.repeats)
        if args.rows:
            scaling(work, args.rows, args.n_jobs)
        if args.score_rows:
            scoring(work, args.score_train_rows, args.score_rows)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
