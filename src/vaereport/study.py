"""Studies: a profile's runs and grids as one graph of cells, executed on a Dask cluster.

Each cell is one analysis with one fully resolved parameter set and its upstream cells; a downstream
analysis runs once per upstream cell. A cell is executed by `execution.runner.run` on a worker, so it keeps the
content-hash cache (a kept cell is not run again) and its outputs are moved into the run store atomically
when it succeeds. Only parameters, paths and small facts travel through the scheduler. Every cell is
linked under a readable name in `build/<profile>/cells/<analysis>/<cell>`, listed in `cells.csv` beside.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import analyses, grid
from .execution import cache, kernel, runner, store
from .execution.atomic import write_text, written
from .errors import StudyIncompleteError, VaereportError
from .eta import StudyClock
from .params import load_params, profile_grid
from .paths import build_root, profile_dir

OWN_CELL = "profile"  # name of a profile's own run when no grid cell has its parameters
CELLS = "cells"
INDEX = "cells.csv"


@dataclass
class Node:
    """One cell of the graph: an analysis, its parameter set and the cells whose outputs it reads."""

    analysis: str
    cell: str
    params: dict
    upstream: dict[str, str] = field(default_factory=dict)  # upstream analysis -> node id
    own: bool = False  # the profile's own run (the report's main sections use it)
    varying: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.analysis}/{self.cell}"


def has_grid(profile: str) -> bool:
    """Whether any analysis of the profile declares a grid."""
    return any(profile_grid(a.name, profile) is not None for a in analyses.existing())


def _with_upstream(names: list[str]) -> list[str]:
    """`names` and every analysis they read, in the study's order."""
    wanted = set(names)
    for a in reversed(analyses.existing()):
        if a.name in wanted:
            wanted |= set(a.upstream)
    return [a.name for a in analyses.existing() if a.name in wanted]


def build_graph(profile: str, targets: list[str] | None = None, cli_grid: dict | None = None,
                overrides: dict | None = None) -> list[Node]:
    """The cells of the profile in dependency order: each analysis's own run, its grid's cells, and for a
    downstream analysis its cells once per upstream cell. `cli_grid` (with `overrides`) replaces the grid of
    the single target analysis. Every parameter set is validated here, before anything runs."""
    wanted = [analyses.get(t).name for t in targets or []]
    target = wanted[0] if len(wanted) == 1 else None
    names = _with_upstream(wanted) if wanted else [a.name for a in analyses.existing()]
    nodes: dict[str, Node] = {}
    by_analysis: dict[str, list[Node]] = {}
    for name in names:
        mine = name == target
        own_params = load_params(name, profile, overrides if mine else None)
        cells = grid.profile_cells(name, profile, cli_grid if mine else None, overrides if mine else None)
        if wanted and name not in wanted:
            cells = None  # upstream of what was asked: only its own run
        ups = analyses.get(name).upstream
        seen: dict[tuple, Node] = {}
        for combo in itertools.product(*(by_analysis[u] for u in ups)):
            own_upstream = all(n.own for n in combo)
            prefix = "__".join(n.cell for n in combo if n.cell != OWN_CELL)
            settings = []
            if own_upstream:
                settings.append((own_params, None, True, {}))
            for c in cells or ([] if own_upstream else [grid.Cell(name, grid.BASE_CELL, own_params, {})]):
                settings.append((c.params, c.name, False, c.varying))
            for params, cell, own, varying in settings:
                key = (json.dumps(params, sort_keys=True), tuple(n.id for n in combo))
                if key in seen:  # the own run is also a grid cell: one node, which belongs to the sweep too
                    seen[key].own = seen[key].own or own
                    seen[key].varying = seen[key].varying or varying
                    continue
                if cell is None:  # the own run: named like the grid cell with its parameters, if any
                    cell = next((c.name for c in cells or [] if c.params == params), OWN_CELL)
                if prefix:
                    cell = prefix if cell == grid.BASE_CELL else (cell if cell == OWN_CELL else f"{prefix}__{cell}")
                seen[key] = Node(name, cell, params, {n.analysis: n.id for n in combo}, own, varying)
        for node in seen.values():
            if node.id in nodes:
                raise VaereportError(f"Two cells of {name} are both named '{node.cell}'; rename a grid value.")
            nodes[node.id] = node
        by_analysis[name] = list(seen.values())
    return list(nodes.values())


