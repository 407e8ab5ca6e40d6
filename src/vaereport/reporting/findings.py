"""Facts the report's prose states, derived from what the analyses wrote (never typed by hand).

Each function takes an analysis's metrics dict and returns plain values, so that every conditional
sentence in `report/*.qmd` follows the results. Words that claim something ("helped", "closer", "better")
are chosen here from intervals, and only where an interval exists.
"""

from __future__ import annotations

import math

from ..science.graph_ssl import METHOD_LABELS as GRAPH_LABELS
from ..science.semisup import CLASSIFIER_LABELS
from .formatting import pct

# Raw-pixel test accuracies on all 60000 labels from the Fashion-MNIST benchmark (Xiao et al., 2017,
# github.com/zalandoresearch/fashion-mnist, best setting per classifier family).
PUBLISHED_BASELINES = {"svm_rbf": 0.897, "random_forest": 0.873, "mlp": 0.871, "knn": 0.854, "logreg": 0.842}
SHORT_REPRESENTATION_LABELS = {"vae": "VAE", "dae": "DAE", "pca": "PCA", "pixels": "pixels"}
LABELS = {**CLASSIFIER_LABELS, "chosen": "label-only selection", "finetune": "fine-tuned encoder"}
CONFIDENT = 0.9  # a digit classifier's softmax at or above this names an image confidently (as in the Q1 analysis)
MIXED = 0.25  # a gap point's neighbourhood mixes two classes when the second most common holds at least this share


def interval_verdict(low, high) -> str:
    """'above' / 'below' when a 95 % interval of a difference excludes zero, 'unclear' when it includes
    it, 'single run' when there is no interval."""
    if low is None or high is None:
        return "single run"
    if low > 0:
        return "above"
    if high < 0:
        return "below"
    return "unclear"


def leader(low, high, above: str = "vae", below: str = "dae") -> str:
    """Which side a 95 % interval of a difference (above − below) favours: `above` or `below` when it excludes
    zero, 'undecided' when it includes zero or there is no interval."""
    return {"above": above, "below": below}.get(interval_verdict(low, high), "undecided")


def finite_or_none(value):
    """A table's NaN ("no interval") as None, the one representation of a missing interval outside tables."""
    return None if value is None or value != value else value


# ---------------------------------------------------------------- Q1
def curve_facts(model: dict) -> dict:
    """What the held-out curve of one trained model shows (see `training.curve_summary`): it over-fits where
    the last epoch is worse than the lowest one by more than `training.rise_threshold` paired standard errors
    (per-image differences on the same test images), it has flattened where it is not, and otherwise it was lowest
    at the last epoch. Also the Monte-Carlo noise of one point and the share of the late epoch-to-epoch variance it
    explains (None without repeats or steps)."""
    c = model["curve"]
    rise = c["paired_rise"]
    overfits = rise["mean"] > 0 and rise["exceeds"]
    return {**c, "overfits": overfits, "flattened": not c["lowest_at_end"] and not overfits,
            "rise_se": rise["se"], "test_above_train": c["final_gap"] > 0}


