"""'Choices and robustness': what a study's grid cells say about the report's choices.

Six sweeps are read from the cells of the profile's graph (see `study`): the Q2 code size (cells that
differ only in `latent_dim`), the autoencoders' seed (cells that differ only in `seed`), the DAE's corruption
level and the autoencoders' likelihood (`corruption_level`, `likelihood`), the Q1 Gaussian decoder's σ (cells
that differ only in `gaussian_sigma`) and the architecture of Q1 and Q2 (cells that differ only in
`architecture`). Each is found by its varying parameter, so a profile with other values (or the tiny
`study_smoke` grid) is read the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import findings
from ..study.cells import kept_cell
from ..study.graph import Node, build_graph, has_grid
from ..errors import RenderError
from ..science.constants import architecture_label
from ..execution.store import verify_outputs

Q1, Q2R, Q2S = "q1_vae_mnist", "q2_representations", "q2_semisupervised"


@dataclass
class CellRun:
    node: Node
    folder: Path
    metrics: dict
    meta: dict  # its metadata.json (verified: every output it lists is intact)


def _cell_run(profile: str, node: Node) -> CellRun | None:
    link = kept_cell(profile, node)
    if link is None:
        return None
    meta = verify_outputs(link, node.analysis, profile)
    return CellRun(node, link, json.loads((link / "metrics.json").read_text()), meta)


def kept_cells_so_far(profile: str) -> dict[str, CellRun]:
    """Node id -> its verified run, for the cells of the profile's graph that have run (none: {})."""
    if not has_grid(profile):
        return {}
    runs = {node.id: _cell_run(profile, node) for node in build_graph(profile)}
    return {k: v for k, v in runs.items() if v is not None}


def kept_cells(profile: str) -> dict[str, CellRun]:
    """Node id -> its verified run, for every cell of the profile's graph; RenderError naming the missing."""
    found, missing = {}, []
    for node in build_graph(profile):
        run = _cell_run(profile, node)
        if run is None:
            missing.append(node.id)
        else:
            found[node.id] = run
    if missing:
        raise RenderError(f"{len(missing)} cell(s) of profile '{profile}' have not run ({', '.join(missing[:4])}"
                          f"{', ...' if len(missing) > 4 else ''}); run `make report PROFILE={profile}`.")
    return found


def sweep(cells: dict[str, CellRun], analysis: str, parameter: str) -> list[CellRun]:
    """The largest set of grid cells of `analysis` that differ only in `parameter`, ordered by its value; of sets
    equally large, the one whose other parameters are most often the profile's own run's (e.g. the decoder swapped
    on the report's dense encoder rather than on a convolutional one)."""
    groups: dict[str, list[CellRun]] = {}
    for c in cells.values():
        if c.node.analysis == analysis and parameter in c.node.varying:
            rest = {k: v for k, v in c.node.params.items() if k != parameter}
            groups.setdefault(json.dumps(rest, sort_keys=True), []).append(c)
    own = next((c.node.params for c in cells.values() if c.node.analysis == analysis and c.node.own), {})
    shared = lambda g: sum(own.get(k) == v for k, v in g[0].node.params.items() if k != parameter)  # noqa: E731
    best = max(groups.values(), key=lambda g: (len(g), shared(g)), default=[])
    return sorted(best, key=lambda c: c.node.params[parameter]) if len(best) > 1 else []


def downstream(cells: dict[str, CellRun], upstream: CellRun) -> CellRun | None:
    """The cell of q2_semisupervised that read `upstream`: its grid cell (the sweep's settings) if there is
    one, else the profile's own run on it."""
    readers = [c for c in cells.values() if c.node.analysis == Q2S and c.node.upstream.get(Q2R) == upstream.node.id]
    return next((c for c in readers if not c.node.own), readers[0] if readers else None)


def chosen_accuracy(metrics: dict, representation: str, budget: int) -> dict | None:
    """The summary row of the chosen classifier (a single run's interval is None)."""
    return findings.at(metrics, representation, "chosen", budget)


