"""The real pipeline in baked projects: dvc repro, DVC metrics/plots, MLflow, the gate."""

from __future__ import annotations

import base64
import itertools
import json
import sqlite3
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TABLES, TARGETS, bake, project_env, run_in, venv_on_top
from mlflow import MlflowClient

pytestmark = pytest.mark.pipeline
STAGES = ["validate", "split", "baseline", "compare"]
#: The pictures of what the models learned, by task (reports/explain/, compare stage).
EXPLAIN_PNGS = {
    "binary": {"coefficients", "importance", "partial_dependence", "calibration", "roc_pr"},
    "multiclass": {"coefficients", "importance", "partial_dependence", "calibration"},
    "regression": {"coefficients", "importance", "partial_dependence", "residuals"},
}
#: Directions known on the bundled tables: (column, coefficient column, sign). Larger,
#: more irregular nuclei mean malignant tumours (Street, Wolberg & Mangasarian 1993); the
#: first cultivar has the most proline, the second the least alcohol, the third the fewest
#: flavanoids (Forina et al., UCI wine); body mass index and serum triglycerides (s5)
#: raise diabetes progression (Efron et al., Annals of Statistics 32, 2004).
KNOWN_DIRECTIONS = {
    "binary": [("worst radius", "coefficient", 1), ("worst concave points", "coefficient", 1)],
    "multiclass": [
        ("proline", "coefficient_class_0", 1),
        ("alcohol", "coefficient_class_1", -1),
        ("flavanoids", "coefficient_class_2", -1),
    ],
    "regression": [("bmi", "coefficient", 1), ("s5", "coefficient", 1)],
}


#: Each reproduced project's `dvc repro`: (start, end) in milliseconds since the epoch.
WINDOWS: dict[Path, tuple[int, int]] = {}


@pytest.fixture(scope="module", params=["binary", "multiclass", "regression"])
def reproduced(request, cookies_session) -> tuple[str, Path, str]:
    """A project baked with git for each task, after one real `dvc repro`."""
    task = request.param
    project = bake(cookies_session, task=task, project_name=f"Demo {task}")
    start = int(time.time() * 1000)
    done = run_in(project, "dvc", "repro")
    WINDOWS[project] = (start, int(time.time() * 1000))
    return task, project, done.stdout


def compare_metrics(project: Path) -> dict:
    return json.loads((project / "reports/compare/metrics.json").read_text())


def stage_runs(project: Path) -> pd.DataFrame:
    """Top-level runs read straight from the sqlite tracking store."""
    with sqlite3.connect(project / "mlflow.db") as db:
        return pd.read_sql(
            "SELECT r.run_uuid, r.name, r.status FROM runs r WHERE r.run_uuid NOT IN "
            "(SELECT run_uuid FROM tags WHERE key = 'mlflow.parentRunId')",
            db,
        )


def test_repro_runs_every_stage_and_meets_the_metric_floors(reproduced):
    task, project, output = reproduced
    for stage in STAGES:
        assert f"Running stage '{stage}'" in output
    metrics = compare_metrics(project)
    scores = metrics["candidates"]
    if task == "binary":
        assert scores["linear"]["roc_auc"] >= 0.97
        assert scores["dummy"]["roc_auc"] == pytest.approx(0.5)
        assert metrics["champion"] == "linear"
    elif task == "multiclass":
        champion = scores[metrics["champion"]]
        assert champion["roc_auc"] >= 0.97 and champion["accuracy"] >= 0.9
        assert scores["dummy"]["roc_auc"] == pytest.approx(0.5)
    else:
        champion = scores[metrics["champion"]]
        assert champion["r2"] >= 0.3
        assert champion["rmse"] < 0.85 * scores["dummy"]["rmse"]
        assert scores["dummy"]["r2"] <= 0.0
    assert (project / f"models/baseline/{metrics['champion']}.joblib").is_file()
    # The bundled tables have under 1,000 rows: no test split, every row scored out of fold
    # on 2 x 5 folds, the same folds for every candidate.
    plan = json.loads((project / "data/split/evaluation.json").read_text())
    assert (plan["method"], plan["folds"], plan["repeats"]) == ("resampled", 5, 2)
    assert not (project / "data/split/test.parquet").exists()
    folds = pd.read_parquet(project / "data/split/folds.parquet")
    rows = len(pd.read_parquet(project / "data/split/train.parquet"))
    assert len(folds) == 2 * rows and folds.groupby("repeat")["row_id"].nunique().eq(rows).all()
    for name in ("dummy", "linear", "hgb"):
        predictions = pd.read_parquet(project / f"candidates/baseline/{name}.parquet")
        assert predictions[["row_id", "fold"]].equals(folds[["row_id", "fold"]])
    assert "cross-validation over all" in output and "test rows" not in output


