"""Executing an analysis notebook: papermill on a kernel of this interpreter, into a temp folder that is moved
into place only on success; Ctrl-C stops the kernels at once, and a failed run keeps its notebook."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from .. import console
from ..data import find_dataset_dir
from ..errors import AnalysisFailedError, VaereportError
from ..notebook import KERNEL_FACTS
from ..paths import profile_dir
from . import cache, provenance
from .plan import Plan
from .recovery import replace_dir, temp_dir
from .store import METADATA, file_digests, link_profile_run


_running_kernels: list = []  # kernel managers of analyses executing now (killed on Ctrl-C)

_interrupted = False


def interrupt() -> None:
    """Called from the CLI's signal handler: kill the kernels, remember why the run ends."""
    global _interrupted
    _interrupted = True
    kill_running_kernels()


# The kernel's own BLAS and OpenMP run on one thread, as in a Dask worker (whose nanny sets these): a matrix
# product split over two threads sums in another order, and a Q2.3 run in this process then chose other
# classifiers than the same run on the cluster. Its parallel fits use processes (`semisup.run_parallel`).
KERNEL_BLAS_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def _project_kernel_manager(log_file):
    """A kernel manager that starts the kernel on this very interpreter (whose package versions the
    cache key records), whatever a `python3` kernelspec elsewhere points to, and writes the kernel's
    stderr (TensorFlow's C++ logs, interrupt tracebacks) to `log_file` instead of the terminal."""
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            # Without fd capture, C-level stderr (TensorFlow's start-up lines) stays in kernel.log instead of
            # being forwarded as cell output to the terminal; Python's print() output is forwarded as before.
            return [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                    "--IPKernelApp.capture_fd_output=False"]

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = log_file
            kw["env"] = {**(kw.get("env") or os.environ), **KERNEL_BLAS_ENV}
            await super()._async_launch_kernel(kernel_cmd, **kw)
            _running_kernels.append(self)

    return ProjectKernelManager


def kill_running_kernels() -> None:
    """Stop every analysis kernel and its worker processes now (their process group), so that Ctrl-C
    does not wait for a long cell or a parallel sweep to finish."""
    import signal

    while _running_kernels:
        km = _running_kernels.pop()
        pgid = getattr(km.provisioner, "pgid", None)
        try:
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


def _notebook_error(exc: Exception, analysis: str, failed_nb: Path) -> VaereportError:
    """Turn a papermill failure into the project error it carries (same message, same exit code)."""
    from .. import errors

    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    cls = getattr(errors, ename, None)
    if isinstance(cls, type) and issubclass(cls, VaereportError):
        return cls(evalue)
    return AnalysisFailedError(f"{analysis} failed with {ename}: {evalue}\nThe executed notebook up to the "
                               f"failure is at {failed_nb}; the previous outputs are unchanged.")


class PeakMemory:
    """Samples the resident memory of the running analysis kernels and their workers (psutil)."""

    def __init__(self, interval: float = 0.5):
        import threading

        self.interval, self.peak_bytes = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psutil

        while not self._stop.wait(self.interval):
            total = 0
            for km in list(_running_kernels):
                try:
                    proc = psutil.Process(km.provisioner.pid)
                    total += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                except (psutil.Error, AttributeError):
                    continue
            self.peak_bytes = max(self.peak_bytes, total)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def execute(p: Plan) -> dict:
    """Execute the analysis notebook with papermill into a temp dir, injecting the plan's parameters;
    move it into place only on success. Returns its metadata. Call under the build folder's lock."""
    import jupytext
    import papermill

    tmp = temp_dir(p)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    notebook_in = tmp / f"{p.analysis.name}.source.ipynb"
    notebook_out = tmp / f"{p.analysis.name}.ipynb"
    notebook = jupytext.reads(p.source, fmt="py:percent")
    # a script without jupytext's header still names its language, which papermill needs to inject parameters
    notebook.metadata.setdefault("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"})
    jupytext.write(notebook, notebook_in)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # inherited by the kernel
    os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "2")
    started = time.time()
    kernel_log = open(tmp / "kernel.log", "ab")  # appended by the kernel's stderr and by the quiet console
    memory = PeakMemory()
    try:
        with memory, console.divert_to(tmp / "kernel.log"):
            papermill.execute_notebook(
                str(notebook_in), str(notebook_out), cwd=str(tmp), kernel_name="python3",
                parameters={"params": p.params, "output_dir": ".", **({"inputs": p.inputs} if p.inputs else {})},
                log_output=True, progress_bar=sys.stderr.isatty(), stdout_file=None,
                kernel_manager_class=_project_kernel_manager(kernel_log), shutdown_kernel="immediate",
            )
        if cache.module_components(p.source) != {k: p.components[k] for k in ("script", "modules")}:
            raise AnalysisFailedError(f"The code of {p.analysis.name} or of the modules it imports changed while "
                                      "it ran, so its outputs cannot be labelled with one version; run it again.")
    except BaseException as exc:
        kill_running_kernels()
        kernel_log.close()
        failed = failed_notebook(p)
        if notebook_out.exists():
            global last_failed
            failed.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(notebook_out, failed)
            shutil.copyfile(tmp / "kernel.log", failed.with_suffix(".kernel.log"))
            last_failed = failed
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or _interrupted:
            raise KeyboardInterrupt from None
        if isinstance(exc, VaereportError):
            raise
        raise _notebook_error(exc, p.analysis.name, failed) from None
    _running_kernels.clear()
    kernel_log.close()
    notebook_in.unlink()
    kernel = json.loads((tmp / KERNEL_FACTS).read_text())
    (tmp / KERNEL_FACTS).unlink()
    meta = {
        "analysis": p.analysis.name, "profile": p.profile, "key": p.key, "components": p.components,
        "params": p.params, "overrides": p.overrides, "seed": p.params.get("seed"), "inputs": p.inputs,
        "data": {name: {"source": str(find_dataset_dir(name) or "keras.datasets download"), "sha256": sha256}
                 for name, sha256 in p.data.items()},
        "exports": cache.arrays_digest(tmp / "arrays"),
        "wall_seconds": round(time.time() - started, 1),
        "peak_rss_mib": round(memory.peak_bytes / 2**20, 1),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "notebook": notebook_out.name,
        "kernel": kernel, "packages": provenance.package_versions(), "git": provenance.git_state(),
        "machine": {**provenance.machine(), "gpus": kernel.get("gpus", [])},
        "outputs": file_digests(tmp),
    }
    (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    replace_dir(tmp, p.out_dir)
    if p.is_profile_run:
        link_profile_run(p.profile, p.analysis.name, p.out_dir)
    return meta

last_failed: Path | None = None  # the partial notebook the last failed or interrupted run left, for the CLI


def failed_notebook(p: Plan) -> Path:
    """Where the executed notebook of a failed run is kept: build/<profile>/failed/<analysis>[/<cell>].ipynb."""
    failed = profile_dir(p.profile) / "failed"
    return failed / p.analysis.name / f"{p.cell}.ipynb" if p.cell else failed / f"{p.analysis.name}.ipynb"
