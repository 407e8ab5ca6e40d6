"""Where a study's cells live: each linked under a readable name in `build/<profile>/cells/<analysis>/<cell>`,
listed in `cells.csv` beside; whether a cell's kept run is still up to date."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from ..config import analyses
from ..execution import cache, store
from ..execution.atomic import write_text, written
from ..paths import profile_dir
from .graph import Node, build_graph


CELLS = "cells"


INDEX = "cells.csv"


def cell_link(profile: str, analysis: str, cell: str) -> Path:
    return profile_dir(profile) / CELLS / analysis / cell


def link_cell(profile: str, node: Node, run: Path) -> None:
    """build/<profile>/cells/<analysis>/<cell> -> the cell's run folder (replaced atomically)."""
    store.replace_symlink(cell_link(profile, node.analysis, node.cell), run)


def write_index(profile: str, nodes: list[Node], rows: list[dict]) -> None:
    """Update `cells.csv` of each analysis: one row per cell (later runs replace rows of the same cell)."""
    for name in dict.fromkeys(n.analysis for n in nodes):
        mine = [(n, r) for n, r in zip(nodes, rows) if n.analysis == name]
        keys = [k for k in analyses.get(name).schema if len({json.dumps(n.params[k]) for n, _ in mine}) > 1]
        path = profile_dir(profile) / CELLS / name / INDEX
        path.parent.mkdir(parents=True, exist_ok=True)
        old = {}
        if path.exists():
            with open(path, newline="") as fh:
                old = {r["cell"]: r for r in csv.DictReader(fh)}
        for n, r in mine:
            old[n.cell] = {"cell": n.cell, "status": r["status"], "run": r.get("run", ""), "own": str(n.own).lower(),
                           "seconds": r.get("seconds", ""), "upstream": " ".join(n.upstream.values()),
                           "params": json.dumps({k: n.params[k] for k in keys}), "error": r.get("error", "")}
        with written(path) as tmp, open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["cell", "status", "run", "own", "seconds", "upstream", "params", "error"])
            writer.writeheader()
            writer.writerows(old.values())


def kept_cell(profile: str, node: Node) -> Path | None:
    """The run folder of `node` if its link points to a kept run of exactly its parameters that read what its
    upstream cells' runs export (a link made by another grid of the same cell name does not count). Like the
    cache key, this compares the exported arrays, not the folders: an upstream cell re-run under a new key that
    exports the same arrays leaves its downstream cells up to date."""
    link = cell_link(profile, node.analysis, node.cell)
    meta = store.read_metadata(link)
    if meta is None or meta.get("params") != node.params:
        return None
    exports = {}
    for up, up_id in node.upstream.items():
        up_analysis, up_cell = up_id.split("/", 1)
        up_meta = store.read_metadata(cell_link(profile, up_analysis, up_cell))
        if up_meta is None:
            return None
        exports[up] = up_meta["exports"]
    if node.upstream and meta.get("components", {}).get("upstream") != cache.upstream_component(exports):
        return None
    return link.resolve()


def cell_counts(profile: str) -> dict[str, tuple[int, int]]:
    """Analysis -> (cells of the profile's graph whose run is kept, all its cells)."""
    counts: dict[str, tuple[int, int]] = {}
    for node in build_graph(profile):
        kept, total = counts.get(node.analysis, (0, 0))
        counts[node.analysis] = (kept + (kept_cell(profile, node) is not None), total + 1)
    return counts


def last_execution_path(profile: str) -> Path:
    """build/<profile>/study/last_execution.json: the wall time of the last execution that ran cells."""
    return profile_dir(profile) / "study" / "last_execution.json"


def record_execution(profile: str, rows: list[dict], wall_seconds: float, cluster: str) -> None:
    """Write `last_execution_path(profile)`."""
    path = last_execution_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    facts = {"cells": len(rows), "ran": sum(r["status"] == "ran" for r in rows), "wall_seconds": round(wall_seconds, 1),
             "cluster": cluster, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    write_text(path, json.dumps(facts, indent=1) + "\n")
