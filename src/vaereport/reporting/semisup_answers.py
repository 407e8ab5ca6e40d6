"""Q2.3's answers, decided from the paired comparisons of `q2_semisupervised` and returned as sentences.

`facts(metrics, protocol)` gathers what the answers rest on; each `*_answer` function returns one sentence
(Markdown) and is tested branch by branch. Every "beat", "ahead" or "behind" rests on a paired interval that
excludes zero and holds simultaneously over the budgets of its comparison (`semisup.paired_differences`).
"""

from __future__ import annotations

from ..science.graph_ssl import METHOD_LABELS
from ..science.semisup import CLASSIFIER_LABELS, PROTOCOLS, REPRESENTATION_LABELS, YARDSTICK_NAME
from .findings import interval_verdict
from .formatting import and_list, capitalize_first, fmt


def method_label(method: str) -> str:
    """'label-only selection', 'logistic regression', 'Laplace learning', ... (lower-case start)."""
    if method == "chosen":
        return "the label-only selection"
    if method == "finetune":
        return "fine-tuning"
    if method in METHOD_LABELS:
        return METHOD_LABELS[method]
    return "the fixed MLP" if method == "mlp" else CLASSIFIER_LABELS[method]


def method_title(method: str) -> str:
    """'Label-only selection', 'Poisson learning', 'Fine-tuning': a method's name as a heading or table entry."""
    return capitalize_first(method_label(method).removeprefix("the "))


def points(d: dict) -> str:
    """'+3.1 points [0.4, 5.8]' (percentage points with the simultaneous interval), or '+3.1 points (one run)'."""
    mean = f"{100 * d['mean_difference']:+.1f} points"
    if d.get("ci95_low") is None:
        return f"{mean} (one run)"
    return f"{mean} [{100 * d['ci95_low']:.1f}, {100 * d['ci95_high']:.1f}]"


def budgets_text(budgets: list[int]) -> str:
    """'100, 300 and 1,000' ('no budget' for none)."""
    words = [fmt(b) for b in sorted(budgets)]
    if not words:
        return "no budget"
    return and_list(words)


def at_budgets(budgets: list[int]) -> str:
    """'at 100 and 300 labels', or 'at no budget'."""
    return f"at {budgets_text(budgets)} labels" if budgets else "at no budget"


def method_on_input(method: str, rep: str) -> str:
    """'Poisson learning on DAE codes', 'the VAE's encoder fine-tuned on the labelled images', 'the same network
    from random weights' (fine-tuning's start on raw pixels)."""
    if method == "finetune":
        return "the same network from random weights" if rep == "pixels" else \
            f"the {rep.upper()}'s encoder fine-tuned on the labelled images"
    return f"{method_label(method)} on {REPRESENTATION_LABELS[rep]}"


def _finite(value):
    return None if value is None or value != value else value


def facts(metrics: dict, protocol: str) -> dict:
    """For one sampling protocol: every comparison against the yardstick (the label-only selection on raw pixels)
    per budget, with its interval, which holds simultaneously over all of them (every method, input and budget:
    the answer picks among them; `semisup.simultaneous_versus_yardstick`), and its verdict ('gains': above;
    'losses': below); the mean accuracy of each (input, method, budget); and each like-for-like comparison
    between inputs (`between`, by (a, b, budget); those with pixels' label-only selection are the yardstick's)."""
    rows = [r for r in metrics["paired"] if r.get("protocol", "uniform") == protocol]
    versus, between = [], {}
    for r in rows:
        d = {**r, "budget": int(r["budget"]), "ci95_low": _finite(r["ci95_low"]), "ci95_high": _finite(r["ci95_high"])}
        d["verdict"] = interval_verdict(d["ci95_low"], d["ci95_high"])
        between[(r["a"], r["b"], int(r["budget"]))] = d
        if r["b"] == YARDSTICK_NAME:
            rep, method = r["a"].split("/")
            versus.append({**d, "input": rep, "method": method})
    means = {(r["representation"], r["classifier"], int(r["budget"])): r["mean_accuracy"]
             for r in metrics["summary"] if r.get("protocol", "uniform") == protocol}
    budgets = sorted({int(r["budget"]) for r in versus} | {l for _, _, l in means})
    single = sorted({v["budget"] for v in versus if v["verdict"] == "single run"})
    return {"protocol": protocol, "budgets": budgets, "versus": versus, "between": between, "means": means,
            "single": single, "n_versus": len(versus),
            "gains": [v for v in versus if v["verdict"] == "above"],
            "losses": [v for v in versus if v["verdict"] == "below"],
            "inputs": metrics.get("inputs", ["vae", "dae", "pixels"])}


