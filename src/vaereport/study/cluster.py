"""Where a graph's cells run: this process (one cell at a time), an existing Dask scheduler, or a Dask
`LocalCluster` sized to this machine and to the graph.

TensorFlow trains on one thread everywhere (`determinism.TENSORFLOW_THREADS`, for numbers that do not depend
on the machine), so the cores are used by running cells side by side. Measured on this 2-core machine
(2026-12-07): one training alone ran 6.4k images/s, two at once 5.5k + 5.4k. So by default, when two or more
cells that need running do not depend on each other, they run at once on a local cluster of one worker
process per core (at most one per such cell); otherwise the cells run here, one at a time. A cell may start
as many processes as the machine has cores for its scikit-learn fits (the last analysis of the default graph
mostly runs alone); `--workers N` instead splits the cores evenly between N workers, for large grids.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from ..science.determinism import THREADS_ENV
from ..errors import ClusterError, ParameterError

SCHEDULER_ENV = "VAEREPORT_SCHEDULER"  # address of an existing scheduler, e.g. tcp://10.0.0.5:8786
CORES_PER_CELL = 1  # a cell trains on one TensorFlow thread


@dataclass
class Connection:
    client: object  # distributed.Client, or None: the cells run in this process, one at a time
    description: str
    threads_per_cell: int | None  # None: the machine running the cell decides (all its cores)
    dashboard: str | None
    cells_at_once: int = 1
    local: bool = False  # a LocalCluster: its workers write to this terminal


def local_layout(workers: int | None = None, cores: int | None = None, width: int | None = None) -> tuple[int, int]:
    """(worker processes, processes a cell may start) for a LocalCluster on `cores` cores: `workers` that share
    the cores evenly, else one per core but no more than `width`, the cells that could run at once (None: no
    limit), each cell free to use every core."""
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers {workers}: a cluster needs at least one worker process.")
    cores = cores or os.cpu_count() or 1
    if workers:
        return workers, max(1, cores // workers)
    n = max(1, min(cores // CORES_PER_CELL, cores if width is None else width))
    return n, cores


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, dashboard: bool = True,
            width: int | None = None):
    """Yield a `Connection` to the scheduler at `scheduler` (or $VAEREPORT_SCHEDULER), else — when `workers`
    is given or this machine has cores for more than one of the `width` cells that could run at once — to a
    new loopback LocalCluster with that many processes of one task slot each (closed on exit, also on Ctrl-C),
    else to this process."""
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    n_workers, threads = local_layout(workers, width=width)
    if not address and workers is None and n_workers == 1:
        yield Connection(None, "in this process, one at a time", None, None)
        return
    # Read by distributed when it is first imported, here and in the worker processes it spawns: the
    # study prints one line per cell (failures with their notebook), which the scheduler's and workers'
    # INFO lines and tracebacks would bury.
    os.environ.setdefault("DASK_LOGGING", repr({"distributed": "warning", "distributed.worker": "critical"}))
    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"Cannot reach the Dask scheduler at {address} ({exc}). Start it (`dask scheduler`) "
                               f"or unset {SCHEDULER_ENV} / drop --scheduler to use a local cluster.") from None
        try:
            check_workers(client)
            n = len(client.scheduler_info().get("workers", {}))
            yield Connection(client, f"on the scheduler {address} ({n} workers now)", None, client.dashboard_link, max(1, n))
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0" if dashboard else None, silence_logs=40,
                           env={THREADS_ENV: str(threads)})
    client = Client(cluster)
    try:
        yield Connection(client, f"on a local cluster: {n_workers} worker process(es), each cell up to {threads} core(s)",
                         threads, client.dashboard_link if dashboard else None, n_workers, local=True)
    finally:
        client.close()
        cluster.close()


def environment_facts() -> dict:
    """What a cell's cache key depends on besides its parameters: package versions and the analyses' code."""
    from ..config import analyses
    from ..execution import cache, provenance
    from ..execution.plan import COMPUTE_PACKAGES

    return {"packages": {k: v for k, v in provenance.package_versions().items() if k in COMPUTE_PACKAGES},
            "code": {a.name: cache.module_components(a.script.read_text()) for a in analyses.existing()}}


def environment_differences(mine: dict, theirs: dict) -> list[str]:
    """Human-readable differences between this process's and a worker's `environment_facts`."""
    found = []
    for name in sorted(set(mine["packages"]) | set(theirs["packages"])):
        if mine["packages"].get(name) != theirs["packages"].get(name):
            found.append(f"{name} {theirs['packages'].get(name)} (here {mine['packages'].get(name)})")
    found += [f"the code of {name}" for name in sorted(mine["code"]) if mine["code"][name] != theirs["code"].get(name)]
    return found


def check_workers(client) -> None:
    """Refuse an external cluster whose workers would compute other keys (other packages or code) or cannot
    see this build folder: one `ClusterError` naming the first worker that differs."""
    import tempfile

    from ..paths import build_root

    mine = environment_facts()
    for address, theirs in client.run(environment_facts).items():
        differences = environment_differences(mine, theirs)
        if differences:
            raise ClusterError(f"Worker {address} differs from this checkout: {', '.join(differences[:4])}. Install "
                               "the same project and requirements.lock on the workers (see README, SLURM).")
    build_root().mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=build_root(), prefix=".worker-check-") as token:
        for address, seen in client.run(os.path.exists, token.name).items():
            if not seen:
                raise ClusterError(f"Worker {address} cannot see {build_root()}; put the build folder on a file system "
                                   "the workers share and set VAEREPORT_BUILD_DIR to it for them.")
