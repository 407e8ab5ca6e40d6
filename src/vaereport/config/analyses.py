"""The analyses of the study: one record each, in the order the report runs them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import schema
from ..errors import ParameterError, did_you_mean
from ..paths import ANALYSIS_DIR, PARAMS_DIR
from .schema import Param


@dataclass(frozen=True)
class Analysis:
    """An analysis script, its short name, parameter schema, the analyses it reads and its datasets."""

    name: str
    short: str
    question: str
    schema: dict[str, Param]
    upstream: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()

    @property
    def script(self) -> Path:
        return ANALYSIS_DIR / f"{self.name}.py"

    @property
    def params_file(self) -> Path:
        return PARAMS_DIR / f"{self.name}.yaml"


ANALYSES: dict[str, Analysis] = {a.name: a for a in (
    Analysis("q1_vae_mnist", "q1", "Q1: VAE with a 2-D latent space on MNIST", schema.Q1,
             datasets=("mnist",)),
    Analysis("q2_representations", "q2r", "Q2.1-2.2: VAE and denoising AE on Fashion-MNIST", schema.Q2_REPRESENTATIONS,
             datasets=("fashion-mnist",)),
    Analysis("q2_semisupervised", "q2s", "Q2.3: classifiers on the codes with l labels", schema.Q2_SEMISUPERVISED,
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
