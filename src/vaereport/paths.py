"""Where things live: project root, parameter files, analyses, build outputs and data."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("VAEREPORT_ROOT", Path(__file__).resolve().parents[2]))
ANALYSIS_DIR = PROJECT_ROOT / "analysis"
PARAMS_DIR = PROJECT_ROOT / "params"
REPORT_DIR = PROJECT_ROOT / "report"
PACKAGE_DIR = Path(__file__).resolve().parent
LOCAL_DATA_DIR = PROJECT_ROOT / "data"
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def build_root() -> Path:
    """Root of all outputs; `VAEREPORT_BUILD_DIR` overrides it (tests use a temp dir)."""
    return Path(os.environ.get("VAEREPORT_BUILD_DIR", PROJECT_ROOT / "build"))


def profile_dir(profile: str) -> Path:
    return build_root() / profile


def analysis_output_dir(profile: str, analysis: str) -> Path:
    return profile_dir(profile) / analysis


def ensure_writable(directory: Path) -> None:
    """Create `directory` if needed and check a file can be written in it; else one clear `OutputError`."""
    from .errors import OutputError

    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"Cannot write to {directory} ({exc.strerror}). Make it writable or choose another "
                          "build folder with VAEREPORT_BUILD_DIR=/some/writable/path.") from exc
