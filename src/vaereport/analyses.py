"""The analyses of the study, in the order the report runs them, and their short names."""

from __future__ import annotations

from pathlib import Path

from .errors import ParameterError
from .paths import ANALYSIS_DIR
from .schema import SCHEMAS

ORDER = ("q1_vae_mnist", "q2_representations", "q2_semisupervised")
ALIASES = {"q1": "q1_vae_mnist", "q2r": "q2_representations", "q2s": "q2_semisupervised",
           "q2-representations": "q2_representations", "q2-semisupervised": "q2_semisupervised"}


def existing() -> list[str]:
    """Analyses whose script exists (the report covers these)."""
    return [a for a in ORDER if script_path(a).is_file()]


def resolve(name: str) -> str:
    full = ALIASES.get(name, name)
    if full not in SCHEMAS or not script_path(full).is_file():
        raise ParameterError(f"Unknown analysis '{name}'. Choose one of: {', '.join(existing())} "
                             f"(short names: {', '.join(k for k, v in ALIASES.items() if v in existing())}).")
    return full


def script_path(analysis: str) -> Path:
    return ANALYSIS_DIR / f"{analysis}.py"