def gap_growth(model: dict) -> dict:
    """The held-out minus training loss after the first fifth of the epochs and after the last one."""
    history = model["history"]
    test, train = history["test_loss"], history["loss"]
    early = max(0, len(test) // 5 - 1)
    return {"early": test[early] - train[early], "early_epoch": early + 1,
            "late": test[-1] - train[-1], "late_epoch": len(test)}


def prior_mass_within(radius: float, dim: int = 2) -> float:
    """The mass of N(0, I) in `dim` dimensions within `radius` of the origin (chi-square CDF)."""
    from scipy.stats import chi2

    return float(chi2.cdf(radius**2, dim))


def spread_facts(q1: dict, radius: float = 2.0) -> dict:
    """The share of test means within `radius` prior standard deviations, its 95 % normal interval over the test
    images, the prior's exact share, and `verdict` 'below' / 'above' / 'unclear' for the share against it."""
    p, n = q1["latent"]["fraction_within_2_sigma"], q1["data"]["n_test"]
    half = 1.96 * math.sqrt(p * (1 - p) / n)
    prior = prior_mass_within(radius, len(q1["latent"]["std_of_means"]))
    return {"share": p, "low": p - half, "high": p + half, "prior": prior,
            "verdict": interval_verdict(p - half - prior, p + half - prior)}


def share_difference(p1: float, n1: int, p2: float, n2: int) -> dict:
    """p1 − p2 for shares of two independent samples of sizes n1 and n2, with its 95 % normal (Wald) interval."""
    d = p1 - p2
    half = 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return {"mean": d, "low": d - half, "high": d + half}


def generative_facts(q1: dict) -> dict:
    """Is the Q1 model a generative model of the digits? 'yes' when images decoded from prior samples are named
    confidently (softmax >= the `confident` level) by a classifier trained on real digits at least half as often
    as real test digits are, 'partly' when at least a quarter as often, else 'no'."""
    g = q1["generated_named"]
    ratio = g["prior_share_confident"] / g["test_share_confident"] if g["test_share_confident"] else 0.0
    counts = list(g["prior_digit_counts"])
    difference = share_difference(g["prior_share_confident"], g["n_prior_samples"],
                                  g["test_share_confident"], q1["data"]["n_test"])
    return {**g, "ratio": ratio, "share_difference": difference,
            "verdict": "yes" if ratio >= 0.5 else "partly" if ratio >= 0.25 else "no",
            "digits_drawn": sum(c > 0 for c in counts), "rarest": min(range(len(counts)), key=counts.__getitem__),
            "rarest_share": min(counts) / sum(counts)}


MOSTLY_SEPARATED = 0.7  # "most digits lie in a region of their class" from this share of correct votes


def overlap_facts(q1: dict, min_confusion: float = 0.05, separated: float = 0.9) -> dict:
    """The class pairs whose test means a k-NN vote of the training means confuses most (symmetric share of
    each class's digits voted the other), those above `min_confusion`; the plane is `separated` (classes hold
    regions of their own) when the vote names at least that share of the test digits correctly."""
    o = q1["class_overlap"]
    pairs = [p for p in o["pairs"] if p["confusion"] >= min_confusion]
    return {"pairs": pairs, "accuracy": o["accuracy"], "k": o["k"], "min_confusion": min_confusion,
            "separated": o["accuracy"] >= separated, "separated_level": separated,
            "mostly_separated": o["accuracy"] >= MOSTLY_SEPARATED, "mostly_level": MOSTLY_SEPARATED}


def gap_facts(gaps: dict) -> dict:
    """The gaps' share of the prior's mass in the disc, the decoded gap points' confidences and how many of them
    are named as one of the two classes most common among the test means around them (`n_mixed`: around how many
    of them the second class holds at least MIXED of those test means), and how often
    prior samples decoded in the gaps are confidently named digits against those elsewhere in the disc:
    `named_verdict` 'below' / 'above' / 'unclear' from the 95 % interval of that difference of shares, None when
    one of the two regions has no sample."""
    below = gaps["prior_mass_below"]
    confidence = gaps.get("confidence") or []
    n_confident = sum(c >= CONFIDENT for c in confidence)
    decoded = gaps.get("decoded_in_disc") or {}
    inside, rest = decoded.get("gaps") or {}, decoded.get("rest_of_disc") or {}
    difference = None
    if inside.get("n") and rest.get("n"):
        difference = share_difference(inside["share_confident"], inside["n"], rest["share_confident"], rest["n"])
    neighbours = gaps.get("neighbours") or []
    named = list(gaps.get("named") or [])
    return {"has_gaps": below["of_disc_mass"] > 0,
            "named_as_neighbour": sum(n in g["classes"] for n, g in zip(named, neighbours)),
            "n_mixed": sum(len(g["shares"]) > 1 and g["shares"][1] >= MIXED for g in neighbours), "mixed": MIXED,
            "mean_confidence": sum(confidence) / len(confidence) if confidence else None, "n_confident": n_confident,
            "n_points": len(confidence), "confident": CONFIDENT, "in_gaps": inside, "rest_of_disc": rest,
            "named_difference": difference,
            "named_verdict": interval_verdict(difference["low"], difference["high"]) if difference else None,
            **below}


def gap_point_rows(gaps: dict, class_names: list[str]) -> list[dict]:
    """One row per numbered least-covered point of the gaps: the two classes most common among the test means
    around it with their shares, and the digit the classifier names in the image decoded there, with its
    confidence (the table under 1.5's gap sentence)."""
    rows = []
    for i, (g, named, confidence) in enumerate(zip(gaps.get("neighbours") or [], gaps.get("named") or [],
                                                   gaps.get("confidence") or []), start=1):
        around = ", ".join(f"{pct(share, 0)} {class_names[c]}s" for c, share in zip(g["classes"], g["shares"]))
        rows.append({"point": i, "around": around, "named": class_names[named], "confidence": confidence,
                     "one_of_them": "yes" if named in g["classes"] else "no"})
    return rows


def gap_images_in_words(facts: dict) -> str | None:
    """What the images decoded in the gaps look like ('... look like <words>'), without numbers, from `gap_facts`:
    one of the two digits whose regions meet there (most points have two classes around them), digits of the
    classes around them, or mostly shapes that are none of them (at most half named as a neighbouring class);
    'drawn less distinctly than elsewhere' where prior samples decoded in the gaps are confidently named less often
    than elsewhere in the disc. None without gaps or decoded points."""
    if not facts["has_gaps"] or not facts["n_points"]:
        return None
    if facts["named_as_neighbour"] * 2 <= facts["n_points"]:
        return "shapes that are mostly none of the digits around them"
    words = ("one of the two digits whose regions meet there" if facts["n_mixed"] * 2 > facts["n_points"]
             else "digits of the classes around them")
    if facts["named_verdict"] == "below":
        words += ", drawn less distinctly than digits decoded elsewhere"
    return words


# ---------------------------------------------------------------- Q2.1-2.2
def reconstruction_facts(metrics: dict) -> dict:
    """The model with the lower test reconstruction NLL, the gap worse − better and its paired 95 % interval
    over the test images (`gap_interval`: None without per-image differences), and `resolved` when that
    interval excludes zero."""
    rec = metrics["reconstruction"]
    better = min(rec, key=lambda k: rec[k]["nll_nats"])
    worse = max(rec, key=lambda k: rec[k]["nll_nats"])
    train = {name: m["final_train_loss"] for name, m in metrics["models"].items()}
    diff = metrics.get("reconstruction_difference", {}).get("VAE - DAE")
    interval = None
    if diff is not None:
        sign = 1 if worse == "VAE" else -1
        interval = tuple(sorted((sign * diff["ci95_low"], sign * diff["ci95_high"])))
    return {"better": better, "worse": worse, "rec": rec, "gap_nats": rec[worse]["nll_nats"] - rec[better]["nll_nats"],
            "gap_interval": interval, "resolved": interval is not None and interval_verdict(*interval) == "above",
            "train_lower": min(train, key=train.get)}


def dae_task_facts(metrics: dict) -> dict:
    """The DAE's last-epoch test loss from one seeded corruption of the test images (its training task) and from
    the clean images, and `verdict` for corrupted − clean from its paired 95 % interval ('single run' without
    the per-image difference): 'below' means it reconstructs better from the corrupted copies."""
    history = metrics["models"]["DAE"]["history"]
    d = metrics.get("reconstruction_difference", {}).get("DAE corrupted - clean")
    return {"corrupted": history["corrupted_loss"][-1], "clean": history["test_loss"][-1], "difference": d,
            "verdict": interval_verdict(d["ci95_low"], d["ci95_high"]) if d else "single run"}


def generation_facts(metrics: dict) -> dict:
    """Fréchet distances with their bootstrap intervals; `closer[(a, b)]` says whether set a is closer to
    real images than set b ('above' in `interval_verdict` terms means a's distance is larger)."""
    gen = metrics["generation"]
    fd = {k: v["frechet_distance"] for k, v in gen.items()}
    diffs = metrics.get("frechet_differences", {})
    verdict = {key: interval_verdict(d["ci95_low"], d["ci95_high"]) for key, d in diffs.items()}
    return {"fd": fd, "ranking": sorted(fd, key=fd.get), "vae": gen["VAE, z ~ N(0, I)"],
            "vae_fitted": gen.get("VAE, code ~ fitted Gaussian"),
            "dae_prior": gen["DAE, code ~ N(0, I)"], "dae_fitted": gen["DAE, code ~ fitted Gaussian"],
            "real": gen["real test images"], "diffs": diffs, "verdict": verdict,
            "from_prior": _with_verdict(diffs.get(FROM_PRIOR)), "like_for_like": _with_verdict(diffs.get(LIKE_FOR_LIKE)),
            "resolvable": 1.96 * max((d["se"] for d in diffs.values()), default=float("nan"))}


def _with_verdict(d: dict | None) -> dict | None:
    return {**d, "verdict": interval_verdict(d["ci95_low"], d["ci95_high"])} if d else None


# The generation comparisons the report answers with: each model from N(0, I), and each from the same Gaussian
# fitted to its training codes (the like-for-like one).
FROM_PRIOR = "DAE, code ~ N(0, I) - VAE, z ~ N(0, I)"
LIKE_FOR_LIKE = "DAE, code ~ fitted Gaussian - VAE, code ~ fitted Gaussian"


# ---------------------------------------------------------------- Q2.3
HEADLINE_PROTOCOL = "uniform"  # Q2.3's uniform random draws: the assignment's protocol and the report's headline


def _rows(metrics: dict, representation: str, classifier: str | None = None) -> list[dict]:
    return [r for r in metrics["summary"] if r["representation"] == representation
            and (classifier is None or r["classifier"] == classifier)
            and r.get("protocol", HEADLINE_PROTOCOL) == HEADLINE_PROTOCOL]


def at(metrics: dict, representation: str, classifier: str, budget: int) -> dict | None:
    return next((r for r in _rows(metrics, representation, classifier) if r["budget"] == budget), None)


def paired(metrics: dict, a: str, b: str) -> dict[int, dict]:
    """Paired differences a - b per budget, each with its verdict; a, b are 'representation/classifier'."""
    return {r["budget"]: {**r, "verdict": interval_verdict(r["ci95_low"], r["ci95_high"])}
            for r in metrics.get("paired", []) if r["a"] == a and r["b"] == b
            and r.get("protocol", HEADLINE_PROTOCOL) == HEADLINE_PROTOCOL}


def _flip(d: dict) -> dict:
    """A paired difference a - b read as b - a."""
    out = {**d, "mean_difference": -d["mean_difference"]}
    if d.get("ci95_low") is not None:
        out["ci95_low"], out["ci95_high"] = -d["ci95_high"], -d["ci95_low"]
    out["verdict"] = interval_verdict(out.get("ci95_low"), out.get("ci95_high"))
    return out


def most_common(counts: dict) -> str:
    """The most frequent key of {name: count} (first in alphabetical order among equals)."""
    return max(sorted(counts), key=lambda k: counts[k])


def semisup_facts(metrics: dict, chosen_rows: list[dict] | None = None) -> dict:
    """Facts of Q2.3. Every verdict ('helped', 'ahead') rests on a paired interval that holds simultaneously
    over the budgets of its comparison (see `semisup.paired_differences`). `chosen_rows` (the
    chosen_classifiers table) tells which classifier each label-only selection picked, so the benchmark
    comparison can use a pixel classifier that was fitted only as a choice."""
    budgets = metrics["budgets"]
    low, high = budgets[0], budgets[-1]
    reps = [rep for rep in ("vae", "dae", "pca", "pixels") if _rows(metrics, rep, "chosen")]
    has_pixels = "pixels" in reps
    chosen = {rep: {l: at(metrics, rep, "chosen", l) for l in budgets} for rep in reps}
    facts = {"budgets": budgets, "low": low, "high": high, "has_pixels": has_pixels,
             "chosen": chosen, "reps": reps, "vae_minus_dae": paired(metrics, "vae/chosen", "dae/chosen")}
    d = facts["vae_minus_dae"]
    facts["vae_ahead"] = [l for l in budgets if d.get(l, {}).get("verdict") == "above"]
    facts["dae_ahead"] = [l for l in budgets if d.get(l, {}).get("verdict") == "below"]
    facts["unclear"] = [l for l in budgets if d.get(l, {}).get("verdict") == "unclear"]
    facts["single"] = [l for l in budgets if d.get(l, {}).get("verdict") == "single run"]
    # the code that is ahead of the other wherever they are separated (None if each leads somewhere or neither)
    facts["best_code"] = ("dae" if facts["dae_ahead"] and not facts["vae_ahead"]
                          else "vae" if facts["vae_ahead"] and not facts["dae_ahead"] else None)
    differences = {("vae", "dae"): d}
    if has_pixels:
        for rep in ("vae", "dae"):
            diff = paired(metrics, f"{rep}/chosen", "pixels/chosen")
            differences[(rep, "pixels")] = diff
            facts[f"{rep}_vs_pixels"] = diff
            facts[f"{rep}_helped"] = [l for l in budgets if diff.get(l, {}).get("verdict") == "above"]
            facts[f"{rep}_hurt"] = [l for l in budgets if diff.get(l, {}).get("verdict") == "below"]
            facts[f"{rep}_single_vs_pixels"] = [l for l in budgets if diff.get(l, {}).get("verdict") == "single run"]
            facts[f"{rep}_wide_vs_pixels"] = [l for l in budgets if diff.get(l, {}).get("verdict") == "unclear"]
        facts["helped_any"] = bool(facts["vae_helped"] or facts["dae_helped"])
        picked_at_high = {r["classifier"]: r["accuracy"] for r in (chosen_rows or [])
                          if r["representation"] == "pixels" and r["budget"] == high}
        facts["baselines"] = [
            {"classifier": CLASSIFIER_LABELS[c], "published": acc,
             "ours_pixels": (at(metrics, "pixels", c, high) or {}).get("mean_accuracy", picked_at_high.get(c)),
             "ours_vae": (at(metrics, "vae", c, high) or {}).get("mean_accuracy"),
             "ours_dae": (at(metrics, "dae", c, high) or {}).get("mean_accuracy")}
            for c, acc in PUBLISHED_BASELINES.items()]
        facts["pixel_mlp_at_high"] = (at(metrics, "pixels", "mlp", high) or {}).get("mean_accuracy")
    facts["best_input"] = {l: _best_input(chosen, differences, l) for l in budgets}
    facts["preprocessing"] = _preprocessing_facts(metrics, budgets)
    return facts


def _best_input(chosen: dict, differences: dict, budget: int) -> dict:
    """The input with the highest mean accuracy of the label-only selection at `budget`, the runner-up, their
    paired difference (best - runner-up) and whether its interval separates them ('resolved')."""
    means = {rep: per[budget]["mean_accuracy"] for rep, per in chosen.items() if per.get(budget)}
    order = sorted(means, key=means.get, reverse=True)
    best, second = order[0], (order[1] if len(order) > 1 else None)
    diff = None
    if second is not None:
        if (best, second) in differences:
            diff = differences[(best, second)].get(budget)
        elif (second, best) in differences and differences[(second, best)].get(budget):
            diff = _flip(differences[(second, best)][budget])
    return {"best": best, "second": second, "accuracy": means[best], "difference": diff,
            "resolved": bool(diff) and diff["verdict"] == "above", "order": order}


def _preprocessing_facts(metrics: dict, budgets: list[int]) -> dict:
    """Per input and budget: the preprocessing (and encoding) the label-only selection picked most often, and
    the ablation's mean test accuracy of each variant with the chosen classifiers."""
    counts = metrics.get("chosen_counts", {})
    ablation = metrics.get("ablation", [])
    out = {}
    for rep, per in counts.items():
        out[rep] = {}
        for l in budgets:
            c = per.get(str(l)) or per.get(l)
            if not c:
                continue
            variants = {(r["encoding"], r["preprocessing"]): r for r in ablation
                        if r["representation"] == rep and r["budget"] == l}
            prep, enc = most_common(c["preprocessing"]), most_common(c["encoding"])
            out[rep][l] = {"preprocessing": prep, "encoding": enc, "classifier": most_common(c["classifier"]),
                           "counts": c, "n": sum(c["preprocessing"].values()),
                           "by_preprocessing": {p: r["mean_accuracy"] for (e, p), r in variants.items() if e == enc},
                           "by_encoding": {e: r["mean_accuracy"] for (e, p), r in variants.items() if p == prep}}
    return out


def summary_pivot(metrics: dict, budgets: list[int], classifiers: list[str] | None = None) -> list[dict]:
    """Rows (input, classifier) x budgets of 'mean ± std' accuracy in percent (only `classifiers`, if given);
    the best mean per budget among the rows is in bold (every row that ties with it as printed). A single run has
    no ±."""
    cells, best = {}, {}
    for r in metrics["summary"]:
        if r.get("protocol", HEADLINE_PROTOCOL) != HEADLINE_PROTOCOL:
            continue
        if r["budget"] in budgets and (classifiers is None or r["classifier"] in classifiers):
            key = (r["representation"], r["classifier"])
            spread = f" ± {100 * r['std_accuracy']:.1f}" if r["n"] > 1 and r["std_accuracy"] is not None else ""
            cells.setdefault(key, {})[r["budget"]] = (r["mean_accuracy"], f"{100 * r['mean_accuracy']:.1f}{spread}")
            if best.get(r["budget"], -1) < r["mean_accuracy"]:
                best[r["budget"]] = r["mean_accuracy"]
    order = {"vae": 0, "dae": 1, "pca": 2, "pixels": 3}
    clf_order = {c: i for i, c in enumerate(["chosen", *GRAPH_LABELS, "finetune", *CLASSIFIER_LABELS])}

    def show(l, value):
        if value is None:
            return "–"
        return f"**{value[1]}**" if f"{100 * value[0]:.1f}" == f"{100 * best[l]:.1f}" else value[1]

    def method(rep, clf):
        if clf == "finetune" and rep == "pixels":
            return "same network, random start"
        return "fixed MLP" if clf == "mlp" else GRAPH_LABELS.get(clf) or LABELS[clf]

    return [{"representation": SHORT_REPRESENTATION_LABELS[rep], "classifier": method(rep, clf),
             **{str(l): show(l, vals.get(l)) for l in budgets}}
            for (rep, clf), vals in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], clf_order[kv[0][1]]))]


