"""Q2.3's answer sentences, branch by branch, from synthetic metrics."""

from vaereport.reporting import semisup_answers as answers


def diff(a, b, l, mean, low, high, protocol="uniform"):
    return {"a": a, "b": b, "budget": l, "mean_difference": mean, "ci95_low": low, "ci95_high": high,
            "protocol": protocol}


def metrics(paired, means=None, inputs=("vae", "dae", "pca", "pixels")):
    summary = [{"protocol": "uniform", "budget": l, "representation": rep, "classifier": m, "mean_accuracy": acc}
               for (rep, m, l), acc in (means or {}).items()]
    return {"paired": paired, "summary": summary, "inputs": list(inputs), "graph": {"methods": ["poisson", "poisson_priors"]}}


BEST = answers.YARDSTICK_NAME


def test_benefit_yes_names_the_largest_gain_at_the_smallest_budget_and_where_none_helped():
    m = metrics([diff("dae/poisson", BEST, 100, 0.08, 0.03, 0.13), diff("vae/chosen", BEST, 100, 0.02, 0.001, 0.04),
                 diff("dae/poisson", BEST, 1000, 0.01, -0.01, 0.03)])
    F = answers.facts(m, "uniform")
    text = answers.benefit_answer(F)
    assert text.startswith("Yes, in 2 of the 3 comparisons, at 100 labels: Poisson learning on DAE codes beat the label-only "
                           "selection on raw pixels")
    m["paired"].append(diff("vae/chosen", BEST, 1000, 0.02, 0.01, 0.03))
    assert answers.benefit_answer(answers.facts(m, "uniform")).startswith(
        "Yes, in 3 of the 4 comparisons, at 100 and 1,000 labels: with 100 labels Poisson learning on DAE codes beat")
    assert "+8.0 points [3.0, 13.0]" in text and text.endswith("; at 1,000 labels none was above it")
    assert "the label-only selection on VAE codes (+2.0 points [0.1, 4.0])" in answers.gains_detail(F)
    assert answers.losses_detail(F) == ""
    F = answers.facts(metrics([diff("vae/chosen", BEST, 100, -0.07, -0.1, -0.04), diff("pca/poisson", BEST, 300, -0.02, -0.03, -0.01),
                               diff("dae/chosen", BEST, 100, 0.01, -0.01, 0.03)]), "uniform")
    assert answers.losses_detail(F) == (
        "Below the yardstick by an interval were 2 of the 3 comparisons, at 100 and 300 labels; the largest gap, the "
        "label-only selection on VAE codes with 100 labels, is -7.0 points [-10.0, -4.0].")


def test_benefit_yes_everywhere_has_no_trailing_clause():
    F = answers.facts(metrics([diff("pca/chosen", BEST, 100, 0.05, 0.01, 0.09)]), "uniform")
    assert answers.benefit_answer(F) == ("Yes, in 1 of the 1 comparisons, at 100 labels: the label-only selection on PCA of "
                                         "pixels beat the label-only selection on raw pixels given the same labels by +5.0 "
                                         "points [1.0, 9.0]")
    F = answers.facts(metrics([diff("pca/chosen", BEST, 100, 0.05, 0.01, 0.09), diff("vae/chosen", BEST, 100, -0.05, -0.09, -0.01)]),
                      "uniform")
    assert answers.benefit_answer(F).endswith("by +5.0 points [1.0, 9.0]; 1 was below it")
    F = answers.facts(metrics([diff("pca/chosen", BEST, 100, 0.05, 0.01, 0.09), diff("vae/chosen", BEST, 100, -0.05, -0.09, -0.01),
                               diff("dae/chosen", BEST, 100, -0.05, -0.09, -0.01)]), "uniform")
    assert answers.benefit_answer(F) == ("Mostly no: only 1 of the 3 comparisons beat the label-only selection on raw "
                                         "pixels given the same labels, at 100 labels (the largest: the label-only "
                                         "selection on PCA of pixels, +5.0 points [1.0, 9.0]); 2 were below it")


def test_benefit_no_when_every_interval_includes_zero_or_favours_pixels():
    F = answers.facts(metrics([diff("dae/chosen", BEST, 100, 0.01, -0.05, 0.07),
                               diff("vae/chosen", BEST, 1000, -0.04, -0.06, -0.02)]), "uniform")
    text = answers.benefit_answer(F)
    assert text.startswith("No: no method that uses the unlabelled images — the label-only selection on the codes or on "
                           "PCA — was shown to beat the label-only selection on raw pixels")
    assert text.endswith("; the largest difference, the label-only selection on DAE codes with 100 labels, is +1.0 points "
                         "[−5.0, 7.0], an interval that includes zero".replace("−", "-"))
    F["versus"] += [{"method": "poisson", "ci95_low": None}, {"method": "finetune", "ci95_low": None}]
    assert ("— the label-only selection on the codes or on PCA, graph learning over all images, or a fine-tuned "
            "pretrained encoder —" in answers.benefit_answer(F))
    assert answers.gains_detail(F) == ""


