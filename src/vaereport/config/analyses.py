"""The analyses of the study: one registry line each, in the order the report presents them.

An analysis is its own files: `analysis/<name>.py` (the notebook), `params/<name>.yaml` (its parameter values per
profile), `params/<name>.py` (its `SCHEMA` and the `headline` numbers `vaereport runs` shows), and
`report/<name>.qmd` (its report section) with `report/<name>.summary.qmd` (its lines of the Summary). The
command line, the Makefile targets, the runs listing, the report and the benchmarks read them from here.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Callable

from ..errors import ParameterError, did_you_mean
from ..paths import ANALYSIS_DIR, PARAMS_DIR, REPORT_DIR
from .schema import Param


@dataclass(frozen=True)
class Analysis:
    """An analysis script, its short name, the question it answers, the analyses it reads and its datasets."""

    name: str
    short: str
    question: str
    upstream: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()

    @property
    def script(self) -> Path:
        return ANALYSIS_DIR / f"{self.name}.py"

    @property
    def params_file(self) -> Path:
        return PARAMS_DIR / f"{self.name}.yaml"

    @property
    def schema_file(self) -> Path:
        return PARAMS_DIR / f"{self.name}.py"

    @property
    def schema(self) -> dict[str, Param]:
        return _schema_module(self.schema_file).SCHEMA

    @property
    def headline(self) -> Callable[[dict], dict] | None:
        """The analysis's `headline(metrics) -> {label: number}`, if its schema module defines one."""
        return getattr(_schema_module(self.schema_file), "headline", None)

    @property
    def constraints(self) -> Callable[[dict], str | None] | None:
        """The analysis's check of a whole parameter set (`constraints(params) -> problem or None`), if any."""
        return getattr(_schema_module(self.schema_file), "constraints", None)

    @property
    def section(self) -> str | None:
        """Its report section's template name, if it has one."""
        return f"{self.name}.qmd" if (REPORT_DIR / f"{self.name}.qmd").is_file() else None


@cache
def _schema_module(path: Path) -> ModuleType:
    if not path.is_file():
        raise ParameterError(f"{path} is missing: it defines the analysis's parameter SCHEMA; restore it from git "
                             f"(`git checkout -- {path.relative_to(path.parent.parent)}`).")
    spec = importlib.util.spec_from_file_location(f"vaereport_params_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "SCHEMA", None), dict):
        raise ParameterError(f"{path} must define SCHEMA, a dict of parameter name -> Param "
                             f"(see vaereport.config.schema).")
    return module


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("q1_vae_mnist", "q1", "Q1: VAE with a 2-D latent space on MNIST", datasets=("mnist",)),
    Analysis("q2_representations", "q2r", "Q2.1-2.2: VAE and denoising AE on Fashion-MNIST", datasets=("fashion-mnist",)),
    Analysis("q2_semisupervised", "q2s", "Q2.3: classifiers on the codes with l labels",
             upstream=("q2_representations",), datasets=("fashion-mnist",)),
)}


def existing() -> list[Analysis]:
    """Analyses whose script exists (the report covers these), in order."""
    return [a for a in ANALYSES.values() if a.script.is_file()]


def get(name: str) -> Analysis:
    """The analysis called `name` (full or short name, '-' or '_')."""
    wanted = name.replace("-", "_")
    for a in existing():
        if wanted in (a.name, a.short):
            return a
    names = [n for a in existing() for n in (a.name, a.short)]
    raise ParameterError(f"unknown analysis '{name}'{did_you_mean(wanted, names)}; choose one of: "
                         f"{', '.join(f'{a.name} ({a.short})' for a in existing())}")
