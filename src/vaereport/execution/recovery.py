"""Crash-safe folders: a run is assembled in a temp folder named by its writer and moved into place; what a
killed writer leaves is undone by `recover` under the build folder's lock."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from ..paths import profile_dir
from .atomic import tag
from .plan import Plan
from .store import RUNS, adopt_folder_layout


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
    folders = (profile_root, *profile_root.glob("cells/*"), profile_root / "study", profile_root / "study" / "figures")
    written_temps = [p for folder in folders
                     for p in folder.glob(".*~*") if not p.name.startswith((".tmp-", ".old-"))]  # `atomic.written`'s
    for tmp in [*profile_root.glob(".tmp-*"), *profile_root.glob(".link-*"), *written_temps]:
        if _writer_gone(tmp.name):
            if tmp.is_symlink() or tmp.is_file():
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