def display_budgets(budgets: list[int], wanted=(100, 300, 1000, 10000, 60000)) -> list[int]:
    """The budgets a page-wide table shows: all if at most six, else the first, the last, 300 (the few-label
    regime's second budget) and round decades, at most five."""
    if len(budgets) <= 6:
        return list(budgets)
    picked = [b for b in budgets if b in wanted or b in (budgets[0], budgets[-1])]
    return picked[:5]


# ---------------------------------------------------------------- Choices and robustness (a study's grid)
def _relation(chosen: dict, picked: dict) -> str:
    """'same' (one run), 'single' (no intervals: all labels), 'overlap', 'below' or 'above' (the chosen size's
    test interval entirely below / above the picked size's)."""
    if chosen is picked:
        return "same"
    if any(r[k] is None for r in (chosen, picked) for k in ("ci95_low", "ci95_high")):
        return "single"
    if chosen["ci95_high"] < picked["ci95_low"]:
        return "below"
    if chosen["ci95_low"] > picked["ci95_high"]:
        return "above"
    return "overlap"


def held_out_elbo_facts(rows: list[dict], chosen: int) -> dict | None:
    """The code size with the lowest held-out −ELBO on training images left out of training, and every other
    size's paired difference from it (`code_size_rows`' `vs_best`) with its verdict; None without them."""
    scored = [r for r in rows if r.get("vae_validation_neg_elbo") is not None]
    if not scored:
        return None
    best = min(scored, key=lambda r: r["vae_validation_neg_elbo"])
    others = [{"size": r["latent_dim"], **r["vs_best"], "verdict": interval_verdict(r["vs_best"]["low"], r["vs_best"]["high"])}
              for r in scored if r is not best and r.get("vs_best")]
    return {"best_size": best["latent_dim"], "best": best["vae_validation_neg_elbo"], "n_validation": best["n_validation"],
            "others": others, "all_above": bool(others) and all(o["verdict"] == "above" for o in others),
            "not_separated": [o["size"] for o in others if o["verdict"] != "above"],
            "chosen": next((o for o in others if o["size"] == chosen), None)}


