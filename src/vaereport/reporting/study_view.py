"""What the 'Choices and robustness' section and the answers that cite it see of the study's grid cells, and the
HTML-only live latent plane."""

from __future__ import annotations

import json
from pathlib import Path

from ..execution import provenance
from ..execution.atomic import write_text, written
from ..paths import profile_dir
from .views import AnalysisView


class StudyView:
    """What the template's 'Choices and robustness' section sees: the sweeps of the profile's grid cells
    (see `robustness`) and their figures, drawn into build/<profile>/study/figures/."""

    def __init__(self, profile: str, enabled: bool = True):
        from . import robustness
        from ..study.graph import has_grid

        self.available = enabled and has_grid(profile)
        if not self.available:
            return
        self.profile, self.dir, self.rel = profile, profile_dir(profile) / "study", "study"
        cells = robustness.kept_cells(profile)
        self.n_cells = len(cells)
        self.n_grid_cells = sum(not c.node.own for c in cells.values())
        self.compute_seconds = sum(c.meta["wall_seconds"] for c in cells.values() if not c.node.own)
        self.code = robustness.code_size_rows(cells)
        self.seeds = robustness.seed_rows(cells)
        self.seed_settings = robustness.seed_settings(cells)
        self.seed_spread = robustness.seed_spread(cells)
        self.sigma = robustness.sigma_rows(cells)
        self.best_sigma = {k: robustness.best_sigma(self.sigma, k) for k in ("validation_neg_elbo", "validation_mse")}
        at_best = [r for r in self.sigma if r["sigma"] == self.best_sigma["validation_neg_elbo"]]
        self.sigma_rms_error = at_best[0]["validation_mse"] ** 0.5 if at_best else None
        self.cells = cells
        self.code_classifiers = self.code[0]["classifiers"] if self.code else []
        places = sorted({c.metrics.get("evaluated_on", "test images") for c in cells.values()
                         if c.node.analysis == "q2_semisupervised" and not c.node.own})
        self.evaluated_on = " or ".join(places) or "test images"
        self._draw(profile)

    def _draw(self, profile: str) -> None:
        """Draw the section's figures unless the step's record says they were drawn by this code from these
        cells (`figures.json`: its key hashes the cells' run keys, the chosen code size and the drawing code)."""
        import numpy as np

        from ..execution import cache
        from ..figures import robustness_plots as rp
        from ..outputs import FIGURE_DPI
        from ..figures.style import plt

        figures = self.dir / "figures"
        own = AnalysisView(profile, "q2_representations")
        chosen = own.meta["params"]["latent_dim"] if own.meta else None
        read = {c.node.id: c.meta["key"] for c in self.cells.values()}
        key = cache.combine({"cells": cache.sha256_text(json.dumps(read, sort_keys=True)), "chosen": str(chosen),
                             "code": cache.code_component(["reporting.report", "reporting.robustness",
                                                           "figures.robustness_plots", "reporting.semisup_answers", "outputs"]),
                             "matplotlib": provenance.package_versions().get("matplotlib", "")})
        record = self.dir / "figures.json"
        names = [n for n, wanted in (("code_size", self.code), ("seed_differences", self.seeds),
                                     ("sigma_grids", self.sigma), ("sigma_reconstructions", self.sigma)) if wanted]
        if record.is_file() and json.loads(record.read_text()).get("key") == key \
                and all((figures / f"{n}.png").is_file() for n in names):
            return
        figures.mkdir(parents=True, exist_ok=True)
        drawn = {}
        if self.code:
            drawn["code_size"] = rp.code_size(self.code, chosen)
        if self.seeds:
            from .semisup_answers import method_title

            methods = {r.get("method", "chosen") for r in self.seeds}
            drawn["seed_differences"] = rp.seed_differences(self.seeds, {m: method_title(m) for m in methods})
        if self.sigma:
            grids, recon = {}, {}
            for r in self.sigma:
                with np.load(r["folder"] / "arrays" / "latent_grid.npz") as g:
                    grids[r["sigma"]] = (g["images"], g["axis"])
                with np.load(r["folder"] / "arrays" / "reconstructions.npz") as g:
                    recon[r["sigma"]], original = g["gaussian"], g["original"]
            drawn["sigma_grids"] = rp.sigma_grids(self.sigma, grids)
            drawn["sigma_reconstructions"] = rp.sigma_reconstructions(original, recon)
        for name, fig in drawn.items():
            with written(figures / f"{name}.png") as tmp:
                fig.savefig(tmp, dpi=FIGURE_DPI, metadata={"Software": None}, format="png")
            plt.close(fig)
        write_text(record, json.dumps({"key": key, "cells": read, "figures": sorted(drawn)}, indent=1, sort_keys=True) + "\n")

    def figure(self, name: str, caption: str, ident: str, analysis: str) -> str:
        """Figure markdown; the caption links the index of the cells it was drawn from."""
        from ..study.cells import CELLS, INDEX

        return f"![{caption} [list of the short runs]({CELLS}/{analysis}/{INDEX})]({self.rel}/figures/{name}.png){{#{ident}}}"


