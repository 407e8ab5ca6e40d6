"""Run an analysis: plan it, reuse a kept run (here, or copied from another profile), else execute it; say
which are up to date. A profile's analyses run as a graph of cells (`study.executor`), each through `run`."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from ..config import analyses
from ..errors import DataCorruptError, DataMissingError, UpstreamMissingError
from ..paths import ensure_writable, profile_dir
from .kernel import execute
from .plan import Plan, plan, staleness
from .recovery import replace_dir, temp_dir
from .store import METADATA, RUN_LOCKS, RUNS, link_profile_run, output_problems, profile_run_dir, read_metadata, shown

log = logging.getLogger("vaereport")


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
        upstream_runs: dict[str, Path] | None = None, cell: str | None = None, announce: bool = True) -> tuple[Plan, str]:
    """Run one analysis unless that run exists and is intact (here, or under another profile: then it is
    copied); returns the plan and what happened ('up to date', 'copied' or 'ran'). A run with overrides
    (or another upstream run) is kept beside the profile's own, never replacing it. Call under the build
    folder's lock, after `recover` (the CLI does both). `announce=False` leaves the line saying how it ended to
    the caller (the executor prints one line per cell)."""
    ensure_writable(profile_dir(profile))
    p = plan(analysis, profile, overrides, upstream_runs, cell)
    with run_lock(p):  # two workers of a study never compute the same run at once
        return _run_planned(p, profile, force, announce)


def run_lock(p: Plan):
    """An exclusive lock on one run key (build/<profile>/.locks/<analysis>-<key>), held while the run is
    checked, executed and moved into place; a second process asking for the same run waits, then finds it."""
    from .lock import build_lock

    return build_lock(profile_dir(p.profile) / RUN_LOCKS, wait=True, name=f"{p.analysis.name}-{p.key}")


def _run_planned(p: Plan, profile: str, force: bool, announce: bool = True) -> tuple[Plan, str]:
    reason = staleness(p)
    if reason is not None and not force and copy_from_other_profile(p):
        if p.is_profile_run:
            link_profile_run(profile, p.analysis.name, p.out_dir)
        return p, "copied"
    if reason is None and not force:
        if p.is_profile_run and profile_run_dir(profile, p.analysis.name).resolve() != p.out_dir.resolve():
            link_profile_run(profile, p.analysis.name, p.out_dir)  # back to a run that is still kept
        if announce:
            log.info("%s [%s]: up to date (run %s)", p.analysis.name, profile, p.key)
        return p, "up to date"
    log.info("%s [%s]: running (%s)", p.analysis.name, profile, "forced" if reason is None else reason)
    meta = execute(p)
    if announce:
        log.info("%s [%s]: done in %.0f s -> %s", p.analysis.name, profile, meta["wall_seconds"], shown(p.out_dir))
    return p, "ran"


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
