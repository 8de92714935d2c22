"""Heavy libraries load only in the commands that use them: every ``dvc repro`` pays for
each import of every stage it runs."""

import subprocess
import sys

import pytest

PACKAGE = "{{ cookiecutter.module_name }}"
HEAVY = {"great_expectations", "mlflow", "torch", "sklearn"}


def imported(*args: str) -> set[str]:
    """Top-level packages imported by ``python -X importtime <args>`` (from its report)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=True
    )
    lines = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    return {name.split(".")[0] for name in lines if name and not name.startswith("imported")}


def test_help_imports_no_heavy_library():
    assert imported("-m", PACKAGE, "--help") & HEAVY == set()


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        ("validate", {"great_expectations"}),
        ("split", {"sklearn"}),
        ("baseline", {"sklearn"}),
        ("compare", {"sklearn"}),
    ],
)
def test_a_stage_module_imports_only_what_it_needs(stage, allowed):
    # mlflow loads when a run starts, great_expectations when a suite is read.
    loaded = imported("-c", f"import {PACKAGE}.stages.{stage}")
    assert loaded & HEAVY <= allowed


def test_the_stages_before_compare_keep_their_runs_without_importing_mlflow(project):
    """Their runs wait as records in mlruns/pending/; compare logs them (issue 17)."""
    for stage in ("validate", "split"):
        assert "mlflow" not in imported("-m", PACKAGE, stage), stage
    pending = sorted(p.name.split("-")[1] for p in (project / "mlruns/pending").iterdir())
    assert pending == ["split", "validate"]