def test_a_single_run_is_never_a_gain():
    F = answers.facts(metrics([diff("dae/chosen", BEST, 60000, 0.02, float("nan"), float("nan"))]), "uniform")
    assert F["gains"] == [] and answers.points(F["versus"][0]) == "+2.0 points (one run)"


def _between(rep_a, rep_b, method, l, low, high):
    return diff(f"{rep_a}/{method}", f"{rep_b}/{method}", l, (low + high) / 2, low, high)


def test_representation_resolved_lead_names_method_and_budgets():
    means = {(rep, m, l): acc for m in ("chosen", "poisson") for l in (100, 1000)
             for rep, acc in (("dae", 0.8), ("vae", 0.7), ("pca", 0.72), ("pixels", 0.75))}
    paired = [_between("dae", other, "poisson", 100, 0.01, 0.05) for other in ("vae", "pca", "pixels")]
    F = answers.facts(metrics(paired + [diff("dae/chosen", BEST, 100, 0, -1, 1)], means), "uniform")
    assert answers.representation_answer(F, ["chosen", "poisson"]) == (
        "DAE codes, where any input led: ahead of every other input by a paired interval with Poisson learning at 100 "
        "labels; no other input led by an interval")


def test_representation_depends_on_the_method_when_inputs_lead_under_different_methods():
    means = {(rep, m, l): 0.7 for m in ("chosen", "poisson") for l in (300,) for rep in ("vae", "dae")}
    paired = [_between("dae", "vae", "chosen", 300, 0.01, 0.03), _between("vae", "dae", "poisson", 300, 0.02, 0.08)]
    F = answers.facts(metrics(paired, means, inputs=("vae", "dae")), "uniform")
    assert answers.representation_answer(F, ["chosen", "poisson"]) == (
        "It depends on the method: ahead of every other input by a paired interval were VAE codes with Poisson "
        "learning at 300 labels; DAE codes with the label-only selection at 300 labels. Between the two codes, DAE "
        "codes were ahead by a paired interval in 1 of the 2 like-for-like comparisons with an interval (the label-only "
        "selection at 300 labels), VAE codes in 1 (Poisson learning at 300 labels)")


def test_representation_unresolved_lead_says_so():
    means = {("vae", "chosen", 100): 0.7, ("pixels", "chosen", 100): 0.69}
    F = answers.facts(metrics([diff("vae/chosen", BEST, 100, 0, -1, 1), _between("vae", "pixels", "chosen", 100, -0.02, 0.04)],
                              means, inputs=("vae", "pixels")), "uniform")
    assert answers.representation_answer(F, ["chosen"]) == (
        "None was shown to be best: under no method and budget was one input ahead of every other by a paired interval")


def test_representation_without_means():
    assert answers.representation_answer(answers.facts(metrics([]), "uniform"), ["chosen"]) == "No representation could be compared"


def test_pca_answer_per_code_and_without_pca():
    paired = [_between("vae", "pca", "chosen", 100, -0.05, -0.01), _between("vae", "pca", "chosen", 1000, 0.01, 0.02),
              _between("dae", "pca", "chosen", 100, 0.01, 0.03), _between("dae", "pca", "chosen", 1000, -0.01, 0.01)]
    F = answers.facts(metrics(paired + [diff("vae/chosen", BEST, 100, 0, -1, 1), diff("vae/chosen", BEST, 1000, 0, -1, 1)]),
                      "uniform")
    text = answers.pca_answer(F)
    assert "VAE codes were ahead of it at 1,000 labels and behind at 100" in text
    assert "DAE codes were ahead of it at 100 labels and not separated elsewhere" in text
    assert answers.pca_answer(answers.facts(metrics([], inputs=("vae", "pixels")), "uniform")) is None


def test_protocols_agree_or_differ():
    u = metrics([diff("dae/poisson", BEST, 100, 0.05, 0.01, 0.09), diff("dae/poisson", BEST, 3000, 0.05, 0.01, 0.09)]
                + [diff("dae/poisson", BEST, 100, 0.05, 0.01, 0.09, "balanced")])
    same = answers.protocol_answer(answers.facts(u, "uniform"), answers.facts(u, "balanced"))
    assert same.startswith("Class-balanced labelled subsets (l/10 per class, 100 labels) give the same answer")
    u["paired"][-1] = diff("dae/poisson", BEST, 100, 0.0, -0.01, 0.01, "balanced")
    text = answers.protocol_answer(answers.facts(u, "uniform"), answers.facts(u, "balanced"))
    assert text == ("The protocols differ: with class-balanced subsets (l/10 per class) a method using the unlabelled "
                    "images beat the label-only selection on pixels at no budget, with uniform draws at 100 labels (of 100)")


