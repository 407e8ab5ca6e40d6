"""Runs kept side by side: find one by its id or name, label, list and plot them, compare two, and remove the
unused ones.

A run is an analysis executed with one fully resolved parameter set, stored under its cache key in
`build/<profile>/runs/<analysis>/<key>/` (see `execution.store`). Its id is the key; any unique prefix of at
least four characters names it, so does a name given with `vaereport run ... --name NAME`, and `profile` names the
profile's own run. A run's name, note and tags are kept in `labels.json` beside its metadata.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import analyses
from .errors import VaereportError, did_you_mean
from .config.params import load_params
from .execution.store import RUNS, profile_run_dir, read_metadata, runs_dir


class RunNotFoundError(VaereportError):
    """A run id names no run, or more than one."""

    exit_code = 13


class RunMismatchError(VaereportError):
    """Two runs that should be of the same analysis are not, or a run is used for the wrong analysis."""

    exit_code = 14


def headline_numbers(m: dict, limit: int = 4) -> dict:
    """The first `limit` numbers among the metrics' top-level entries (the headline of an analysis whose
    `params/<analysis>.py` defines no `headline`)."""
    numbers = {k: v for k, v in m.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return dict(list(numbers.items())[:limit])


@dataclass
class Run:
    """One stored run: its folder and metadata."""

    folder: Path
    meta: dict

    @property
    def id(self) -> str:
        return self.meta["key"]

    @property
    def analysis(self) -> str:
        return self.meta["analysis"]

    def metrics(self) -> dict:
        return json.loads((self.folder / "metrics.json").read_text())

    @property
    def labels(self) -> dict:
        """{'name': ..., 'note': ..., 'tags': [...]}, empty if never labelled."""
        path = self.folder / LABELS
        return json.loads(path.read_text()) if path.is_file() else {}


LABELS = "labels.json"
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*\Z")


def check_name(name: str) -> None:
    """A run name starts with a letter, holds letters, digits, '_', '.' or '-', and is neither 'profile' nor
    something that reads as a run id."""
    from .errors import ParameterError

    if not NAME_PATTERN.match(name) or name == "profile" or re.fullmatch(r"[0-9a-f]{4,}", name):
        raise ParameterError(f"--name '{name}' must start with a letter and hold only letters, digits, '_', '.' "
                             "or '-' (and not look like a run id or be 'profile'), e.g. --name more-epochs.")


def label(run: Run, profile: str, name: str | None = None, note: str | None = None, tags: list[str] = ()) -> dict:
    """Give `run` a name (unique among the profile's runs of its analysis), a note and tags; returns its labels."""
    from .errors import ParameterError
    from .execution.atomic import write_text

    labels = dict(run.labels)
    if name is not None:
        check_name(name)
        taken = [r for r in all_runs(profile, run.analysis) if r.labels.get("name") == name and r.id != run.id]
        if taken:
            raise ParameterError(f"--name '{name}' already names run {taken[0].id[:8]} of {run.analysis}; choose "
                                 "another name.")
        labels["name"] = name
    if note is not None:
        labels["note"] = note
    labels["tags"] = sorted(set(labels.get("tags", [])) | set(tags))
    write_text(run.folder / LABELS, json.dumps(labels, indent=1) + "\n")
    return labels


def all_runs(profile: str, analysis: str | None = None) -> list[Run]:
    """Every stored run of the profile (of one analysis), oldest first."""
    names = [analyses.get(analysis).name] if analysis else [a.name for a in analyses.existing()]
    found = []
    for name in names:
        for folder in sorted(runs_dir(profile, name).glob("*/")):
            meta = read_metadata(folder)
            if meta is not None:
                found.append(Run(folder, meta))
    return sorted(found, key=lambda r: (r.meta.get("finished", ""), r.id))


def profile_run(profile: str, analysis: str) -> Run | None:
    link = profile_run_dir(profile, analysis)
    meta = read_metadata(link)
    return Run(link.resolve(), meta) if meta else None


def find(profile: str, ref: str, analysis: str | None = None) -> Run:
    """The run `ref` names: an id (or unique prefix) or 'profile' (then `analysis` is needed)."""
    if ref == "profile":
        if analysis is None:
            raise RunNotFoundError("'profile' names the profile's own run of an analysis; compare it with a run id "
                                   "(e.g. `vaereport diff 3fa2c1 profile`).")
        run = profile_run(profile, analysis)
        if run is None:
            raise RunNotFoundError(f"Profile '{profile}' has no run of {analysis} yet; run `make report PROFILE={profile}`.")
        return run
    named = [r for r in all_runs(profile, analysis) if r.labels.get("name") == ref]
    if named:
        return named[0]
    if len(ref) < 4:
        raise RunNotFoundError(f"Run id '{ref}' is too short; give at least four characters (see `vaereport runs`).")
    matches = [r for r in all_runs(profile, analysis) if r.id.startswith(ref)]
    if not matches:  # ids are content hashes: look in the other profiles too
        from .paths import build_root

        others = [d.parent.name for d in sorted(build_root().glob(f"*/{RUNS}")) if d.parent.name != profile]
        matches = [r for other in others for r in all_runs(other, analysis) if r.id.startswith(ref)]
    if not matches:
        raise RunNotFoundError(f"No run '{ref}' in profile '{profile}'. List them with `vaereport runs "
                               f"{analysis or analyses.existing()[0].short} --profile {profile}`.")
    if len(matches) > 1:
        raise RunNotFoundError(f"Run id '{ref}' is ambiguous in profile '{profile}': "
                               f"{', '.join(r.id for r in matches)}. Give more characters.")
    return matches[0]


def verified(run: Run) -> Run:
    """`run` if its outputs are intact (else OutputsModifiedError, see `execution.store.verify_outputs`)."""
    from .execution.store import verify_outputs

    verify_outputs(run.folder, run.analysis, run.meta["profile"])
    return run


def param_changes(run: Run, profile: str) -> dict[str, object]:
    """Parameters of `run` that differ from the profile's, plus the upstream runs it read if not the profile's."""
    defaults = load_params(run.analysis, profile)
    changes = {k: v for k, v in run.meta["params"].items() if defaults.get(k) != v}
    for up, folder in run.meta.get("inputs", {}).items():
        own = profile_run(profile, up)
        if own is None or Path(folder).resolve() != own.folder:
            changes[f"{up} run"] = Path(folder).name[:8]
    return changes


# ---------------------------------------------------------------- list
def listing(profile: str, analysis: str) -> list[dict]:
    """One row per run: id, when, what differs from the profile, headline metrics, wall time."""
    own = profile_run(profile, analysis)
    cells = grid_cells(profile, analysis)
    rows = []
    for run in all_runs(profile, analysis):
        changes = param_changes(run, profile)
        differs = ", ".join(f"{k}={json.dumps(v)}" for k, v in changes.items()) or "(profile's parameters)"
        if run.id in cells:
            differs = f"grid cell {cells[run.id]}: {differs}"
        numbers = analyses.get(run.analysis).headline or headline_numbers
        headline = numbers(run.metrics()) if (run.folder / "metrics.json").is_file() else {}
        tags = run.labels
        rows.append({"id": run.id[:8], "name": tags.get("name", ""), "tags": ",".join(tags.get("tags", [])),
                     "finished": run.meta.get("finished", "")[:19].replace("T", " "),
                     "profile run": own is not None and own.folder == run.folder.resolve(),
                     "differs": differs, **headline, "wall s": run.meta.get("wall_seconds"),
                     "note": tags.get("note", "")})
    for key in ("name", "tags", "note"):  # columns only where some run has a label
        if not any(r[key] for r in rows):
            for r in rows:
                del r[key]
    return rows


# ---------------------------------------------------------------- plot one metric across runs
def metric_value(run: Run, metric: str):
    """A number of the run: a headline column (as `vaereport runs` shows it) or a dotted path into metrics.json
    (e.g. 'models.bernoulli.test_neg_elbo'); None where the run lacks it."""
    m = run.metrics()
    numbers = analyses.get(run.analysis).headline or headline_numbers
    value = numbers(m).get(metric)
    if value is None:
        value = m
        for part in metric.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def metric_paths(metrics: dict, prefix: str = "") -> list[str]:
    """The dotted paths of the numbers in `metrics` (nested dicts), e.g. 'models.bernoulli.test_neg_elbo'."""
    paths = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            paths += metric_paths(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            paths.append(f"{prefix}{key}")
    return paths


def plot_metric(profile: str, analysis: str, metric: str, out: Path) -> Path:
    """One metric across the kept runs of `analysis`, as a PNG: against the one parameter that differs between
    them (a line over its values), else a bar per run (named by its name or id)."""
    runs = [r for r in all_runs(profile, analysis) if (r.folder / "metrics.json").is_file()]
    points = [(r, metric_value(r, metric)) for r in runs]
    points = [(r, v) for r, v in points if v is not None]
    if not points:
        known = list((analyses.get(analysis).headline or headline_numbers)(runs[0].metrics())) if runs else []
        paths = metric_paths(runs[0].metrics()) if runs else []
        ending = [p for p in paths if p.endswith("." + metric)][:4]  # a leaf name: the paths that end in it
        hint = (f" (did you mean {' or '.join(map(repr, ending))}?)" if ending else did_you_mean(metric, known + paths))
        column = f"a column of `vaereport runs {analysis}`" + (f" (e.g. {known[0]!r})" if known else "")
        path = "a dotted path into metrics.json" + (f" (e.g. {paths[0]!r})" if paths else "")
        raise RunNotFoundError(f"No kept run of {analysis} in profile '{profile}' has a metric '{metric}'{hint}; "
                               f"give {column} or {path}.")
    params = [r.meta["params"] for r, _ in points]
    differing = [k for k in params[0] if len({json.dumps(p.get(k)) for p in params}) > 1]
    from .figures.style import plt

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if len(differing) == 1 and all(isinstance(p[differing[0]], (int, float)) for p in params):
        key = differing[0]
        pairs = sorted((p[key], v) for p, (_, v) in zip(params, points))
        ax.plot([x for x, _ in pairs], [y for _, y in pairs], "o-")
        if all(isinstance(x, int) for x, _ in pairs):
            ax.set_xticks(sorted({x for x, _ in pairs}))  # an integer parameter: its values, no 2.5 epochs
        for x, y in pairs:
            ax.annotate(f"{y:.4g}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xlabel(key)
    else:
        names = [r.labels.get("name") or r.id[:8] for r, _ in points]
        bars = ax.bar(range(len(points)), [v for _, v in points], width=0.6, color="0.35")
        ax.bar_label(bars, fmt="%.4g", fontsize=8)
        ax.set_xlim(-0.8, len(points) - 0.2)
        ax.set_xticks(range(len(points)), names, rotation=30, ha="right")
        ax.set_xlabel("run" + (f" (differing: {', '.join(differing)})" if differing else ""))
    ax.set_ylabel(metric)
    ax.set_title(f"{analysis}, profile {profile}: {len(points)} run(s)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def grid_cells(profile: str, analysis: str) -> dict[str, str]:
    """Run key -> the name of the grid cell it is, from the profile's `cells.csv` (empty without a grid)."""
    import csv

    from .paths import profile_dir

    index = profile_dir(profile) / "cells" / analysis / "cells.csv"
    if not index.is_file():
        return {}
    with open(index, newline="") as fh:
        return {row["run"]: row["cell"] for row in csv.DictReader(fh) if row.get("run") and row.get("own") != "true"}


def aligned(rows: list[dict]) -> str:
    """Rows as an aligned text table (numbers to 4 significant digits)."""
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for r in rows for k in r))

    def show(v):
        if isinstance(v, bool):
            return "yes" if v else ""
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    cells = [[show(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


# ---------------------------------------------------------------- diff
def flatten(metrics: dict, prefix: str = "") -> dict[str, float]:
    """Scalar numbers of a nested metrics dict under dotted keys (lists of numbers are left out)."""
    flat = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


INDEX_COLUMNS = ("budget", "repetition", "epoch", "target")  # numeric columns that name a row, not measure it


def table_diff(a: Path, b: Path) -> list[dict]:
    """Two CSV tables joined on their key columns (text, and budget/repetition/epoch/target); one row per
    joined row whose numbers differ or that only one table has."""
    import pandas as pd

    left, right = pd.read_csv(a), pd.read_csv(b)
    shared = [c for c in left.columns if c in right.columns]
    keys = [c for c in shared if c in INDEX_COLUMNS or not pd.api.types.is_numeric_dtype(left[c])]
    numbers = [c for c in shared if c not in keys]
    if not keys:
        return []
    joined = left.merge(right, on=keys, how="outer", suffixes=(" A", " B"), indicator=True)
    rows = []
    for _, r in joined.iterrows():
        changed = [c for c in numbers if not (pd.isna(r[f"{c} A"]) and pd.isna(r[f"{c} B"])) and r[f"{c} A"] != r[f"{c} B"]]
        if changed or r["_merge"] != "both":
            row = {k: r[k] for k in keys}
            for c in changed or numbers:
                row[f"{c} A"], row[f"{c} B"] = r[f"{c} A"], r[f"{c} B"]
            rows.append(row)
    return rows


ABSENT = "absent"  # a value one of the two runs does not have


def _absent_if_missing(value):
    return ABSENT if value is None or (isinstance(value, float) and math.isnan(value)) else value


def diff(a: Run, b: Run, only: str | None = None) -> dict:
    """Parameters that differ, every scalar metric with both values and the change (B − A), and tables joined;
    `only` keeps the metrics and tables whose name contains it."""
    if a.analysis != b.analysis:
        raise RunMismatchError(f"Run {a.id[:8]} is of {a.analysis} and run {b.id[:8]} of {b.analysis}; "
                               "compare two runs of the same analysis.")
    params = {k: (a.meta["params"].get(k), b.meta["params"].get(k))
              for k in sorted(set(a.meta["params"]) | set(b.meta["params"]))
              if a.meta["params"].get(k) != b.meta["params"].get(k)}
    ma, mb = flatten(a.metrics()), flatten(b.metrics())
    wanted = (lambda name: only in name) if only else (lambda name: True)
    metrics = {k: (_absent_if_missing(ma.get(k)), _absent_if_missing(mb.get(k)),
                   ABSENT if k not in ma or k not in mb else mb[k] - ma[k])
               for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k) and wanted(k)}
    tables = {}
    for table in sorted((a.folder / "tables").glob("*.csv")):
        other = b.folder / "tables" / table.name
        if other.is_file() and wanted(table.stem):
            rows = [{k: _absent_if_missing(v) for k, v in row.items()} for row in table_diff(table, other)]
            if rows:
                tables[table.stem] = rows
    return {"analysis": a.analysis, "a": a.id, "b": b.id, "params": params, "metrics": metrics, "tables": tables}


def diff_text(d: dict, markdown: bool = False, max_rows: int = 12) -> str:
    """The diff as aligned text, or Markdown with `markdown=True`."""
    def table(rows):
        if not rows:
            return "(none)"
        if not markdown:
            return aligned(rows)
        cols = list(dict.fromkeys(k for r in rows for k in r))
        fmt = lambda v: f"{v:.6g}" if isinstance(v, float) else ("" if v is None else str(v))  # noqa: E731
        return "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols),
                          *("| " + " | ".join(fmt(r.get(c)) for c in cols) + " |" for r in rows)])

    head = "## " if markdown else ""
    out = [f"{'# ' if markdown else ''}{d['analysis']}: run A {d['a'][:8]} → run B {d['b'][:8]} "
           "(the change column is B − A)", "",
           f"{head}parameters", table([{"parameter": k, "A": json.dumps(a), "B": json.dumps(b)}
                                       for k, (a, b) in d["params"].items()]), "",
           f"{head}metrics", table([{"metric": k, "A": a, "B": b, "B − A": c} for k, (a, b, c) in d["metrics"].items()])]
    for name, rows in d["tables"].items():
        more = f" (first {max_rows} of {len(rows)} changed rows)" if len(rows) > max_rows else ""
        out += ["", f"{head}table {name}{more}", table(rows[:max_rows])]
    return "\n".join(out) + "\n"


def check_figure(a: Run, b: Run, name: str) -> list[Path]:
    """The PNGs of figure `name` in both runs; one error naming the figures there are if either lacks it."""
    paths = [r.folder / "figures" / f"{name}.png" for r in (a, b)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        available = sorted(p.stem for p in (a.folder / "figures").glob("*.png"))
        raise RunNotFoundError(f"no figure '{name}' in {', '.join(missing)}{did_you_mean(name, available)}; "
                               f"figures: {', '.join(available)}")
    return paths


def figure_diff(a: Run, b: Run, name: str, out: Path) -> Path:
    """A side-by-side PNG of figure `name` of runs A and B."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    paths = check_figure(a, b, name)
    images = [mpimg.imread(p) for p in paths]
    height = max(i.shape[0] for i in images) / 150
    fig, axes = plt.subplots(1, 2, figsize=(sum(i.shape[1] for i in images) / 150, height + 0.4))
    for ax, image, run, label in zip(axes, images, (a, b), "AB"):
        ax.imshow(image)
        ax.set_title(f"run {label}: {run.id[:8]}")
        ax.axis("off")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return out


# ---------------------------------------------------------------- gc
def _with_inputs(run: Run) -> set[Path]:
    """The run's folder and the folders of the upstream runs it read."""
    return {run.folder.resolve(), *(Path(f).resolve() for f in run.meta.get("inputs", {}).values())}


def referenced(profile: str) -> set[Path]:
    """Runs the profile's report uses: the linked runs, every grid cell's run (build/<profile>/cells/), and
    the upstream runs they read."""
    from .paths import profile_dir

    runs = [profile_run(profile, a.name) for a in analyses.existing()]
    for link in sorted(profile_dir(profile).glob("cells/*/*")):
        meta = read_metadata(link) if link.is_symlink() else None
        if meta is not None:
            runs.append(Run(link.resolve(), meta))
    return set().union(*(_with_inputs(run) for run in runs if run is not None))


def collect_garbage(profile: str, keep_recent: int, dry_run: bool = False) -> tuple[list[Run], int]:
    """Remove every run that the profile's report does not use and that is not among the `keep_recent`
    most recent runs of its analysis, and the upstream runs a kept run reads. Returns (removed, bytes)."""
    keep = referenced(profile)
    for a in analyses.existing():
        for run in all_runs(profile, a.name)[-keep_recent:] if keep_recent else []:
            keep |= _with_inputs(run)
    removed, freed = [], 0
    for run in all_runs(profile):
        if run.folder.resolve() not in keep:
            freed += sum(p.stat().st_size for p in run.folder.rglob("*") if p.is_file())
            removed.append(run)
            if not dry_run:
                shutil.rmtree(run.folder)
    return removed, freed


def parse_choices(texts: list[str], profile: str) -> dict[str, Run]:
    """['q1=3fa2c1', ...] -> {analysis: verified run}: the runs `--run` picks instead of the profile's own."""
    chosen = {}
    for text in texts:
        if "=" not in text:
            raise RunNotFoundError(f"--run {text!r} must look like ANALYSIS=RUN_ID, e.g. --run q1=3fa2c1.")
        name, ref = text.split("=", 1)
        analysis = analyses.get(name.strip()).name
        run = find(profile, ref.strip())
        if run.analysis != analysis:
            raise RunMismatchError(f"Run {run.id[:8]} is a run of {run.analysis}, not of {analysis}.")
        chosen[analysis] = verified(run)
    return chosen