# ---------------------------------------------------------------- on a worker
# papermill changes the process's working directory and the runner keeps its kernels per process, so a
# worker process runs one cell at a time even if it has several threads; the cell uses them all instead.
_ONE_CELL_PER_PROCESS = threading.Lock()


def run_cell(spec: dict, *upstream: dict) -> dict:
    """Run one cell on a Dask worker (unless it is kept) and return small facts about it."""
    import logging

    from .determinism import THREADS_ENV

    logging.getLogger("papermill").setLevel(logging.ERROR)  # the notebook's output stays in the notebook
    try:
        from distributed import get_worker

        worker = get_worker()
        name, threads = str(worker.name), spec.get("threads") or worker.state.nthreads
    except ValueError:  # called outside a worker (tests)
        name, threads = "local", spec.get("threads")
    with _ONE_CELL_PER_PROCESS:
        os.environ["VAEREPORT_BUILD_DIR"] = spec["build_root"]
        if threads:
            os.environ[THREADS_ENV] = str(threads)
        started = time.time()
        p, outcome = runner.run(spec["analysis"], spec["profile"], spec["params"], force=spec.get("force", False),
                                  upstream_runs={u["analysis"]: Path(u["folder"]) for u in upstream}, cell=spec["cell"])
    return {"analysis": spec["analysis"], "cell": spec["cell"], "key": p.key, "folder": str(p.out_dir),
            "outcome": outcome, "seconds": round(time.time() - started, 1), "worker": name}


# ---------------------------------------------------------------- on the client
def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def children(nodes: list[Node]) -> dict[str, list[str]]:
    """Node id -> ids of the nodes that read it."""
    below: dict[str, list[str]] = {n.id: [] for n in nodes}
    for n in nodes:
        for up in n.upstream.values():
            below[up].append(n.id)
    return below


def longest_chains(nodes: list[Node], cost: dict[str, float]) -> dict[str, float]:
    """Node id -> the largest total `cost` of a chain of cells from it to the end of the graph (itself
    included); `nodes` are in dependency order."""
    below, chain = children(nodes), {}
    for n in reversed(nodes):
        chain[n.id] = cost[n.id] + max((chain[c] for c in below[n.id]), default=0.0)
    return chain


