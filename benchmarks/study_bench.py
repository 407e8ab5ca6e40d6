"""Benchmarks of study execution on Dask: cells per hour with 1 and 2 local workers, the scheduler's
overhead per cell, and the study's wall time on N workers simulated from measured per-cell times.

A 2-core machine cannot show scale-out, so the simulation replays the real cell graph of the `study`
profile with list scheduling (a free worker takes the ready cell with the longest remaining chain) and
reports the critical path — the wall time no number of workers can beat.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vaereport.study import cells, graph
from vaereport.paths import PROJECT_ROOT

PROBE_GRID = ["--grid", "gaussian_sigma=0.1,0.15,0.2,0.25", "--grid", "decoders=[gaussian]"]


def _study_command(build: Path, workers: int) -> float:
    """Wall seconds of the probe grid (Q1 at smoke size, 5 cells) in `build` with a local cluster."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vaereport.cli", "run", "q1", "--profile", "smoke", *PROBE_GRID,
                           "--workers", str(workers)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "VAEREPORT_BUILD_DIR": str(build)})
    if proc.returncode != 0:
        raise RuntimeError(f"probe grid failed: {proc.stderr[-2000:]}")
    return time.perf_counter() - started


def cells_per_hour() -> dict:
    """The probe grid from an empty build folder with 1 and with 2 worker processes, then again (cached)."""
    result = {"cells": 5}
    for workers in (1, 2):
        build = Path(tempfile.mkdtemp(prefix=f"vaereport-bench-{workers}w-"))
        try:
            wall = _study_command(build, workers)
            cached = _study_command(build, workers)
        finally:
            shutil.rmtree(build, ignore_errors=True)
        result[f"{workers}_workers"] = {"wall_seconds": wall, "cells_per_hour": result["cells"] / wall * 3600,
                                        "cached_rerun_seconds": cached}
    result["speedup_2_over_1"] = result["1_workers"]["wall_seconds"] / result["2_workers"]["wall_seconds"]
    return result


def _noop(x):
    return x


def scheduler_overhead(n: int = 300) -> dict:
    """Per-task round trip of trivial tasks in a chain on a 2-worker loopback LocalCluster, and its start time."""
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        startup = time.perf_counter() - started
        client.submit(_noop, 0).result()  # warm
        started = time.perf_counter()
        fut = client.submit(_noop, 0, pure=False)
        for i in range(n - 1):
            fut = client.submit(_noop, fut, pure=False)
        fut.result()
        chain = (time.perf_counter() - started) / n
    return {"cluster_start_seconds": startup, "seconds_per_chained_task": chain}


def cell_seconds(profile: str = "study") -> dict[str, float]:
    """Node id -> wall seconds each cell of the profile's graph recorded when it ran (kept cells only)."""
    seconds = {}
    for node in graph.build_graph(profile):
        meta = cells.cell_link(profile, node.analysis, node.cell) / "metadata.json"
        if meta.is_file():
            seconds[node.id] = json.loads(meta.read_text())["wall_seconds"]
    return seconds


def simulate(nodes, seconds: dict[str, float], workers: int, overhead: float = 0.0) -> float:
    """Makespan of list scheduling on `workers` workers: whenever a worker is free it takes the ready cell
    with the longest remaining chain; each cell costs its measured time plus `overhead`."""
    cost = {k: v + overhead for k, v in seconds.items()}
    chain, below = graph.longest_chains(nodes, cost), graph.children(nodes)
    waiting = {n.id: len(n.upstream) for n in nodes}
    ready = [(-chain[n.id], n.id) for n in nodes if not n.upstream]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now, idle = 0.0, workers
    while ready or running:
        while idle and ready:
            _, cell = heapq.heappop(ready)
            heapq.heappush(running, (now + cost[cell], cell))
            idle -= 1
        now, done = heapq.heappop(running)
        idle += 1
        for child in below[done]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (-chain[child], child))
    return now


def scale_out(profile: str = "study", workers=(1, 2, 8, 32), overhead: float = 0.0) -> dict:
    """Simulated wall time of the profile's whole graph (own runs included) on N workers."""
    nodes = graph.build_graph(profile)
    seconds = cell_seconds(profile)
    if len(seconds) < len(nodes):
        return {"profile": profile, "missing_cells": len(nodes) - len(seconds),
                "note": f"run `make report PROFILE={profile}` first: the simulation needs every cell's measured time"}
    return {"profile": profile, "cells": len(nodes), "total_cell_seconds": sum(seconds.values()),
            "critical_path_seconds": max(graph.longest_chains(nodes, seconds).values()),
            "overhead_per_cell_seconds": overhead,
            "wall_seconds": {str(n): simulate(nodes, seconds, n, overhead) for n in workers}}


def measured_study_wall(profile: str = "study") -> float | None:
    """Wall time of the last study execution that ran cells (written by `study.executor.execute`)."""
    path = cells.last_execution_path(profile)
    return json.loads(path.read_text())["wall_seconds"] if path.is_file() else None