def _families(F: dict) -> str:
    """The families of methods that use the unlabelled images, as compared: 'the label-only selection on the codes
    or on PCA, graph learning over all images, or a fine-tuned pretrained encoder'."""
    methods = {v["method"] for v in F["versus"]}
    parts = ["the label-only selection on the codes" + (" or on PCA" if "pca" in F["inputs"] else "")]
    if methods & set(METHOD_LABELS):
        parts.append("graph learning over all images")
    if "finetune" in methods:
        parts.append("a fine-tuned pretrained encoder")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + ", or " + parts[-1]


def _largest(found: list[dict]) -> dict:
    return max(found, key=lambda v: (v["mean_difference"], v["input"], v["method"]))


def benefit_answer(F: dict) -> str:
    """Was it beneficial to use the unlabelled images? Yes where some method that uses them (a code or PCA, a graph
    over all images, a pretrained encoder) beat the label-only selection on raw pixels given the same labels —
    "Mostly no" where more comparisons fell below it than rose above it; if none did, the largest difference is
    named with its interval, so that "not shown" is not read as "no"."""
    gains = F["gains"]
    single = f" ({budgets_text(F['single'])} labels: one subset, no interval)" if F["single"] else ""
    if not gains:
        text = (f"No: no method that uses the unlabelled images — {_families(F)} — was shown to beat the label-only "
                f"selection on raw pixels given the same labels, at any budget with an interval{single}")
        ahead = [v for v in F["versus"] if v["ci95_low"] is not None and v["mean_difference"] > 0]
        if ahead:
            top = _largest(ahead)
            text += (f"; the largest difference, {method_on_input(top['method'], top['input'])} with "
                     f"{fmt(top['budget'])} labels, is {points(top)}, an interval that includes zero")
        return text
    helped = sorted({v["budget"] for v in gains})
    top = _largest([v for v in gains if v["budget"] == helped[0]])
    at = f"with {fmt(top['budget'])} labels " if len(helped) > 1 else ""
    n = len(F["losses"])
    if len(gains) < n:  # more comparisons fell below the yardstick than rose above it
        text = (f"Mostly no: only {len(gains)} of the {F['n_versus']} comparisons beat the label-only selection on raw "
                f"pixels given the same labels, at {budgets_text(helped)} labels ({at}the largest: "
                f"{method_on_input(top['method'], top['input'])}, {points(top)})")
    else:
        text = (f"Yes, in {len(gains)} of the {F['n_versus']} comparisons, at {budgets_text(helped)} labels: {at}"
                f"{method_on_input(top['method'], top['input'])} beat the label-only selection on raw pixels given the "
                f"same labels by {points(top)}")
    rest = [l for l in F["budgets"] if l not in helped and l not in F["single"]]
    below = f"; {n} {'was' if n == 1 else 'were'} below it" if n else ""
    return text + below + (f"; at {budgets_text(rest)} labels none was above it" if rest else "") + single


def gains_detail(F: dict) -> str:
    """Which methods beat the label-only selection on pixels at each budget where one did (the evidence under the answer)."""
    parts = []
    for l in sorted({v["budget"] for v in F["gains"]}):
        found = sorted((v for v in F["gains"] if v["budget"] == l), key=lambda v: -v["mean_difference"])
        names = [f"{method_on_input(v['method'], v['input'])} ({points(v)})" for v in found[:3]]
        more = f" and {len(found) - 3} more" if len(found) > 3 else ""
        parts.append(f"with {fmt(l)} labels {', '.join(names)}{more}")
    return "; ".join(parts)


