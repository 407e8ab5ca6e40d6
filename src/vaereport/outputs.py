"""What an analysis writes: figures (PNG + PDF), tables (CSV), arrays, `metrics.json` and `timings.json`.

Analyses call these with the output directory papermill injected. `metrics.json` and `tables/` hold
results only, rounded to a fixed precision, so identical runs give byte-identical files; wall-clock
measurements go to `timings.json` and `timings/`, which differ from run to run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

FIGURE_DPI = 220  # >= 200 dpi where printed (tests/test_figures.py)
FLOAT_DIGITS = 6


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return round(v, FLOAT_DIGITS) if math.isfinite(v) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    return value


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(_clean(data), indent=2, sort_keys=True) + "\n")


class Outputs:
    """Collects an analysis's outputs under `root` (figures/, tables/, arrays/, metrics.json)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        for sub in ("figures", "tables", "timings", "arrays", "models"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.metrics: dict[str, Any] = {}
        self.timings: dict[str, Any] = {}

    def figure(self, fig, name: str) -> None:
        """Save `fig` as figures/<name>.png (for the report) and .pdf (vector), and show that PNG in the notebook
        when one is running (papermill, JupyterLab): the executed notebook carries the report's figures."""
        import matplotlib.pyplot as plt

        png = self.root / "figures" / f"{name}.png"
        fig.savefig(png, dpi=FIGURE_DPI, metadata={"Software": None})
        fig.savefig(png.with_suffix(".pdf"), metadata={"CreationDate": None, "Producer": None, "Creator": None})
        plt.close(fig)
        _show_in_notebook(png)

    def table(self, frame, name: str, float_format: str = "%.6g", folder: str = "tables") -> Path:
        """Write a CSV to tables/ (results) or, with folder="timings", to timings/ (measurements)."""
        path = self.root / folder / f"{name}.csv"
        frame.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
        return path

    def array(self, name: str, **arrays: np.ndarray) -> Path:
        path = self.root / "arrays" / f"{name}.npz"
        np.savez_compressed(path, **arrays)
        return path

    def model_path(self, name: str) -> Path:
        return self.root / "models" / f"{name}.keras"

    def record(self, **values: Any) -> None:
        """Add values to metrics.json (written now, so a partial run still shows what it measured)."""
        self.metrics.update(values)
        write_json(self.root / "metrics.json", self.metrics)

    def timing(self, **values: Any) -> None:
        """Add wall-clock measurements to timings.json (kept apart from the reproducible metrics)."""
        self.timings.update(values)
        write_json(self.root / "timings.json", self.timings)


def _show_in_notebook(png: Path) -> None:
    """Display the saved PNG as the cell's image output inside an IPython kernel; nothing elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Image(filename=str(png)))
