"""How long the rest of a study will take, from what similar kept runs took on this machine.

Each cell's cost is predicted by the measured wall time of the kept run (any profile) of the same analysis
whose parameters differ from the cell's in the fewest keys. Once a cell of an analysis has run, the analysis's
other cells are predicted by the most similar of its cells that ran (a study's cells are often much shorter
versions of a profile's runs); the cells of an analysis that has not run yet are rescaled by how long the
cells that ran took against their prediction. A cell without a similar kept run is predicted at the mean of
those that ran.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import build_root
from ..execution.store import METADATA, RUNS


def kept_durations(analysis: str, root: Path | None = None) -> list[tuple[dict, float, str, dict]]:
    """(params, wall seconds, finished, key components) of every kept run of `analysis` under any profile of
    the build root."""
    found = []
    for path in sorted((root or build_root()).glob(f"*/{RUNS}/{analysis}/*/{METADATA}")):
        try:
            meta = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta.get("wall_seconds"), (int, float)) and isinstance(meta.get("params"), dict):
            found.append((meta["params"], float(meta["wall_seconds"]), str(meta.get("finished", "")),
                          meta.get("components") or {}))
    return found


def differing_keys(a: dict, b: dict) -> int:
    """How many parameters have different values in `a` and `b` (a key missing from one counts)."""
    return sum(a.get(k) != b.get(k) for k in set(a) | set(b))


def same_code(components: dict, code: dict | None) -> bool:
    """Whether a kept run's key components hold the code hashes `code` (None: not compared)."""
    return code is None or all(components.get(k) == v for k, v in code.items())


def similar_seconds(params: dict, kept: list[tuple[dict, float, str, dict]]) -> float | None:
    """The wall seconds of the kept run closest to `params` (fewest differing keys, then the latest)."""
    if not kept:
        return None
    best = max(kept, key=lambda r: (-differing_keys(params, r[0]), r[2]))  # ISO timestamps sort by time
    return best[1]


class StudyClock:
    """Predicted seconds per cell (`predicted`: cell id -> seconds or None) and the study's remaining time
    given the cells finished so far and how many run at once."""

    def __init__(self, predicted: dict[str, float | None], parallel: int = 1,
                 cells: dict[str, tuple[str, dict]] | None = None):
        """`cells`: cell id -> (analysis, params), for predicting a cell from the cells of its analysis that ran."""
        self.predicted, self.parallel, self.cells = predicted, max(1, parallel), cells or {}
        self.measured: dict[str, float] = {}  # cells that ran: their seconds
        self.finished: set[str] = set()

    @classmethod
    def for_cells(cls, cells: list[tuple[str, str, dict, list[str]]], parallel: int = 1,
                  root: Path | None = None, force: bool = False,
                  code: dict[str, dict] | None = None) -> "StudyClock":
        """`cells`: (cell id, analysis, params, upstream cell ids) in dependency order; `code`: analysis ->
        the code hashes its runs would have now (`plan.code_components`). A cell whose parameters and code
        equal a kept run's, and whose upstream cells are all expected kept too, is expected to be kept (0 s),
        unless `force` runs every cell again; a run kept under other code still predicts its cost."""
        kept = {a: kept_durations(a, root) for a in {c[1] for c in cells}}
        predicted: dict[str, float | None] = {}
        for cid, analysis, params, upstream in cells:
            same = any(differing_keys(params, r[0]) == 0 and same_code(r[3], (code or {}).get(analysis))
                       for r in kept[analysis])
            if same and not force and all(predicted.get(u) == 0 for u in upstream):
                predicted[cid] = 0.0
            else:
                predicted[cid] = similar_seconds(params, kept[analysis])
        return cls(predicted, parallel, {cid: (analysis, params) for cid, analysis, params, _ in cells})

    def finish(self, cell: str, ran_seconds: float | None) -> None:
        """Record a finished cell: `ran_seconds` if it ran, None if it was kept or copied (no cost)."""
        self.finished.add(cell)
        if ran_seconds is not None:
            self.measured[cell] = ran_seconds

    def scale(self) -> float:
        """Measured over predicted seconds, summed over the cells that ran and had a prediction (1 before any)."""
        pairs = [(s, self.predicted[c]) for c, s in self.measured.items() if self.predicted.get(c)]
        return sum(s for s, _ in pairs) / sum(p for _, p in pairs) if pairs else 1.0

    def _ran_by_analysis(self) -> dict[str, list[tuple[dict, float, str, dict]]]:
        """Analysis -> its cells that ran, in `similar_seconds`'s form (the last to finish counts as the latest)."""
        ran: dict[str, list] = {}
        for order, (c, seconds) in enumerate(self.measured.items()):
            if c in self.cells:
                analysis, params = self.cells[c]
                ran.setdefault(analysis, []).append((params, seconds, f"{order:09d}", {}))
        return ran

    def remaining_seconds(self) -> float | None:
        """Seconds until the last cell ends, or None while nothing is known to predict a cell from."""
        left = [c for c in self.predicted if c not in self.finished]
        mean = sum(self.measured.values()) / len(self.measured) if self.measured else None
        scale, costs, ran = self.scale(), [], self._ran_by_analysis()
        for c in left:
            p = self.predicted[c]
            analysis, params = self.cells.get(c, (None, {}))
            if p != 0 and ran.get(analysis):  # 0: expected kept
                cost = similar_seconds(params, ran[analysis])
            else:
                cost = p * scale if p is not None else mean
            if cost is None:
                return None
            costs.append(cost)
        return sum(costs) / self.parallel
