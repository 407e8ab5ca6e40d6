"""The one executor of a profile's graph: where its cells run by default, and what a failed cell does."""

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

from vaereport.errors import StudyIncompleteError
from vaereport.study import cluster, executor
from vaereport.study.graph import Node


def test_with_one_cell_ready_to_run_the_cells_run_in_this_process_one_at_a_time(monkeypatch):
    monkeypatch.setattr(cluster.os, "cpu_count", lambda: 2)
    monkeypatch.delenv(cluster.SCHEDULER_ENV, raising=False)
    for width in (0, 1):
        with cluster.connect(width=width) as connection:
            assert connection.client is None and connection.cells_at_once == 1
            assert connection.threads_per_cell is None  # the cell gets every core
            assert connection.description == "in this process, one at a time"


def test_a_failed_cell_skips_its_downstream_and_the_others_still_run(monkeypatch, tmp_path):
    monkeypatch.setenv("VAEREPORT_BUILD_DIR", str(tmp_path))
    ran = []

    def fake_run_cell_here(spec, *upstream):
        ran.append(spec["analysis"])
        if spec["analysis"] == "q2_representations":
            raise RuntimeError("training diverged\nTraceback ...")
        return {"analysis": spec["analysis"], "cell": spec["cell"], "key": "k" + spec["analysis"],
                "folder": str(tmp_path / spec["analysis"]), "outcome": "ran", "seconds": 1.0, "worker": "local"}

    monkeypatch.setattr(executor, "run_cell_here", fake_run_cell_here)
    nodes = [Node("q1_vae_mnist", "profile", {}, {}, True), Node("q2_representations", "profile", {}, {}, True),
             Node("q2_semisupervised", "profile", {}, {"q2_representations": "q2_representations/profile"}, True)]
    connection = cluster.Connection(None, "this process", None, None)
    stream = io.StringIO()
    with pytest.raises(StudyIncompleteError, match=r"1 of 3 cells failed \(1 downstream cells not run\)") as err:
        executor.execute(nodes, "smoke", connection, stream=stream)
    assert ran == ["q1_vae_mnist", "q2_representations"]
    assert "q2_representations profile: training diverged" in str(err.value) and "Traceback" not in str(err.value)
    printed = stream.getvalue()
    assert "[1/3] q1_vae_mnist: ran in 0m01s" in printed and "q2_semisupervised: not run: an upstream cell failed" in printed
    assert not (tmp_path / "smoke" / "cells").exists()  # no grid: no cell links or index


def test_cells_ready_to_run_are_the_cells_to_run_with_no_upstream_cell_to_run_first(monkeypatch):
    nodes = [Node("q1_vae_mnist", "profile", {}, {}, True), Node("q2_representations", "profile", {}, {}, True),
             Node("q2_semisupervised", "profile", {}, {"q2_representations": "q2_representations/profile"}, True)]
    up_to_date, planned = {"q1_vae_mnist"}, []

    def fake_plan(analysis, profile, params, upstream_runs, cell):
        planned.append((analysis, upstream_runs))
        return SimpleNamespace(analysis=analysis, out_dir=Path("/runs") / analysis)

    monkeypatch.setattr(executor.plan, "plan", fake_plan)
    monkeypatch.setattr(executor.plan, "staleness", lambda p: None if p.analysis in up_to_date else "missing")
    assert executor.cells_ready_to_run(nodes, "smoke", force=False, chosen={}) == 1  # q2r; q2s waits for it
    assert executor.cells_ready_to_run(nodes, "smoke", force=True, chosen={}) == 2
    up_to_date.clear()
    assert executor.cells_ready_to_run(nodes, "smoke", force=False, chosen={}) == 2
    up_to_date.update({"q2_representations"})  # q2s stale below a kept q2r: it can start beside q1
    planned.clear()
    assert executor.cells_ready_to_run(nodes, "smoke", force=False, chosen={}) == 2
    assert ("q2_semisupervised", {"q2_representations": Path("/runs/q2_representations")}) in planned
    up_to_date.update({"q1_vae_mnist", "q2_semisupervised"})
    assert executor.cells_ready_to_run(nodes, "smoke", force=False, chosen={}) == 0
    chosen = {"q2_representations": "/kept/q2r"}  # a chosen run stands in for the cell
    up_to_date.clear()
    assert executor.cells_ready_to_run(nodes, "smoke", force=False, chosen=chosen) == 2


def test_the_chains_through_the_own_runs_start_first():
    """The full profile's own Q2 representations run (and its Q2.3 run below it) outrank every grid cell, and
    the own Q1 run (no downstream) outranks the grid's Q2 chains of two short cells."""
    from vaereport.study.executor import start_order_costs
    from vaereport.study.graph import build_graph, longest_chains

    nodes = build_graph("full")
    depth = longest_chains(nodes, start_order_costs(nodes))
    own = {n.analysis: depth[n.id] for n in nodes if n.own}
    grid = max(depth[n.id] for n in nodes if not n.own)
    assert own["q2_representations"] > own["q1_vae_mnist"] > grid
