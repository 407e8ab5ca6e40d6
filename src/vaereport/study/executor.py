"""Running a profile's graph of cells — one per analysis, and a grid's cells — in this process or on a Dask
cluster: each cell after its upstream cells, one line per finished cell with the remaining time, the cells'
index, and one error naming the cells that failed."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from .. import console
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
    """The Dask task: run one cell on this worker with its threads (see `run_cell_here`)."""
    from distributed import get_worker

    if spec.get("progress"):  # a local worker on a graph without grids: its progress lines, like in-process
        console.configure(stream=sys.stderr).live = False  # two cells' lines interleave; none is rewritten
    else:
        logging.getLogger("papermill").setLevel(logging.ERROR)  # a worker's notebook output stays in the notebook
    worker = get_worker()
    return run_cell_here(spec, *upstream, worker=str(worker.name), threads=spec.get("threads") or worker.state.nthreads)


def run_cell_here(spec: dict, *upstream: dict, worker: str = "local", threads: int | None = None) -> dict:
    """Run one cell in this process (unless it is kept) and return small facts about it; `threads` (None: all
    cores) is what the analysis may use."""
    from ..science.determinism import THREADS_ENV

    with _ONE_CELL_PER_PROCESS:
        os.environ["VAEREPORT_BUILD_DIR"] = spec["build_root"]
        if threads:
            os.environ[THREADS_ENV] = str(threads)
        started = time.time()
        p, outcome = runner.run(spec["analysis"], spec["profile"], spec["params"], force=spec.get("force", False),
                                upstream_runs={u["analysis"]: Path(u["folder"]) for u in upstream}, cell=spec["cell"],
                                announce=False)
    return {"analysis": spec["analysis"], "cell": spec["cell"], "key": p.key, "folder": str(p.out_dir),
            "outcome": outcome, "seconds": round(time.time() - started, 1), "worker": worker}


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def execute(nodes: list[Node], profile: str, connection, force: bool = False, stream=None,
            chosen: dict[str, Path] | None = None) -> list[dict]:
    """Run every cell (each after its upstream cells) where `connection` says — this process, one at a time,
    or a Dask cluster — print one line per finished cell with the remaining time, index the cells of a graph
    with grids, and raise `StudyIncompleteError` if any failed. `chosen` (analysis -> run folder) stands in
    for those analyses' own cells, which then do not run. Ctrl-C stops the running cells; finished cells stay."""
    stream = stream or sys.stderr
    chosen = {a: Path(f) for a, f in (chosen or {}).items()}
    fixed = {n.id: _chosen_result(n, chosen[n.analysis]) for n in nodes if n.own and n.analysis in chosen}
    todo = [n for n in nodes if n.id not in fixed]
    gridded = any(not n.own for n in nodes)  # cells are linked and listed only where there is a grid
    specs = {n.id: {"analysis": n.analysis, "profile": profile, "params": n.params, "cell": n.cell,
                    "build_root": str(build_root().resolve()), "threads": connection.threads_per_cell, "force": force,
                    "progress": connection.local and not gridded}
             for n in todo}
    print(f"{profile}: {len(todo)} cells {connection.description}"
          + (f"; dashboard {connection.dashboard}" if connection.dashboard else ""), file=stream, flush=True)
    code = {a: plan.code_components(analyses.get(a)) for a in {n.analysis for n in todo}}
    clock = StudyClock.for_cells([(n.id, n.analysis, n.params, list(n.upstream.values())) for n in todo],
                                 parallel=connection.cells_at_once, force=force, code=code)
    finished = _on_cluster if connection.client is not None else _in_this_process
    started, rows = time.time(), {}
    try:
        for k, (node, outcome) in enumerate(finished(todo, specs, fixed, connection), 1):
            rows[node.id] = row = _row(node, outcome, profile, gridded)
            clock.finish(node.id, row["seconds"] if row["status"] == "ran" else None)
            elapsed, left = time.time() - started, clock.remaining_seconds()
            if left is None:  # nothing kept or run yet to predict from: the mean of the cells finished so far
                left = elapsed / k * (len(todo) - k)
            eta = f"ETA {_duration(left)}" if k < len(todo) else "done"
            label = f"{node.analysis} {node.cell}" if gridded else node.analysis
            print(f"[{k}/{len(todo)}] {label}: {row['what']} · elapsed {_duration(elapsed)} · {eta}", file=stream,
                  flush=True)
    except KeyboardInterrupt:
        if gridded:
            done = [n for n in todo if n.id in rows]
            write_index(profile, done, [rows[n.id] for n in done])  # the completed cells stay listed
        raise
    ordered = [rows[n.id] for n in todo]
    if gridded:
        write_index(profile, todo, ordered)
        _print_where(profile, todo, ordered, stream)
    if any(r["status"] == "ran" for r in ordered):
        record_execution(profile, ordered, time.time() - started, connection.description)
    failed = [r for r in ordered if r["status"] == "failed"]
    if failed:
        lines = [f"  {r['analysis']} {r['cell']}: " + r["error"].replace("\n", "\n    ") for r in failed]
        skipped = sum(r["status"] == "skipped" for r in ordered)
        raise StudyIncompleteError(
            f"{len(failed)} of {len(todo)} cells failed" + (f" ({skipped} downstream cells not run)" if skipped else "")
            + "; the other cells completed and are kept:\n" + "\n".join(lines)
            + "\nFix the cause and run the same command again: only the missing or failed cells run.")
    return [*fixed.values(), *ordered]