# ---------------------------------------------------------------- code size
def code_size_rows(cells: dict[str, CellRun]) -> list[dict]:
    """One row per code size: reconstruction, −ELBO, active units, Fréchet distances, downstream accuracy, and
    `vs_best`, the VAE's held-out −ELBO minus that of the size lowest on it, paired over the held-out training
    images (None for that size, or without held-out images)."""
    rows = []
    for c in sweep(cells, Q2R, "latent_dim"):
        m, s = c.metrics, downstream(cells, c)
        gen = m["generation"]
        row = {"latent_dim": c.node.params["latent_dim"], "epochs": c.node.params["epochs"],
               "seed": c.node.params["seed"],
               "vae_mse": m["reconstruction"]["VAE"]["mse_per_pixel"], "dae_mse": m["reconstruction"]["DAE"]["mse_per_pixel"],
               "vae_neg_elbo": m["models"]["VAE"]["test"]["loss"], "active_units": m["vae_code_stats"]["active_units"],
               "vae_validation_neg_elbo": m.get("validation", {}).get("VAE", {}).get("loss"),
               "n_validation": m["data"].get("n_validation", 0), "n_train": m["data"]["n_train"], "folder": c.folder,
               "vae_fd": gen["VAE, z ~ N(0, I)"], "dae_fd": gen["DAE, code ~ fitted Gaussian"],
               "budgets": s.metrics["budgets"] if s else [], "classifiers": s.node.params["classifiers"] if s else [],
               "accuracy": {}, "selection": {}}
        selection = _selection_scores(s.folder) if s else {}
        for rep in ("vae", "dae"):
            for l in row["budgets"]:
                row["accuracy"][(rep, l)] = chosen_accuracy(s.metrics, rep, l)
                row["selection"][(rep, l)] = selection.get((rep, l))
        rows.append(row)
    rows = [r for r in rows if r["budgets"]]
    scored = [r for r in rows if r["vae_validation_neg_elbo"] is not None]
    best = min(scored, key=lambda r: r["vae_validation_neg_elbo"], default=None)
    for r in rows:
        r["vs_best"] = (None if best is None or r is best or r not in scored
                        else _paired_images(best["folder"], r["folder"], "VAE"))
    return rows


def _headline_protocol(table):
    """The rows of uniformly drawn labelled subsets (a table without a protocol column has only those)."""
    return table[table.protocol == findings.HEADLINE_PROTOCOL] if "protocol" in table else table


def _selection_scores(folder: Path) -> dict[tuple, float]:
    """(representation, budget) -> mean over the labelled subsets of the chosen classifier's score on the
    labels alone (cross-validation or hold-out part of the labelled set): what the labels say, not the test."""
    import pandas as pd

    t = _headline_protocol(pd.read_csv(folder / "tables" / "chosen_classifiers.csv"))
    return {(rep, int(l)): float(g.selection_accuracy.mean()) for (rep, l), g in t.groupby(["representation", "budget"])}