def code_size_facts(rows: list[dict], chosen: int) -> dict:
    """What the code-size sweep shows. Per model and budget: the code size the labels alone would pick (the
    highest mean selection score of the chosen classifier on the labelled subsets — never the test set), its
    test accuracy, and whether the report's size's test interval overlaps the picked size's. Also the trend of
    reconstruction error and the active units."""
    sizes = [r["latent_dim"] for r in rows]
    facts = {"sizes": sizes, "chosen": chosen, "has_chosen": chosen in sizes, "accuracy": {}, "not_like_picked": []}
    at_chosen = next((r for r in rows if r["latent_dim"] == chosen), None)
    for rep in ("vae", "dae"):
        for l in rows[0]["budgets"] if rows else []:
            picked = max(rows, key=lambda r: (r["selection"][(rep, l)], -r["latent_dim"]))
            entry = {"picked_size": picked["latent_dim"], "picked": picked["accuracy"][(rep, l)],
                     "selection_score": picked["selection"][(rep, l)],
                     "chosen": at_chosen["accuracy"][(rep, l)] if at_chosen else None}
            entry["relation"] = _relation(entry["chosen"], entry["picked"]) if at_chosen else None
            entry["chosen_like_picked"] = entry["relation"] in ("same", "overlap")
            facts["accuracy"][(rep, l)] = entry
            if at_chosen and not entry["chosen_like_picked"]:
                facts["not_like_picked"].append((rep, l))
    for relation in ("below", "above", "single"):
        facts[relation] = [(rep, l) for (rep, l), e in facts["accuracy"].items() if e["relation"] == relation]
    facts["labels_pick_chosen"] = bool(facts["accuracy"]) and all(e["picked_size"] == chosen
                                                                   for e in facts["accuracy"].values())
    for model in ("vae", "dae"):
        mse = [r[f"{model}_mse"] for r in rows]
        facts[f"{model}_mse_falls"] = all(b < a for a, b in zip(mse, mse[1:]))
        facts[f"{model}_mse_range"] = (mse[0], mse[-1]) if mse else (None, None)
    largest = rows[-1] if rows else None
    facts["largest"] = {"size": largest["latent_dim"], "active": largest["active_units"]} if largest else None
    facts["max_active"] = max((r["active_units"] for r in rows), default=None)
    facts["elbo"] = held_out_elbo_facts(rows, chosen)
    for model in ("vae", "dae"):
        facts[f"{model}_mse_min_size"] = min(rows, key=lambda r: r[f"{model}_mse"])["latent_dim"] if rows else None
        best = min(rows, key=lambda r: r[f"{model}_fd"]["frechet_distance"]) if rows else None
        facts[f"{model}_fd_min_size"] = best["latent_dim"] if best else None
        # two separately trained models: a difference against 1.96 standard errors of it (the bootstrap's)
        facts[f"{model}_fd_not_separated"] = [r["latent_dim"] for r in rows
                                              if best and r is not best and _fd_overlap(r[f"{model}_fd"], best[f"{model}_fd"])]
        if at_chosen and best:
            facts[f"{model}_fd_chosen_overlaps_min"] = _fd_overlap(at_chosen[f"{model}_fd"], best[f"{model}_fd"])
    return facts


