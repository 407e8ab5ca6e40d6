"""Fill `report/report.qmd` with the analyses' numbers and render it to PDF and HTML.

The template is Quarto Markdown plus Jinja2 expressions. Filling happens first (so every number
comes from `metrics.json` / the tables), then `quarto render` if Quarto is installed, otherwise the
built-in path: pandoc (from pypandoc-binary) with a cross-reference Lua filter, to self-contained
HTML with MathML, and to Typst, compiled to PDF by the `typst` package.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import jinja2

from ..config import analyses
from . import findings
from ..errors import RenderError
from ..paths import PROJECT_ROOT, REPORT_DIR, profile_dir
from ..config.params import load_params
from ..execution import provenance
from ..execution.atomic import write_text, written
from ..execution.store import verify_outputs
from ..science.semisup import REPRESENTATION_LABELS

log = logging.getLogger("vaereport")
TEMPLATE = REPORT_DIR / "report.qmd"


# ---------------------------------------------------------------- formatting helpers
def fmt(value, digits: int = 1) -> str:
    """A number with a fixed number of decimals and a thin-space-free thousands separator."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or (isinstance(value, float) and digits == 0):
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.{digits}f}"
    return text.replace("-", "\u2212")  # a typographic minus, as in the maths


def pct(value, digits: int = 1) -> str:
    """A fraction as a percentage; a non-breaking space keeps the number and '%' on one line."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}\u00a0%"


def sig(value, digits: int = 2) -> str:
    """A number with `digits` significant digits (small values keep theirs: 0.00046, not 0.0)."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    import math

    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return fmt(round(value, decimals), decimals) if decimals else fmt(float(value), 0)


def capitalize_first(text: str) -> str:
    """The text with its first letter in upper case and the rest untouched ('most 4/9 …' -> 'Most 4/9 …')."""
    return text[:1].upper() + text[1:]


def pct_sig(value, digits: int = 2) -> str:
    """A fraction as a percentage with `digits` significant digits, so 0.00046 reads 0.046 %, not 0.0 %."""
    return "n/a" if value is None else f"{sig(100 * value, digits)}\u00a0%"


def md_table(rows: list[dict], columns: dict[str, tuple[str, str]], best: dict | None = None,
             contenders=None) -> str:
    """A pipe table from dict rows; `columns` maps key -> (header, format spec or '' for text); numbers are
    right-aligned. `best` maps a column to min or max: that column's best value among the rows for which
    `contenders(row)` holds (default: all) is set in bold."""
    among = [r for r in rows if contenders is None or contenders(r)]
    best_value = {k: pick(r[k] for r in among if r[k] is not None) for k, pick in (best or {}).items()}

    def cell(r, k, spec):
        text = format(r[k], spec) if spec and r[k] is not None else str(r[k])
        return f"**{text}**" if k in best_value and r[k] == best_value[k] and r in among else text

    cells = [[cell(r, k, spec) for k, (_, spec) in columns.items()] for r in rows]
    # Dash counts proportional to each column's widest entry: pandoc sizes the columns from them.
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, (h, _) in enumerate(columns.values())]
    head = "| " + " | ".join(h for h, _ in columns.values()) + " |"
    align = "|" + "|".join("-" * max(3, w - 1) + ":" if spec else ":" + "-" * max(3, w - 1)
                           for w, (_, spec) in zip(widths, columns.values())) + "|"
    body = ["| " + " | ".join(c) + " |" for c in cells]
    return "\n".join([head, align, *body])


def read_csv_rows(path: Path) -> list[dict]:
    import pandas as pd

    frame = pd.read_csv(path)
    return frame.to_dict(orient="records")


# ---------------------------------------------------------------- context
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
        """Figure name -> execution count of the notebook cell that saved it."""
        nb = json.loads((self.dir / self.meta["notebook"]).read_text())
        cells = {}
        for cell in nb["cells"]:
            src = "".join(cell.get("source", ""))
            for fig in (self.dir / "figures").glob("*.png"):
                if f'"{fig.stem}"' in src and cell.get("execution_count"):
                    cells.setdefault(fig.stem, cell["execution_count"])
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
        self.compute_seconds = sum(c.meta["wall_seconds"] for c in cells.values() if not c.node.own)
        self.code = robustness.code_size_rows(cells)
        self.seeds = robustness.seed_rows(cells)
        self.seed_settings = robustness.seed_settings(cells)
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
                             "code": cache.code_component(["reporting.report", "reporting.robustness", "figures.robustness_plots", "outputs"]),
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
            drawn["seed_differences"] = rp.seed_differences(self.seeds)
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

        return f"![{caption} [cells]({CELLS}/{analysis}/{INDEX})]({self.rel}/figures/{name}.png){{#{ident}}}"