def _chosen_result(node: Node, folder: Path) -> dict:
    return {"analysis": node.analysis, "cell": node.cell, "own": True, "folder": str(folder), "outcome": "chosen"}


def _in_this_process(todo: list[Node], specs: dict, fixed: dict, connection):
    """Yield (node, ('finished', result) | ('failed', exception) | ('skipped',)) running the cells here, in
    dependency order, one at a time; a cell whose upstream cell failed is skipped."""
    results = dict(fixed)
    for node in todo:
        ups = [results.get(u) for u in node.upstream.values()]
        if any(u is None for u in ups):
            yield node, ("skipped",)
            continue
        try:
            results[node.id] = run_cell_here(specs[node.id], *ups)
        except Exception as exc:  # noqa: BLE001 - like a cluster's task: the cell failed, the others go on
            yield node, ("failed", exc)
            continue
        yield node, ("finished", results[node.id])


OWN_RUN_WEIGHT = 10  # a profile's own run counts as this many grid cells when the cluster orders the cells


def start_order_costs(todo: list[Node]) -> dict[str, float]:
    """Node id -> the weight `longest_chains` gives it for the cluster's order: a profile's own runs are its
    full-size runs and its grid cells short variations of them (the full profile's measured choices train 5 epochs
    on a third of the images), so the chains through the own runs, the build's critical path, start first."""
    return {n.id: OWN_RUN_WEIGHT if n.own else 1 for n in todo}


def _on_cluster(todo: list[Node], specs: dict, fixed: dict, connection):
    """Yield the same as `_in_this_process` as the cluster's tasks finish; Ctrl-C cancels the cluster's work.

    The client keeps the queue: a cell is submitted once its upstream cells have finished (their small results
    as plain arguments) and a worker is idle, to that worker (or any, if it has gone), longest chain first
    (`longest_chains`). Left to the scheduler, cells of unknown duration queued behind a 30-minute own run on
    one worker while the other idled (measured in the full build, twice)."""
    from distributed import as_completed

    client, node_of = connection.client, {}
    depth = longest_chains(todo, start_order_costs(todo))
    token = f"{os.getpid()}-{time.time_ns()}"
    results, waiting, live = dict(fixed), sorted(todo, key=lambda n: -depth[n.id]), []
    blocked: set[str] = set()  # cells whose upstream failed or was cancelled, and their readers

    def ready() -> list[Node]:
        found = [n for n in waiting if all(u in results for u in n.upstream.values())]
        for n in found:
            waiting.remove(n)
        return found

    queue: list[Node] = []  # ready cells waiting for an idle worker, longest chain first
    sent_to: dict[str, str | None] = {}  # task key -> the worker it was sent to

    def submit(nodes: list[Node]) -> list:
        queue.extend(nodes)
        queue.sort(key=lambda n: -depth[n.id])
        running = [f for f in live if not f.done()]
        busy = {sent_to[f.key] for f in running}
        idle = [w for w in client.scheduler_info()["workers"] if w not in busy]
        if not idle and not running:  # no worker known yet: let the scheduler place the next cell
            idle = [None]
        futures = []
        while queue and idle:
            node, worker = queue.pop(0), idle.pop(0)
            fut = client.submit(run_cell, specs[node.id], *(results[u] for u in node.upstream.values()),
                                key=f"{node.id}-{token}", pure=False, priority=depth[node.id],
                                workers=[worker] if worker else None, allow_other_workers=bool(worker))
            node_of[fut.key], sent_to[fut.key] = node, worker
            futures.append(fut)
        live.extend(futures)
        return futures

    completed = as_completed(submit(ready()))
    try:
        for fut in completed:
            node = node_of[fut.key]
            if fut.status == "finished":
                results[node.id] = fut.result()
                yield node, ("finished", results[node.id])
                for new in submit(ready()):
                    completed.add(new)
                continue
            yield node, ("cancelled",) if fut.status == "cancelled" else ("failed", fut.exception())
            for new in submit([]):  # its worker is free again
                completed.add(new)
            blocked.add(node.id)
            while True:  # every cell that reads a blocked one, however far downstream, is skipped
                readers = [n for n in waiting if any(u in blocked for u in n.upstream.values())]
                if not readers:
                    break
                for reader in readers:
                    waiting.remove(reader)
                    blocked.add(reader.id)
                    yield reader, ("skipped",)
    except KeyboardInterrupt:
        try:  # running tasks cannot be cancelled: stop their notebook kernels on every worker first
            client.run(kernel.kill_running_kernels, wait=False)
        except Exception:  # noqa: BLE001 - a cluster going down must not hide the interrupt
            pass
        client.cancel(live, force=True)
        raise


