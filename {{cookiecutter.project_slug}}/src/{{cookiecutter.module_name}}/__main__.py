"""Command line: ``python -m <package> <command>``, one command per pipeline stage.

Params are checked before any stage module (and its heavy imports) is loaded, so a bad
``params.yaml`` fails at once.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from . import stages
from .config import load_params
from .errors import StageError

STAGES = {
    "validate": "validate the raw table against its expectation suite",
    "split": "seeded holdout split with row ids",
    "baseline": "tune and score the classical baseline models",
    "deep": "gate, then train and score the MLP (deep-learning) candidate",
    "compare": "compare every candidate on the test split and name the champion",
}


def available_stages() -> list[str]:
    """Stages whose module this project has (``deep`` is optional), in pipeline order."""
    found = {module.name for module in pkgutil.iter_modules(stages.__path__)}
    return [name for name in STAGES if name in found]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser: one sub-command per stage, plus the project commands."""
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name in available_stages():
        commands.add_parser(name, help=STAGES[name], description=STAGES[name])
    draft = commands.add_parser(
        "init-suite", help="draft an expectation suite from the raw table, for review"
    )
    draft.add_argument("--force", action="store_true", help="overwrite an existing suite")
    setup = commands.add_parser(
        "init-repo",
        help="git init, dvc init, dvc add of the raw table and the first commit (if not done)",
    )
    setup.add_argument("--remote", metavar="URL", help="default DVC remote (URL or folder)")
    gate = commands.add_parser(
        "check",
        help="regression gate: is the current champion significantly worse than a reference?",
    )
    gate.add_argument(
        "--against",
        metavar="REF",
        help="a git revision, or 'champion' (the MLflow alias); default: check.reference",
    )
    score = commands.add_parser(
        "predict",
        help="score a CSV batch of new rows with the champion (validation and drift checks)",
    )
    score.add_argument("batch", type=Path, metavar="BATCH.csv", help="the rows to score")
    score.add_argument(
        "--output",
        "-o",
        type=Path,
        help="predictions file, .csv or .parquet (default: predictions/<batch name>.csv)",
    )
    score.add_argument(
        "--model",
        default="champion",
        metavar="NAME",
        help="'champion' (the MLflow registry alias, default) or a candidate: linear, hgb...",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the process exit status (0 on success, 1 on a stage error)."""
    args = build_parser().parse_args(argv)
    try:
        params = load_params()
        if args.command == "init-suite":
            importlib.import_module(f"{__package__}.suite").run(params, force=args.force)
        elif args.command == "init-repo":
            importlib.import_module(f"{__package__}.repository").run(params, remote=args.remote)
        elif args.command == "predict":
            importlib.import_module(f"{__package__}.predict").run(
                params, source=args.batch, output=args.output, model=args.model
            )
        elif args.command == "check":
            importlib.import_module(f"{__package__}.check").run(params, against=args.against)
        else:
            importlib.import_module(f"{__package__}.stages.{args.command}").run(params)
    except StageError as exc:
        print(f"error: {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
