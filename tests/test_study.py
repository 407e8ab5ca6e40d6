"""Studies on a loopback Dask LocalCluster with two worker processes (smoke-sized cells)."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.integration
Q1_GRID = ["--grid", "gaussian_sigma=0.1,0.2,0.3", "--grid", "decoders=[gaussian]", "--workers", "2"]


def cells(build: Path, profile: str, analysis: str) -> dict[str, dict]:
    with open(build / profile / "cells" / analysis / "cells.csv", newline="") as fh:
        return {r["cell"]: r for r in csv.DictReader(fh)}


def test_study_runs_every_cell_hits_the_cache_and_renders_its_section(smoke_copy):
    smoke, env, _ = smoke_copy
    build = smoke.parent
    first = run_cli("report", "--profile", "study_smoke", "--workers", "2", env=env, timeout=1500)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "study_smoke: 20 cells on a local cluster: 2 worker process(es)" in first.stderr
    assert "[20/20]" in first.stderr and "dashboard http://127.0.0.1:" in first.stderr
    assert re.search(r"copied \(run \w+, kept by another profile\)", first.stderr)  # the profile's own runs come from smoke
    for analysis, n in (("q1_vae_mnist", 5), ("q2_representations", 7), ("q2_semisupervised", 8)):
        rows = cells(build, "study_smoke", analysis)
        assert len(rows) == n and all(r["status"] in ("ran", "copied", "up to date") for r in rows.values())
        for name in rows:
            assert (build / "study_smoke" / "cells" / analysis / name / "metadata.json").is_file()

    again = run_cli("run", "all", "--profile", "study_smoke", "--workers", "2", env=env, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count(": up to date (run ") == 20 and "ran in" not in again.stderr
    assert re.search(r"q1_vae_mnist: 5 up to date; cells in \S*study_smoke/cells/q1_vae_mnist/, listed in "
                     r"\S*q1_vae_mnist/cells.csv", again.stderr), again.stderr[-1500:]
    listed = run_cli("runs", "q1", "--profile", "study_smoke", env=env)
    assert listed.returncode == 0 and re.search(r"grid cell \S*gaussian_sigma-0\.3\S*: ", listed.stdout), listed.stdout[-1500:]

    qmd = (build / "study_smoke" / "report.qmd").read_text()
    for heading in ("# Choices and robustness", "## Code size of the Fashion-MNIST autoencoders",
                    "## The autoencoders' seed", "## The σ of the MNIST model's Gaussian decoder",
                    "## Architecture: dense against convolutional encoders and decoders", "## Corruption and likelihood"):
        assert heading in qmd
    assert "@sec-robust-seed" in qmd and "No other code size was trained for this report" not in qmd
    assert "@sec-robust-arch" in qmd and "No convolutional model" not in qmd  # the motivation answers cite it
    assert "no other corruption level was trained" not in qmd and "@tbl-settings" in qmd
    assert "measured on held-out training images" in qmd  # the study's classifiers never score on the test set
    for fig in ("code_size", "seed_differences", "sigma_grids", "sigma_reconstructions"):
        assert (build / "study_smoke" / "study" / "figures" / f"{fig}.png").is_file()
    text = subprocess.run(["pdftotext", str(build / "study_smoke" / "report.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "Choices and robustness" in text

    # the section's figures are a cached step: drawn again only when the cells or the drawing code change
    record = json.loads((build / "study_smoke" / "study" / "figures.json").read_text())
    assert len(record["cells"]) == 20 and "code_size" in record["figures"]
    drawn = {p.name: p.stat().st_mtime_ns for p in (build / "study_smoke" / "study" / "figures").glob("*.png")}
    again = run_cli("render", "--profile", "study_smoke", env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    assert {p.name: p.stat().st_mtime_ns for p in (build / "study_smoke" / "study" / "figures").glob("*.png")} == drawn

    # An upstream cell re-run under a new key that exports the same arrays keeps its readers up to date (like
    # their cache keys); exports that differ do not.
    check = subprocess.run([sys.executable, "-c", UPSTREAM_MOVED], capture_output=True, text=True,
                           env={**os.environ, **env}, cwd=ROOT)
    assert check.returncode == 0 and check.stdout.split() == ["True", "False"], check.stderr[-2000:]


UPSTREAM_MOVED = """
import json, shutil
from vaereport.study import cells, graph
nodes = [n for n in graph.build_graph("study_smoke") if n.upstream]
node = nodes[0]
(up, up_id), = node.upstream.items()
link = cells.cell_link("study_smoke", *up_id.split("/", 1))
old = link.resolve()
moved = old.with_name("0" * 16)
shutil.copytree(old, moved)
link.unlink(); link.symlink_to(moved)
print(cells.kept_cell("study_smoke", node) is not None)
meta = json.loads((moved / "metadata.json").read_text())
meta["exports"] = "different"
(moved / "metadata.json").write_text(json.dumps(meta))
print(cells.kept_cell("study_smoke", node) is not None)
link.unlink(); link.symlink_to(old); shutil.rmtree(moved)
"""


def _kernel_workers(build: Path) -> list[psutil.Process]:
    """Dask worker processes that are running an analysis kernel for this build folder now."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "ipykernel_launcher" in " ".join(proc.info["cmdline"] or []) and \
                    proc.environ().get("VAEREPORT_BUILD_DIR") == str(build):
                found.append(proc.parent())
        except psutil.Error:
            continue
    return [p for p in found if p is not None]


