"""Where a graph's cells run: this process (one cell at a time with every core), an existing Dask scheduler,
or a Dask `LocalCluster` sized to this machine.

Measured on a 2-core machine: one TensorFlow training runs as fast with two threads as two concurrent
one-thread trainings together (14.8k vs 2 x 7.4k images/s); the full report's Q1 and Q2 representations
run at once with one thread each took 926 s against 635 s one after the other with two (a fixed thread
split leaves a core idle once one cell ends); and the scikit-learn sweep inside an analysis already uses
every core it is given. So the local default gives each cell two cores — one worker process per two
cores — and on a machine with fewer than four cores that is one cell at a time, run in this process with
every core (no cluster to start). Each analysis is told how many threads it may use, so that workers,
TensorFlow and scikit-learn together never oversubscribe the machine.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from ..science.determinism import THREADS_ENV
from ..errors import ClusterError, ParameterError

SCHEDULER_ENV = "VAEREPORT_SCHEDULER"  # address of an existing scheduler, e.g. tcp://10.0.0.5:8786
CORES_PER_CELL = 2


@dataclass
class Connection:
    client: object  # distributed.Client, or None: the cells run in this process, one at a time
    description: str
    threads_per_cell: int | None  # None: the machine running the cell decides (all its cores)
    dashboard: str | None
    cells_at_once: int = 1


def local_layout(workers: int | None = None, cores: int | None = None) -> tuple[int, int]:
    """(worker processes, threads per cell) for a LocalCluster on `cores` cores."""
    if workers is not None and workers < 1:
        raise ParameterError(f"--workers {workers}: a cluster needs at least one worker process.")
    cores = cores or os.cpu_count() or 1
    n = workers or max(1, cores // CORES_PER_CELL)
    return n, max(1, cores // n)


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None, dashboard: bool = True):
    """Yield a `Connection` to the scheduler at `scheduler` (or $VAEREPORT_SCHEDULER), else — when `workers`
    is given or this machine has room for more than one cell at once — to a new loopback LocalCluster with
    that many processes of one task slot each (closed on exit, also on Ctrl-C), else to this process."""
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    n_workers, threads = local_layout(workers)
    if not address and workers is None and n_workers == 1:
        yield Connection(None, f"in this process, one at a time with all {threads} cores", None, None)
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
        yield Connection(client, f"on a local cluster: {n_workers} worker process(es) x {threads} thread(s) per cell",
                         threads, client.dashboard_link if dashboard else None, n_workers)
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