def execute(nodes: list[Node], profile: str, connection, force: bool = False, stream=None) -> list[dict]:
    """Submit every cell to the cluster (each after its upstream cells), print one line per finished cell,
    index the cells, and raise `StudyIncompleteError` if any failed. Ctrl-C cancels the cluster's work;
    finished cells stay."""
    from distributed import as_completed

    stream = stream or sys.stderr
    client, futures, node_of = connection.client, {}, {}
    depth = longest_chains(nodes, {n.id: 1 for n in nodes})  # the scheduler starts the longest chains first
    token = f"{os.getpid()}-{time.time_ns()}"
    for node in nodes:
        spec = {"analysis": node.analysis, "profile": profile, "params": node.params, "cell": node.cell,
                "build_root": str(build_root().resolve()), "threads": connection.threads_per_cell, "force": force}
        fut = client.submit(run_cell, spec, *(futures[u] for u in node.upstream.values()),
                            key=f"{node.id}-{token}", pure=False, priority=depth[node.id])
        futures[node.id], node_of[fut.key] = fut, node
    print(f"study [{profile}]: {len(nodes)} cells on a {connection.description}"
          + (f"; dashboard {connection.dashboard}" if connection.dashboard else ""), file=stream, flush=True)
    clock = StudyClock.for_cells([(n.id, n.analysis, n.params, list(n.upstream.values())) for n in nodes],
                                 parallel=_worker_count(client))
    started, rows = time.time(), {}
    try:
        for k, fut in enumerate(as_completed(list(futures.values())), 1):
            node = node_of[fut.key]
            rows[node.id] = row = _row(node, fut, futures, profile)
            clock.finish(node.id, row["seconds"] if row["status"] == "ran" else None)
            elapsed, left = time.time() - started, clock.remaining_seconds()
            if left is None:  # nothing kept or run yet to predict from: the mean of the cells finished so far
                left = elapsed / k * (len(nodes) - k)
            eta = f"ETA {_duration(left)}" if k < len(nodes) else "done"
            print(f"[{k}/{len(nodes)}] {node.analysis} {node.cell}: {row['what']} · elapsed {_duration(elapsed)} · {eta}",
                  file=stream, flush=True)
    except KeyboardInterrupt:
        try:  # running tasks cannot be cancelled: stop their notebook kernels on every worker first
            client.run(kernel.kill_running_kernels, wait=False)
        except Exception:  # noqa: BLE001 - a cluster going down must not hide the interrupt
            pass
        client.cancel(list(futures.values()), force=True)
        done = [n for n in nodes if n.id in rows]
        write_index(profile, done, [rows[n.id] for n in done])  # the completed cells stay listed
        raise
    ordered = [rows[n.id] for n in nodes]
    write_index(profile, nodes, ordered)
    _print_where(profile, nodes, ordered, stream)
    if any(r["status"] == "ran" for r in ordered):
        record_execution(profile, ordered, time.time() - started, connection.description)
    failed = [r for r in ordered if r["status"] == "failed"]
    if failed:
        lines = [f"  {r['analysis']} {r['cell']}: {r['error']}" for r in failed]
        skipped = sum(r["status"] == "skipped" for r in ordered)
        raise StudyIncompleteError(
            f"{len(failed)} of {len(nodes)} cells failed" + (f" ({skipped} downstream cells not run)" if skipped else "")
            + "; the other cells completed and are kept:\n" + "\n".join(lines)
            + "\nFix the cause and run the same command again: only the missing or failed cells run.")
    return ordered


def _worker_count(client) -> int:
    """How many cells the cluster runs at once (its workers' task slots)."""
    try:
        workers = client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))
    except Exception:  # noqa: BLE001 - the estimate must never stop a study
        return 1


def _print_where(profile: str, nodes: list[Node], rows: list[dict], stream) -> None:
    """Where the cells are, and their statuses (the vocabulary of cells.csv), one line per analysis."""
    for name in dict.fromkeys(n.analysis for n in nodes):
        counts = Counter(r["status"] for n, r in zip(nodes, rows) if n.analysis == name)
        folder = store.shown(profile_dir(profile) / CELLS / name)
        print(f"{name}: {', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}; cells in {folder}/, "
              f"listed in {Path(folder) / INDEX}", file=stream, flush=True)


def _row(node: Node, fut, futures: dict, profile: str) -> dict:
    row = {"analysis": node.analysis, "cell": node.cell, "own": node.own, "node": node}
    if fut.status == "finished":
        r = fut.result()
        link_cell(profile, node, Path(r["folder"]))
        what = {"ran": f"ran in {_duration(r['seconds'])} on worker {r['worker']}", "up to date": "up to date",
                "copied": "copied (the same run is kept by another profile)"}[r["outcome"]]
        return {**row, "status": r["outcome"], "run": r["key"], "seconds": r["seconds"], "what": what}
    if fut.status == "cancelled":
        return {**row, "status": "cancelled", "what": "cancelled"}
    if any(futures[u].status != "finished" for u in node.upstream.values()):
        return {**row, "status": "skipped", "what": "not run: an upstream cell failed"}
    exc = fut.exception()
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "KilledWorker":
        message = "its worker died every time it ran it (out of memory?)"
    notebook = profile_dir(profile) / "failed" / node.analysis / f"{node.cell}.ipynb"
    if notebook.exists():
        message += f" (notebook: {notebook})"
    code = exc.exit_code if isinstance(exc, VaereportError) else 1
    return {**row, "status": "failed", "error": message, "exit_code": code, "what": f"FAILED: {message}"}


def cell_link(profile: str, analysis: str, cell: str) -> Path:
    return profile_dir(profile) / CELLS / analysis / cell