# The study profile whose grid measures a profile's choices (its own grid, else this one's).
STUDY_OF = {"full": "study", "smoke": "study_smoke"}


class MeasuredChoices:
    """What a profile's study measured about the report's choices, from the grid cells of its own grid or of
    `STUDY_OF[profile]` that have run (`cells`: those already read, e.g. by `StudyView`): the mlp-against-conv
    comparison (`robustness.architecture_q1/q2`; `available` is False without it), the σ that fits held-out
    images best and the code sizes trained."""

    def __init__(self, profile: str, enabled: bool = True, cells: dict | None = None):
        from . import robustness
        from ..study.graph import has_grid

        source = profile if has_grid(profile) else STUDY_OF.get(profile)
        if cells is None:
            cells = robustness.kept_cells_so_far(source) if enabled and source else {}
        self.source, self.own = source, source == profile
        self.q1, self.q2 = robustness.architecture_q1(cells), robustness.architecture_q2(cells)
        self.q1_verdict = robustness.architecture_verdict(self.q1)
        self.q2_verdict = robustness.architecture_verdict(self.q2, "VAE")
        self.available = bool(self.q1 or self.q2)
        self.sigma = robustness.sigma_rows(cells)
        self.best_sigma = robustness.best_sigma(self.sigma, "validation_neg_elbo")
        self.code_rows = robustness.code_size_rows(cells)
        self.code_sizes = [r["latent_dim"] for r in self.code_rows]

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


def context(profile: str, runs: dict[str, Path] | None = None, experiment: dict[str, str] | None = None) -> dict:
    """What the template sees: a view per analysis (of `runs[analysis]` where given, else the profile's own
    run) and `experiment`, the analyses whose run is not the profile's own (analysis -> run id)."""
    views = {a.name: AnalysisView(profile, a.name, (runs or {}).get(a.name)) for a in analyses.ANALYSES.values()}
    study = StudyView(profile, enabled=not experiment)
    return {
        "profile": profile, "experiment": experiment or {},
        "experiment_changes": {name: _what_differs(views[name]) for name in experiment or {}},
        "full_settings": all(v.meta["params"] == load_params(name, "full") for name, v in views.items() if v.available),
        "a": views,
        **{a.short: views[a.name] for a in analyses.ANALYSES.values()},  # each view also by its short name
        "study": study,
        "arch": (arch := MeasuredChoices(profile, enabled=not experiment,
                                         cells=study.cells if study.available else None)),
        "measured_sigma": arch.best_sigma,
        "measured_code_sizes": arch.code_sizes,
        "latent_widget": latent_widget(views["q1_vae_mnist"], study),
        "git": provenance.git_state(),
        "packages": provenance.package_versions(),
        "machine": next((v.meta["machine"] for v in views.values() if v.available),
                        {**provenance.machine(), "gpus": []}),
        "fmt": fmt, "pct": pct, "md_table": md_table, "findings": findings,
        "labels": {"classifier": findings.LABELS, "representation": REPRESENTATION_LABELS},
    }


def _what_differs(view: "AnalysisView") -> str:
    """'epochs=3, hidden=[8, 4]': a run's overrides of its profile's parameters, or what else makes it differ."""
    overrides = view.meta.get("overrides") or {}
    if overrides:
        return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(overrides.items()))
    return "the profile's parameters, another upstream run" if view.meta.get("inputs") else "the profile's parameters"


UNIT_AFTER_NUMBER = re.compile(r"(?<=\d) (?=(nats|points|labels|s|MiB|%)\b)")


