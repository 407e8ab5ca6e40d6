"""Run an analysis: validate its parameters, check the cache, execute it with papermill into a
temporary directory, and move the result into `build/<profile>/<analysis>/` only on success."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .atomic import tag, written
from . import analyses, cache, console, provenance
from .analyses import Analysis
from .data import find_dataset_dir, verified_checksums
from .errors import (AnalysisFailedError, DataCorruptError, DataMissingError, OutputsModifiedError,
                     UpstreamMissingError, VaereportError)
from .notebook import KERNEL_FACTS
from .params import load_params
from .paths import analysis_output_dir, ensure_writable, profile_dir

COMPUTE_PACKAGES = ("python", "tensorflow-cpu", "tensorflow", "keras", "numpy", "scipy", "scikit-learn",
                    "pandas", "matplotlib")
METADATA = "metadata.json"
RUN_LOCKS = ".locks"  # build/<profile>/.locks/<analysis>-<key>: one lock file per run key (`vaereport gc` prunes them)
log = logging.getLogger("vaereport")


@dataclass
class Plan:
    """Everything decided before an analysis runs: the notebook source and the parameter set that will
    be injected into it, the folders of its upstream analyses, and the cache key of exactly these."""

    analysis: Analysis
    profile: str
    params: dict
    overrides: dict
    source: str
    inputs: dict[str, str]
    data: dict[str, dict[str, str]]  # dataset -> verified content checksums (what the key covers)
    components: dict
    key: str
    out_dir: Path
    is_profile_run: bool  # the profile's own parameters and upstream runs: the report's default
    cell: str | None = None  # the grid cell this run is (names its failed notebook), if any


# ---------------------------------------------------------------- where runs live
# A run is an analysis executed with one fully resolved parameter set, stored under its cache key in
# build/<profile>/runs/<analysis>/<key>/. build/<profile>/<analysis> is a symbolic link to the profile's own
# run (its parameters and upstream runs), which the report uses unless told otherwise.
RUNS = "runs"


def runs_dir(profile: str, analysis: str) -> Path:
    return profile_dir(profile) / RUNS / analysis


def profile_run_dir(profile: str, analysis: str) -> Path:
    """The link to the profile's own run of `analysis` (it may not exist yet)."""
    return analysis_output_dir(profile, analysis)


def replace_symlink(link: Path, target: Path) -> None:
    """Point `link` at `target` (relative), atomically: a new link renamed over the old one."""
    link.parent.mkdir(parents=True, exist_ok=True)
    with written(link) as tmp:
        tmp.symlink_to(os.path.relpath(target, link.parent))


def link_profile_run(profile: str, analysis: str, run: Path) -> None:
    """Point build/<profile>/<analysis> at `run`."""
    replace_symlink(profile_run_dir(profile, analysis), run)