def _print_where(profile: str, nodes: list[Node], rows: list[dict], stream) -> None:
    """Where the cells are, and their statuses (the vocabulary of cells.csv), one line per analysis."""
    for name in dict.fromkeys(n.analysis for n in nodes):
        counts = Counter(r["status"] for n, r in zip(nodes, rows) if n.analysis == name)
        folder = store.shown(profile_dir(profile) / CELLS / name)
        print(f"{name}: {', '.join(f'{v} {k}' for k, v in sorted(counts.items()))}; cells in {folder}/, "
              f"listed in {Path(folder) / INDEX}", file=stream, flush=True)


def _row(node: Node, outcome: tuple, profile: str, gridded: bool) -> dict:
    row = {"analysis": node.analysis, "cell": node.cell, "own": node.own, "node": node}
    if outcome[0] == "finished":
        r = outcome[1]
        if gridded:
            link_cell(profile, node, Path(r["folder"]))
        where = f" on worker {r['worker']}" if r["worker"] != "local" else ""
        run = f"run {r['key'][:8]}"
        what = {"ran": f"ran in {_duration(r['seconds'])}{where} ({run})", "up to date": f"up to date ({run})",
                "copied": f"copied ({run}, kept by another profile)"}[r["outcome"]]
        return {**row, "status": r["outcome"], "run": r["key"], "folder": r["folder"], "seconds": r["seconds"],
                "what": what}
    if outcome[0] in ("cancelled", "skipped"):
        return {**row, "status": outcome[0],
                "what": "cancelled" if outcome[0] == "cancelled" else "not run: an upstream cell failed"}
    exc = outcome[1]
    message = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, VaereportError):
        message = message.splitlines()[0]  # a worker's traceback text: its first line says what failed
    if type(exc).__name__ == "KilledWorker":
        message = "its worker died every time it ran it (out of memory?)"
    notebook = profile_dir(profile) / "failed" / node.analysis / f"{node.cell}.ipynb"
    if notebook.exists():
        message += f" (notebook: {notebook})"
    code = exc.exit_code if isinstance(exc, VaereportError) else 1
    return {**row, "status": "failed", "error": message, "exit_code": code, "what": f"FAILED: {message.splitlines()[0]}"}


def cells_ready_to_run(nodes: list[Node], profile: str, force: bool, chosen: dict[str, Path]) -> int:
    """How many cells could start at once: those that need running (forced, missing or stale, or below a cell
    that needs running) with no upstream cell that needs running first. `nodes` are in dependency order; each
    cell is planned on its upstream cells' runs, as the executor will run it."""
    todo = [n for n in nodes if not (n.own and n.analysis in chosen)]
    analysis_of = {n.id: n.analysis for n in todo}
    folders: dict[str, Path] = {}  # node id -> the folder of its kept, intact run
    needs: dict[str, bool] = {}
    for n in todo:
        ups = [u for u in n.upstream.values() if u in analysis_of]
        if force or any(needs[u] for u in ups):
            needs[n.id] = True
            continue
        upstream_runs = {**{a: Path(f) for a, f in chosen.items()}, **{analysis_of[u]: folders[u] for u in ups}}
        try:
            p = plan.plan(n.analysis, profile, n.params, upstream_runs or None, n.cell)
            needs[n.id] = plan.staleness(p) is not None
            folders[n.id] = p.out_dir
        except Exception:  # noqa: BLE001 - e.g. a missing upstream run: running the cell reports it
            needs[n.id] = True
    return sum(needs[n.id] and not any(needs.get(u) for u in n.upstream.values()) for n in todo)


def run_study(profile: str, targets: list[str] | None = None, cli_grid: dict | None = None,
              overrides: dict | None = None, force: bool = False, scheduler: str | None = None,
              workers: int | None = None, dashboard: bool = True,
              chosen: dict[str, Path] | None = None) -> dict[str, Path]:
    """Build the graph (validating every cell), connect to where the cells run, and execute it; with
    `chosen` runs, only the profile's own cells (a grid runs on the profile's own upstream runs). Returns
    analysis -> the folder of its own run."""
    from .cluster import SCHEDULER_ENV, connect
    from ..data import verified_checksums

    nodes = build_graph(profile, targets, cli_grid, overrides)
    if chosen:
        nodes = [n for n in nodes if n.own]
    for dataset in sorted({d for n in nodes if n.analysis not in (chosen or {}) for d in analyses.get(n.analysis).datasets}):
        verified_checksums(dataset)  # a missing or corrupt dataset: one error here, not one per cell
    local_default = not (scheduler or os.environ.get(SCHEDULER_ENV) or workers) and (os.cpu_count() or 1) > 1
    width = cells_ready_to_run(nodes, profile, force, chosen or {}) if local_default else None
    with connect(scheduler, workers, dashboard, width=width) as connection:
        rows = execute(nodes, profile, connection, force=force, chosen=chosen)
    return {r["analysis"]: Path(r["folder"]) for r in rows if r["own"]}
