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
from ..config.params import load_params
from ..errors import OutputsModifiedError, RenderError
from ..execution import provenance
from ..execution.atomic import written
from ..execution.store import profile_run_dir
from ..paths import PROJECT_ROOT, REPORT_DIR, profile_dir
from ..science.semisup import REPRESENTATION_LABELS
from . import choice_answers, findings, semisup_answers
from .formatting import and_list, capitalize_first, fmt, md_table, pct, pct_sig, sig
from .study_view import MeasuredChoices, StudyView, latent_widget
from .views import AnalysisView

log = logging.getLogger("vaereport")
TEMPLATE = REPORT_DIR / "report.qmd"


def architecture_sentences(arch, train_seconds: tuple[float, float]) -> dict[str, str]:
    """The sentences on the layers from `arch` (a `MeasuredChoices`): 1.1(b)'s sentence on the encoder alone, 1.2(b)'s
    answer and Summary clause, 2.1(b)'s clause on the layers, its equal-time evidence and the Summary's equal-time
    clause ('' where not measured)."""
    conv_wins_q2 = bool(arch.q2_verdict and arch.q2_verdict["conv_better"])
    return {
        "encoder_answer": choice_answers.encoder_sentence(arch.q1_encoder, arch.q1_encoder_verdict, arch.where()),
        "decoder_answer": choice_answers.decoder_answer(arch.q1_decoder, arch.q1_decoder_verdict, arch.q1_verdict,
                                                        arch.where(), train_seconds[0], arch.q1_equal_time),
        "decoder_summary": choice_answers.decoder_summary(arch.q1_decoder_verdict, arch.q1_equal_time),
        "q2_architecture_clause": choice_answers.q2_architecture_clause(arch.q2_verdict, arch.q2_equal_time)
        if arch.q2_verdict else "",
        "q2_equal_time_answer": choice_answers.q2_equal_time_sentence(arch.q2_equal_time, arch.where())
        if conv_wins_q2 else "",
        "q2_equal_time_clause": choice_answers.equal_time_clause(arch.q2_equal_time, "VAE") if conv_wins_q2 else "",
    }


def context(profile: str, runs: dict[str, Path] | None = None, experiment: dict[str, str] | None = None) -> dict:
    """What the template sees: a view per analysis (of `runs[analysis]` where given, else the profile's own
    run) and `experiment`, the analyses whose run is not the profile's own (analysis -> run id)."""
    views = {a.name: AnalysisView(profile, a.name, (runs or {}).get(a.name)) for a in analyses.ANALYSES.values()}
    study = StudyView(profile, enabled=not experiment)
    q2r = views["q2_representations"]
    q2r_params = q2r.meta["params"] if q2r.available else {}
    # (Q1's, Q2's) training seconds of the report's own models, which the cost of a switch to convolutions scales
    train_seconds = tuple(sum(t["train_seconds"] for t in views[name].timings.values()) if views[name].available else 0
                          for name in ("q1_vae_mnist", "q2_representations"))
    return {
        "profile": profile, "experiment": experiment or {},
        "experiment_changes": {name: _what_differs(views[name]) for name in experiment or {}},
        "full_settings": all(v.meta["params"] == load_params(name, "full") for name, v in views.items() if v.available),
        "a": views,
        **{a.short: views[a.name] for a in analyses.ANALYSES.values()},  # each view also by its short name
        "study": study,
        "arch": (arch := MeasuredChoices(profile, enabled=not experiment,
                                         cells=study.cells if study.available else None)),
        "train_seconds": train_seconds,
        "setting_answers": choice_answers.setting_answers(
            arch.settings, q2r_params, "@tbl-settings" if arch.own else "the study's report, section 'Corruption and likelihood'"),
        "settings_table": choice_answers.settings_table(arch.settings, q2r_params),
        **architecture_sentences(arch, train_seconds),
        "code_size_answer": choice_answers.code_size_sentence(
            arch.code_rows, q2r_params["latent_dim"], "@sec-robust-code" if arch.own else "@tbl-code-sizes",
            {"epochs": q2r_params["epochs"], "active_units": q2r.metrics["vae_code_stats"]["active_units"]})
        if arch.code_rows and q2r.available else "",
        **seed_sentences(study.seeds if study.available else [], study.seed_settings if study.available else {},
                         q2r_params.get("seed"), views["q2_semisupervised"]),
        **benefit_seed_sentences(study, views["q2_semisupervised"]),
        "measured_sigma": arch.best_sigma,
        "measured_code_sizes": arch.code_sizes,
        "analyses": analyses.existing(),  # each one's section and Summary lines, in order
        "latent_widget": latent_widget,
        "git": provenance.git_state(),
        "packages": provenance.package_versions(),
        "machine": next((v.meta["machine"] for v in views.values() if v.available),
                        {**provenance.machine(), "gpus": []}),
        "fmt": fmt, "pct": pct, "md_table": md_table, "findings": findings, "answers": semisup_answers,
        "labels": {"classifier": findings.LABELS, "representation": REPRESENTATION_LABELS},
    }