def test_like_for_like_methods_are_the_selection_and_each_solver():
    assert answers.like_for_like_methods(metrics([])) == ["chosen", "poisson"]
    assert answers.like_for_like_methods({"graph": None}) == ["chosen"]
    assert answers.like_for_like_methods({"graph": None, "finetune": {"steps": 3}}) == ["chosen", "finetune"]


def test_the_answer_reads_the_yardstick_intervals_as_given_and_names_single_runs():
    m = metrics([diff("dae/chosen", BEST, 100, 0.02, -0.001, 0.041),  # widened over the family by the analysis
                 diff("dae/chosen", BEST, 60000.0, 0.01, float("nan"), float("nan"))])  # JSON may give a float
    F = answers.facts(m, "uniform")
    assert F["gains"] == [] and F["single"] == [60000]
    assert ("at any budget with an interval (60,000 labels: one subset, no interval); the largest difference"
            in answers.benefit_answer(F))


def test_fine_tuning_is_named_by_its_start():
    assert answers.method_on_input("finetune", "vae") == "the VAE's encoder fine-tuned on the labelled images"
    assert answers.method_on_input("finetune", "pixels") == "the same network from random weights"
    assert answers.method_on_input("poisson_priors", "pca") == "Poisson learning, class priors on PCA of pixels"
    assert answers.protocol_answer(answers.facts(metrics([]), "uniform"), answers.facts(metrics([]), "balanced")) is None


def test_the_vae_code_answer_gives_active_units_and_the_label_free_code_size():
    stats = {"active_units": 8, "kl_active_share": 0.995}
    assert answers.vae_code_answer(None, 16, [], "@sec-robust-code") == ""
    assert answers.vae_code_answer(stats, 16, [], "@sec-robust-code") == (
        "The VAE uses 8 of its 16 code dimensions, which carry 99.5 % of its KL to the prior (@fig-q2-kl): a unit "
        "whose posterior is the prior for every image gives a classifier nothing.")
    rows = [{"latent_dim": 4, "vae_validation_neg_elbo": 250.0, "active_units": 4, "n_validation": 10000, "epochs": 5,
             "vs_best": {"mean": 9.0, "low": 8.0, "high": 10.0}},
            {"latent_dim": 16, "vae_validation_neg_elbo": 241.0, "active_units": 8, "n_validation": 10000, "vs_best": None,
             "epochs": 5},
            {"latent_dim": 64, "vae_validation_neg_elbo": 241.2, "active_units": 9, "n_validation": 10000, "epochs": 5,
             "vs_best": {"mean": 0.2, "low": -0.1, "high": 0.5}}]
    text = answers.vae_code_answer(stats, 16, rows, "@sec-robust-code")
    assert text.endswith(" Without labels, the VAE's negative ELBO on held-out training images picks code size 16 among "
                         "4, 16 and 64 (not separated from size 64; active units 4 of 4, 8 of 16, 9 of 64; @sec-robust-code).")
    rows[1]["active_units"] = 16
    assert answers.vae_code_answer(stats, 16, rows, "@sec-robust-code").endswith(
        "Those 5-epoch models still use 16 of 16 units, so the units switch off later in training.")


def test_fine_tuning_is_compared_with_the_same_network_from_random_weights():
    F = answers.facts(metrics([_between("vae", "pixels", "finetune", 100, 0.01, 0.03),
                               _between("vae", "pixels", "finetune", 300, -0.01, 0.03)]), "uniform")
    assert answers.finetune_detail(F) == (
        "Against its own control, the same network trained from random weights on the same labels, fine-tuning gives "
        "the VAE's encoder +2.0 points [1.0, 3.0] at 100, +1.0 points [-1.0, 3.0] at 300 labels (intervals "
        "simultaneous over the budgets).")
    assert answers.finetune_detail(answers.facts(metrics([]), "uniform")) == ""


def test_the_representation_answer_names_the_leads_the_seed_does_not_keep(monkeypatch):
    monkeypatch.setattr(answers, "_representation_answer", lambda F, methods: "It depends on the method")
    assert answers.representation_answer({}, []) == "It depends on the method"
    assert answers.representation_answer({}, [], [("finetune", 100), ("finetune", 300)]) == (
        "It depends on the method; counting the autoencoders' training seed, the lead with fine-tuning at 100 and 300 "
        "labels is no longer resolved")
