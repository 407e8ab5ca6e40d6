"""Sentences that state a setting of the report's models and the measurement behind it, decided from a sweep's
facts (`robustness.setting_facts`): a setting is "kept" unless another value's paired interval over the labelled
subsets lies wholly above it. Each function returns one sentence (Markdown) and is tested branch by branch.
"""

from __future__ import annotations

from .formatting import fmt
from .semisup_answers import at_budgets

CODE_LABELS = {"vae": "VAE codes", "dae": "DAE codes"}


def _values(values: list) -> str:
    words = [str(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _difference(d: dict) -> str:
    """'+2.1 points (95 % interval 0.4 to 3.8)', simultaneous over the budgets."""
    return f"{100 * d['mean']:+.1f} points (95 % interval {100 * d['low']:.1f} to {100 * d['high']:.1f})"


def setting_sentence(facts: dict | None, setting: str, label, name, table: str) -> str:
    """The sentence on one setting of the Q2 autoencoders. `setting` is its noun ('corruption level'), `label(v)`
    words a value ('0.3', 'Gaussian (σ = 0.1)'), `name(v)` the setting at that value ('corruption level 0.3',
    'Bernoulli likelihood'), `table` cites the sweep's table. Without a sweep that trained the report's value
    (`facts` None), the setting is stated as fixed before training."""
    if facts is None:
        return f"The {setting} was fixed before training; no other {setting} was trained for this report."
    chosen, code = name(facts["chosen"]), CODE_LABELS[facts["representation"]]
    trained = (f"of the {setting}s {_values([label(v) for v in facts['values']])}, each trained for {facts['epochs']} "
               f"epochs and scored on {fmt(facts['n_validation'])} held-out training images")
    if not facts["better"]:
        worse = sorted({v for v, _ in facts["worse"]}, key=str)
        tail = ""
        if worse:
            budgets = sorted({l for v, l in facts["worse"]})
            tail = f"; {_values([label(v) for v in worse])} gave lower accuracy {at_budgets(budgets)}"
        return (f"The {chosen} is kept: {trained}, none gave the {code} a higher accuracy at any label "
                f"budget ({table}){tail}.")
    value, l = max(facts["better"], key=lambda vl: facts["differences"][vl]["mean"])
    return (f"The {chosen} is not the best measured: {trained}, {label(value)} gave the {code} "
            f"{_difference(facts['differences'][(value, l)])} at {fmt(l)} labels ({table}); the report's models "
            f"keep the {chosen}, fixed before training.")


def setting_answers(settings: dict[str, list[dict]], params: dict, table: str) -> dict[str, str]:
    """The sentences on the DAE's corruption level (judged by the DAE codes) and the likelihood (judged by the VAE
    codes), from the sweeps' rows (`MeasuredChoices.settings`) and the report's Q2 parameters."""
    from .robustness import setting_facts

    def facts(parameter: str, code: str):
        rows = settings.get(parameter) or []
        return setting_facts(rows, params[parameter], code) if rows and parameter in params else None

    sigma = params.get("gaussian_sigma")
    likelihood = lambda v: f"Gaussian (σ = {sigma})" if v == "gaussian" else str(v).capitalize()
    return {"corruption": setting_sentence(facts("corruption_level", "dae"), "corruption level", str,
                                           lambda v: f"corruption level {v}", table),
            "likelihood": setting_sentence(facts("likelihood", "vae"), "likelihood", likelihood,
                                           lambda v: f"{likelihood(v)} likelihood", table)}


def settings_table(settings: dict[str, list[dict]], params: dict) -> str:
    """A Markdown table of the corruption-level and likelihood sweeps: per value, the label-only selection's mean
    accuracy on each code at each budget, the VAE's active units and the held-out reconstruction error per pixel
    ('' without a sweep)."""
    rows = [(parameter, r) for parameter in ("corruption_level", "likelihood") for r in settings.get(parameter) or []]
    if not rows:
        return ""
    budgets = rows[0][1]["budgets"]
    names = {"corruption_level": "DAE corruption", "likelihood": "likelihood"}
    head = (["Setting", "Value"] + [f"{code} {fmt(l)}" for code in ("VAE", "DAE") for l in budgets]
            + ["Active units", "MSE VAE", "MSE DAE"])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join([":--"] * 2 + ["--:"] * (len(head) - 2)) + "|"]
    for parameter, r in rows:
        mark = " (report)" if r["value"] == params.get(parameter) else ""
        accuracy = [r["accuracy"].get((code, l)) for code in ("vae", "dae") for l in budgets]
        cells = [names[parameter], f"{r['value']}{mark}"] + [f"{100 * a['mean_accuracy']:.1f}" if a else "–"
                                                             for a in accuracy]
        cells += [str(r["active_units"]), *(f"{r[k]:.4f}" if r[k] is not None else "–" for k in ("vae_mse", "dae_mse"))]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_sentence(rows: list[dict], settings: dict, where: str) -> str:
    """2.3's sentence on the autoencoders' training seed, from `robustness.seed_rows` (per budget: VAE − DAE
    accuracy over seeds and subsets, `verdict` 'vae' / 'dae' / 'undecided') and `robustness.seed_settings`; without
    a seed sweep, that the intervals cover one seed."""
    if not rows:
        return "The intervals are over the labelled subsets, with one training seed per autoencoder."
    differences = "; ".join(
        f"{100 * r['mean']:+.1f} points" + (f" [{100 * r['low']:.1f}, {100 * r['high']:.1f}]" if r["low"] is not None else "")
        + f" at {fmt(r['budget'])} labels" for r in rows)
    by_verdict = {v: [r["budget"] for r in rows if r["verdict"] == v] for v in ("vae", "dae", "undecided")}
    verdicts = [f"the {v.upper()} codes lead {at_budgets(by_verdict[v])}" for v in ("vae", "dae") if by_verdict[v]]
    if by_verdict["undecided"]:
        verdicts.append(f"no difference is resolved {at_budgets(by_verdict['undecided'])}")
    seeds = _values([str(s) for s in settings["seeds"]])
    return (f"The intervals above are over the labelled subsets of one pair of autoencoders; trained again with seeds "
            f"{seeds} ({settings['epochs']}-epoch models, {where}), VAE − DAE codes is {differences}, intervals over "
            f"seeds and subsets together: {', '.join(verdicts)}.")
