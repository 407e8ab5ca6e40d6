"""The run store: a run is an analysis executed with one fully resolved parameter set, kept under its cache key
in build/<profile>/runs/<analysis>/<key>/ with its metadata.json (what it read, ran with and wrote, with the digest
of every output). build/<profile>/<analysis> is a link to the profile's own run (its parameters and upstream
runs), which the report uses unless told otherwise."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ..errors import OutputsModifiedError, UpstreamMissingError
from ..paths import analysis_output_dir, profile_dir
from . import cache
from .atomic import written


METADATA = "metadata.json"

RUNS = "runs"

RUN_LOCKS = ".locks"  # build/<profile>/.locks/<analysis>-<key>: one lock file per run key (`vaereport gc` prunes them)


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


def shown(path: Path) -> str:
    """A path relative to the working folder when it is inside it (build/smoke/runs/...), else absolute."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
