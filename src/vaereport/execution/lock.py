"""One writer at a time per build folder: an exclusive `flock` on `build/<profile>/.lock`.

The operating system drops the lock when its holder exits, however it exits (a killed process's lock
is taken over at once). The file holds the owner's pid, host and command, for the waiting message.
The lock is re-entrant within a process (`report` runs analyses, then renders, under one lock).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import BuildBusyError
from ..paths import ensure_writable

log = logging.getLogger("vaereport")
LOCK_NAME = ".lock"
_held: dict[Path, int] = {}  # lock path -> nesting depth in this process


def owner_of(path: Path) -> str:
    """'pid 123 on host (vaereport run q1)' from a lock file, or 'another process'."""
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']} on {info['host']} ({info['command']})"
    except (OSError, ValueError, KeyError):
        return "another process"


@contextmanager
def build_lock(folder: Path, wait: bool = True, poll_seconds: float = 0.5, name: str = LOCK_NAME):
    """Hold the exclusive lock of `folder` (the file `name` in it) for the duration of the block; wait for
    it, or with `wait=False` raise `BuildBusyError` at once if another process holds it."""
    path = Path(folder) / name
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    ensure_writable(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(fd, path):
                    break
                os.close(fd)  # `remove_unheld` deleted the file between our open and our lock: lock the new one
                fd = -1
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except BlockingIOError:
                if not wait:
                    raise BuildBusyError(
                        f"{folder} is in use by {owner_of(path)}. Wait for it to finish, or run again "
                        "without --no-wait to wait automatically.") from None
                if not announced:
                    log.info("vaereport: %s is in use by %s; waiting for it to finish (Ctrl-C to stop)",
                             folder, owner_of(path))
                    announced = True
                time.sleep(poll_seconds)
        owner = {"pid": os.getpid(), "host": socket.gethostname(),
                 "command": " ".join(["vaereport", *sys.argv[1:]])[:200], "since": time.strftime("%Y-%m-%dT%H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(owner) + "\n").encode(), 0)
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        if fd >= 0:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def remove_unheld(folder: Path) -> int:
    """Delete the lock files in `folder` that no process holds (per-run locks accumulate); returns how many."""
    removed = 0
    for path in sorted(Path(folder).glob("*")) if Path(folder).is_dir() else []:
        if path in _held or not path.is_file():
            continue
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            if _same_file(fd, path):
                path.unlink()
                removed += 1
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    return removed
