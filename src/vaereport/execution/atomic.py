"""Files written whole or not at all: written to a temp file beside the target, then moved into place."""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path


def tag() -> str:
    """'~<pid>@<host>': the suffix that names a temp file or folder by the process writing it (crash recovery
    removes it once that process is gone, and leaves alone those of processes on other hosts)."""
    return f"~{os.getpid()}@{socket.gethostname()}"


@contextmanager
def written(path: Path):
    """Yield a temp path beside `path` to write (a file, or a link); when the block succeeds it replaces `path`
    atomically, when it fails it is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{tag()}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()


def write_text(path: Path, text: str) -> None:
    """`path.write_text(text)`, atomically."""
    with written(path) as tmp:
        tmp.write_text(text)
