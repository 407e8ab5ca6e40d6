"""Sentences that state a setting or an architecture of the report's models and the measurement behind it:
the Q2 settings from a sweep's facts (`robustness.setting_facts`; a setting stands unless another value's paired
interval over the labelled subsets lies wholly above it), the layers from the dense-against-convolutional cells,
weighed at equal training time where the convolutional layers fit better per epoch. Each function returns
Markdown and is tested branch by branch.
"""

from __future__ import annotations

from .findings import verdict_change
from .formatting import and_list, fmt
from .semisup_answers import at_budgets, method_label, method_on_input

CODE_LABELS = {"vae": "VAE codes", "dae": "DAE codes"}
CORRUPTION_NAMES = {"gaussian": "Gaussian", "masking": "masking"}


def _interval(d: dict, scale: float = 100) -> str:
    """'95 % interval 0.4 to 3.8' (typographic minus)."""
    return f"95 % interval {fmt(scale * d['low'], 1)} to {fmt(scale * d['high'], 1)}"


def _scored_on(n_validation: int) -> str:
    return f"scored on {fmt(n_validation)} held-out training images" if n_validation else "scored on the test images"


def setting_sentence(facts: dict | None, setting: str, label, name, table: str, chosen=None, trained=None,
                     reason: str | None = None) -> str:
    """The sentence on one setting of the Q2 autoencoders. `setting` is its noun ('corruption level'), `label(v)`
    words a value ('0.3', 'Gaussian (σ = 0.1)'), `name(v)` the setting at that value ('corruption level 0.3',
    'Bernoulli likelihood'), `table` cites the sweep's table. The report's value is "chosen" where it gave the
    codes the highest mean accuracy at every budget, or for `reason` (a clause fixed before training, e.g. 'it has
    no noise scale to choose') where no other value was better beyond its interval; else "kept" or "not the best
    measured". Without facts (no sweep, or one that did not train the report's value `chosen`; `trained`: the
    values it did train), the setting is stated as fixed."""
    if facts is None:
        fixed = f"The {name(chosen)} was fixed before training" if chosen is not None else f"The {setting} was fixed before training"
        if trained:
            return f"{fixed}; the {setting}s trained for comparison, {and_list([label(v) for v in trained])}, do not include it ({table})."
        return f"{fixed}; no other {setting} was trained for this report."
    chosen, code = facts["chosen"], CODE_LABELS[facts["representation"]]
    others = [v for v in facts["values"] if v != chosen]
    trained_on = (f"of the {setting}s {and_list([label(v) for v in facts['values']])}, each trained for {facts['epochs']} "
                  f"epochs and {_scored_on(facts['n_validation'])}")
    if facts["better"]:
        value, l = max(facts["better"], key=lambda vl: facts["differences"][vl]["mean"])
        d = facts["differences"][(value, l)]
        return (f"The {name(chosen)} is not the best measured: {trained_on}, {label(value)} gave the {code} "
                f"{fmt(100 * d['mean'], 1)} points more accuracy than {label(chosen)} at {fmt(l)} labels ({_interval(d)}, "
                f"simultaneous over the budgets; {table}); the report's models keep the {name(chosen)}, fixed before training.")
    worse = [(v, [l for u, l in facts["worse"] if u == v]) for v in others]
    lower = ", ".join(f"{label(v)} {at_budgets(sorted(ls))}" for v, ls in worse if ls)
    if facts["differences"] and all(d["mean"] < 0 for d in facts["differences"].values()):
        beyond = f"beyond its interval, accuracy was lower with {lower}"
        in_order = sorted(facts["differences"].items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
        ties = [(v, l) for (v, l), d in in_order if round(100 * d["mean"], 1) == 0]
        tied = (f", level to one decimal with {and_list([f'{label(v)} at {fmt(l)} labels' for v, l in ties])}"
                if ties else "")
        if not lower:  # the highest means, but no value separated: say first that the setting matters little
            return (f"The {name(chosen)} is chosen, though no other {setting} is separated from it beyond its "
                    f"interval: {trained_on}, it gave the {code} the highest mean accuracy at every label "
                    f"budget{tied} ({table}).")
        return (f"The {name(chosen)} is chosen: {trained_on}, it gave the {code} the highest mean accuracy at every "
                f"label budget{tied} ({table}); {beyond}.")
    subject = f"{label(others[0])} did not give" if len(others) == 1 else "none of the others gave"
    tail = f"; accuracy was lower with {lower}" if lower else ""
    ahead = [(vl, d) for vl, d in facts["differences"].items() if d["mean"] > 0 and d["low"] is not None]
    if ahead:
        (v, l), d = max(ahead, key=lambda x: x[1]["mean"])
        tail = (f"; the largest difference, {label(v)} at {fmt(l)} labels, is {fmt(100 * d['mean'], 1)} points "
                f"({_interval(d)}, simultaneous over the budgets)") + tail
    verb = f"chosen: {reason}; " if reason else "kept: "
    return (f"The {name(chosen)} is {verb}{trained_on}, {subject} the {code} a higher accuracy beyond its "
            f"interval at any label budget ({table}){tail}.")


def likelihood_label(value) -> str:
    """'Bernoulli', or 'Gaussian (σ = 0.1)' for a `robustness.setting_value` ('gaussian', 0.1)."""
    if isinstance(value, (tuple, list)):
        return f"{value[0].capitalize()} (σ = {value[1]})"
    return str(value).capitalize()


def setting_answers(settings: dict[str, list[dict]], params: dict, table: str) -> dict[str, str]:
    """The sentences on the DAE's corruption level (judged by the DAE codes) and the likelihood (judged by the VAE
    codes), from the sweeps' rows (`MeasuredChoices.settings`) and the report's Q2 parameters."""
    from .robustness import setting_facts, setting_value

    specs = {"corruption": ("corruption_level", "dae", "corruption level", str,
                            lambda v: f"{CORRUPTION_NAMES.get(params.get('corruption'), 'input')} corruption of level {v}"),
             "likelihood": ("likelihood", "vae", "likelihood", likelihood_label, lambda v: f"{likelihood_label(v)} likelihood")}
    reasons = {("likelihood", "bernoulli"): ("it has no noise scale to choose, which a Gaussian likelihood adds, and it "
                                             "is the likelihood of the MNIST model of Q1")}
    answers = {}
    for key, (parameter, code, setting, label, name) in specs.items():
        rows = settings.get(parameter) or []
        chosen = setting_value(params, parameter) if parameter in params else None
        facts = setting_facts(rows, chosen, code) if rows and chosen is not None else None
        trained = [r["value"] for r in rows] if rows and facts is None else None
        answers[key] = setting_sentence(facts, setting, label, name, table, chosen, trained, reasons.get((key, chosen)))
        if key == "likelihood" and facts is not None:
            answers[key] = likelihood_sentence(answers[key], facts, rows, table)
    return answers


def _closest_prior_samples(rows: list[dict], chosen) -> dict | None:
    """Whether the VAE of `chosen` generates from the prior closer to the held-out images than every other value,
    each difference beyond its 95 % interval (bootstrap standard errors of the two distances, taken as independent);
    with the chosen and the others' distances. None without a distance for every value."""
    fd = {r["value"]: r.get("prior_fd") for r in rows}
    if len(fd) < 2 or None in fd.values() or chosen not in fd:
        return None
    own = fd[chosen]
    others = {v: d for v, d in fd.items() if v != chosen}
    closest = all(d["frechet_distance"] - own["frechet_distance"] > 1.96 * (d["fd_se"] ** 2 + own["fd_se"] ** 2) ** 0.5
                  for d in others.values())
    return {"closest": closest, "chosen": own["frechet_distance"],
            "others": sorted(d["frechet_distance"] for d in others.values()),
            "max_se": max(d["fd_se"] for d in fd.values()), "ratio": min(d["frechet_distance"] for d in others.values())
            / own["frechet_distance"]}


def likelihood_sentence(accuracy_sentence: str, facts: dict, rows: list[dict], table: str) -> str:
    """2.1(a)'s likelihood answer: `accuracy_sentence` (`setting_sentence` on the VAE codes), weighed against the
    generation the VAE is also for — the Fréchet distance of its samples from the prior to the held-out images. A
    likelihood that another value beats on the codes but that generates clearly closest is chosen for generation."""
    samples = _closest_prior_samples(rows, facts["chosen"])
    if samples is None or not samples["closest"]:
        return accuracy_sentence
    label = likelihood_label
    distances = (f"Fréchet distance {fmt(samples['chosen'], 1)}, against {fmt(samples['others'][0], 1)} to "
                 f"{fmt(samples['others'][-1], 1)} for the others; bootstrap standard errors at most "
                 f"{fmt(samples['max_se'], 1)}")
    if not facts["better"]:
        return (f"{accuracy_sentence} Its VAE's samples from the prior are also the closest to the held-out images "
                f"({distances}).")
    value, l = max(facts["better"], key=lambda vl: facts["differences"][vl]["mean"])
    d = facts["differences"][(value, l)]
    gains = {}
    for v, budget in sorted(facts["better"], key=lambda vl: (str(vl[0]), vl[1])):
        gains.setdefault(v, []).append(budget)
    where = and_list([f"{label(v)} {at_budgets(b)}" for v, b in gains.items()])
    return (f"The {label(facts['chosen'])} likelihood is chosen for generation: of the likelihoods "
            f"{and_list([label(v) for v in facts['values']])}, each trained for {facts['epochs']} epochs and "
            f"{_scored_on(facts['n_validation'])}, its VAE's samples from the prior are the closest to those images "
            f"({distances}), while beyond their intervals {where} gave the VAE codes more accuracy, at most "
            f"{fmt(100 * d['mean'], 1)} points ({label(value)}, {fmt(l)} labels, {_interval(d)}, simultaneous over "
            f"the budgets; {table}). The VAE is also the generative model of Task 2.2, and those gains come with "
            f"samples {fmt(samples['ratio'], 1)} times as far from the held-out images or farther.")


def settings_table(settings: dict[str, list[dict]], params: dict) -> str:
    """A Markdown table of the corruption-level and likelihood sweeps: per value, the label-only selection's mean
    accuracy on each code at each budget — on the code that judges the setting (DAE codes for the corruption, VAE
    codes for the likelihood), with the paired difference from the report's value and its interval — the VAE's
    active units and the held-out reconstruction error per pixel ('' without a sweep)."""
    from .robustness import setting_facts, setting_value

    names = {"corruption_level": "DAE corruption", "likelihood": "likelihood"}
    judged_by = {"corruption_level": "dae", "likelihood": "vae"}
    rows = [(parameter, r) for parameter in names for r in settings.get(parameter) or []]
    if not rows:
        return ""
    budgets = rows[0][1]["budgets"]
    facts = {p: setting_facts(settings.get(p) or [], setting_value(params, p), judged_by[p]) for p in names}
    label = {"corruption_level": str, "likelihood": likelihood_label}
    head = (["Setting", "Value"] + [f"{code} {fmt(l)}" for code in ("VAE", "DAE") for l in budgets]
            + ["Active units", "MSE VAE", "MSE DAE", "Fréchet VAE prior"])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join([":--"] * 2 + ["--:"] * (len(head) - 2)) + "|"]
    for parameter, r in rows:
        mark = " (report)" if r["value"] == setting_value(params, parameter) else ""
        cells = [names[parameter], f"{label[parameter](r['value'])}{mark}"]
        for code in ("vae", "dae"):
            for l in budgets:
                a = r["accuracy"].get((code, l))
                text = f"{100 * a['mean_accuracy']:.1f}" if a else "–"
                d = (facts[parameter] or {}).get("differences", {}).get((r["value"], l)) if code == judged_by[parameter] else None
                if d and d["low"] is not None:
                    text += f" ({fmt(100 * d['mean'], 1)} [{fmt(100 * d['low'], 1)}, {fmt(100 * d['high'], 1)}])"
                cells.append(text)
        cells += [str(r["active_units"]), *(f"{r[k]:.4f}" if r[k] is not None else "–" for k in ("vae_mse", "dae_mse"))]
        cells.append(fmt(r["prior_fd"]["frechet_distance"], 1) if r.get("prior_fd") else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _by_method(rows: list[dict]) -> dict[str, list[dict]]:
    """`seed_rows` grouped by method, in their order (rows without a method are the label-only selection's)."""
    grouped: dict[str, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r.get("method", "chosen"), []).append(r)
    return grouped


def _seed_verdicts(rows: list[dict], undecided: str, numbers: bool = False) -> str:
    """Per method: 'with Poisson learning, the DAE codes lead at 100 labels and no difference is resolved at 300
    labels' (`seed_rows`' verdicts; `numbers` adds each resolved difference); methods joined by semicolons, and the
    method named only when there are several."""
    grouped = _by_method(rows)
    parts = []
    for method, mine in grouped.items():
        clauses = []
        for v in ("vae", "dae"):
            led = [r for r in mine if r["verdict"] == v]
            if led:
                sizes = "; ".join(f"{fmt(100 * r['mean'], 1)} points, {_interval(r)}" for r in led) if numbers else ""
                clauses.append(f"the {v.upper()} codes lead {at_budgets([r['budget'] for r in led])}"
                               + (f" ({sizes})" if sizes else ""))
        open_ = [r["budget"] for r in mine if r["verdict"] == "undecided"]
        if open_:
            clauses.append(f"{undecided} {at_budgets(open_)}")
        named = f"with {method_label(method)}, " if len(grouped) > 1 else ""
        parts.append(named + and_list(clauses))
    return "; ".join(parts)


def seed_sentence(rows: list[dict], settings: dict, where: str) -> str:
    """2.3's sentence on the autoencoders' training seed, from `robustness.seed_rows` (per method and budget: VAE −
    DAE accuracy over seeds and subsets, `verdict` 'vae' / 'dae' / 'undecided') and `robustness.seed_settings`;
    without a seed sweep, that the intervals cover one seed."""
    if not rows:
        return "The intervals are over the labelled subsets, with one training seed per autoencoder."
    seeds = and_list([str(s) for s in settings["seeds"]])
    return (f"The intervals of @tbl-q2-accuracy are over the labelled subsets of one pair of autoencoders. With the "
            f"pair trained again from seeds {seeds} ({settings['epochs']}-epoch models, {where}) and intervals over "
            f"seeds and subsets together, VAE against DAE codes: "
            f"{_seed_verdicts(rows, 'no difference is resolved', numbers=True)}.")


def seed_caveat(rows: list[dict], settings: dict, main: dict | None = None) -> str:
    """What VAE − DAE is once the autoencoders' seed is counted, for the Summary's clause after 2.3's representation
    answer and the seed section's first sentence ('' without a seed sweep). With `main`, the report's own models'
    verdicts by (method, budget) (`semisup_answers.code_leads`), it says which of them hold."""
    if not rows:
        return ""
    head = f"Counting the autoencoders' training seed ({len(settings['seeds'])} trainings of {settings['epochs']} epochs), "
    if main is None:
        return head + f"{_seed_verdicts(rows, 'VAE against DAE codes is not resolved')}."
    return head + "; ".join(_held_verdicts(method, mine, main) for method, mine in _by_method(rows).items()) + "."


def benefit_seed_check(F: dict, spread: dict) -> dict | None:
    """Whether 2.3's verdicts against the yardstick (`semisup_answers.facts`: `gains` above it, `losses` below) hold
    once the autoencoders' training seed is counted: a verdict on a code the seed runs retrained (same method, code
    and budget in `robustness.seed_spread`) holds when its interval still excludes zero after moving against the
    verdict by the largest change of that code's accuracy between seeds. `covered` and `holds` are (verdict, above,
    change) triples, `uncovered` the verdicts on codes the seed runs did not repeat; None if none is covered."""
    decided = [(v, v in F["gains"]) for v in F["gains"] + F["losses"] if v["input"] in ("vae", "dae")]
    covered = [(v, above, spread[(v["method"], v["input"], v["budget"])]["spread"]) for v, above in decided
               if (v["method"], v["input"], v["budget"]) in spread]
    if not covered:
        return None
    return {"covered": covered, "widest": max(s for _, _, s in covered),
            "holds": [(v, above, s) for v, above, s in covered
                      if (v["ci95_low"] - s > 0 if above else v["ci95_high"] + s < 0)],
            "uncovered": [v for v, _ in decided if (v["method"], v["input"], v["budget"]) not in spread]}


def _kept_counts(check: dict) -> str:
    """'all 3 above the yardstick and 12 of the 14 below it'."""
    return and_list([_of(sum(1 for _, a, _ in check["holds"] if a == above), n) + f" {side}"
                     for above, side in ((True, "above the yardstick"), (False, "below it"))
                     if (n := sum(1 for _, a, _ in check["covered"] if a == above))])


def benefit_seed_sentence(F: dict, spread: dict, settings: dict, where: str) -> str:
    """2.3's sentence on `benefit_seed_check`: how far the seed moved the codes' accuracy, how many verdicts keep
    theirs, which do not, and how many the seed runs did not cover ('' without a seed sweep or a covered verdict)."""
    check = benefit_seed_check(F, spread)
    if check is None:
        return ""
    text = (f"Counting the autoencoders' training seed ({len(settings['seeds'])} trainings of {settings['epochs']} "
            f"epochs, {where}), a code's accuracy under one method and budget moved by up to "
            f"{fmt(100 * check['widest'], 1)} points between seeds; moved that far against its verdict, "
            f"{_kept_counts(check)} that these runs cover keep their verdict")
    lost = [f"{method_on_input(v['method'], v['input'])} with {fmt(v['budget'])} labels"
            for v, above, s in check["covered"] if (v, above, s) not in check["holds"]]
    if lost:
        text += f" ({and_list(lost)} {'does' if len(lost) == 1 else 'do'} not)"
    if check["uncovered"]:
        n, methods = len(check["uncovered"]), and_list(sorted({method_label(v["method"]) for v in check["uncovered"]}))
        text += f"; the {n} with {methods}, which the seed runs did not repeat, {'is' if n == 1 else 'are'} not covered"
    return text + "."


def benefit_seed_clause(F: dict, spread: dict) -> str:
    """The Summary's sentence after 2.3's benefit answer: how many of the verdicts the seed runs cover keep theirs."""
    check = benefit_seed_check(F, spread)
    return (f"Counting the autoencoders' training seed, {_kept_counts(check)} that the seed runs cover keep their "
            f"verdict." if check else "")


def _of(k: int, n: int) -> str:
    """'2 of the 3', 'all 3', 'the one', 'none of the 2'."""
    if k == n:
        return "the one" if n == 1 else f"all {n}"
    return f"{'none' if k == 0 else k} of the {n}"


def seed_lost(rows: list[dict], main: dict | None) -> list[tuple[str, int]]:
    """The (method, budget) pairs of `seed_rows` where a lead of the report's own models (`main`, as for
    `seed_caveat`) does not hold once the seed is counted (lost or reversed)."""
    return [(r["method"], r["budget"]) for r in rows if main and verdict_change(
        main.get((r["method"], r["budget"]), "undecided"), r["verdict"]) in ("lost", "reversed")]


def _held_verdicts(method: str, rows: list[dict], main: dict) -> str:
    """'with Poisson learning, the VAE codes' lead at 100 and 300 labels holds' / '… is no longer resolved' /
    'the lead reverses …' / 'the DAE codes lead …, which the report's models left unresolved' / 'neither code leads …'."""
    cases: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        before, now = main.get((method, r["budget"]), "undecided"), r["verdict"]
        case = verdict_change(before, now)
        cases.setdefault((case, now if case in ("holds", "new") else before), []).append(r["budget"])
    words = {"holds": "the {rep} codes' lead {at} holds", "lost": "the {rep} codes' lead {at} is no longer resolved",
             "new": "the {rep} codes lead {at}, which the report's models left unresolved",
             "reversed": "the {rep} codes' lead {at} reverses", "neither": "neither code leads {at}"}
    parts = [words[case].format(rep=rep.upper(), at=at_budgets(budgets)) for (case, rep), budgets in cases.items()]
    return f"with {method_label(method)}, {and_list(parts)}"


def seed_single_sentence(facts: dict, report_seed: int) -> str:
    """How the seed-aware verdicts compare with the report's seed alone under the same settings, from
    `findings.seed_facts` ('' if that seed has no verdict to compare)."""
    if not facts["single"]:
        return ""

    def where(pairs: list[tuple]) -> str:
        grouped: dict[str, list[int]] = {}
        for method, budget in pairs:
            grouped.setdefault(method, []).append(budget)
        return ", ".join(f"{at_budgets(b)} with {method_label(m)}" for m, b in grouped.items())

    clauses = [text + where(facts[k]) for k, text in (
        ("agree", "the verdict is the same "), ("lost", "the difference it resolves is no longer resolved once the "
                                                        "seed is counted "),
        ("gained", f"the seeds together resolve a difference that seed {report_seed} alone did not "),
        ("reversed", "the verdict reverses ")) if facts[k]]
    return (f"Compared with the report's seed {report_seed} alone under these settings (its interval covers only the "
            f"subsets): {'; '.join(clauses)}.")


def _nats(d: dict) -> str:
    """'1.2 nats (95 % interval 0.8 to 1.6)' for the size of a paired difference of held-out −ELBO per image."""
    low, high = sorted((abs(d["low"]), abs(d["high"])))
    return f"{fmt(abs(d['mean']), 1)} nats (95 % interval {fmt(low, 1)} to {fmt(high, 1)})"


def encoder_sentence(rows: list[dict], verdict: dict | None, where: str) -> str:
    """1.1(b)'s sentence on the encoder swapped alone, from `robustness.encoder_q1` (the dense VAE, then the
    convolutional encoder on the dense decoder) and their `architecture_verdict`; '' without that cell."""
    if not rows or verdict is None or verdict["paired"] is None:
        return ""
    d, ratio = verdict["paired"], verdict["time_ratio"]
    cost = f", at {fmt(ratio, 1)} times the time per epoch" if ratio else ""
    if verdict["conv_better"]:
        result = f"fits held-out digits better, by {_nats(d)} per image{cost}"
    elif verdict["mlp_better"]:
        result = f"fits held-out digits worse, by {_nats(d)} per image{cost}"
    else:
        result = f"fits held-out digits neither better nor worse by a resolved margin ({_signed_nats(d)}){cost}"
    return (f"Swapped alone, with the dense decoder kept, the convolutional encoder {result} "
            f"({rows[1]['epochs']} epochs each, {where}).")


def decoder_answer(rows: list[dict], verdict: dict | None, joint: dict | None, where: str,
                   train_seconds: float | None = None, equal_time: dict | None = None) -> str:
    """1.2(b)'s answer (bold first sentence, then its evidence), from the Q1 cells that differ only in the decoder's
    layers (`robustness.architecture_q1(cells, "decoder_architecture")`: the dense mirror, then a convolutional
    decoder on the same dense encoder) and their `architecture_verdict`; without them, from `joint`, the verdict
    of encoder and decoder swapped together, or as a choice made before training. Where the convolutional
    decoder fits better per epoch, `equal_time` (`robustness.equal_time_q1`: the dense decoder trained for more
    epochs in about the convolutional decoder's time) decides; without it, `train_seconds` (the report's own
    MNIST models' training time) prices the switch."""
    head = "**(b) Dense, the encoder's mirror, with logits as output"
    if verdict is None or verdict["paired"] is None:
        if joint is None:
            return f"{head}, so that the loss is numerically stable.** No other decoder architecture was trained for this report."
        fit = ("the dense pair fits held-out digits better than the Keras VAE example's convolutional encoder and decoder"
               if joint["mlp_better"] else "the Keras VAE example's convolutional pair fits held-out digits better"
               if joint["conv_better"] else "the Keras VAE example's convolutional pair fits held-out digits no better by a "
               "resolved margin")
        return (f"{head}: {fit}.** That comparison ({where}) swapped encoder and decoder together, so it is the "
                f"evidence for the decoder too.")
    dense, conv = rows[0], rows[1]
    other = "the Keras VAE example's transposed-convolution decoder on the same dense encoder"
    ratio = verdict["time_ratio"]
    cost = f" at {fmt(ratio, 1)} times the time per epoch" if ratio and ratio > 1 else ""
    setup = (f"Both models have the dense encoder and the {dense['decoder'].capitalize()} likelihood and are scored on "
             f"{fmt(dense['n_validation'])} held-out training images ({where}), paired over the images")
    per_epoch = (f"an epoch took {fmt(conv['seconds_per_epoch'], 1)} s against {fmt(dense['seconds_per_epoch'], 1)} s")
    if verdict["conv_better"] and equal_time is not None:
        return _decoder_at_equal_time(head, other, verdict, equal_time, setup, per_epoch)
    if verdict["mlp_better"]:
        first = f"{head}: {other} fits held-out digits worse{cost}.**"
        diff = f"the convolutional decoder's negative ELBO is higher by {_nats(verdict['paired'])}"
    elif verdict["conv_better"]:
        first = (f"{head}, against the measured fit: {other} fits held-out digits better{cost}.** The report keeps the "
                 f"dense decoder for its cost")
        if ratio and train_seconds:
            first += (f": training the report's MNIST models with the convolutional one would take about "
                      f"{fmt(ratio * train_seconds / 60, 0)} instead of {fmt(train_seconds / 60, 0)} minutes on a CPU "
                      f"like this one")
        first += "."
        if joint and joint["mlp_better"]:
            first += (" Since the convolutional encoder and decoder together fit worse (@sec-t11 (b)), the convolutional "
                      "encoder is the weaker half.")
        diff = f"the convolutional decoder's negative ELBO is lower by {_nats(verdict['paired'])}"
    else:
        first = f"{head}: {other} fits held-out digits no better by a resolved margin{cost}.**"
        diff = f"convolutional − dense decoder in negative ELBO is {_signed_nats(verdict['paired'])}"
    return (f"{first} Only the decoder was changed: both models have the dense encoder and the "
            f"{dense['decoder'].capitalize()} likelihood, trained for {dense['epochs']} epochs and scored on "
            f"{fmt(dense['n_validation'])} held-out training images ({where}); {diff} per image, paired over the images, "
            f"and {per_epoch}.")


def decoder_summary(verdict: dict | None, equal_time: dict | None) -> str:
    """The Summary's clause on the decoder alone (after 'dense ... and its mirror; '): the convolutional decoder's
    per-epoch fit and cost, then the dense decoder's given the same training time ('' without the decoder cell)."""
    if verdict is None or verdict["paired"] is None:
        return ""
    ratio = f" at {fmt(verdict['time_ratio'], 1)} times the time per epoch" if verdict["time_ratio"] else ""
    text = (f"the convolutional decoder alone, on the dense encoder, gives a held-out negative ELBO "
            f"{_elbo_change(verdict['paired'], verdict['conv_better'], verdict['mlp_better'])}{ratio}")
    return text + (equal_time_clause(equal_time, "decoder") if verdict["conv_better"] else "")


def _elbo_change(d: dict, lower: bool, higher: bool) -> str:
    """'lower by 1.2 nats (95 % interval 0.8 to 1.6)', 'higher by …' or 'not different by a resolved margin'."""
    if not (lower or higher):
        return "not different by a resolved margin"
    return f"{'lower' if lower else 'higher'} by {_nats(d)}"


def _same_time(equal: dict) -> str:
    """'in no more training time' where the dense run took no longer than the convolutional one, else 'trained
    longer'."""
    same = equal["seconds"] is not None and equal["conv_seconds"] is not None and equal["seconds"] <= equal["conv_seconds"]
    return "in no more training time" if same else "trained longer"


def _equal_time_training(equal: dict, whose: str, what: str = "") -> str:
    """'Trained for 24 epochs in 60 s, against 62 s for the convolutional decoder's 5' (`whose`: 'convolutional
    decoder's'; `what`, e.g. ' (VAE and DAE together)', follows the dense run's seconds)."""
    times = (f" in {fmt(equal['seconds'], 0)} s{what}, against {fmt(equal['conv_seconds'], 0)} s for the {whose} "
             f"{equal['conv_epochs']}" if equal["seconds"] is not None and equal["conv_seconds"] is not None else "")
    return f"Trained for {equal['epochs']} epochs{times}"


def equal_time_clause(equal: dict | None, model: str) -> str:
    """The Summary's clause after a per-epoch verdict: '; given no more than its training time (17 epochs instead of 5),
    the dense decoder's is lower by …' ('' without `equal`)."""
    if equal is None:
        return ""
    return (f"; given no more than its training time ({equal['epochs']} epochs instead of {equal['conv_epochs']}), the dense "
            f"{model}'s is {_elbo_change(equal['paired'], equal['dense_better'], equal['conv_better'])}")


def q2_architecture_clause(verdict: dict, equal: dict | None = None) -> str:
    """2.1(b)'s bold clause on the layers: how convolutional layers fit held-out garments per epoch and at what
    cost, and where they fit better per epoch, how the dense ones fare given their training time."""
    ratio = verdict["time_ratio"]
    at = f" at {fmt(ratio, 1)} times the time per epoch" if ratio and ratio > 1 else ""
    if not verdict["conv_better"]:
        return f"convolutional layers fit held-out garments {'worse' if verdict['mlp_better'] else 'no better by a resolved margin'}{at}"
    if equal is None:
        return f"convolutional layers fit held-out garments better{at.replace(' at ', ' but cost ', 1)}"
    if equal["dense_better"]:
        return f"convolutional layers fit held-out garments better per epoch{at}, but {_same_time(equal)} the dense ones fit better"
    if equal["conv_better"]:
        return f"convolutional layers fit held-out garments better, per epoch{at} and {_same_time(equal)}"
    return (f"convolutional layers fit held-out garments better per epoch{at}; {_same_time(equal)} neither fits "
            f"better by a resolved margin")


def q2_equal_time_sentence(equal: dict | None, where: str) -> str:
    """2.1(b)'s evidence for the dense models given about the convolutional models' training time: both held-out
    losses and the label-only selection's accuracy, dense − convolutional ('' without `equal`)."""
    if equal is None:
        return ""
    losses = (f"dense − convolutional is {_signed_nats(equal['paired'])} per image for the VAE and "
              f"{_signed_nats(equal['dae_paired'])} for the DAE's loss on corrupted images")
    resolved = [(k, d) for k, d in sorted(equal["accuracy"].items()) if d["low"] is not None and (d["low"] > 0 or d["high"] < 0)]
    open_ = [k for k, d in equal["accuracy"].items() if d["low"] is not None and k not in dict(resolved)]
    if resolved:
        accuracy = "; ".join(f"{fmt(100 * d['mean'], 1)} points ({_interval(d)}) on {CODE_LABELS[rep]} with {fmt(l)} labels"
                             for (rep, l), d in resolved)
        accuracy = f"in the label-only selection's accuracy it is {accuracy}"
        if open_:
            accuracy += f"; the other {len(open_)} intervals include zero" if len(open_) > 1 else "; the other interval includes zero"
    else:
        accuracy = "in the label-only selection's accuracy no difference is resolved" if open_ else ""
    training = _equal_time_training(equal, "convolutional models'", " (VAE and DAE together)")
    images = f" on the same {fmt(equal['n_train'])} training images" if equal.get("n_train") else ""
    return (f"{training}{images} ({where}), {losses}"
            f"{'; ' + accuracy if accuracy else ''}.{_accuracy_weighed(resolved)}")


def _accuracy_weighed(resolved: list) -> str:
    """How the resolved dense − convolutional accuracy differences bear on the layers, which the held-out fit
    decides (an unsupervised choice, like the code size)."""
    signs = {d["mean"] > 0 for _, d in resolved}
    if signs == {True, False}:
        return " The accuracy differences point both ways, so they do not overturn the held-out fit."
    if signs == {False}:
        return (" Those accuracy differences favour the convolutional models; the layers are an unsupervised choice, "
                "which the held-out fit decides, as for the code size.")
    return " The accuracy differences agree with the held-out fit." if signs else ""


def _signed_nats(d: dict) -> str:
    """'−1.2 nats (95 % interval −1.6 to −0.8)'."""
    return f"{fmt(d['mean'], 1)} nats ({_interval(d, scale=1)})"


def _decoder_at_equal_time(head: str, other: str, verdict: dict, equal: dict, setup: str, per_epoch: str) -> str:
    """1.2(b) when the convolutional decoder fits better per epoch: the verdict is the dense decoder's given about
    the convolutional decoder's training time."""
    budget, training = _same_time(equal), _equal_time_training(equal, "convolutional decoder's")
    if equal["dense_better"]:
        first = f"{head}: {budget} it fits held-out digits better than {other}.**"
        outcome = f"the dense decoder's negative ELBO is lower by {_nats(equal['paired'])}"
    elif equal["conv_better"]:
        first = f"{head}, against the measured fit: even {budget}, it fits held-out digits worse than {other}.**"
        outcome = f"the dense decoder's negative ELBO is still higher by {_nats(equal['paired'])}"
    else:
        first = f"{head}: {budget}, {other} fits held-out digits no better by a resolved margin.**"
        outcome = f"dense − convolutional in negative ELBO is {_signed_nats(equal['paired'])}"
    return (f"{first} Per epoch the convolutional decoder fits better, its negative ELBO lower by "
            f"{_nats(verdict['paired'])} after {equal['conv_epochs']} epochs each, but {per_epoch}. "
            f"{training}, {outcome}. {setup}.")


def code_size_sentence(rows: list[dict], chosen: int, where: str, final: dict | None = None) -> str:
    """2.1(b)'s sentences on the code size, from the code-size sweep (`robustness.code_size_rows`): the size the
    VAE's held-out negative ELBO picks without labels, how many units the sweep's short runs and the report's own
    VAE (`final`: its 'epochs' and 'active_units') keep active, and where the labels alone would pick another
    size whose accuracy is beyond the report's size's interval — with why the report keeps the label-free choice."""
    from .findings import code_size_facts

    facts = code_size_facts(rows, chosen)
    sizes, elbo = and_list([str(k) for k in facts["sizes"]]), facts["elbo"]
    trained = f"among the code sizes {sizes}, each trained for {rows[0]['epochs']} epochs ({where})"
    if elbo is None:
        text = f"Code size {chosen} was fixed before training; {trained}, none was scored on held-out images."
    elif elbo["best_size"] == chosen:
        spread = (" (every other size's is higher, paired 95 % intervals)" if elbo["all_above"] else
                  f", not separated from size {and_list([str(k) for k in elbo['not_separated']])} (paired 95 % intervals)")
        text = (f"Code size {chosen} is chosen without labels: {trained}, it gives the VAE's lowest negative ELBO on "
                f"{fmt(elbo['n_validation'])} held-out training images{spread}; the DAE takes the same size, so the two "
                f"codes are compared at equal size.")
    else:
        d = elbo["chosen"]
        text = (f"Code size {chosen} was fixed before training: {trained}, size {elbo['best_size']} gives the VAE's "
                f"lowest held-out negative ELBO, {fmt(d['mean'], 1)} nats (95 % interval {fmt(d['low'], 1)} to "
                f"{fmt(d['high'], 1)}, paired) below size {chosen}'s.")
    text += _active_units_sentence(rows, chosen, final)
    better = [(rep, l, facts["accuracy"][(rep, l)]) for rep, l in facts["below"]]
    if not better:
        return text + " The labels alone would pick no size with a higher accuracy beyond its interval."
    cases = and_list([f"size {e['picked_size']} on {CODE_LABELS[rep]} at {fmt(l)} labels ({fmt(100 * e['picked']['mean_accuracy'], 1)} "
                      f"against {fmt(100 * e['chosen']['mean_accuracy'], 1)} %)" for rep, l, e in better])
    return (text + f" The labels alone would pick otherwise, beyond the intervals: {cases}. The report keeps the "
            f"label-free size: where a criterion without labels compares the settings, it decides, as it would for "
            f"an unsupervised model; the labels judge only the settings no such criterion compares (the corruption "
            f"level, and the likelihood beside its samples' Fréchet distance).")


def _active_units_sentence(rows: list[dict], chosen: int, final: dict | None) -> str:
    """' After 5 epochs the sizes keep 4 of 4, 16 of 16 and 62 of 64 units active; the report's VAE, trained for
    30 epochs, keeps 8 of its 16, so size 16 does not limit it.' ('' without the report's VAE's count)."""
    if not final or final.get("active_units") is None:
        return ""
    units = and_list([f"{r['active_units']} of {r['latent_dim']}" for r in rows])
    active = final["active_units"]
    own = (f"keeps {active} of its {chosen} active, so size {chosen} does not limit it" if active < chosen
           else f"keeps all {chosen} active")
    return (f" After {rows[0]['epochs']} epochs the sizes keep {units} units active; the report's VAE, trained for "
            f"{final['epochs']} epochs, {own}.")