def losses_detail(F: dict) -> str:
    """Where a method that uses the unlabelled images fell below the yardstick by an interval ('' where none did):
    how many such comparisons, at which budgets, and the largest."""
    losses = F["losses"]
    if not losses:
        return ""
    worst = min(losses, key=lambda v: (v["mean_difference"], v["input"], v["method"]))
    return (f"Below the yardstick by an interval {'was' if len(losses) == 1 else 'were'} {len(losses)} of the "
            f"{F['n_versus']} comparisons, "
            f"{at_budgets(sorted({v['budget'] for v in losses}))}; the largest gap, "
            f"{method_on_input(worst['method'], worst['input'])} with {fmt(worst['budget'])} labels, is {points(worst)}.")


def finetune_detail(F: dict) -> str:
    """Fine-tuning against its own control, the same network trained from random weights on the same labels (the
    MLP on raw pixels): each encoder's paired difference per budget ('' without fine-tuning)."""
    parts = []
    for rep in ("vae", "dae"):
        rows = sorted((d for (a, b, l), d in F["between"].items() if a == f"{rep}/finetune" and b == "pixels/finetune"),
                      key=lambda d: d["budget"])
        if rows:
            parts.append(f"the {rep.upper()}'s encoder " + ", ".join(f"{points(d)} at {fmt(d['budget'])}" for d in rows))
    if not parts:
        return ""
    return (f"Against its own control, the same network trained from random weights on the same labels, fine-tuning "
            f"gives {and_list(parts)} labels (intervals simultaneous over the budgets).")


def _resolved_lead(F: dict, method: str, leader: str, budget: int) -> bool:
    """True if `leader` is ahead of every other input under `method` at `budget` by a paired interval."""
    for rep in F["inputs"]:
        if rep == leader or F["means"].get((rep, method, budget)) is None:
            continue
        d = F["between"].get((f"{leader}/{method}", f"{rep}/{method}", budget))
        flipped = F["between"].get((f"{rep}/{method}", f"{leader}/{method}", budget))
        if d is not None and d["verdict"] == "above":
            continue
        if flipped is not None and flipped["verdict"] == "below":
            continue
        return False
    return True


def _resolved_leaders(F: dict, methods: list[str]) -> dict[str, list[tuple[str, int]]]:
    """{input: [(method, budget)]} where that input was ahead of every other input under the method at the budget
    by a paired interval (the like-for-like comparisons), in the order of `F['inputs']`."""
    found: dict[str, list[tuple[str, int]]] = {}
    for m in methods:
        for l in F["budgets"]:
            present = [rep for rep in F["inputs"] if F["means"].get((rep, m, l)) is not None]
            for rep in present:
                if len(present) > 1 and _resolved_lead(F, m, rep, l):
                    found.setdefault(rep, []).append((m, l))
    return {rep: found[rep] for rep in F["inputs"] if rep in found}


def _where(cells: list[tuple[str, int]]) -> str:
    """'the label-only selection at 300 labels and Poisson learning and fine-tuning at 100 and 300 labels'."""
    by_method: dict[str, list[int]] = {}
    for m, l in cells:
        by_method.setdefault(m, []).append(l)
    by_budgets: dict[tuple, list[str]] = {}  # methods that led at the same budgets are named together
    for m, ls in by_method.items():
        by_budgets.setdefault(tuple(ls), []).append(method_label(m))
    return and_list([f"{and_list(ms)} at {budgets_text(list(ls))} labels" for ls, ms in by_budgets.items()])


def representation_answer(F: dict, methods: list[str], seed_lost: list | None = None) -> str:
    """Which representation worked best? Like for like (the same method and labelled subsets for every input:
    `methods`, e.g. the label-only selection, each graph solver and fine-tuning): the inputs that were ahead of
    every other input by a paired interval, and where. One such input is the answer; several make it depend on
    the method; none, no answer. `seed_lost`: the (method, budget) pairs whose VAE − DAE lead is no longer
    resolved once the autoencoders' training seed is counted, named at the end."""
    answer = _representation_answer(F, methods)
    if seed_lost:
        answer += (f"; counting the autoencoders' training seed, the lead with {_where(seed_lost)} is no longer "
                   f"resolved")
    return answer


