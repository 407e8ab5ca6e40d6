"""What a template sees of one analysis's run: its metrics, metadata, figures and tables."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import RenderError
from ..execution.store import verify_outputs
from ..paths import profile_dir
from .formatting import md_table, read_csv_rows


class AnalysisView:
    """What the template sees of one analysis: metrics, metadata, and figure/table helpers."""

    def __init__(self, profile: str, name: str, run: Path | None = None):
        """The profile's own run of `name`, or the run folder `run`."""
        self.name, self.profile = name, profile
        self.dir = Path(run) if run else profile_dir(profile) / name
        self.rel = os.path.relpath(self.dir, profile_dir(profile))  # how the report (in the profile folder) links it
        self.meta = verify_outputs(self.dir, name, profile) if (self.dir / "metadata.json").exists() else None
        self.available = self.meta is not None and (self.dir / "metrics.json").is_file()
        self.metrics = json.loads((self.dir / "metrics.json").read_text()) if self.available else {}
        timings = self.dir / "timings.json"
        self.timings = json.loads(timings.read_text()) if timings.is_file() else {}
        self._cells = self._figure_cells() if self.available else {}

    def __getitem__(self, key):
        return self.metrics[key]

    def _figure_cells(self) -> dict[str, int]:
        """Figure name -> execution count of the notebook cell that saved it: the cell that names it, else the cell
        that builds its name in an f-string from a prefix ('gains_over_pixels_balanced' from
        f"gains_over_pixels{suffix}")."""
        nb = json.loads((self.dir / self.meta["notebook"]).read_text())
        sources = [("".join(c.get("source", "")), c["execution_count"]) for c in nb["cells"] if c.get("execution_count")]
        cells = {}
        for fig in sorted((self.dir / "figures").glob("*.png")):
            parts = fig.stem.split("_")
            patterns = [f'"{fig.stem}"'] + [f'"{"_".join(parts[:k])}{sep}{{' for k in range(len(parts), 0, -1)
                                             for sep in ("", "_")]
            found = next((n for pattern in patterns for src, n in sources if pattern in src), None)
            if found is not None:
                cells[fig.stem] = found
        return cells

    def figure(self, name: str, caption: str, ident: str, width: str | None = None) -> str:
        """Quarto figure markdown whose caption ends with a short link to the notebook cell that made it;
        `width` (e.g. '80%') scales a tall figure down on the page."""
        path = self.dir / "figures" / f"{name}.png"
        if not path.is_file():
            raise RenderError(f"figure {path} is missing; re-run `vaereport run {self.name} --profile {self.profile} --force`.")
        size = f' width="{width}"' if width else ""
        return f"![{caption} {self._source(self._cells.get(name, '?'))}]({self.rel}/figures/{name}.png){{#{ident}{size}}}"

    def _source(self, cell=None) -> str:
        where = f"notebook cell {cell}" if cell else "notebook"
        return f"[{where}]({self.rel}/{self.meta['notebook']})"

    def rows(self, name: str) -> list[dict]:
        """The rows of tables/<name>.csv as dicts."""
        return read_csv_rows(self.dir / "tables" / f"{name}.csv")

    def table(self, name: str, columns: dict, caption: str, ident: str, best=None, not_best=None) -> str:
        """A table from tables/<name>.csv; `best` maps columns to "min"/"max" (set in bold), `not_best` is a
        {column: value} whose rows do not compete (e.g. the real images' floor)."""
        rows = read_csv_rows(self.dir / "tables" / f"{name}.csv")
        picks = {k: {"min": min, "max": max}[v] for k, v in (best or {}).items()}
        contenders = (lambda r: all(r[k] != v for k, v in not_best.items())) if not_best else None
        return md_table(rows, columns, picks, contenders) + f"\n\n: {caption} ({self._source()}) {{#{ident}}}"

    def figure_names(self) -> list[str]:
        """The names of the figures the run saved (figures/<name>.png), sorted."""
        return sorted(f.stem for f in (self.dir / "figures").glob("*.png"))

    def table_names(self) -> list[str]:
        """The names of the tables the run saved (tables/<name>.csv), sorted."""
        return sorted(f.stem for f in (self.dir / "tables").glob("*.csv"))

    def plain_table(self, name: str, caption: str, ident: str) -> str:
        """tables/<name>.csv with every column as it is: numbers to four significant digits, text as text."""
        rows = self.rows(name)
        columns = {k: (k.replace("_", " "), ".4g" if all(isinstance(r[k], (int, float)) for r in rows) else "")
                   for k in (rows[0] if rows else {})}
        return self.table(name, columns, caption, ident)