def test_mlflow_has_one_finished_run_per_stage_with_the_comparison(reproduced):
    task, project, _ = reproduced
    runs = stage_runs(project)
    assert sorted(runs["name"]) == sorted(STAGES)
    assert set(runs["status"]) == {"FINISHED"}
    with sqlite3.connect(project / "mlflow.db") as db:
        compare_id = runs.set_index("name").loc["compare", "run_uuid"]
        tags = dict(db.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (compare_id,)))
        metrics = {
            k for (k,) in db.execute("SELECT key FROM metrics WHERE run_uuid = ?", (compare_id,))
        }
        children = db.execute(
            "SELECT COUNT(*) FROM tags WHERE key = 'mlflow.parentRunId'"
        ).fetchone()[0]
        baseline_tags = {
            k
            for (k,) in db.execute(
                "SELECT key FROM tags WHERE run_uuid = ?",
                (runs.set_index("name").loc["baseline", "run_uuid"],),
            )
        }
        params = {
            k
            for (k,) in db.execute(
                "SELECT key FROM params WHERE run_uuid = ?",
                (runs.set_index("name").loc["split", "run_uuid"],),
            )
        }
    assert tags["champion"] == compare_metrics(project)["champion"]
    assert {
        "candidate.dummy.run_id",
        "candidate.linear.run_id",
        "candidate.hgb.run_id",
    } <= set(tags)
    primary = "rmse" if task == "regression" else "roc_auc"
    assert {f"{m}/out_of_fold_{primary}" for m in ("dummy", "linear", "hgb")} <= metrics
    assert children == 3
    assert {"stage", "git_commit", "data_hash", "params_hash"} <= baseline_tags
    assert {"split.seed", "split.resample_below_rows", "evaluation", "data.path"} <= params
    assert len(list((project / "mlruns").rglob("MLmodel"))) == 3
    # The report and every picture of the explanations are in the compare run.
    with sqlite3.connect(project / "mlflow.db") as db:
        (uri,) = db.execute("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (compare_id,))
    artifacts = Path(uri[0].removeprefix("file://"))
    assert (artifacts / "report.html").is_file()
    logged = {p.stem for p in (artifacts / "explain").glob("*.png")}
    assert logged == EXPLAIN_PNGS[task]
    assert {
        "linear/out_of_fold_brier",
        "dummy/out_of_fold_brier",
    } <= metrics or task == "regression"


def test_dvc_metrics_and_plots_show_work(reproduced):
    task, project, _ = reproduced
    shown = run_in(project, "dvc", "metrics", "show", "--json")
    assert "champion" in shown.stdout
    run_in(project, "dvc", "plots", "show")
    page = (project / "dvc_plots/index.html").read_text()
    assert ("predicted_vs_actual" in page) if task == "regression" else ("roc" in page)
    # Every declared plot resolves: no missing file, no field a template cannot join.
    plots = json.loads(run_in(project, "dvc", "plots", "show", "--json").stdout)
    assert not plots.get("errors"), plots["errors"]
    images = {f"reports/explain/{name}.png" for name in EXPLAIN_PNGS[task]}
    # A folder of importances and of reliability curves: one plot per candidate.
    images |= {"reports/compare/intervals.png"}
    images |= {f"reports/explain/importance/{name}.csv" for name in ("dummy", "linear", "hgb")}
    if task == "regression":
        images |= {"residuals", "residuals_by_feature", "coefficients"}
    else:
        images |= {f"reports/explain/calibration/{name}.csv" for name in ("linear", "hgb")}
        images |= {"coefficients"} if task == "binary" else set()
    assert images <= set(plots["data"])


def test_explanations_of_the_sample_tables_show_what_is_known(reproduced):
    task, project, _ = reproduced
    explain = project / "reports/explain"
    assert {p.stem for p in explain.glob("*.png")} == EXPLAIN_PNGS[task]
    coefficients = pd.read_csv(explain / "coefficients.csv").set_index("feature")
    for column, weight, sign in KNOWN_DIRECTIONS[task]:
        assert np.sign(coefficients.loc[column, weight]) == sign, (column, weight)
    weights = coefficients.filter(like="coefficient").abs().max(axis=1)
    assert weights.is_monotonic_decreasing  # largest first
    if task == "binary":
        np.testing.assert_allclose(coefficients["odds_ratio"], np.exp(coefficients["coefficient"]))
    train = pd.read_parquet(project / "data/split/train.parquet")
    columns = set(train.columns) - {"row_id", TARGETS[task]}
    importances = {
        name: pd.read_csv(explain / f"importance/{name}.csv") for name in ("dummy", "linear", "hgb")
    }
    for name, table in importances.items():
        assert set(table["feature"]) == columns, name
        assert table["shuffles"].eq(5).all()  # 1 shuffle in each of the first repeat's 5 folds
    assert importances["dummy"]["importance_mean"].eq(0).all()  # it ignores the features
    for name in ("linear", "hgb"):
        top = importances[name].iloc[0]
        assert top["importance_mean"] > 0 and top["importance_mean"] > top["importance_std"] / 2
    metrics = compare_metrics(project)
    champion = metrics["champion"]
    ranking = list(importances[champion]["feature"])
    pd_table = pd.read_csv(explain / "partial_dependence.csv")
    assert list(dict.fromkeys(pd_table["feature"])) == ranking[:3]
    curves = pd_table.groupby(["feature"] + (["class"] if "class" in pd_table else []))["curve"]
    assert curves.nunique().eq(51).all()  # the average and 50 individual curves
    rows = len(train)
    if task == "regression":
        residuals = pd.read_csv(explain / "residuals.csv")
        assert len(residuals) == rows and residuals["row_id"].is_unique
        np.testing.assert_allclose(
            residuals["residual"], residuals["actual"] - residuals["predicted"]
        )
        assert set(residuals["top_feature"]) == {ranking[0]}
        return
    scores = metrics["candidates"]
    assert scores["linear"]["brier"] < scores["dummy"]["brier"] < 1.0
    for name in ("dummy", "linear", "hgb"):
        curve = pd.read_csv(explain / f"calibration/{name}.csv")
        assert curve["rows"].sum() == 2 * rows  # both repeats' out-of-fold predictions
        assert curve["mean_predicted"].between(0, 1).all()


class _Resources(HTMLParser):
    """Every tag and the attributes that load something (src, href), of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "img":
            self.images.append(found.get("src") or "")
        self.links += [v or "" for k, v in attrs if k in ("href", "src") and tag != "img"]


def test_the_report_opens_offline_and_embeds_every_plot(reproduced):
    task, project, output = reproduced
    assert output.index("Report (one page, opens offline): reports/report.html") > output.index(
        "Champion: "
    )
    page = (project / "reports/report.html").read_text(encoding="utf-8")
    resources = _Resources()
    resources.feed(page)
    assert {"script", "link", "iframe"}.isdisjoint(resources.tags)
    assert resources.links == [] and "url(" not in page and "@import" not in page
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in resources.images)
    embedded = [base64.b64decode(src.removeprefix(prefix)) for src in resources.images]
    pictures = sorted((project / "reports").rglob("*.png"))
    assert len(pictures) >= len(EXPLAIN_PNGS[task]) + 2  # intervals, the baseline's plots
    for picture in pictures:
        assert picture.read_bytes() in embedded, picture
    assert len(embedded) == len(pictures)
    for heading in ("Validation", "Candidates", "Comparison", "What the models learned"):
        assert f"<h2>{heading}</h2>" in page
    assert "passed" in page and compare_metrics(project)["champion"] in page


def test_the_model_card_has_the_sections_of_mitchell_et_al(reproduced):
    _, project, _ = reproduced
    card = (project / "reports/model_card.md").read_text()
    headings = [line for line in card.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Champion",
        "## Model details",
        "## Intended use",
        "## Factors",
        "## Metrics",
        "## Evaluation data",
        "## Training data",
        "## Quantitative analyses",
        "## Ethical considerations",
        "## Caveats and recommendations",
    ]
    # What only a person knows is asked for, never made up.
    assert card.count("> **To be written by a person** (the pipeline cannot know this):") == 5
    assert "### The linear model, read directly" in card
    assert "### What each candidate relies on" in card


def test_second_repro_runs_no_stage(reproduced):
    _, project, _ = reproduced
    again = run_in(project, "dvc", "repro")
    assert "Running stage" not in again.stdout
    assert "up to date" in again.stdout


def test_generated_project_tests_pass(reproduced):
    _, project, _ = reproduced
    done = run_in(project, "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def store_of(project: Path) -> tuple[MlflowClient, str]:
    """The project's tracking store and its experiment id."""
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    name = yaml.safe_load((project / "params.yaml").read_text())["mlflow"]["experiment"]
    return client, client.get_experiment_by_name(name).experiment_id


def test_every_stage_run_keeps_its_fields_and_times_though_logged_at_the_end(reproduced):
    """Issue 17: validate, split and baseline write their runs as records that compare
    logs; each run still holds its params, metrics, tags, artifacts, models and its own
    start and end times, inside the `dvc repro` that made it, in pipeline order."""
    _task, project, _ = reproduced
    start, end = WINDOWS[project]
    client, experiment = store_of(project)
    runs = {r.info.run_name: r for r in client.search_runs([experiment])}
    assert set(runs) == {*STAGES, "baseline/dummy", "baseline/linear", "baseline/hgb"}
    for name, run in runs.items():
        assert run.info.status == "FINISHED", name
        assert start <= run.info.start_time <= run.info.end_time <= end, name
    order = [runs[stage].info for stage in STAGES]
    for before, after in itertools.pairwise(order):
        assert before.end_time <= after.start_time, (before.run_name, after.run_name)
    baseline = runs["baseline"].info
    for model in ("dummy", "linear", "hgb"):
        child = runs[f"baseline/{model}"]
        assert child.data.tags["mlflow.parentRunId"] == baseline.run_id
        assert baseline.start_time <= child.info.start_time <= child.info.end_time
        assert child.info.end_time <= baseline.end_time
        assert child.data.tags["model"] == model and child.data.tags["stage"] == "baseline"
        assert child.data.tags["model_uri"].startswith("models:/m-")
        assert {k for k in child.data.metrics if k.startswith("cv_")}, model
        if model != "dummy":  # the dummy has no grid
            assert any(k.startswith("grid.model__") for k in child.data.params), model
    validate = runs["validate"].data
    assert validate.tags["validation_success"] == "True"
    assert validate.metrics["failed_critical"] == 0 and validate.metrics["rows"] > 100
    assert validate.params["data.path"].startswith("data/raw/")
    split = runs["split"].data
    assert split.metrics["train_rows"] > 100 and "split.seed" in split.params
    assert runs["baseline"].data.tags["selected"] in {"dummy", "linear", "hgb"}
    assert "baseline.cv_folds" in runs["baseline"].data.params
    for run, files in [
        (runs["validate"], {"report.html", "result.json"}),
        (runs["baseline"], {"metrics.json", "cv_results.csv", "plots"}),
        (runs["split"], {"leakage"}),
    ]:
        assert {Path(f.path).name for f in client.list_artifacts(run.info.run_id)} == files
    for stage in STAGES:
        tags = runs[stage].data.tags
        assert {"git_commit", "data_hash", "params_hash", "task"} <= set(tags), stage
        assert ("record_id" in tags) == (stage != "compare"), stage  # compare logs itself
    # The compare run links the very runs logged from the records.
    compare = runs["compare"].data.tags
    for model in ("dummy", "linear", "hgb"):
        assert compare[f"candidate.{model}.run_id"] == runs[f"baseline/{model}"].info.run_id
    assert not list((project / "mlruns/pending").glob("*")), "a record was left unlogged"


def test_exp_run_with_a_new_seed_works_and_tracks_to_the_project_store(reproduced):
    task, project, _ = reproduced
    if task != "binary":
        pytest.skip("one task is enough for dvc exp run")
    run_in(project, "git", "add", "-A")
    run_in(project, "git", "commit", "-qm", "first repro")
    # The trees off: the experiment only has to show where its runs land (CI time).
    run_in(
        project,
        "dvc",
        "exp",
        "run",
        "--temp",
        "-S",
        "split.seed=7",
        "-S",
        "baseline.hgb.enabled=false",
    )
    shown = json.loads(run_in(project, "dvc", "exp", "show", "--json").stdout)
    assert 7 in _values_of(shown, "seed"), "the experiment with split.seed=7 is not listed"
    client, experiment = store_of(project)
    tagged = client.search_runs([experiment], "tags.dvc_experiment != ''")
    # split, baseline and compare ran again under the experiment, in the project's store
    assert sorted(r.info.run_name for r in tagged) == ["baseline", "compare", "split"]
    assert {r.info.status for r in tagged} == {"FINISHED"}
    compare = next(r for r in tagged if r.info.run_name == "compare").data.tags
    baseline = next(r for r in tagged if r.info.run_name == "baseline").info.run_id
    linear = client.get_run(compare["candidate.linear.run_id"])
    assert linear.data.tags["mlflow.parentRunId"] == baseline
    assert not list((project / "mlruns/pending").glob("*"))


def test_two_queued_experiments_run_at_once_and_log_every_run(reproduced):
    """`dvc queue start -j 2`: both experiments' records are logged, each run once."""
    task, project, _ = reproduced
    if task != "binary":
        pytest.skip("one task is enough for the queue")
    run_in(project, "git", "add", "-A")
    run_in(project, "git", "commit", "-qm", "before the queue", check=False)
    for seed in (11, 12):
        run_in(
            project,
            "dvc",
            "exp",
            "run",
            "--queue",
            "-S",
            f"split.seed={seed}",
            "-S",
            "baseline.hgb.enabled=false",
            "-S",
            "baseline.linear.C=[1.0]",
        )
    run_in(project, "dvc", "queue", "start", "-j", "2")
    deadline = time.time() + 600
    while time.time() < deadline:
        status = run_in(project, "dvc", "queue", "status").stdout
        if "Queued" not in status and "Running" not in status:
            break
        time.sleep(3)
    assert status.count("Success") >= 2, status
    client, experiment = store_of(project)
    runs = client.search_runs([experiment], "tags.dvc_experiment != ''")
    by_experiment: dict[str, list[str]] = {}
    for run in runs:
        assert run.info.status == "FINISHED", run.info.run_name
        by_experiment.setdefault(run.data.tags["dvc_experiment"], []).append(run.info.run_name)
    queued = [names for names in by_experiment.values() if "validate" not in names]
    assert sorted(sorted(names) for names in queued)[-2:] == [["baseline", "compare", "split"]] * 2
    for run in runs:
        if run.info.run_name == "compare":
            linked = run.data.tags["candidate.linear.run_id"]
            assert client.get_run(linked).info.status == "FINISHED"
    assert not list((project / "mlruns/pending").glob("*"))


def _values_of(tree: object, key: str) -> list[object]:
    """Every value stored under ``key`` anywhere in a JSON tree."""
    if isinstance(tree, dict):
        found = [tree[key]] if key in tree else []
        return found + [v for item in tree.values() for v in _values_of(item, key)]
    if isinstance(tree, list):
        return [v for item in tree for v in _values_of(item, key)]
    return []


def _corrupt_text(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    frame = frame.copy()
    frame["mean area"] = frame["mean area"].astype(object)
    frame.loc[5, "mean area"] = "n/a?"
    return frame, "mean area"


def _corrupt_rename(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    return frame.rename(columns={"worst radius": "worst_radius"}), "worst radius"


@pytest.mark.parametrize(
    "corrupt", [_corrupt_text, _corrupt_rename], ids=["text-in-numeric", "renamed"]
)
def test_corrupted_table_stops_at_validate_and_writes_no_model(cookies, corrupt):
    project = bake(cookies, task="binary")
    raw = project / "data/raw" / f"{TABLES['binary']}.csv"
    frame, column = corrupt(pd.read_csv(raw))
    frame.to_csv(raw, index=False)
    done = run_in(project, "dvc", "repro", check=False)
    assert done.returncode != 0
    assert f"column '{column}'" in done.stderr + done.stdout
    assert "Running stage 'split'" not in done.stdout
    assert not (project / "models").exists()
    assert not (project / "data/split").exists()
    result = json.loads((project / "reports/validation/result.json").read_text())
    assert result["success"] is False
    runs = stage_runs(project)
    assert runs[["name", "status"]].values.tolist() == [["validate", "FAILED"]]


def test_the_project_installs_with_pip_install_editable(cookies, tmp_path):
    project = bake(cookies, init_git_and_dvc=False)
    python = venv_on_top(tmp_path / "venv")
    pip = subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-q", "-e", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr
    helped = subprocess.run(
        [python, "-m", "tabular_baseline", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert helped.returncode == 0 and "init-suite" in helped.stdout


def _width(project: Path, *command: str) -> tuple[int, str]:
    """The widest line a command prints in a 400-column terminal, and its output."""
    done = subprocess.run(
        command,
        cwd=project,
        env={**project_env(project), "COLUMNS": "400"},
        capture_output=True,
        text=True,
        check=True,
    )
    return max(len(line) for line in done.stdout.splitlines()), done.stdout


def test_dvc_metrics_show_fits_120_columns_and_the_detail_is_one_command_away(reproduced):
    task, project, _ = reproduced
    summary = json.loads((project / "reports/metrics.json").read_text())
    candidates = {"dummy", "linear", "hgb"}
    metric = "rmse" if task == "regression" else "roc_auc"
    positive = {"positive_class"} if task == "binary" else set()
    assert set(summary) == {"champion", "primary_metric", *candidates, *positive}
    assert summary["primary_metric"] == metric and summary["champion"] in candidates
    detail = compare_metrics(project)["candidates"]
    assert all(summary[name] == detail[name][metric] for name in candidates)

    width, shown = _width(project, "dvc", "metrics", "show")
    assert width <= 120, shown
    assert shown.splitlines()[0].split() == [
        "Path",
        *sorted({"champion", "primary_metric", *candidates, *positive}),
    ]
    # The README's command for every metric of every model, with the glob expanded.
    files = sorted(
        str(path.relative_to(project)) for path in project.glob("reports/*/metrics.json")
    )
    assert files == [f"reports/{stage}/metrics.json" for stage in ("baseline", "compare", "split")]
    width, every = _width(project, "dvc", "metrics", "diff", "--all", "--targets", *files)
    assert width <= 120, every
    rows = {tuple(line.split()[:2]) for line in every.splitlines()}
    for name in candidates:
        for key, value in detail[name].items():
            if value is not None:  # the reference has no interval: DVC skips nulls
                assert ("reports/compare/metrics.json", f"candidates.{name}.{key}") in rows
        assert ("reports/baseline/metrics.json", f"{name}.cv_{metric}_mean") in rows
    assert ("reports/split/metrics.json", "test_rows") in rows


def test_changing_compare_settings_reruns_only_compare_after_the_params_check(reproduced):
    _, project, _ = reproduced
    params = project / "params.yaml"
    text = params.read_text()
    params.write_text(text.replace("  bootstrap_resamples: 2000", "  bootstrap_resamples: 1000"))
    try:
        status = run_in(project, "dvc", "status", "--json").stdout
    finally:
        params.write_text(text)
    assert set(json.loads(status)) == {"params", "compare"}


def test_a_misspelt_param_gets_the_products_message_under_dvc_repro(cookies):
    project = bake(cookies, task="binary")
    params = project / "params.yaml"
    text = params.read_text()
    for typo, message in [
        (
            ("  test_size: 0.2", "  test_sizee: 0.2"),
            "split.test_sizee: unknown key; did you mean 'test_size'?",
        ),
        (("\nsplit:\n", "\nsplitt:\n"), "splitt: unknown section; did you mean 'split'?"),
    ]:
        assert typo[0] in text
        params.write_text(text.replace(*typo))
        done = run_in(project, "dvc", "repro", check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0
        assert message in output, output
        assert "are missing" not in output
        assert "Running stage 'params'" in output and "Running stage 'validate'" not in output
    params.write_text(text)
    assert not (project / "reports/validation").exists()


def test_a_deleted_column_is_reported_once_and_the_committed_table_comes_back(cookies):
    project = bake(cookies, task="binary")
    raw = project / "data/raw" / f"{TABLES['binary']}.csv"
    original = raw.read_bytes()
    pd.read_csv(raw).drop(columns="mean area").to_csv(raw, index=False)
    done = run_in(project, "dvc", "repro", check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    dvc_file = "data/raw/breast_cancer.csv.dvc"
    assert run_in(project, "git", "status", "--porcelain", dvc_file).stdout.strip(), (
        "DVC did not record the edited table: the restore commands are not needed"
    )
    line = (
        "column 'mean area' is missing from data/raw/breast_cancer.csv; the suite expects it: "
        "restore it in the data, or remove it from expectations/breast_cancer.json (its "
        "expectations, and its name in the column set of expect_table_columns_to_match_set)"
    )
    assert output.count("'mean area'") == 1 and line in output, output
    for internal in ("BatchData", "observed None", "'type_", "{'", "[]", "np."):
        assert internal not in output, internal
    # The other advice: remove the column from the suite (its expectations, the column set).
    suite_path = project / "expectations/breast_cancer.json"
    suite = json.loads(suite_path.read_text())
    suite["expectations"] = [
        e for e in suite["expectations"] if e["kwargs"].get("column") != "mean area"
    ]
    for expectation in suite["expectations"]:
        if expectation["type"] == "expect_table_columns_to_match_set":
            expectation["kwargs"]["column_set"].remove("mean area")
    suite_path.write_text(json.dumps(suite))
    run_in(project, "python", "-m", "tabular_baseline", "validate")
    run_in(project, "git", "checkout", "expectations/breast_cancer.json")
    restore = f"git checkout HEAD -- {dvc_file} && dvc checkout --force {dvc_file}"
    assert restore in output
    for command in restore.split(" && "):
        run_in(project, *command.split())
    assert raw.read_bytes() == original
    assert not run_in(project, "git", "status", "--porcelain", dvc_file).stdout.strip()


# Last: the tests above count the stage runs, and this one adds a predict run.
def test_predict_scores_the_bundled_table_with_the_registered_champion(reproduced):
    task, project, _ = reproduced
    table = next(project.glob("data/raw/*.csv"))
    module = project.name.replace("-", "_")  # "Demo binary": demo_binary
    done = run_in(project, "python", "-m", module, "predict", str(table))
    scored = pd.read_csv(project / "predictions" / table.name)
    raw = pd.read_csv(table)
    target = raw[TARGETS[task]]
    champion = compare_metrics(project)["champion"]
    assert len(scored) == len(raw)
    assert (scored["model"] == champion).all() and (scored["model_version"] == 1).all()
    assert "0 of" in done.stdout and "column(s) flagged" in done.stdout  # its own rows
    # The models saw every row (small tables are refit on all of them): in-sample figures.
    if task == "regression":
        assert f"batch metrics on the {len(raw)} rows with a target: rmse" in done.stdout
        assert np.isfinite(scored["prediction"]).all()
        assert np.corrcoef(scored["prediction"], target)[0, 1] > 0.5
    else:
        probabilities = scored.filter(like="proba_")
        assert list(probabilities.columns) == [
            f"proba_{label}" for label in sorted(target.astype(str).unique())
        ]
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
        accuracy = (scored["prediction"].astype(str) == target.astype(str)).mean()
        assert accuracy >= 0.9
        assert f"batch metrics on the {len(raw)} rows with a target: roc_auc" in done.stdout
    runs = stage_runs(project)
    assert runs.loc[runs["name"] == "predict", "status"].tolist() == ["FINISHED"]
