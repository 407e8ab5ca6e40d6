"""Facts the report's prose states, derived from what the analyses wrote (never typed by hand).

Each function takes an analysis's metrics dict and returns plain values, so the sentences in
`report/*.qmd` change when the results change.
"""

from __future__ import annotations

from .semisup import CLASSIFIER_LABELS

REPRESENTATIONS = {"vae": "VAE codes", "dae": "DAE codes", "pixels": "raw pixels"}

# Raw-pixel test accuracies on all 60000 labels from the Fashion-MNIST benchmark (Xiao et al., 2017,
# github.com/zalandoresearch/fashion-mnist, best setting per classifier family).
PUBLISHED_BASELINES = {"svm_rbf": 0.897, "random_forest": 0.873, "mlp": 0.871, "knn": 0.854, "logreg": 0.842}


def _rows(metrics: dict, representation: str, budget: int | None = None) -> list[dict]:
    return [r for r in metrics["summary"] if r["representation"] == representation
            and (budget is None or r["budget"] == budget)]


def best_at(metrics: dict, representation: str, budget: int) -> dict:
    """The classifier with the highest mean test accuracy for a representation and budget (ties: name)."""
    rows = sorted(_rows(metrics, representation, budget), key=lambda r: (-r["mean_accuracy"], r["classifier"]))
    return rows[0]


def accuracy(metrics: dict, representation: str, classifier: str, budget: int) -> dict:
    return next(r for r in _rows(metrics, representation, budget) if r["classifier"] == classifier)


def semisup_facts(metrics: dict) -> dict:
    budgets = metrics["budgets"]
    lo, hi = budgets[0], budgets[-1]
    codes = [r for r in ("vae", "dae") if _rows(metrics, r)]
    has_pixels = bool(_rows(metrics, "pixels"))
    best = {rep: {l: best_at(metrics, rep, l) for l in budgets} for rep in codes}
    facts = {"budgets": budgets, "low": lo, "high": hi, "codes": codes, "has_pixels": has_pixels, "best": best}
    winner = {l: max(codes, key=lambda rep: (best[rep][l]["mean_accuracy"], rep == "vae")) for l in budgets}
    facts["winner"] = winner
    facts["vae_wins"] = [l for l in budgets if winner[l] == "vae"]
    facts["dae_wins"] = [l for l in budgets if winner[l] == "dae"]
    best_code = {l: best[winner[l]][l] for l in budgets}
    facts["best_code"] = best_code
    paired = metrics.get("paired", [])
    facts["vae_minus_dae_mlp"] = {r["budget"]: r for r in paired if r["a"] == "vae/mlp" and r["b"] == "dae/mlp"}
    if has_pixels:
        pix = {l: accuracy(metrics, "pixels", "mlp", l) for l in budgets}
        facts["pixels"] = pix
        facts["rep_beats_pixels"] = {rep: [l for l in budgets if best[rep][l]["mean_accuracy"] > pix[l]["mean_accuracy"]]
                                     for rep in codes}
        facts["codes_beat_pixels"] = [l for l in budgets if best_code[l]["mean_accuracy"] > pix[l]["mean_accuracy"]]
        facts["pixels_beat_codes"] = [l for l in budgets if l not in facts["codes_beat_pixels"]]
        crossing = next((l for l in budgets if l in facts["pixels_beat_codes"]), None)
        facts["crossing"] = crossing
        facts["gain_low"] = best_code[lo]["mean_accuracy"] - pix[lo]["mean_accuracy"]
        facts["gain_high"] = best_code[hi]["mean_accuracy"] - pix[hi]["mean_accuracy"]
        facts["baselines"] = [
            {"classifier": CLASSIFIER_LABELS[c], "published": acc,
             "ours_pixels": pix[hi]["mean_accuracy"] if c == "mlp" else None,
             "ours_vae": accuracy(metrics, "vae", c, hi)["mean_accuracy"] if _has(metrics, "vae", c, hi) else None,
             "ours_dae": accuracy(metrics, "dae", c, hi)["mean_accuracy"] if _has(metrics, "dae", c, hi) else None}
            for c, acc in PUBLISHED_BASELINES.items()]
        facts["benchmark_above"] = {
            key: [b["classifier"] for b in facts["baselines"] if b[f"ours_{key}"] is not None
                  and b[f"ours_{key}"] > b["published"]] for key in ("vae", "dae", "pixels")}
    return facts


def _has(metrics, rep, clf, budget) -> bool:
    return any(r["classifier"] == clf for r in _rows(metrics, rep, budget))


def summary_pivot(metrics: dict, budgets: list[int]) -> list[dict]:
    """Rows (representation, classifier) x columns budgets of 'mean ± std' accuracy in percent."""
    cells = {}
    for r in metrics["summary"]:
        if r["budget"] in budgets:
            key = (r["representation"], r["classifier"])
            spread = f" ± {100 * r['std_accuracy']:.1f}" if r["n"] > 1 else ""
            cells.setdefault(key, {})[r["budget"]] = f"{100 * r['mean_accuracy']:.1f}{spread}"
    order = {"vae": 0, "dae": 1, "pixels": 2}
    return [{"representation": REPRESENTATIONS[rep], "classifier": CLASSIFIER_LABELS[clf],
             **{str(l): vals.get(l, "–") for l in budgets}}
            for (rep, clf), vals in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))]


def generation_facts(metrics: dict) -> dict:
    gen = metrics["generation"]
    fd = {k: v["frechet_distance"] for k, v in gen.items()}
    order = sorted(fd, key=fd.get)
    return {"fd": fd, "ranking": order, "vae": gen["VAE, z ~ N(0, I)"], "dae_prior": gen["DAE, code ~ N(0, I)"],
            "dae_fitted": gen["DAE, code ~ fitted Gaussian"], "real": gen["real test images"]}


def reconstruction_facts(metrics: dict) -> dict:
    rec = metrics["reconstruction"]
    better = min(rec, key=lambda k: rec[k]["nll_nats"])
    worse = max(rec, key=lambda k: rec[k]["nll_nats"])
    return {"better": better, "worse": worse, "rec": rec,
            "gap_nats": rec[worse]["nll_nats"] - rec[better]["nll_nats"]}


def display_budgets(budgets: list[int], wanted=(100, 1000, 10000, 60000)) -> list[int]:
    """The budgets a page-wide table shows: all if few, else the first, the last and round decades."""
    if len(budgets) <= 4:
        return list(budgets)
    picked = [b for b in budgets if b in wanted or b in (budgets[0], budgets[-1])]
    return picked[:5]


def active_units(encodings_path, threshold: float = 0.01) -> dict:
    """Latent dimensions whose posterior mean varies across the training images (variance > threshold,
    the 'active units' criterion of Burda et al., 2016); codes are read from the saved encodings."""
    import numpy as np

    with np.load(encodings_path) as data:
        variance = data["vae_train"].var(axis=0)
    return {"active": int(np.sum(variance > threshold)), "total": int(len(variance)), "threshold": threshold}