def benefit_seed_sentences(study: "StudyView", q2s: "AnalysisView") -> dict:
    """2.3's body sentence and Summary clause on whether the verdicts against the yardstick hold across the
    autoencoders' seeds (`choice_answers.benefit_seed_check`); '' without a seed sweep or Q2.3 run."""
    if not (study.available and q2s.available and "pixels" in q2s.metrics["inputs"]):
        return {"benefit_seed": "", "benefit_seed_clause": ""}
    F = semisup_answers.facts(q2s.metrics, "uniform")
    return {"benefit_seed": choice_answers.benefit_seed_sentence(F, study.seed_spread, study.seed_settings,
                                                                 "@sec-robust-seed"),
            "benefit_seed_clause": choice_answers.benefit_seed_clause(F, study.seed_spread)}


def seed_sentences(rows: list[dict], settings: dict, report_seed: int | None, q2s: "AnalysisView") -> dict:
    """The seed study's sentences (`robustness.seed_rows` / `seed_settings`), for 2.3, the Summary and its section;
    the caveat says which VAE − DAE verdicts of the report's own models (`q2s`) hold once the seed is counted."""
    methods = list(dict.fromkeys(r.get("method", "chosen") for r in rows))
    main = (semisup_answers.code_leads(semisup_answers.facts(q2s.metrics, "uniform"), methods)
            if q2s.available and rows else None)
    return {
        "seed_answer": choice_answers.seed_sentence(rows, settings, "@sec-robust-seed"),
        "seed_caveat": choice_answers.seed_caveat(rows, settings, main),
        "seed_single": choice_answers.seed_single_sentence(findings.seed_facts(rows, report_seed), report_seed)
        if rows else "",
        "seed_lost": choice_answers.seed_lost(rows, main),
        "seed_methods_text": and_list([semisup_answers.method_label(m) for m in methods if m != "chosen"])
        if len(methods) > 1 else "",
        "seed_method_labels": {m: semisup_answers.method_title(m) for m in methods},
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


def _check_profile_links(profile: str, chosen: dict) -> None:
    """Refuse to render a report that would silently drop an analysis whose runs are kept but whose link to the
    profile's own run was removed."""
    for a in analyses.existing():
        link, kept = profile_run_dir(profile, a.name), profile_dir(profile) / "runs" / a.name
        if a.name not in chosen and not link.exists() and kept.is_dir() and any(kept.iterdir()):
            raise OutputsModifiedError(f"{link} (the link to the profile's run of {a.name}) is missing while its runs "
                                       f"are kept; `vaereport run {a.short} --profile {profile}` relinks it without "
                                       "re-running, then render again.")


def render(profile: str, force: bool = False, runs: dict[str, Path] | None = None) -> tuple[Path, Path]:
    """Fill the template and write build/<profile>/report.{pdf,html}; skipped when nothing changed. With
    `runs` (analysis -> run folder) that are not all the profile's own, an experiment report is written
    beside it: report-experiment-<analysis>-<id>….{pdf,html}."""
    out = profile_dir(profile)
    _check_profile_links(profile, runs or {})
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