def _fd_overlap(a: dict, b: dict) -> bool:
    """Whether two runs' Fréchet distances differ by at most 1.96 standard errors of their difference."""
    return abs(a["frechet_distance"] - b["frechet_distance"]) <= 1.96 * (a["fd_se"] ** 2 + b["fd_se"] ** 2) ** 0.5


def verdict_change(before: str, now: str) -> str:
    """How a VAE − DAE verdict ('vae', 'dae' or 'undecided') changes once more randomness is counted: 'holds' (the
    same lead), 'lost' (a lead, now undecided), 'new' (undecided, now a lead), 'reversed' or 'neither' (undecided
    both times)."""
    if before == now:
        return "neither" if now == "undecided" else "holds"
    if now == "undecided":
        return "lost"
    return "new" if before == "undecided" else "reversed"


def seed_facts(rows: list[dict], report_seed: int) -> dict:
    """The seed-aware VAE − DAE verdicts ('vae', 'dae' or 'undecided') per (method, budget) of `seed_rows`, and how
    they compare with the verdict of the report's own seed alone under the same settings (its subsets-only
    interval): the (method, budget) pairs where that single pair's verdict is lost ('lost': it had one, the
    seed-aware interval includes zero), gained (it had none, the seeds together have one), reversed, or kept
    ('agree'). A single run (no interval) has no verdict."""
    where = lambda r: (r.get("method", "chosen"), r["budget"])  # noqa: E731
    verdicts = {where(r): r["verdict"] for r in rows}
    single = {}
    for r in rows:
        own = r["per_seed"].get(report_seed)
        if own is not None and own["low"] is not None:
            single[where(r)] = leader(own["low"], own["high"])
    compare = lambda *changes: [k for k, v in single.items() if verdict_change(v, verdicts[k]) in changes]  # noqa: E731
    return {"verdicts": verdicts, "single": single, "lost": compare("lost"), "gained": compare("new"),
            "reversed": compare("reversed"), "agree": compare("holds", "neither")}


def sigma_facts(rows: list[dict]) -> dict:
    """Whether, across increasing σ, the test KL term falls at every step."""
    kl = [r["test_kl"] for r in rows]
    return {"kl_falls": all(b < a for a, b in zip(kl, kl[1:]))}
