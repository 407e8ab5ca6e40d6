"""The graph of a study's cells: every analysis's own run, its grid's cells, and a downstream analysis's cells
once per upstream cell, in dependency order."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from ..config import analyses, grid
from ..errors import ParameterError
from ..config.params import load_params, profile_grid


OWN_CELL = "profile"  # name of a profile's own run when no grid cell has its parameters


@dataclass
class Node:
    """One cell of the graph: an analysis, its parameter set and the cells whose outputs it reads."""

    analysis: str
    cell: str
    params: dict
    upstream: dict[str, str] = field(default_factory=dict)  # upstream analysis -> node id
    own: bool = False  # the profile's own run (the report's main sections use it)
    varying: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.analysis}/{self.cell}"


def has_grid(profile: str) -> bool:
    """Whether any analysis of the profile declares a grid."""
    return any(profile_grid(a.name, profile) is not None for a in analyses.existing())


def _with_upstream(names: list[str]) -> list[str]:
    """`names` and every analysis they read, in the study's order."""
    wanted = set(names)
    for a in reversed(analyses.existing()):
        if a.name in wanted:
            wanted |= set(a.upstream)
    return [a.name for a in analyses.existing() if a.name in wanted]


def build_graph(profile: str, targets: list[str] | None = None, cli_grid: dict | None = None,
                overrides: dict | None = None) -> list[Node]:
    """The cells of the profile in dependency order: each analysis's own run, its grid's cells, and for a
    downstream analysis its cells once per upstream cell. `cli_grid` (with `overrides`) replaces the grid of
    the single target analysis. Every parameter set is validated here, before anything runs."""
    wanted = [analyses.get(t).name for t in targets or []]
    target = wanted[0] if len(wanted) == 1 else None
    names = _with_upstream(wanted) if wanted else [a.name for a in analyses.existing()]
    nodes: dict[str, Node] = {}
    by_analysis: dict[str, list[Node]] = {}
    for name in names:
        mine = name == target
        own_params = load_params(name, profile, overrides if mine else None)
        cells = grid.profile_cells(name, profile, cli_grid if mine else None, overrides if mine else None)
        if wanted and name not in wanted:
            cells = None  # upstream of what was asked: only its own run
        ups = analyses.get(name).upstream
        seen: dict[tuple, Node] = {}
        for combo in itertools.product(*(by_analysis[u] for u in ups)):
            own_upstream = all(n.own for n in combo)
            prefix = "__".join(n.cell for n in combo if n.cell != OWN_CELL)
            settings = []
            if own_upstream:
                settings.append((own_params, None, True, {}))
            for c in cells or ([] if own_upstream else [grid.Cell(name, grid.BASE_CELL, own_params, {})]):
                if not c.reads([n.params for n in combo]):
                    continue
                if own_upstream and ups and c.name == grid.BASE_CELL and not any(n.varying for n in combo) \
                        and not (mine and cli_grid):
                    continue  # a profile's grid of one cell sets how its analysis reads the upstream grids' cells
                settings.append((c.params, c.name, False, c.varying))
            for params, cell, own, varying in settings:
                key = (json.dumps(params, sort_keys=True), tuple(n.id for n in combo))
                if key in seen:  # the own run is also a grid cell: one node, which belongs to the sweep too
                    seen[key].own = seen[key].own or own
                    seen[key].varying = seen[key].varying or varying
                    continue
                if cell is None:  # the own run: named like the grid cell with its parameters, if any
                    cell = next((c.name for c in cells or [] if c.params == params), OWN_CELL)
                if prefix:
                    cell = prefix if cell == grid.BASE_CELL else (cell if cell == OWN_CELL else f"{prefix}__{cell}")
                seen[key] = Node(name, cell, params, {n.analysis: n.id for n in combo}, own, varying)
        for node in seen.values():
            if node.id in nodes:
                raise ParameterError(f"Two cells of {name} are both named '{node.cell}'; rename a grid value.")
            nodes[node.id] = node
        by_analysis[name] = list(seen.values())
    return list(nodes.values())


def children(nodes: list[Node]) -> dict[str, list[str]]:
    """Node id -> ids of the nodes that read it."""
    below: dict[str, list[str]] = {n.id: [] for n in nodes}
    for n in nodes:
        for up in n.upstream.values():
            below[up].append(n.id)
    return below


def longest_chains(nodes: list[Node], cost: dict[str, float]) -> dict[str, float]:
    """Node id -> the largest total `cost` of a chain of cells from it to the end of the graph (itself
    included); `nodes` are in dependency order."""
    below, chain = children(nodes), {}
    for n in reversed(nodes):
        chain[n.id] = cost[n.id] + max((chain[c] for c in below[n.id]), default=0.0)
    return chain