def link_cell(profile: str, node: Node, run: Path) -> None:
    """build/<profile>/cells/<analysis>/<cell> -> the cell's run folder (replaced atomically)."""
    store.replace_symlink(cell_link(profile, node.analysis, node.cell), run)


def write_index(profile: str, nodes: list[Node], rows: list[dict]) -> None:
    """Update `cells.csv` of each analysis: one row per cell (later runs replace rows of the same cell)."""
    for name in dict.fromkeys(n.analysis for n in nodes):
        mine = [(n, r) for n, r in zip(nodes, rows) if n.analysis == name]
        keys = [k for k in analyses.get(name).schema if len({json.dumps(n.params[k]) for n, _ in mine}) > 1]
        path = profile_dir(profile) / CELLS / name / INDEX
        path.parent.mkdir(parents=True, exist_ok=True)
        old = {}
        if path.exists():
            with open(path, newline="") as fh:
                old = {r["cell"]: r for r in csv.DictReader(fh)}
        for n, r in mine:
            old[n.cell] = {"cell": n.cell, "status": r["status"], "run": r.get("run", ""), "own": str(n.own).lower(),
                           "seconds": r.get("seconds", ""), "upstream": " ".join(n.upstream.values()),
                           "params": json.dumps({k: n.params[k] for k in keys}), "error": r.get("error", "")}
        with written(path) as tmp, open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["cell", "status", "run", "own", "seconds", "upstream", "params", "error"])
            writer.writeheader()
            writer.writerows(old.values())


def last_execution_path(profile: str) -> Path:
    """build/<profile>/study/last_execution.json: the wall time of the last execution that ran cells."""
    return profile_dir(profile) / "study" / "last_execution.json"


def record_execution(profile: str, rows: list[dict], wall_seconds: float, cluster: str) -> None:
    """Write `last_execution_path(profile)`."""
    path = last_execution_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    facts = {"cells": len(rows), "ran": sum(r["status"] == "ran" for r in rows), "wall_seconds": round(wall_seconds, 1),
             "cluster": cluster, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_text(path, json.dumps(facts, indent=1) + "\n")


def run_study(profile: str, targets: list[str] | None = None, cli_grid: dict | None = None,
              overrides: dict | None = None, force: bool = False, scheduler: str | None = None,
              workers: int | None = None, dashboard: bool = True) -> list[dict]:
    """Build the graph (validating every cell), connect to the cluster, and execute it."""
    from .cluster import connect
    from .data import verified_checksums

    nodes = build_graph(profile, targets, cli_grid, overrides)
    for dataset in sorted({d for n in nodes for d in analyses.get(n.analysis).datasets}):
        verified_checksums(dataset)  # a missing or corrupt dataset: one error here, not one per cell
    with connect(scheduler, workers, dashboard) as connection:
        return execute(nodes, profile, connection, force=force)


def kept_cell(profile: str, node: Node) -> Path | None:
    """The run folder of `node` if its link points to a kept run of exactly its parameters that read what its
    upstream cells' runs export (a link made by another grid of the same cell name does not count). Like the
    cache key, this compares the exported arrays, not the folders: an upstream cell re-run under a new key that
    exports the same arrays leaves its downstream cells up to date."""
    link = cell_link(profile, node.analysis, node.cell)
    meta = store.read_metadata(link)
    if meta is None or meta.get("params") != node.params:
        return None
    exports = {}
    for up, up_id in node.upstream.items():
        up_analysis, up_cell = up_id.split("/", 1)
        up_meta = store.read_metadata(cell_link(profile, up_analysis, up_cell))
        if up_meta is None:
            return None
        exports[up] = up_meta["exports"]
    if node.upstream and meta.get("components", {}).get("upstream") != cache.upstream_component(exports):
        return None
    return link.resolve()


def cell_counts(profile: str) -> dict[str, tuple[int, int]]:
    """Analysis -> (cells of the profile's graph whose run is kept, all its cells)."""
    counts: dict[str, tuple[int, int]] = {}
    for node in build_graph(profile):
        kept, total = counts.get(node.analysis, (0, 0))
        counts[node.analysis] = (kept + (kept_cell(profile, node) is not None), total + 1)
    return counts
