"""Grids of parameter sets: read them from a profile or the command line, expand them into cells, name them.

A grid is a mapping parameter -> list of values (their Cartesian product), or a list of such mappings
whose cells are united: `[{latent_dim: [4, 8, 16]}, {seed: [1, 2, 3]}]` is 3 + 3 cells, less the ones
they share. Every cell is the profile's parameter set with the grid's values put in, validated before
anything runs. A block of a downstream analysis may name the upstream cells it runs on:
`{budgets: [[100, 300]], upstream: {epochs: [29]}}` runs only on the upstream cells trained for 29 epochs.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from . import analyses
from ..errors import ParameterError, did_you_mean
from .params import params_file, profile_grid, profile_values, validate

BASE_CELL = "base"  # the name of the only cell of a grid whose cells do not differ
UPSTREAM = "upstream"  # a block's reserved key: upstream parameter -> the values of the cells it runs on


@dataclass(frozen=True)
class Cell:
    """One fully resolved parameter set of an analysis and its readable name."""

    analysis: str
    name: str
    params: dict
    varying: dict  # the parameters that differ between the grid's cells -> this cell's values
    upstream: dict | None = None  # upstream parameter -> values: the upstream cells this cell runs on (None: all)

    def reads(self, upstream_params: list[dict]) -> bool:
        """Whether this cell runs on upstream cells with these parameter sets."""
        return all(p[k] in values for k, values in (self.upstream or {}).items() for p in upstream_params if k in p)


def parse_grid_options(options: list[str]) -> dict[str, list]:
    """['latent_dim=8,16,32', 'hidden=[8, 4],[16, 8]'] -> {'latent_dim': [8, 16, 32], 'hidden': [[8, 4], [16, 8]]}
    (each value list is read as YAML, so numbers and lists keep their type)."""
    grid: dict[str, list] = {}
    for option in options:
        if "=" not in option:
            raise ParameterError(f"--grid '{option}' must look like name=value1,value2, e.g. --grid latent_dim=8,16,32.")
        key, raw = (part.strip() for part in option.split("=", 1))
        try:
            values = yaml.safe_load(f"[{raw}]")
        except yaml.YAMLError as exc:
            raise ParameterError(f"--grid '{option}': the values are not valid YAML ({exc}).") from None
        if key in grid:
            raise ParameterError(f"--grid names '{key}' twice; give all its values at once, e.g. --grid {key}=1,2,3.")
        grid[key] = values
    return grid


def normalise(spec: Any, origin: str) -> list[dict[str, list]]:
    """A grid as a list of mappings name -> non-empty list of values (one clear error otherwise)."""
    blocks = spec if isinstance(spec, list) else [spec]
    if not blocks:
        raise ParameterError(f"{origin}: the grid is an empty list; give at least one mapping like {{seed: [1, 2]}}.")
    for block in blocks:
        if not isinstance(block, dict) or not block:
            raise ParameterError(f"{origin}: a grid must map parameter names to lists of values, e.g. "
                                 f"{{latent_dim: [8, 16]}}; got {block!r}.")
        where = block.get(UPSTREAM, {})
        if UPSTREAM in block and (not isinstance(where, dict) or not where):
            raise ParameterError(f"{origin}: a grid's '{UPSTREAM}' must map upstream parameter names to lists of "
                                 f"values, e.g. {UPSTREAM}: {{epochs: [29]}}; got {where!r}.")
        for name, values in [*block.items(), *where.items()]:
            if name == UPSTREAM:
                continue
            if not isinstance(values, list):
                raise ParameterError(f"{origin}: grid parameter '{name}' must have a list of values, e.g. "
                                     f"{name}: [{values!r}]; got {values!r}.")
            if not values:
                raise ParameterError(f"{origin}: grid parameter '{name}' has an empty list of values; "
                                     "give at least one value.")
    return blocks


def expand(analysis: str, base: dict, spec: Any, origin: str) -> list[Cell]:
    """The distinct cells of the grid `spec` applied to the parameter set `base`, in grid order."""
    spec_of = analyses.get(analysis)
    name, schema = spec_of.name, spec_of.schema
    resolved: list[tuple[dict, dict | None]] = []
    for block in normalise(spec, origin):
        block = dict(block)
        reads = _upstream_filter(spec_of, block.pop(UPSTREAM, None), origin)
        unknown = sorted(set(block) - set(schema))
        if unknown:
            hints = "".join(did_you_mean(u, schema) for u in unknown)
            raise ParameterError(f"{origin}: unknown grid parameter(s) {', '.join(unknown)} for {name}{hints}. "
                                 f"Valid names: {', '.join(schema)}.")
        for values in itertools.product(*block.values()):
            setting = dict(zip(block, values))
            where = f"{origin}, grid cell {' '.join(f'{k}={json.dumps(v)}' for k, v in setting.items())}"
            params = validate(name, {**base, **setting}, where)
            if (params, reads) not in resolved:
                resolved.append((params, reads))
    varying = [k for k in schema if len({json.dumps(p[k]) for p, _ in resolved}) > 1]
    return [Cell(name, cell_name({k: p[k] for k in varying}), p, {k: p[k] for k in varying}, reads)
            for p, reads in resolved]


def _upstream_filter(spec_of, where: dict | None, origin: str) -> dict | None:
    """A block's `upstream:` mapping, its names checked against the upstream analyses' parameters."""
    if where is None:
        return None
    known = {k for up in spec_of.upstream for k in analyses.get(up).schema}
    unknown = sorted(set(where) - known)
    if unknown:
        raise ParameterError(f"{origin}: '{UPSTREAM}' names {', '.join(unknown)}, which no upstream analysis of "
                             f"{spec_of.name} has; valid names: {', '.join(sorted(known)) or 'none'}.")
    return where


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_value_text(v) for v in value) or "none"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "all"
    return str(value)


def cell_name(varying: dict) -> str:
    """{'seed': 2, 'latent_dim': 8} -> 'seed-2_latent_dim-8' (usable as a folder name); 'base' if empty."""
    if not varying:
        return BASE_CELL
    text = "_".join(f"{k}-{_value_text(v)}" for k, v in varying.items())
    return re.sub(r"[^A-Za-z0-9._+-]", "-", text)


def profile_cells(analysis: str, profile: str, cli_grid: dict | None = None,
                  overrides: dict | None = None) -> list[Cell] | None:
    """The cells of the grid given on the command line, else of the profile's `grid:`; None if neither."""
    spec, origin = (cli_grid, "--grid") if cli_grid else (profile_grid(analysis, profile),
                                                           f"{params_file(analysis).name} [{profile}]")
    if spec is None:
        return None
    base = {**profile_values(analysis, profile), **(overrides or {})}
    return expand(analysis, base, spec, origin)
