"""Facts about the environment an output was made in: package versions, git state, machine."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

from ..paths import PROJECT_ROOT

KEY_PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "scipy", "scikit-learn", "pandas",
                "matplotlib", "jupytext", "papermill", "pypandoc-binary", "typst", "jinja2", "pyyaml")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_state() -> dict[str, object]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit or "unknown", "dirty": dirty}


def machine() -> dict[str, object]:
    """CPU count and platform (the GPUs TensorFlow sees are recorded by the kernel, see `notebook.start`)."""
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()}
