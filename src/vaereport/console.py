"""What the terminal shows.

The project's own lines always; of an analysis's cell output (papermill's log) only the progress lines
('[label] epoch k/n ...', '[label] k/n done ...'): on a terminal one line per label rewritten in place, otherwise
plain lines at each quarter of the way. Everything else an analysis prints (papermill's banners, echoed cell
results, TensorFlow and Keras warnings) goes to the run's kernel.log; `-v` shows it live instead.
"""

from __future__ import annotations

import logging
import re
import sys
from contextlib import contextmanager
from pathlib import Path

PROGRESS = re.compile(r"^\[(?P<label>[^\]]+)\] (?:epoch )?(?P<done>\d+)/(?P<total>\d+)\b")
NOTEBOOK_LOGGERS = ("papermill",)

_run_log = None  # the running analysis's kernel.log (opened for appending), or None


@contextmanager
def divert_to(path: Path):
    """Send the quiet part of the analysis's output to `path` (appended) while the block runs."""
    global _run_log
    previous, _run_log = _run_log, open(path, "a", encoding="utf-8")
    try:
        yield
    finally:
        _run_log.close()
        _run_log = previous


class ConsoleHandler(logging.Handler):
    """The one handler of the root logger: writes the project's lines, filters the notebooks' output."""

    def __init__(self, stream=None, verbose: bool = False):
        super().__init__()
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._open = False  # a progress line is on screen without its newline
        self._quarters: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            if record.name.split(".")[0] in NOTEBOOK_LOGGERS and not self.verbose:
                if _run_log is not None:
                    _run_log.write(message.rstrip("\n") + "\n")
                    _run_log.flush()
                for line in message.splitlines():
                    match = PROGRESS.match(line.strip())
                    if match:
                        self._progress(line.strip(), match)
                return
            self._line(message)
        except Exception:  # a logging handler never raises
            self.handleError(record)

    def _line(self, text: str) -> None:
        if self._open:
            self.stream.write("\n")
            self._open = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def _progress(self, text: str, match: re.Match) -> None:
        done, total = int(match["done"]), max(int(match["total"]), 1)
        finished = done >= total
        if self.live:
            self.stream.write("\r\x1b[K" + text + ("\n" if finished else ""))
            self.stream.flush()
            self._open = not finished
            return
        quarter = 4 * done // total
        if quarter > self._quarters.get(match["label"], 0) or finished:
            self._quarters[match["label"]] = 0 if finished else quarter
            self._line(text)


def configure(verbose: bool = False, stream=None) -> ConsoleHandler:
    """Route all logging through one `ConsoleHandler` (replacing earlier handlers of the root logger)."""
    handler = ConsoleHandler(stream, verbose)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("traitlets", "blib2to3", "distributed", "bokeh", "tornado", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("papermill").setLevel(logging.INFO)  # cell output: progress, and the rest to kernel.log
    return handler
