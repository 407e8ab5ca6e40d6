"""Running a study's cells on a Dask cluster: one task per cell (each after its upstream cells), one line per
finished cell with the remaining time, the cells' index, and one error naming the cells that failed."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from ..config import analyses
from ..errors import StudyIncompleteError, VaereportError
from ..execution import kernel, plan, runner, store
from ..paths import build_root, profile_dir
from .cells import CELLS, INDEX, link_cell, record_execution, write_index
from .eta import StudyClock
from .graph import Node, build_graph, longest_chains


# papermill changes the process's working directory and the runner keeps its kernels per process, so a
# worker process runs one cell at a time even if it has several threads; the cell uses them all instead.
_ONE_CELL_PER_PROCESS = threading.Lock()


def run_cell(spec: dict, *upstream: dict) -> dict:
    """Run one cell on a Dask worker (unless it is kept) and return small facts about it."""
    import logging

    from ..science.determinism import THREADS_ENV

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


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


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
    code = {a: plan.code_components(analyses.get(a)) for a in {n.analysis for n in nodes}}
    clock = StudyClock.for_cells([(n.id, n.analysis, n.params, list(n.upstream.values())) for n in nodes],
                                 parallel=_worker_count(client), force=force, code=code)
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
    """How many cells the cluster runs at once: one per worker process (`_ONE_CELL_PER_PROCESS`)."""
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
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


def run_study(profile: str, targets: list[str] | None = None, cli_grid: dict | None = None,
              overrides: dict | None = None, force: bool = False, scheduler: str | None = None,
              workers: int | None = None, dashboard: bool = True) -> list[dict]:
    """Build the graph (validating every cell), connect to the cluster, and execute it."""
    from .cluster import connect
    from ..data import verified_checksums

    nodes = build_graph(profile, targets, cli_grid, overrides)
    for dataset in sorted({d for n in nodes for d in analyses.get(n.analysis).datasets}):
        verified_checksums(dataset)  # a missing or corrupt dataset: one error here, not one per cell
    with connect(scheduler, workers, dashboard) as connection:
        return execute(nodes, profile, connection, force=force)