def adopt_folder_layout(profile_root: Path) -> None:
    """Builds made before runs were kept hold each analysis in a plain folder: move it into the run store
    under its key and link to it, so nothing is re-run."""
    for folder in sorted(profile_root.glob("*/")):
        meta = read_metadata(folder)
        if folder.is_symlink() or meta is None or "analysis" not in meta or folder.name != meta["analysis"]:
            continue
        target = profile_root / RUNS / meta["analysis"] / meta["key"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(folder)
        else:
            folder.rename(target)
        link_profile_run(profile_root.name, meta["analysis"], target)


def read_metadata(folder: Path) -> dict | None:
    try:
        return json.loads((Path(folder) / METADATA).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _data_checksums(analysis: Analysis) -> dict:
    """Verified content checksums of the datasets the analysis reads (fails early if missing/corrupt)."""
    return {name: verified_checksums(name) for name in analysis.datasets}


def _upstream(analysis: Analysis, profile: str, chosen: dict[str, Path]) -> tuple[dict, dict]:
    """(upstream name -> run folder, upstream name -> digest of the arrays it exports); the profile's own
    upstream runs unless `chosen` names another run folder."""
    folders, keys = {}, {}
    for up in analysis.upstream:
        folder = Path(chosen[up]) if up in chosen else profile_run_dir(profile, up).resolve()
        meta = read_metadata(folder)
        if meta is None:
            raise UpstreamMissingError(
                f"{analysis.name} reads the outputs of {up}, which has not been run for profile '{profile}'. "
                f"Run `vaereport run {up} --profile {profile}` first (or `make report PROFILE={profile}`)."
            )
        folders[up], keys[up] = str(folder), meta["exports"]
    return folders, keys


def plan(name: str, profile: str, overrides: list[str] | dict | None = None,
         upstream_runs: dict[str, Path] | None = None, cell: str | None = None) -> Plan:
    """Resolve everything an analysis run depends on; `upstream_runs` replaces the profile's own run of an
    upstream analysis by another run folder (see `vaereport report --run`)."""
    analysis = analyses.get(name)
    params = load_params(analysis.name, profile, overrides)
    defaults = load_params(analysis.name, profile)
    override_dict = {k: v for k, v in params.items() if defaults[k] != v}
    versions = {k: v for k, v in provenance.package_versions().items() if k in COMPUTE_PACKAGES}
    source = analysis.script.read_text()
    chosen = {up: run for up, run in (upstream_runs or {}).items() if up in analysis.upstream}
    inputs, upstream_keys = _upstream(analysis, profile, chosen)
    data = _data_checksums(analysis)
    components = cache.key_components(source, params, data, versions, upstream_keys)
    key = cache.combine(components)
    is_own = not override_dict and all(Path(f) == profile_run_dir(profile, up).resolve() for up, f in inputs.items())
    return Plan(analysis, profile, params, override_dict, source, inputs, data, components, key,
                runs_dir(profile, analysis.name) / key, is_own, cell)


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` (relative POSIX path -> hex), metadata.json excepted."""
    return {p.relative_to(folder).as_posix(): cache.sha256_file(p)
            for p in sorted(Path(folder).rglob("*")) if p.is_file() and p.name != METADATA}


def output_problems(folder: Path, meta: dict) -> list[str]:
    """What differs between the files in `folder` and those its metadata lists: 'missing: x', 'modified: y'."""
    recorded = meta.get("outputs", {})
    problems = []
    for rel, digest in sorted(recorded.items()):
        path = Path(folder) / rel
        if not path.is_file():
            problems.append(f"missing: {rel}")
        elif cache.sha256_file(path) != digest:
            problems.append(f"modified: {rel}")
    return problems


def verify_outputs(folder: Path, analysis: str, profile: str) -> dict:
    """The metadata of `folder` if every output it lists is intact; otherwise `OutputsModifiedError`."""
    meta = read_metadata(folder)
    if meta is None:
        raise UpstreamMissingError(f"{folder} holds no finished run of {analysis}; run "
                                   f"`vaereport run {analysis} --profile {profile}` (or `make report PROFILE={profile}`).")
    problems = output_problems(folder, meta)
    if problems:
        raise OutputsModifiedError(
            f"{folder}: outputs differ from what the run recorded ({', '.join(problems[:5])}"
            f"{', ...' if len(problems) > 5 else ''}). Re-run it with `vaereport run {analysis} --profile {profile} "
            "--force`.")
    return meta


def staleness(p: Plan) -> str | None:
    """None if the run the plan describes exists and is intact; otherwise why not (for the profile's own
    run: what changed since the run its link points to)."""
    folder, meta = p.out_dir, read_metadata(p.out_dir)
    if meta is None:
        folder = profile_run_dir(p.profile, p.analysis.name)
        meta = read_metadata(folder) if p.is_profile_run else None
        if meta is None:
            return "missing"
        if meta.get("key") != p.key:  # the profile's run is an older one (or a folder not yet adopted)
            changed = [k for k, v in p.components.items() if meta.get("components", {}).get(k) != v]
            return "stale: " + (", ".join(changed) + " changed" if changed else "key changed")
    problems = output_problems(folder, meta)
    if problems:
        return "stale: outputs modified/missing (" + ", ".join(problems) + ")"
    return None


# ---------------------------------------------------------------- crash-safe directories
def _split_tag(name: str) -> tuple[str, int, str | None]:
    """(name without its tag, pid, host) of a tagged name; names of the older '-<pid>' form have no host."""
    if "~" in name:
        base, _, tag = name.rpartition("~")
        pid, _, host = tag.partition("@")
        return base, int(pid) if pid.isdigit() else 0, host
    base, _, pid = name.rpartition("-")
    return (base, int(pid), None) if pid.isdigit() else (name, 0, None)


def _writer_gone(name: str) -> bool:
    """Whether the process named by a tagged name has ended (unknown for another host's: False)."""
    _, pid, host = _split_tag(name)
    if host not in (None, socket.gethostname()):
        return False
    if pid == 0:  # no process named: nothing can still be writing it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover(profile_root: Path) -> None:
    """Undo what a killed run left: restore a moved-aside output, drop abandoned temp dirs and links,
    adopt folders of the layout before runs were kept. Call under the build folder's lock."""
    if not profile_root.is_dir():
        return
    for tmp in [*profile_root.glob(".tmp-*"), *profile_root.glob(".link-*")]:
        if _writer_gone(tmp.name):
            if tmp.is_symlink():
                tmp.unlink()
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    for old in [*profile_root.glob(".old-*"), *profile_root.glob(f"{RUNS}/*/.old-*")]:
        if not _writer_gone(old.name):
            continue  # still being replaced
        final = old.parent / _split_tag(old.name[len(".old-"):])[0]
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.rename(final)
    adopt_folder_layout(profile_root)


def temp_dir(p: Plan) -> Path:
    """Where a run is assembled before it is moved into place: unique per run and process (`recover`
    removes it once that process is gone)."""
    return profile_dir(p.profile) / f".tmp-{p.analysis.name}-{p.key}{tag()}"


def replace_dir(new: Path, final: Path) -> None:
    """Move `new` to `final`; the previous `final` is moved aside first and removed last."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.parent / f".old-{final.name}{tag()}"
    if final.exists():
        final.rename(old)
    new.rename(final)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- execution
_running_kernels: list = []  # kernel managers of analyses executing now (killed on Ctrl-C)
_interrupted = False


def interrupt() -> None:
    """Called from the CLI's signal handler: kill the kernels, remember why the run ends."""
    global _interrupted
    _interrupted = True
    kill_running_kernels()


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
    from . import errors

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
    jupytext.write(jupytext.reads(p.source, fmt="py:percent"), notebook_in)
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


def _link_or_copy(src, dst):
    try:
        os.link(src, dst)  # the outputs are immutable (their digests are checked), so a hard link is a copy
    except OSError:  # another file system, or links not allowed
        shutil.copy2(src, dst)


def copy_from_other_profile(p: Plan) -> bool:
    """If another profile of this build folder keeps an intact run under the same key (same code, parameters,
    data, packages and upstream exports), copy it in with hard links instead of computing it again."""
    for other in sorted(profile_dir(p.profile).parent.glob(f"*/{RUNS}/{p.analysis.name}/{p.key}")):
        meta = read_metadata(other)
        if other.parent == p.out_dir.parent or meta is None or output_problems(other, meta):
            continue
        tmp = temp_dir(p)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(other, tmp, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(METADATA))
        meta = {**meta, "profile": p.profile, "inputs": p.inputs, "copied_from": str(other)}
        (tmp / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        replace_dir(tmp, p.out_dir)
        log.info("%s [%s]: same run kept by profile '%s' (%s), linked in", p.analysis.name, p.profile,
                 other.parents[2].name, p.key)
        return True
    return False


def run(analysis: str, profile: str, overrides=None, force: bool = False,
        upstream_runs: dict[str, Path] | None = None, cell: str | None = None, position: str = "") -> tuple[Plan, str]:
    """Run one analysis unless that run exists and is intact (here, or under another profile: then it is
    copied); returns the plan and what happened ('up to date', 'copied' or 'ran'). A run with overrides
    (or another upstream run) is kept beside the profile's own, never replacing it. Call under the build
    folder's lock, after `recover` (the CLI does both)."""
    ensure_writable(profile_dir(profile))
    p = plan(analysis, profile, overrides, upstream_runs, cell)
    with run_lock(p):  # two workers of a study never compute the same run at once
        return _run_planned(p, profile, force, position)


def run_lock(p: Plan):
    """An exclusive lock on one run key (build/<profile>/.locks/<analysis>-<key>), held while the run is
    checked, executed and moved into place; a second process asking for the same run waits, then finds it."""
    from .lock import build_lock

    return build_lock(profile_dir(p.profile) / RUN_LOCKS, wait=True, name=f"{p.analysis.name}-{p.key}")


def _run_planned(p: Plan, profile: str, force: bool, position: str = "") -> tuple[Plan, str]:
    """`position` ('1/3 ') prefixes the analysis's lines when it runs as part of a report."""
    reason = staleness(p)
    if reason is not None and not force and copy_from_other_profile(p):
        if p.is_profile_run:
            link_profile_run(profile, p.analysis.name, p.out_dir)
        return p, "copied"
    if reason is None and not force:
        if p.is_profile_run and profile_run_dir(profile, p.analysis.name).resolve() != p.out_dir.resolve():
            link_profile_run(profile, p.analysis.name, p.out_dir)  # back to a run that is still kept
        log.info("%s%s [%s]: up to date (run %s)", position, p.analysis.name, profile, p.key)
        return p, "up to date"
    log.info("%s%s [%s]: running (%s)", position, p.analysis.name, profile, "forced" if reason is None else reason)
    meta = execute(p)
    log.info("%s%s [%s]: done in %.0f s -> %s", position, p.analysis.name, profile, meta["wall_seconds"],
             shown(p.out_dir))
    return p, "ran"


def shown(path: Path) -> str:
    """A path relative to the working folder when it is inside it (build/smoke/runs/...), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run_all(profile: str, force: bool = False, chosen: dict[str, Path] | None = None) -> dict[str, Path]:
    """Run every existing analysis in order (each only if its run is missing); `chosen` fixes the run of
    some analyses (they are not run), and the others read them. Returns analysis -> run folder."""
    runs = dict(chosen or {})
    names = [a.name for a in analyses.existing()]
    for i, name in enumerate(names, 1):
        if name in runs:
            log.info("%d/%d %s: chosen run %s", i, len(names), name, Path(runs[name]).name)
            continue
        p, _ = run(name, profile, force=force, upstream_runs=runs, position=f"{i}/{len(names)} ")
        runs[name] = p.out_dir
    return runs


def status(profile: str) -> list[tuple[str, str]]:
    """(analysis, 'up to date' | 'missing' | 'stale: ...' | 'blocked: ...') for every analysis."""
    rows = []
    for a in analyses.existing():
        try:
            reason = staleness(plan(a.name, profile))
        except (UpstreamMissingError, DataMissingError, DataCorruptError) as exc:
            reason = f"blocked: {str(exc).splitlines()[0]}"
        rows.append((a.name, reason or "up to date"))
    return rows