# ---------------------------------------------------------------- autoencoder seed
def crossed_interval(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of d (S seeds x R labelled subsets) and its interval (at `level`) when both the autoencoder's seed and
    the labelled subset are random (two-way crossed random effects). The unbiased Var(mean) =
    (MS_seed + MS_subset − MS_error) / (S R) can come out negative with three seeds, so the conservative
    (MS_seed + MS_subset) / (S R) is used (it counts the interaction once more), with Satterthwaite's degrees
    of freedom. With one subset (l = all labels) only the seeds vary: a t-interval over the seeds."""
    from scipy import stats

    d = np.asarray(d, dtype=float)
    n_seeds, n_subsets = d.shape
    mean = float(d.mean())
    if n_seeds < 2:
        return mean, None, None
    if n_subsets == 1:
        var, df = d[:, 0].var(ddof=1) / n_seeds, n_seeds - 1
    else:
        rows, cols = d.mean(axis=1), d.mean(axis=0)
        ms_seed, ms_subset = n_subsets * rows.var(ddof=1), n_seeds * cols.var(ddof=1)
        combined = ms_seed + ms_subset
        var = combined / (n_seeds * n_subsets)
        df = combined ** 2 / (ms_seed ** 2 / (n_seeds - 1) + ms_subset ** 2 / (n_subsets - 1) + 1e-300)
    half = float(stats.t.ppf(1 - (1 - level) / 2, max(df, 1.0)) * np.sqrt(var))
    return mean, mean - half, mean + half


def _accuracy_by_subset(folder: Path, method: str = "chosen") -> dict[tuple, float]:
    """(budget, repetition, representation) -> accuracy of `method` (a classifier, 'chosen', a graph method or
    'finetune') on each labelled subset of the uniform draws."""
    import pandas as pd

    t = _headline_protocol(pd.read_csv(folder / "tables" / "accuracy_by_cell.csv"))
    t = t[t.classifier == method]
    return {(int(r.budget), int(r.repetition), r.representation): float(r.accuracy) for r in t.itertuples()}


SEED_METHODS = ("chosen", "poisson", "finetune")  # the label-only selection, then the methods that use the images


def _seed_accuracy(cells: dict[str, CellRun]) -> dict[str, dict[int, dict]]:
    """Method of `SEED_METHODS` -> autoencoder seed -> `_accuracy_by_subset` of that seed's Q2.3 cell, over the seed
    sweep's cells whose Q2.3 cell has run ({} with fewer than two such seeds)."""
    runs = [(c, downstream(cells, c)) for c in sweep(cells, Q2R, "seed")]
    runs = [(c, s) for c, s in runs if s is not None]
    if len(runs) < 2:
        return {}
    return {method: {c.node.params["seed"]: _accuracy_by_subset(s.folder, method) for c, s in runs}
            for method in SEED_METHODS}


def seed_rows(cells: dict[str, CellRun]) -> list[dict]:
    """Per method of `SEED_METHODS` that the seed cells ran, and per label budget: the VAE − DAE accuracy difference
    for each autoencoder seed (mean over the shared labelled subsets, with the subsets-only interval) and pooled
    over seeds with the interval that counts both sources of randomness; each method's pooled intervals hold
    simultaneously over its budgets (Bonferroni, as for the report's other paired differences)."""
    rows = []
    for method, acc in _seed_accuracy(cells).items():
        budgets = sorted({b for a in acc.values() for (b, _, _) in a})
        rows += [_seed_row(method, l, acc, level=1 - 0.05 / len(budgets)) for l in budgets]
    return rows


def _seed_row(method: str, budget: int, acc: dict[int, dict], level: float) -> dict:
    """One `seed_rows` row from `acc`, seed -> `_accuracy_by_subset`, over the subsets every seed scored on both codes."""
    from ..science.semisup import t_interval

    reps = sorted(set.intersection(*({r for (b, r, rep) in a if b == budget and (b, r, "dae") in a and rep == "vae"}
                                     for a in acc.values())))
    d = np.array([[a[(budget, r, "vae")] - a[(budget, r, "dae")] for r in reps] for a in acc.values()])
    per_seed = {}
    for seed, row in zip(acc, d):
        m, half = t_interval(row)
        per_seed[seed] = {"mean": m, "low": findings.finite_or_none(m - half), "high": findings.finite_or_none(m + half)}
    mean, low, high = crossed_interval(d, level=level)
    return {"method": method, "budget": budget, "n_seeds": d.shape[0], "n_subsets": d.shape[1], "mean": mean,
            "low": low, "high": high, "per_seed": per_seed, "verdict": findings.leader(low, high)}


def seed_spread(cells: dict[str, CellRun]) -> dict[tuple, dict]:
    """(method, code, budget) -> how far the code's accuracy moved between the autoencoder seeds: each seed's mean
    over the labelled subsets every seed scored (`per_seed`) and `spread`, the highest minus the lowest; for each
    method of `SEED_METHODS` the seed cells ran ({} with fewer than two seeds)."""
    out = {}
    for method, acc in _seed_accuracy(cells).items():
        for key in sorted({(l, rep) for a in acc.values() for (l, _, rep) in a}):
            reps = set.intersection(*({r for (b, r, code) in a if (b, code) == key} for a in acc.values()))
            if reps:
                per_seed = {seed: float(np.mean([a[(key[0], r, key[1])] for r in sorted(reps)])) for seed, a in acc.items()}
                out[(method, key[1], key[0])] = {"per_seed": per_seed, "n_subsets": len(reps),
                                                 "spread": max(per_seed.values()) - min(per_seed.values())}
    return out


def seed_settings(cells: dict[str, CellRun]) -> dict:
    """The parameters shared by the seed sweep's autoencoders and their classifiers."""
    runs = sweep(cells, Q2R, "seed")
    s = downstream(cells, runs[0]) if runs else None
    return {"seeds": [c.node.params["seed"] for c in runs], "latent_dim": runs[0].node.params["latent_dim"] if runs else None,
            "epochs": runs[0].node.params["epochs"] if runs else None,
            "classifiers": s.node.params["classifiers"] if s else [], "n_seeds": s.node.params["n_seeds"] if s else None,
            "n_train": runs[0].metrics["data"]["n_train"] if runs else None}


# ---------------------------------------------------------------- corruption level, likelihood
SETTINGS = ("corruption_level", "likelihood")  # the Q2 settings judged by their codes' accuracy (the likelihood also by
#                                                generation, `choice_answers.likelihood_sentence`)
PRIOR_SAMPLES = "VAE, z ~ N(0, I)"  # the generated images whose Fréchet distance to held-out images judges generation


def setting_rows(cells: dict[str, CellRun], parameter: str) -> list[dict]:
    """Q2's representation cells that differ only in `parameter` (for the likelihood, also the Gaussian's σ), ordered
    by its value (`setting_value`): per value, the Fréchet distance of the VAE's samples from the prior to the
    held-out training images (`prior_fd`, None if not measured), the label-only
    selection's accuracy on each code at each budget of its downstream cell (None before that cell has run), the
    VAE's active units and the held-out reconstruction error per pixel of both models. `reader` is the downstream
    cell, for `setting_facts`."""
    runs = sweep(cells, Q2R, parameter)
    if parameter == "likelihood":  # the Gaussian likelihood at each σ trained
        runs += [c for c in sweep(cells, Q2R, "gaussian_sigma") if c.node.params["likelihood"] == "gaussian"
                 and c.node.id not in {r.node.id for r in runs}]
        runs.sort(key=lambda c: (c.node.params["likelihood"], c.node.params["gaussian_sigma"]))
    rows = []
    for c in runs:
        s = downstream(cells, c)
        if s is None:
            continue
        v = c.metrics.get("validation", {})
        rows.append({"value": setting_value(c.node.params, parameter), "epochs": c.node.params["epochs"],
                     "n_validation": c.metrics["data"].get("n_validation", 0), "budgets": s.metrics["budgets"],
                     "active_units": c.metrics["vae_code_stats"]["active_units"],
                     "vae_mse": v.get("VAE", {}).get("mse_per_pixel"), "dae_mse": v.get("DAE", {}).get("mse_per_pixel"),
                     "prior_fd": c.metrics.get("validation_generation", {}).get(PRIOR_SAMPLES),
                     "accuracy": {(rep, l): chosen_accuracy(s.metrics, rep, l)
                                  for rep in ("vae", "dae") for l in s.metrics["budgets"]},
                     "reader": s})
    return rows if len(rows) > 1 else []


def setting_value(params: dict, parameter: str):
    """A Q2 setting's value as its sweep compares it: a Gaussian likelihood with its σ, ('gaussian', 0.1)."""
    if parameter == "likelihood" and params.get("likelihood") == "gaussian":
        return ("gaussian", params["gaussian_sigma"])
    return params.get(parameter)


def setting_facts(rows: list[dict], chosen, representation: str) -> dict | None:
    """What a `setting_rows` sweep says of the report's value `chosen` for one code: each other value's paired
    difference in accuracy (other − chosen, over the labelled subsets the cells share, simultaneous intervals over
    the budgets) and `better` / `worse`, the (value, budget) pairs whose interval excludes zero. None when the
    sweep did not train `chosen`."""
    base = next((r for r in rows if r["value"] == chosen), None)
    if base is None:
        return None
    differences, better, worse = {}, [], []
    for r in rows:
        if r is base:
            continue
        for l, d in _paired_subsets(base["reader"], r["reader"], representation).items():
            differences[(r["value"], l)] = d
            verdict = findings.interval_verdict(d["low"], d["high"])
            if verdict == "above":
                better.append((r["value"], l))
            elif verdict == "below":
                worse.append((r["value"], l))
    return {"values": [r["value"] for r in rows], "chosen": chosen, "budgets": base["budgets"],
            "epochs": base["epochs"], "n_validation": base["n_validation"], "representation": representation,
            "differences": differences, "better": better, "worse": worse}


# ---------------------------------------------------------------- Q1 σ
def sigma_rows(cells: dict[str, CellRun]) -> list[dict]:
    """One row per σ of the Gaussian decoder: validation and test −ELBO, reconstruction MSE, KL, and `vs_best`,
    its held-out −ELBO minus that of the best σ (`best_sigma`), paired over the images (None for the best)."""
    rows = []
    for c in sweep(cells, Q1, "gaussian_sigma"):
        g = c.metrics["models"]["gaussian"]
        rows.append({"sigma": c.node.params["gaussian_sigma"], "epochs": c.node.params["epochs"],
                     "n_validation": c.metrics["data"]["n_validation"], "n_train": c.metrics["data"]["n_train"],
                     "validation_neg_elbo": g.get("validation_neg_elbo"), "validation_mse": g.get("validation_mse"),
                     "test_neg_elbo": g["test_neg_elbo"], "test_mse": g["test_mse"], "test_kl": g["test_kl"],
                     "folder": c.folder})
    best = next((r for r in rows if r["sigma"] == best_sigma(rows, "validation_neg_elbo")), None)
    for r in rows:
        r["vs_best"] = None if best is None or r is best else _paired_images(best["folder"], r["folder"], "gaussian")
    return rows


def best_sigma(rows: list[dict], key: str) -> float | None:
    """The σ with the lowest validation value of `key` (validation_neg_elbo or validation_mse)."""
    scored = [r for r in rows if r.get(key) is not None]
    return min(scored, key=lambda r: r[key])["sigma"] if scored else None


# ---------------------------------------------------------------- architecture (mlp against conv)
def _timings(folder: Path) -> dict:
    """The run's timings.json (model -> its training seconds, seconds per epoch, ...; {} if not recorded)."""
    return json.loads((folder / "timings.json").read_text()) if (folder / "timings.json").is_file() else {}


def _seconds_per_epoch(folder: Path, models: tuple[str, ...]) -> float | None:
    """The mean training seconds per epoch of `models` in the run's timings.json (None if not recorded)."""
    timings = _timings(folder)
    values = [timings[m]["seconds_per_epoch"] for m in models if "seconds_per_epoch" in timings.get(m, {})]
    return float(np.mean(values)) if len(values) == len(models) else None


def _paired_images(a: Path, b: Path, model: str) -> dict | None:
    """Mean and standard error of b − a per held-out image of the two runs' `validation_losses[model]`."""
    from ..science.semisup import t_interval

    files = [f / "arrays" / "validation_losses.npz" for f in (a, b)]
    if not all(f.is_file() for f in files):
        return None
    with np.load(files[0]) as x, np.load(files[1]) as y:
        if model not in x or model not in y or len(x[model]) != len(y[model]):
            return None
        d = y[model].astype(np.float64) - x[model].astype(np.float64)
    mean, half = t_interval(d)
    return {"mean": mean, "low": mean - half, "high": mean + half, "se": float(d.std(ddof=1) / np.sqrt(len(d))),
            "n": len(d)}


def _paired_subsets(a: CellRun, b: CellRun, representation: str) -> dict:
    """Budget -> b − a in the chosen classifier's accuracy over the labelled subsets the two downstream cells share,
    with the intervals of `semisup.paired_differences` (simultaneous over the budgets that have several subsets)."""
    from ..science.semisup import paired_differences

    rows = [{"budget": l, "repetition": r, "representation": side, "classifier": "chosen", "accuracy": acc}
            for side, cell in (("a", a), ("b", b))
            for (l, r, rep), acc in _accuracy_by_subset(cell.folder).items() if rep == representation]
    table = paired_differences(rows, ("b", "chosen"), ("a", "chosen"))
    return {int(t.budget): {"mean": t.mean_difference, "low": findings.finite_or_none(t.ci95_low),
                            "high": findings.finite_or_none(t.ci95_high), "n": int(t.n)}
            for t in table.itertuples()}


def architecture_q1(cells: dict[str, CellRun], parameter: str = "architecture") -> list[dict]:
    """Q1's cells that differ only in `parameter` ('architecture', or 'decoder_architecture' for the decoder
    alone), the report's value (mlp, mirror) first: the held-out −ELBO and reconstruction error of their first
    decoder, its seconds per epoch, and (other rows) the paired other − first held-out −ELBO per image.
    `architecture` names the layers of the row's encoder and decoder ('mlp+conv': a dense encoder and a
    convolutional decoder)."""
    runs = sweep(cells, Q1, parameter)
    runs = sorted(runs, key=lambda c: c.node.params[parameter] not in ("mlp", "mirror"))
    return _q1_rows(runs)


def encoder_q1(cells: dict[str, CellRun]) -> list[dict]:
    """The encoder alone: `architecture_q1`'s rows for the dense VAE and the cell with the convolutional encoder and
    the dense decoder ('conv+mlp') on the same images ([] without that cell)."""
    q1 = [c for c in cells.values() if c.node.analysis == Q1 and not c.node.own]
    layers = lambda c: (c.node.params["architecture"], c.node.params["decoder_architecture"])  # noqa: E731
    rest = lambda c: {k: v for k, v in c.node.params.items() if k not in ("architecture", "decoder_architecture")}  # noqa: E731
    swapped = next((c for c in q1 if layers(c) == ("conv", "mlp")), None)
    dense = next((c for c in q1 if swapped and layers(c) == ("mlp", "mirror") and rest(c) == rest(swapped)), None)
    return _q1_rows([dense, swapped]) if dense else []


def _q1_rows(runs: list[CellRun]) -> list[dict]:
    """`architecture_q1`'s rows for `runs`, the first the reference of the paired differences."""
    rows = []
    for c in runs:
        decoder = c.node.params["decoders"][0]
        m = c.metrics["models"][decoder]
        layers = architecture_label(c.node.params["architecture"], c.node.params.get("decoder_architecture"))
        rows.append({"architecture": layers, "decoder": decoder,
                     "epochs": c.node.params["epochs"], "n_validation": c.metrics["data"]["n_validation"],
                     "validation_neg_elbo": m.get("validation_neg_elbo"), "validation_mse": m.get("validation_mse"),
                     "n_parameters": m["n_parameters"], "seconds_per_epoch": _seconds_per_epoch(c.folder, (decoder,)),
                     "n_train": c.metrics["data"]["n_train"], "threads": c.meta.get("kernel", {}).get("threads"),
                     "paired": _paired_images(runs[0].folder, c.folder, decoder) if c is not runs[0] else None})
    return rows if len(rows) > 1 and all(r["validation_neg_elbo"] is not None for r in rows) else []


def architecture_q2(cells: dict[str, CellRun], parameter: str = "architecture") -> list[dict]:
    """Q2's representation cells that differ only in `parameter` ('architecture', mlp first; or 'epochs'): held-out
    losses and errors of the VAE and the DAE, seconds per epoch, and the label-only selection's accuracy on the
    held-out images at each budget of their downstream cells; other rows add paired other − first differences
    (per image, per subset)."""
    runs = [c for c in sweep(cells, Q2R, parameter) if "validation" in c.metrics]
    runs = sorted(runs, key=lambda c: c.node.params[parameter] != "mlp")
    if len(runs) < 2:
        return []
    readers = [downstream(cells, c) for c in runs]
    budgets = readers[0].metrics["budgets"] if all(readers) else []
    rows = []
    for c, s in zip(runs, readers):
        v = c.metrics["validation"]
        base = c is runs[0]
        row = {"architecture": c.node.params["architecture"], "epochs": c.node.params["epochs"],
               "latent_dim": c.node.params["latent_dim"], "n_validation": c.metrics["data"]["n_validation"],
               "vae_loss": v["VAE"]["loss"], "dae_loss": v["DAE"]["loss"],
               "vae_mse": v["VAE"]["mse_per_pixel"], "dae_mse": v["DAE"]["mse_per_pixel"],
               "n_parameters": c.metrics["models"]["VAE"]["n_parameters"],
               "dae_n_parameters": c.metrics["models"]["DAE"]["n_parameters"],
               "seconds_per_epoch": _seconds_per_epoch(c.folder, ("VAE", "DAE")),
               "n_train": c.metrics["data"]["n_train"], "threads": c.meta.get("kernel", {}).get("threads"),
               "budgets": budgets, "accuracy": {}, "paired": {}}
        for name in ("VAE", "DAE"):
            row["paired"][name] = None if base else _paired_images(runs[0].folder, c.folder, name)
        for rep in ("vae", "dae"):
            differences = {} if base or not budgets else _paired_subsets(readers[0], s, rep)  # downstream cells may not have run yet
            for l in budgets:
                row["accuracy"][(rep, l)] = chosen_accuracy(s.metrics, rep, l)
                row["paired"][(rep, l)] = differences.get(l)
        rows.append(row)
    return rows


def equal_time_q1(cells: dict[str, CellRun]) -> dict | None:
    """The dense decoder given the convolutional decoder's training time: the Q1 cells that differ only in
    `epochs` (the dense mirror; the longest run is the equal-time one) against the cell of the convolutional decoder
    on the same encoder and images. Returns the epochs and training seconds of both and `paired`, the dense −
    convolutional held-out −ELBO per image (None without those cells or their held-out losses)."""
    conv = [c for c in sweep(cells, Q1, "decoder_architecture") if c.node.params["decoder_architecture"] == "conv"]
    pair = _equal_time_pair(sweep(cells, Q1, "epochs"), conv, ("epochs", "decoder_architecture"))
    if pair is None or pair[0].node.params.get("decoder_architecture") != "mirror":
        return None
    dense, conv = pair
    decoder = dense.node.params["decoders"][0]
    paired = _paired_images(conv.folder, dense.folder, decoder)
    if paired is None:
        return None
    return {**_equal_time_cost(dense, conv, (decoder,)), "decoder": decoder, "paired": paired,
            "dense_better": paired["high"] < 0, "conv_better": paired["low"] > 0}


def equal_time_q2(cells: dict[str, CellRun]) -> dict | None:
    """The dense VAE and DAE given the convolutional models' training time: the Q2 cells that differ only in
    `epochs` (the longest is the equal-time one) against the convolutional cell on the same images. `paired`
    (VAE) and `dae_paired`: dense − convolutional held-out loss per image; `accuracy`: (code, budget) -> dense −
    convolutional accuracy of the label-only selection, paired over the shared labelled subsets; `dense_better` /
    `conv_better` follow the VAE's interval."""
    conv = [c for c in sweep(cells, Q2R, "architecture") if c.node.params["architecture"] == "conv"]
    pair = _equal_time_pair(sweep(cells, Q2R, "epochs"), conv, ("epochs", "architecture"))
    if pair is None:
        return None
    dense, conv = pair
    paired = {name: _paired_images(conv.folder, dense.folder, name) for name in ("VAE", "DAE")}
    if None in paired.values():
        return None
    readers = [downstream(cells, c) for c in (conv, dense)]
    accuracy = {}
    if all(readers):
        for rep in ("vae", "dae"):
            accuracy.update({(rep, l): d for l, d in _paired_subsets(readers[0], readers[1], rep).items()})
    return {**_equal_time_cost(dense, conv, ("VAE", "DAE")), "paired": paired["VAE"], "dae_paired": paired["DAE"],
            "accuracy": accuracy, "dense_better": paired["VAE"]["high"] < 0, "conv_better": paired["VAE"]["low"] > 0}


def _equal_time_pair(longer: list[CellRun], conv: list[CellRun], differing: tuple[str, ...]):
    """(the longest dense run of an epochs sweep, the convolutional cell) when they differ only in `differing`."""
    if len(longer) < 2 or not conv:
        return None
    same = lambda c: {k: v for k, v in c.node.params.items() if k not in differing}
    return (longer[-1], conv[0]) if same(longer[-1]) == same(conv[0]) else None


def _equal_time_cost(dense: CellRun, conv: CellRun, models: tuple[str, ...]) -> dict:
    """The epochs and training seconds (summed over `models`; None if not recorded) of both runs, and the dense
    run's number of training images."""
    def seconds(c):
        values = [_timings(c.folder).get(m, {}).get("train_seconds") for m in models]
        return None if None in values else sum(values)
    return {"epochs": dense.node.params["epochs"], "n_train": dense.metrics["data"]["n_train"],
            "conv_epochs": conv.node.params["epochs"], "seconds": seconds(dense), "conv_seconds": seconds(conv)}


def architecture_verdict(rows: list[dict], paired: str | None = None) -> dict | None:
    """From architecture_q1/q2 rows (mlp, conv): the conv row's paired held-out loss difference (`paired` names
    the model in a Q2 row's paired differences), the time ratio conv / mlp per epoch, and which architecture the
    interval of the difference favours."""
    if len(rows) < 2:
        return None
    mlp, conv = rows[0], rows[1]
    difference = conv["paired"][paired] if paired else conv["paired"]
    ratio = (conv["seconds_per_epoch"] / mlp["seconds_per_epoch"]
             if conv["seconds_per_epoch"] and mlp["seconds_per_epoch"] else None)
    return {"paired": difference, "time_ratio": ratio,
            "conv_better": difference is not None and difference["high"] < 0,
            "mlp_better": difference is not None and difference["low"] > 0}