def test_a_killed_worker_does_not_stop_the_study(tmp_path):
    env = {**os.environ, "VAEREPORT_BUILD_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "vaereport.cli", "run", "q1", "--profile", "smoke", *Q1_GRID,
                             "-p", "epochs=6"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    deadline, killed = time.time() + 300, None
    while killed is None and time.time() < deadline and proc.poll() is None:
        workers = _kernel_workers(tmp_path)
        if workers and list((tmp_path / "smoke").glob(".tmp-q1_vae_mnist-*/figures")):
            killed = workers[0]
            time.sleep(2)  # inside the cell, after its first outputs
            killed.send_signal(signal.SIGKILL)
        time.sleep(0.3)
    assert killed is not None, "no worker was seen running a cell"
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    rows = cells(tmp_path, "smoke", "q1_vae_mnist")
    assert len(rows) == 4 and all(r["status"] == "ran" for r in rows.values())
    assert not list((tmp_path / "smoke").glob("runs/*/.old-*"))


def test_a_failing_cell_is_reported_and_the_others_complete(smoke_copy):
    smoke, env, _ = smoke_copy
    args = ["run", "q2s", "--profile", "smoke", "--grid", "budgets=[100],[99999]", "--workers", "2"]
    first = run_cli(*args, env=env, timeout=900)
    assert first.returncode == 15, first.stderr[-3000:]
    assert "1 of 4 cells failed" in first.stderr and "budgets-99999" in first.stderr
    assert "notebook: " in first.stderr and "99999" in first.stderr
    assert first.stderr.count("vaereport: error") == 1
    rows = cells(smoke.parent, "smoke", "q2_semisupervised")
    assert rows["budgets-100"]["status"] == "ran" and rows["budgets-99999"]["status"] == "failed"
    again = run_cli(*args, env=env, timeout=900)
    assert again.returncode == 15
    assert "budgets-100: up to date" in again.stderr  # only the failed cell runs again


def test_a_bad_grid_fails_before_anything_runs(tmp_path):
    env = {"VAEREPORT_BUILD_DIR": str(tmp_path)}
    result = run_cli("run", "q2r", "--profile", "smoke", "--grid", "latent_dim=8,1", env=env)
    assert result.returncode == 2
    assert "grid cell latent_dim=1" in result.stderr and "out of range" in result.stderr
    assert not list(tmp_path.rglob("metadata.json")) and re.search(r" cells (on|in) ", result.stderr) is None
