"""Team mode for real: a shared `mlflow server`, a DVC remote and a colleague's clone."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import bake, holdout, project_env, run_in

pytestmark = pytest.mark.pipeline


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rest(server: str, endpoint: str, body: dict | None = None, **query: str) -> dict:
    """Call the tracking server's REST API (GET with ``query``, POST with ``body``)."""
    url = f"{server}/api/2.0/mlflow/{endpoint}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real `mlflow server` on 127.0.0.1: its own sqlite backend and artifacts folder."""
    home = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{home / 'backend.db'}"]
    command += ["--artifacts-destination", str(home / "artifacts")]
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"mlflow server did not start:\n{(home / 'server.log').read_text()}")
        yield url, home
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_a_project_pointed_at_a_tracking_server_logs_runs_artifacts_and_the_champion(
    cookies, mlflow_server
):
    url, home = mlflow_server
    project = holdout(bake(cookies, mlflow_tracking_uri=url))
    run_in(project, "dvc", "repro")
    assert not (project / "mlflow.db").exists()
    # Nothing of the runs stays local: mlruns/ holds only the (empty) folder where stage
    # runs wait for compare to log them, and its lock.
    local = sorted(str(p.relative_to(project)) for p in (project / "mlruns").rglob("*"))
    assert local == ["mlruns/pending", "mlruns/pending.lock"]

    experiment = rest(url, "experiments/get-by-name", experiment_name="tabular-baseline")
    experiment_id = experiment["experiment"]["experiment_id"]
    runs = rest(url, "runs/search", {"experiment_ids": [experiment_id], "max_results": 100})
    by_name = {run["info"]["run_name"]: run for run in runs["runs"]}
    assert {"validate", "split", "baseline", "compare"} <= set(by_name)
    assert {run["info"]["status"] for run in runs["runs"]} == {"FINISHED"}
    assert {"baseline/dummy", "baseline/linear", "baseline/hgb"} <= set(by_name)

    compare = by_name["compare"]
    tags = {tag["key"]: tag["value"] for tag in compare["data"]["tags"]}
    metrics = {metric["key"]: metric["value"] for metric in compare["data"]["metrics"]}
    assert tags["champion"] == "linear"
    assert 0.97 <= metrics["linear/test_roc_auc"] <= 1.0
    artifacts = rest(url, "artifacts/list", run_id=compare["info"]["run_id"])
    assert "model_card.md" in {item["path"] for item in artifacts["files"]}
    # Artifacts went through the server into its destination, not into the project.
    assert list((home / "artifacts").rglob("model_card.md"))

    alias = rest(url, "registered-models/alias", name="tabular-baseline", alias="champion")
    version = alias["model_version"]
    assert version["aliases"] == ["champion"]
    champion_run = by_name["baseline/linear"]["info"]["run_id"]
    assert version["run_id"] == champion_run or champion_run in version["source"]


def test_moving_a_project_to_a_server_logs_there_and_never_breaks_compare(cookies, mlflow_server):
    url, _home = mlflow_server
    project = holdout(bake(cookies, project_name="Moving store"))
    run_in(project, "dvc", "repro")
    params = project / "params.yaml"

    # An exported MLFLOW_TRACKING_URI: DVC cannot see it, only the changed param re-runs.
    params.write_text(params.read_text().replace("confidence: 0.95", "confidence: 0.9"))
    env = {**project_env(project), "MLFLOW_TRACKING_URI": url}
    done = subprocess.run(
        ["dvc", "repro"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "Running stage 'compare'" in done.stdout and "Running stage 'baseline'" not in done.stdout
    )
    assert (
        "Notice: the runs of dummy, hgb, linear are not in this tracking store; they were "
        f"logged in sqlite:///{project / 'mlflow.db'}" in done.stdout
    )
    experiment = rest(url, "experiments/get-by-name", experiment_name="moving-store")
    experiment_id = experiment["experiment"]["experiment_id"]
    runs = rest(url, "runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert [(r["info"]["run_name"], r["info"]["status"]) for r in runs] == [("compare", "FINISHED")]
    alias = rest(url, "registered-models/alias", name="moving-store", alias="champion")
    assert alias["model_version"]["run_id"] == runs[0]["info"]["run_id"]

    # mlflow.tracking_uri in params.yaml: every stage re-runs and logs on the server.
    params.write_text(params.read_text().replace("sqlite:///mlflow.db", url))
    done = run_in(project, "dvc", "repro")
    assert "Running stage 'validate'" in done.stdout and "Notice:" not in done.stdout
    runs = rest(url, "runs/search", {"experiment_ids": [experiment_id], "max_results": 100})
    names = [run["info"]["run_name"] for run in runs["runs"]]
    assert {"validate", "split", "baseline", "baseline/linear"} <= set(names)
    assert names.count("compare") == 2
    alias = rest(url, "registered-models/alias", name="moving-store", alias="champion")
    linear = next(r for r in runs["runs"] if r["info"]["run_name"] == "baseline/linear")
    assert alias["model_version"]["run_id"] == linear["info"]["run_id"]


def test_an_unreachable_server_fails_the_first_stage_at_once_naming_the_fallback(cookies):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    project = bake(cookies, mlflow_tracking_uri=url)
    # A hang guard only (MLflow's own retries would take minutes), not a speed target.
    done = subprocess.run(
        ["dvc", "repro"],
        cwd=project,
        env=project_env(project),
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"MLflow tracking server {url} is unreachable" in output
    assert "sqlite:///mlflow.db" in output and "MLFLOW_TRACKING_URI" in output
    assert "Running stage 'split'" not in output
    assert not (project / "reports/validation/result.json").exists()
    assert not (project / "mlflow.db").exists()


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("127.0.0.1:5000", ["tracking URI '127.0.0.1:5000'", "http(s)://"]),
        ("ftp://x", ["tracking URI 'ftp://x'", "sqlite:///mlflow.db"]),
    ],
)
def test_a_tracking_uri_without_a_usable_scheme_fails_with_the_rule(cookies, uri, words):
    project = bake(cookies, init_git_and_dvc=False)
    env = {**project_env(project), "MLFLOW_TRACKING_URI": uri}
    done = subprocess.run(
        [sys.executable, "-m", "tabular_baseline", "validate"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr
    assert not (project / "reports/validation/result.json").exists()


def test_a_colleague_clones_pulls_and_reproduces_nothing_with_identical_metrics(cookies, tmp_path):
    remote = tmp_path / "dvc-remote"
    project = holdout(bake(cookies, dvc_remote=str(remote)))
    run_in(project, "dvc", "repro")
    run_in(project, "git", "add", "-A")
    run_in(project, "git", "commit", "-q", "-m", "Reproduce the pipeline")
    run_in(project, "dvc", "push")
    assert any(remote.rglob("*")), "dvc push wrote nothing to the remote"

    clone = tmp_path / "colleague"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    assert not (clone / "data/split").exists()
    run_in(clone, "dvc", "pull")
    assert (clone / "models/baseline/linear.joblib").is_file()
    assert (clone / "data/split/test.parquet").is_file()
    status = run_in(clone, "dvc", "repro")
    assert "Running stage" not in status.stdout, status.stdout
    original = run_in(project, "dvc", "metrics", "show", "--json").stdout
    cloned = run_in(clone, "dvc", "metrics", "show", "--json").stdout
    assert json.loads(cloned) and json.loads(cloned) == json.loads(original)
    shutil.rmtree(clone)
