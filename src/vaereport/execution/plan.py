"""What a run will be, decided before it runs: the parameter set, the upstream runs it reads, the datasets'
checksums and the cache key of exactly these; and whether a kept run is still up to date."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import analyses
from ..config.analyses import Analysis
from ..data import verified_checksums
from ..errors import UpstreamMissingError
from ..config.params import load_params
from . import cache, provenance
from .store import output_problems, profile_run_dir, read_metadata, runs_dir


CODE_COMPONENTS = ("script", "modules", "packages")
COMPUTE_PACKAGES = ("python", "tensorflow-cpu", "tensorflow", "keras", "numpy", "scipy", "scikit-learn",
                    "pandas", "matplotlib")


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


def code_components(analysis: Analysis) -> dict[str, str]:
    """The key's hashes of the code a run of `analysis` executes: its script, the project modules it imports
    and the versions of the packages that compute."""
    versions = {k: v for k, v in provenance.package_versions().items() if k in COMPUTE_PACKAGES}
    components = cache.key_components(analysis.script.read_text(), {}, {}, versions, {})
    return {k: components[k] for k in CODE_COMPONENTS}


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
    link = profile_run_dir(p.profile, p.analysis.name)
    if p.is_profile_run and not link.exists():
        return f"stale: the link {link.parent.name}/{link.name} to the profile's run is missing (running it relinks the kept run)"
    return None