# The study profile whose grid measures a profile's choices (its own grid, else this one's).
STUDY_OF = {"full": "study", "smoke": "study_smoke"}


class MeasuredChoices:
    """What a profile's study measured about the report's choices, from the grid cells of its own grid or of
    `STUDY_OF[profile]` that have run (`cells`: those already read, e.g. by `StudyView`): the mlp-against-conv
    comparison (`robustness.architecture_q1/q2`; `available` is False without it), the σ that fits held-out
    images best, the code sizes trained and the corruption-level and likelihood sweeps (`settings`)."""

    def __init__(self, profile: str, enabled: bool = True, cells: dict | None = None):
        from . import robustness
        from ..study.graph import has_grid

        source = profile if has_grid(profile) else STUDY_OF.get(profile)
        if cells is None:
            cells = robustness.kept_cells_so_far(source) if enabled and source else {}
        self.source, self.own = source, source == profile
        self.q1, self.q2 = robustness.architecture_q1(cells), robustness.architecture_q2(cells)
        self.q1_verdict = robustness.architecture_verdict(self.q1)
        self.q1_decoder = robustness.architecture_q1(cells, "decoder_architecture")
        self.q1_decoder_verdict = robustness.architecture_verdict(self.q1_decoder)
        self.q1_encoder = robustness.encoder_q1(cells)  # the convolutional encoder on the dense decoder
        self.q1_encoder_verdict = robustness.architecture_verdict(self.q1_encoder)
        self.q1_longer = robustness.architecture_q1(cells, "epochs")  # the dense decoder given the conv one's time
        self.q1_equal_time = robustness.equal_time_q1(cells)
        self.q2_verdict = robustness.architecture_verdict(self.q2, "VAE")
        self.q2_longer = robustness.architecture_q2(cells, "epochs")  # the dense models given the conv ones' time
        self.q2_equal_time = robustness.equal_time_q2(cells)
        self.available = bool(self.q1 or self.q2)
        self.sigma = robustness.sigma_rows(cells)
        self.best_sigma = robustness.best_sigma(self.sigma, "validation_neg_elbo")
        self.code_rows = robustness.code_size_rows(cells)
        self.code_sizes = [r["latent_dim"] for r in self.code_rows]
        self.settings = {p: robustness.setting_rows(cells, p) for p in robustness.SETTINGS}

    def where(self) -> str:
        """How the text cites the comparison: its section in the study's own report, else this report's
        measured-choices table."""
        return "@sec-robust-arch" if self.own else "@tbl-choices"


def latent_widget(q1: AnalysisView, study: StudyView) -> str:
    """The HTML-only live latent plane for the report's Q1 run and, in a study, each σ cell ('' if the run has
    no exported decoder)."""
    from matplotlib.colors import to_hex

    from ..figures import latent_widget as widget
    from ..figures.style import class_colors

    if not q1.available or not (q1.dir / "arrays" / "decoder_weights.npz").is_file():
        return ""
    record = q1.metrics.get("latent_model", "bernoulli")
    sources = [(f"{record.capitalize()} decoder (this report's model)", q1.dir)]
    if study.available:
        sources += [(f"σ = {r['sigma']}, Gaussian decoder (study cell)", r["folder"]) for r in study.sigma
                    if (Path(r["folder"]) / "arrays" / "decoder_weights.npz").is_file()]
    return widget.html_block(sources, list(q1.metrics["class_names"]), [to_hex(c) for c in class_colors(10)])