def _representation_answer(F: dict, methods: list[str]) -> str:
    if not any(F["means"].get((rep, m, l)) is not None for m in methods for l in F["budgets"] for rep in F["inputs"]):
        return "No representation could be compared"
    leaders = _resolved_leaders(F, methods)
    name = lambda rep: REPRESENTATION_LABELS[rep]  # noqa: E731
    if not leaders:
        return ("None was shown to be best: under no method and budget was one input ahead of every other by a "
                "paired interval")
    if len(leaders) == 1:
        (rep, cells), = leaders.items()
        return (f"{name(rep)[0].upper() + name(rep)[1:]}, where any input led: ahead of every other input by a paired "
                f"interval with {_where(cells)}; no other input led by an interval")
    parts = [f"{name(rep)} with {_where(cells)}" for rep, cells in leaders.items()]
    return (f"It depends on the method: ahead of every other input by a paired interval were {'; '.join(parts)}"
            f"{_codes_tally(F, methods)}")


def code_leads(F: dict, methods: list[str]) -> dict[tuple[str, int], str]:
    """(method, budget) -> 'vae', 'dae' or 'undecided': which code was ahead of the other by a paired interval with
    the same method and labelled subsets (only the comparisons that have an interval)."""
    leads = {}
    for m in methods:
        for l in F["budgets"]:
            for a, b in (("vae", "dae"), ("dae", "vae")):  # the pair's first input is `a`; 'above' means a leads
                d = F["between"].get((f"{a}/{m}", f"{b}/{m}", l))
                if d is not None and d["ci95_low"] is not None:
                    leads[(m, l)] = {"above": a, "below": b}.get(d["verdict"], "undecided")
    return leads


def _codes_tally(F: dict, methods: list[str]) -> str:
    """'. Between the two codes, DAE codes were ahead in 7 of the 12 like-for-like comparisons with an interval
    (…), VAE codes in 4 (…)' ('' without VAE-against-DAE comparisons)."""
    leads = code_leads(F, methods)
    if not leads:
        return ""
    ahead = {rep: [k for k, v in leads.items() if v == rep] for rep in ("dae", "vae")}
    first, second = sorted(ahead, key=lambda rep: -len(ahead[rep]))
    where = lambda rep: f" ({_where(ahead[rep])})" if ahead[rep] else ""  # noqa: E731
    return (f". Between the two codes, {REPRESENTATION_LABELS[first]} were ahead by a paired interval in "
            f"{len(ahead[first])} of the {len(leads)} like-for-like comparisons with an interval{where(first)}, "
            f"{REPRESENTATION_LABELS[second]} in {len(ahead[second])}{where(second)}")


def protocol_answer(uniform: dict, balanced: dict) -> str | None:
    """Where some method using the unlabelled images beat the label-only selection on pixels under each protocol, at the
    budgets both protocols have (the protocols use different subsets, so this is no test of a protocol effect);
    None without shared budgets."""
    shared = sorted(set(uniform["budgets"]) & set(balanced["budgets"]))
    if not shared:
        return None
    u = sorted({v["budget"] for v in uniform["gains"] if v["budget"] in shared})
    b = sorted({v["budget"] for v in balanced["gains"] if v["budget"] in shared})
    if u == b:
        return (f"Class-balanced labelled subsets (l/10 per class, {budgets_text(shared)} labels) give the same answer: "
                f"a method using the unlabelled images beat the label-only selection on pixels {at_budgets(u)}")
    return (f"The protocols differ: with class-balanced subsets (l/10 per class) a method using the unlabelled images "
            f"beat the label-only selection on pixels {at_budgets(b)}, with uniform draws {at_budgets(u)} (of {budgets_text(shared)})")


def protocol_name(protocol: str) -> str:
    return PROTOCOLS[protocol]