def fill(profile: str, ctx: dict | None = None) -> str:
    """The filled template; `ctx` replaces `context(profile)` (tests drive the prose's branches with it).
    A non-breaking space joins every number to the unit after it."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPORT_DIR), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             comment_start_string="{%#", comment_end_string="#%}")  # '{#' starts Quarto ids
    env.filters.update(fmt=fmt, pct=pct, sig=sig, pct_sig=pct_sig, capitalize_first=capitalize_first)
    try:
        return UNIT_AFTER_NUMBER.sub("\u00a0", env.get_template("report.qmd").render(**(ctx or context(profile))))
    except jinja2.TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise RenderError(f"report/report.qmd{where}: {exc}. An analysis output it reads may be out of date; "
                          f"run `make report PROFILE={profile}` again.") from exc


# ---------------------------------------------------------------- rendering
def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def use_quarto() -> bool:
    return shutil.which("quarto") is not None and os.environ.get("VAEREPORT_RENDERER") != "builtin"


def renderer_versions() -> dict[str, str]:
    """Which renderer runs and the versions of its tools (part of the render key)."""
    if use_quarto():
        proc = subprocess.run(["quarto", "--version"], capture_output=True, text=True)
        return {"renderer": "quarto", "quarto": proc.stdout.strip()}
    import pypandoc

    return {"renderer": "builtin", "pandoc": pypandoc.get_pandoc_version(),
            "typst": provenance.package_versions().get("typst", "unknown")}


def render_key(filled: str, out: Path, renderer: dict) -> str:
    h = hashlib.sha256(filled.encode())
    for path in sorted(REPORT_DIR.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    for png in sorted(out.glob("*/figures/*.png")):
        h.update(png.read_bytes())
    h.update(json.dumps(renderer, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"{Path(cmd[0]).name} failed ({proc.returncode}):\n{proc.stderr.strip()[-2000:]}")
    for line in proc.stderr.splitlines():
        log.warning("%s: %s", Path(cmd[0]).name, line)


def render_builtin(qmd: Path, html: Path, pdf: Path) -> None:
    """pandoc -> self-contained HTML (MathML) and pandoc -> Typst -> PDF."""
    import typst

    pandoc, cwd = _pandoc(), qmd.parent
    common = [pandoc, qmd.name, "--from", "markdown", "--standalone",
              "--number-sections", "--lua-filter", str(REPORT_DIR / "crossref.lua")]
    with written(html) as tmp_html, written(pdf.with_suffix(".typ")) as tmp_typ, written(pdf) as tmp_pdf:
        _run(common + ["--to", "html5", "--toc", "--toc-depth=2", "--embed-resources", "--mathml", "--css", str(REPORT_DIR / "style.css"),
                       "--metadata", "lang=en", "-o", str(tmp_html.resolve())], cwd)
        _run(common + ["--to", "typst", "--include-in-header", str(REPORT_DIR / "template.typ"),
                       "-V", "section-numbering=1.1", "-V", "papersize=a4", "-o", str(tmp_typ.resolve())], cwd)
        try:
            typst.compile(str(tmp_typ), output=str(tmp_pdf), root=str(cwd))
        except Exception as exc:  # typst raises its own error type with the compiler's diagnostics
            raise RenderError(f"typst could not compile {tmp_typ}: {exc}") from exc


def render_quarto(qmd: Path, html: Path, pdf: Path) -> None:
    for fmt_name, target in (("html", html), ("typst", pdf)):
        with written(target) as tmp:
            _run(["quarto", "render", qmd.name, "--to", fmt_name, "--output", tmp.name], qmd.parent)


def experiment_runs(profile: str, runs: dict[str, Path] | None) -> dict[str, str]:
    """analysis -> run id of the `runs` that are not the profile's own (what makes a report an experiment)."""
    from ..execution.store import profile_run_dir, read_metadata

    return {name: read_metadata(folder)["key"] for name, folder in (runs or {}).items()
            if Path(folder).resolve() != profile_run_dir(profile, name).resolve()}


def render(profile: str, force: bool = False, runs: dict[str, Path] | None = None) -> tuple[Path, Path]:
    """Fill the template and write build/<profile>/report.{pdf,html}; skipped when nothing changed. With
    `runs` (analysis -> run folder) that are not all the profile's own, an experiment report is written
    beside it: report-experiment-<analysis>-<id>….{pdf,html}."""
    out = profile_dir(profile)
    out.mkdir(parents=True, exist_ok=True)
    experiment = experiment_runs(profile, runs)
    stem = "report" + "".join(f"-{analyses.get(a).short}-{key[:8]}" for a, key in sorted(experiment.items()))
    stem = stem.replace("report-", "report-experiment-", 1) if experiment else stem
    filled = fill(profile, context(profile, runs, experiment))
    qmd, html, pdf = out / f"{stem}.qmd", out / f"{stem}.html", out / f"{stem}.pdf"
    stamp = out / f".render-key{stem[len('report'):]}"
    renderer = renderer_versions()
    key = render_key(filled, out, renderer)
    if not force and html.is_file() and pdf.is_file() and stamp.is_file() and stamp.read_text() == key:
        log.info("report [%s]: up to date", profile)
        return pdf, html
    qmd.write_text(filled)
    quarto = renderer["renderer"] == "quarto"
    log.info("report [%s]: rendering with %s", profile, "quarto" if quarto else "pandoc + typst")
    (render_quarto if quarto else render_builtin)(qmd, html, pdf)
    stamp.write_text(key)
    log.info("report [%s]: %s and %s", profile, pdf.relative_to(PROJECT_ROOT) if pdf.is_relative_to(PROJECT_ROOT)
             else pdf, html.name)
    return pdf, html