def graph_methods_text(methods: list[str]) -> str:
    """'Laplace learning (the harmonic solution) and Poisson learning, the latter also rebalanced to the class
    proportions of the l labels (the package's volume projection)'."""
    solvers = [m for m in methods if not m.endswith("_priors")]
    names = {"laplace": "Laplace learning (the harmonic solution)", "poisson": "Poisson learning"}
    text = " and ".join(names[m] for m in solvers)
    rebalanced = [METHOD_LABELS[m[: -len("_priors")]] for m in methods if m.endswith("_priors")]
    if rebalanced:
        text += (f", {' and '.join(rebalanced)} also rebalanced to the class proportions of the $l$ labels (the "
                 "package's volume projection)")
    return text


def like_for_like_methods(metrics: dict) -> list[str]:
    """The methods every input is compared under: the label-only selection, each graph solver and fine-tuning
    (pixels: the same network from random weights)."""
    graph = metrics.get("graph") or {}
    solvers = [m for m in graph.get("methods", []) if not m.endswith("_priors")]
    return ["chosen", *solvers, *(["finetune"] if metrics.get("finetune") else [])]


def pca_answer(F: dict) -> str | None:
    """How PCA of the pixels — the yardstick that also learns from the unlabelled images, without an autoencoder —
    compares with each code under the label-only selection; None without PCA."""
    if "pca" not in F["inputs"]:
        return None
    parts = []
    for rep in ("vae", "dae"):
        if rep not in F["inputs"]:
            continue
        ahead, behind = [], []
        for l in F["budgets"]:
            d = F["between"].get((f"{rep}/chosen", "pca/chosen", l))
            flipped = F["between"].get(("pca/chosen", f"{rep}/chosen", l))
            verdict = d["verdict"] if d else {"above": "below", "below": "above"}.get(flipped["verdict"]) if flipped else None
            (ahead if verdict == "above" else behind if verdict == "below" else []).append(l)
        name = REPRESENTATION_LABELS[rep]
        if ahead and behind:
            parts.append(f"{name} were ahead of it at {budgets_text(ahead)} labels and behind at {budgets_text(behind)} labels")
        elif ahead:
            parts.append(f"{name} were ahead of it at {budgets_text(ahead)} labels and not separated elsewhere")
        elif behind:
            parts.append(f"{name} were behind it at {budgets_text(behind)} labels and not separated elsewhere")
        else:
            parts.append(f"{name} were not separated from it at any budget")
    return "Against PCA of the pixels at the codes' size, with the label-only selection on both, " + "; ".join(parts)


def vae_code_answer(stats: dict | None, code_dim: int, code_rows: list[dict], where: str) -> str:
    """Why the VAE codes do what they do in 2.3: how many of the code's dimensions are active and their share of
    the KL (`vae_code_stats`), then the code size a criterion without labels picks, the VAE's held-out −ELBO over
    the measured code sizes (`robustness.code_size_rows`, cited at `where`); '' without the statistics."""
    if not stats:
        return ""
    text = f"The VAE uses {stats['active_units']} of its {code_dim} code dimensions"
    if "kl_active_share" in stats:
        text += f", which carry {100 * stats['kl_active_share']:.1f} % of its KL to the prior (@fig-q2-kl)"
        if stats["active_units"] < code_dim:
            text += ": a unit whose posterior is the prior for every image gives a classifier nothing"
    text += "."
    from .findings import held_out_elbo_facts

    scored = [r for r in code_rows if r.get("vae_validation_neg_elbo") is not None]
    if len(scored) > 1:
        elbo = held_out_elbo_facts(scored, code_dim)
        active = ", ".join(f"{r['active_units']} of {r['latent_dim']}" for r in scored)
        resolved = "every other size's is higher" if elbo["all_above"] else \
            f"not separated from size {budgets_text(elbo['not_separated'])}"
        text += (f" Without labels, the VAE's negative ELBO on held-out training images picks code size "
                 f"{elbo['best_size']} among {budgets_text([r['latent_dim'] for r in scored])} ({resolved}; active units "
                 f"{active}; {where}).")
        same = next((r for r in scored if r["latent_dim"] == code_dim), None)
        if same and same["active_units"] > stats["active_units"]:
            text += (f" Those {same['epochs']}-epoch models still use {same['active_units']} of {code_dim} units, so the "
                     f"units switch off later in training.")
    return text
