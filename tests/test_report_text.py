"""Every sentence true: no number typed into the templates, and each conditional sentence of the prose
driven through its branches with metrics made to take them."""

import copy
import re

import numpy as np
import pytest

from conftest import ROOT
from vaereport.reporting import findings
from vaereport.science.genmetrics import bootstrap_frechet, frechet_distance, frechet_from_moments

# Numbers a template may state in words of its own: question and task numbers, the assignment's "2-D",
# the image size, the interval level, the published benchmark's facts, N(0, I), SHA-256.
ALLOWED = [r"1\.[1-5]\.?", r"\*{0,2}Q[12](\.[123](–2\.2)?)?[.:]?\*{0,2},?", r"(Tasks? )?2\.[123](–2\.[23])?\.?", r"2-D\)?\.?",
           r"784(-dimensional)?", r"\(?95", r"60,000", r"2017[),;]", r"N\(0,", r"SHA-256:",
           r"\*{0,2}[12]\.[1-5](–[12]\.[1-5])?(\([a-c]\))?\*{0,2}\)?\.?"]


def typed_numbers(text: str) -> list[str]:
    """Tokens with a digit outside Jinja expressions, maths, code, headings, ids and cross-references."""
    for pattern, flags in ((r"\{%#.*?#%\}", re.S), (r"\{\{.*?\}\}", re.S), (r"\{%.*?%\}", re.S),
                           (r"^---\n.*?\n---\n", re.S), (r"\$\$.*?\$\$", re.S), (r"\$[^$]*\$", 0), (r"`[^`]*`", 0),
                           (r"\{#[^}]*\}", 0), (r"@(fig|tbl|sec)-[\w-]+", 0)):
        text = re.sub(pattern, " ", text, flags=flags)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    tokens = [m.group(0) for line in lines for m in re.finditer(r"\S*\d\S*", line)]
    return [t for t in tokens if not any(re.fullmatch(a, t) for a in ALLOWED)]


def test_templates_type_no_numbers():
    for template in sorted((ROOT / "report").glob("*.qmd")):
        assert typed_numbers(template.read_text()) == [], f"{template.name} types numbers by hand"


def test_the_number_check_can_fail():
    assert typed_numbers("The VAE reaches 81.3 % with {{ x }} labels.") == ["81.3"]
    assert typed_numbers("# Task 1.1\nWe use $K = 16$ and {{ q1['k'] | fmt }}; see @fig-q1-2.") == []


# ---------------------------------------------------------------- findings.py
def test_interval_verdicts():
    assert findings.interval_verdict(0.01, 0.03) == "above"
    assert findings.interval_verdict(-0.03, -0.01) == "below"
    assert findings.interval_verdict(-0.01, 0.02) == "unclear"
    assert findings.interval_verdict(None, None) == "single run"


def test_curve_facts_tell_overfitting_from_convergence():
    still = {"curve": {"first": 200.0, "last": 140.0, "min": 140.0, "min_epoch": 50, "epochs": 50,
                       "rise_since_min": 0.0, "final_gap": 3.0, "lowest_at_end": True,
                       "paired_rise": {"mean": 0.0, "se": 0.0, "exceeds": False}}}
    late = copy.deepcopy(still)
    late["curve"].update(last=141.0, min_epoch=30, rise_since_min=1.0, lowest_at_end=False, final_gap=-0.5,
                         paired_rise={"mean": 1.0, "se": 0.2, "exceeds": True})
    flat = copy.deepcopy(late)
    flat["curve"]["paired_rise"] = {"mean": 0.3, "se": 0.2, "exceeds": False}
    assert findings.curve_facts(still)["overfits"] is False and findings.curve_facts(still)["test_above_train"]
    assert findings.curve_facts(late)["overfits"] is True and not findings.curve_facts(late)["test_above_train"]
    assert findings.curve_facts(flat)["flattened"] and not findings.curve_facts(flat)["overfits"]


def test_paired_epochs_match_a_hand_computed_standard_error():
    from vaereport.science.training import paired_epochs

    per_image = np.array([[10.0, 12.0, 11.0, 13.0], [10.5, 12.1, 11.9, 13.5]])  # (epochs, images)
    d = np.array([0.5, 0.1, 0.9, 0.5])
    out = paired_epochs(per_image, 1, 0)
    assert out["mean"] == pytest.approx(0.5)
    assert out["se"] == pytest.approx(np.sqrt(np.sum((d - 0.5) ** 2) / 3) / 2)
    assert out["exceeds"] == (0.5 > 1.96 * out["se"])
    unpaired_se = np.sqrt(per_image[0].var(ddof=1) / 4 + per_image[1].var(ddof=1) / 4)
    assert out["se"] < unpaired_se / 3  # the pairing removes the variation between images


def test_rise_threshold_splits_the_level_over_the_epochs_the_lowest_is_picked_from():
    from vaereport.science.training import paired_epochs, rise_threshold

    assert rise_threshold(2) == pytest.approx(1.96, abs=1e-3)
    assert rise_threshold(50) == pytest.approx(3.29, abs=0.01)
    per_image = np.array([[10.0, 12.0, 11.0, 13.0], [10.5, 12.1, 11.9, 13.5]])
    mean, se = 0.5, paired_epochs(per_image, 1, 0)["se"]
    assert paired_epochs(per_image, 1, 0, z=mean / se - 0.01)["exceeds"]
    assert not paired_epochs(per_image, 1, 0, z=mean / se + 0.01)["exceeds"]


def test_prior_mass_of_the_disc_is_exact():
    from vaereport.science.latent import prior_mass_below

    z = np.random.default_rng(0).normal(size=(50, 2))
    out = prior_mass_below(z, np.full((50, 2), -2.0), radius=1.0, threshold=0.1, n_samples=200)
    assert out["disc_mass"] == pytest.approx(1 - np.exp(-0.5))
    assert out["of_all_prior_mass"] == pytest.approx(out["of_disc_mass"] * out["disc_mass"])


def test_class_overlap_names_the_confused_pair():
    from vaereport.science.latent import class_overlap

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [5.2, 0.0]])  # classes 1 and 2 share territory
    y = rng.integers(0, 3, 3000)
    z = centres[y] + rng.normal(scale=0.5, size=(3000, 2))
    out = class_overlap(z[:2000], y[:2000], z[2000:], y[2000:], n_classes=3, top=1)
    assert out["pairs"][0]["classes"] == [1, 2] and out["pairs"][0]["confusion"] > 0.3


def test_gap_facts():
    gaps = {"ratios": [0.01, 0.2], "prior_mass_below": {"of_disc_mass": 0.0, "of_all_prior_mass": 0.0,
                                                         "disc_mass": 0.39, "n_samples": 10}}
    assert findings.gap_facts(gaps)["has_gaps"] is False
    gaps["prior_mass_below"]["of_disc_mass"] = 0.00046
    facts = findings.gap_facts(gaps)
    assert facts["has_gaps"] and facts["named_verdict"] is None
    gaps["decoded_in_disc"] = {"gaps": {"n": 200, "share_confident": 0.3}, "rest_of_disc": {"n": 8000, "share_confident": 0.8}}
    facts = findings.gap_facts(gaps)
    assert facts["named_verdict"] == "below" and facts["named_difference"]["high"] < 0
    gaps["decoded_in_disc"]["gaps"]["share_confident"] = 0.78
    assert findings.gap_facts(gaps)["named_verdict"] == "unclear"


def semisup_metrics(vae_minus_dae, code_minus_pixels):
    """Synthetic Q2.3 metrics with two budgets; each argument maps budget -> (mean, low, high) of a difference."""
    budgets = [100, 60000]
    summary = [{"protocol": "uniform", "budget": l, "representation": rep, "classifier": clf, "n": 5 if l == 100 else 1,
                "mean_accuracy": 0.7 + 0.1 * (l > 100) + 0.01 * i, "std_accuracy": 0.01 if l == 100 else None,
                "ci95_low": 0.69 if l == 100 else None, "ci95_high": 0.72 if l == 100 else None}
               for l in budgets for i, (rep, clf) in enumerate([("vae", "chosen"), ("dae", "chosen"),
                                                                ("pixels", "chosen"), ("vae", "mlp"),
                                                                ("vae", "laplace"), ("dae", "laplace")])]
    summary.append({**summary[0], "protocol": "balanced", "mean_accuracy": 0.99})  # never read as the headline
    paired = []
    for (a, b), diffs in ((("vae/chosen", "dae/chosen"), vae_minus_dae),
                          (("vae/chosen", "pixels/chosen"), code_minus_pixels),
                          (("dae/chosen", "pixels/chosen"), code_minus_pixels)):
        paired += [{"protocol": "uniform", "budget": l, "a": a, "b": b, "n": 5, "mean_difference": m, "ci95_low": lo,
                    "ci95_high": hi} for l, (m, lo, hi) in diffs.items()]
    return {"budgets": budgets, "summary": summary, "paired": paired}


def test_semisup_facts_say_helped_only_where_the_interval_excludes_zero():
    m = semisup_metrics(vae_minus_dae={100: (0.02, 0.01, 0.03), 60000: (-0.01, None, None)},
                        code_minus_pixels={100: (0.03, 0.01, 0.05), 60000: (-0.02, None, None)})
    f = findings.semisup_facts(m)
    assert f["vae_ahead"] == [100] and f["dae_ahead"] == [] and f["single"] == [60000]
    assert f["vae_helped"] == [100] and f["vae_hurt"] == [] and f["dae_helped"] == [100]
    assert f["chosen"]["vae"][100]["mean_accuracy"] == 0.7  # the uniform protocol's, not the balanced row
    m2 = semisup_metrics(vae_minus_dae={100: (-0.02, -0.03, -0.01)}, code_minus_pixels={100: (-0.001, -0.02, 0.01)})
    f2 = findings.semisup_facts(m2)
    assert f2["dae_ahead"] == [100] and f2["vae_helped"] == [] and f2["vae_hurt"] == []


def test_summary_pivot_marks_the_best_and_gives_no_spread_for_single_runs():
    m = semisup_metrics({}, {})
    rows = findings.summary_pivot(m, [100, 60000])
    best = [r for r in rows if r["100"].startswith("**")]
    assert len(best) == 1 and best[0]["representation"] == "DAE" and best[0]["classifier"] == "Laplace learning"
    assert all("±" not in r["60000"] for r in rows) and all("±" in r["100"] for r in rows)
    tied = next(r for r in m["summary"] if r["budget"] == 100 and r["classifier"] == "chosen")
    tied["mean_accuracy"] = 0.7 + 0.05 - 0.0001  # 75.0 % as printed, like the best (DAE Laplace learning)
    best = [r for r in findings.summary_pivot(m, [100]) if r["100"].startswith("**")]
    assert [(r["representation"], r["classifier"]) for r in best] == [("VAE", "label-only selection"), ("DAE", "Laplace learning")]


def test_labels_needed_reports_at_most_when_met_at_the_smallest_budget():
    import pandas as pd

    from vaereport.science.semisup import labels_needed

    summary = pd.DataFrame([{"representation": "vae", "classifier": "chosen", "budget": l, "mean_accuracy": a}
                            for l, a in ((100, 0.75), (1000, 0.82), (10000, 0.9))])
    rows = labels_needed(summary, 0.7).iloc[0]
    assert rows.labels_needed == 100 and rows.at_most
    rows = labels_needed(summary, 0.8).iloc[0]
    assert 100 < rows.labels_needed < 1000 and not rows.at_most
    assert labels_needed(summary, 0.95).iloc[0].labels_needed is None


# ---------------------------------------------------------------- Fréchet distance
def test_frechet_matches_the_closed_form_for_two_gaussians():
    mu_a, mu_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    closed = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    assert frechet_from_moments(mu_a, np.diag(var_a), mu_b, np.diag(var_b)) == pytest.approx(closed)
    rot = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]  # same value in any rotated basis
    assert frechet_from_moments(rot @ mu_a, rot @ np.diag(var_a) @ rot.T, rot @ mu_b,
                                rot @ np.diag(var_b) @ rot.T) == pytest.approx(closed)


def test_frechet_of_identical_sets_is_zero_and_singular_covariances_are_fine():
    x = np.random.default_rng(1).normal(size=(500, 8))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)
    singular = np.hstack([x[:, :4], x[:, :4]])  # rank 4 of 8
    assert np.isfinite(frechet_distance(singular, x)) and frechet_distance(singular, singular) == pytest.approx(0, abs=1e-6)


def test_bootstrap_gives_standard_errors_and_difference_intervals_that_contain_their_estimate():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(400, 4))
    near, far = rng.normal(size=(400, 4)) + 0.05, rng.normal(size=(400, 4)) + 2.0
    close = rng.normal(size=(400, 4)) + 0.1
    out = bootstrap_frechet({"near": near, "far": far, "close": close}, ref, n_boot=50, seed=0,
                            pairs=[("far", "near"), ("close", "near")])
    assert all(out[name]["se"] > 0 and "ci95_low" not in out[name] for name in ("near", "far", "close"))
    for key in ("far - near", "close - near"):
        d = out[key]
        assert d["ci95_low"] <= d["fd"] <= d["ci95_high"]
        assert d["ci95_high"] - d["fd"] == pytest.approx(1.96 * d["se"])
    assert out["far - near"]["ci95_low"] > 0
    assert findings.interval_verdict(out["far - near"]["ci95_low"], out["far - near"]["ci95_high"]) == "above"


def test_schema_requires_more_generated_images_than_features():
    from vaereport.errors import ParameterError
    from vaereport.config.params import load_params
    from vaereport.science.constants import FEATURE_DIM

    with pytest.raises(ParameterError, match="out of range"):
        load_params("q2_representations", "smoke", [f"n_generated={FEATURE_DIM}"])
    assert load_params("q2_representations", "smoke", [f"n_generated={FEATURE_DIM + 1}"])["n_generated"] == FEATURE_DIM + 1


# ---------------------------------------------------------------- the templates' branches
@pytest.fixture
def smoke_context(smoke_build, monkeypatch):
    """The report context of the smoke build, to be altered so the prose takes each branch."""
    from vaereport.reporting import report

    out, env, _ = smoke_build
    monkeypatch.setenv("VAEREPORT_BUILD_DIR", env["VAEREPORT_BUILD_DIR"])
    return report.context("smoke")


def prose(ctx) -> str:
    from vaereport.reporting import report

    return re.sub(r"\s+", " ", report.fill("smoke", ctx))


@pytest.mark.integration
def test_q1_prose_follows_the_held_out_curve_the_classifier_and_the_gap_measure(smoke_context):
    q1 = smoke_context["q1"].metrics
    curve = q1["models"]["bernoulli"]["curve"]
    curve.update(lowest_at_end=True)
    assert "was lowest at the last epoch" in prose(smoke_context)
    curve.update(lowest_at_end=False, min_epoch=1, paired_rise={"mean": 0.5, "se": 0.4, "exceeds": False})
    assert "no resolved rise: the curve has flattened without over-fitting" in prose(smoke_context)
    curve.update(paired_rise={"mean": 5.0, "se": 1.0, "exceeds": True})
    assert "5.00 ± 1.00 nats (paired over the test images) from its lowest, after epoch 1, to the last epoch: " \
           "the model began to over-fit" in prose(smoke_context)
    named = q1["generated_named"]
    named.update(prior_share_confident=0.7, test_share_confident=0.95)
    assert "**Did we train a generative model? Yes: images decoded from prior samples are digits" in prose(smoke_context)
    named.update(prior_share_confident=0.1)
    assert "**Did we train a generative model? No:" in prose(smoke_context)
    q1["gaps"]["prior_mass_below"].update(of_disc_mass=0.0, of_all_prior_mass=0.0)
    assert "near the origin the density measure finds no gap" in prose(smoke_context)
    q1["gaps"]["prior_mass_below"].update(of_disc_mass=0.00046, of_all_prior_mass=0.00018)
    text = prose(smoke_context).replace("\u00a0", " ")
    assert "The gaps hold 0.046 % of the prior's mass inside radius 1.0 s.d. (0.018 % of all of it)" in text
    assert "the gaps (0.046 % of the prior's mass inside radius 1.0 s.d.)" in text  # Summary
    gaps = q1["gaps"]
    n = len(gaps["neighbours"])
    gaps["named"] = [g["classes"][0] for g in gaps["neighbours"]]  # every gap image named as a neighbouring class
    gaps["decoded_in_disc"] = {"gaps": {"n": 200, "share_confident": 0.6}, "rest_of_disc": {"n": 8000, "share_confident": 0.8}}
    text = prose(smoke_context).replace("\u00a0", " ")
    if n:
        for g in gaps["neighbours"]:
            g["shares"] = [0.5, 0.3] + list(g["shares"][2:])  # two classes around every gap point
        text = prose(smoke_context).replace("\u00a0", " ")
        assert "the images decoded in the gaps look like one of the two digits whose regions meet there, drawn less " \
               "distinctly than digits decoded elsewhere.**" in text
        assert "and prior samples decoded there are confidently named digits less often than elsewhere in the disc " \
               "(60 % against 80 %, difference 95 % interval" in text
        assert "nearest test means mix two classes" in text and "50 % " in text
        for g in gaps["neighbours"]:
            g["shares"] = [0.9, 0.05] + list(g["shares"][2:])  # one class dominates around every gap point
        text = prose(smoke_context).replace("\u00a0", " ")
        assert "the images decoded in the gaps look like digits of the classes around them, drawn less" in text
        assert "nearest test means are mostly of one class" in text and "90 % " in text
        gaps["named"] = [next(c for c in range(10) if c not in g["classes"]) for g in gaps["neighbours"]]  # none is
        assert "the images decoded in the gaps look like shapes that are mostly none of the digits around them" in prose(smoke_context)
    gaps["decoded_in_disc"]["gaps"]["share_confident"] = 0.8
    assert "about as often as elsewhere in the disc (80 % against 80 %, not separated)" in prose(smoke_context)
    assert "$p(\\mathbf z)$ (0.018 % of all prior mass)" in text


@pytest.mark.integration
def test_q2_generation_prose_follows_the_bootstrap_intervals(smoke_context):
    q2r = smoke_context["q2r"].metrics
    key = "DAE, code ~ N(0, I) - VAE, z ~ N(0, I)"
    fitted = "DAE, code ~ fitted Gaussian - VAE, code ~ fitted Gaussian"
    q2r["frechet_differences"][key].update(fd=10.0, ci95_low=5.0, ci95_high=15.0)
    q2r["frechet_differences"][fitted].update(fd=1.0, ci95_low=-2.0, ci95_high=4.0)
    text = prose(smoke_context)
    assert ("**(b) From $\\mathcal N(\\mathbf 0, I)$ the VAE generates garments and the DAE, which has no prior, worse ones"
            in text)
    assert "from a Gaussian fitted to each model's training codes, neither model's samples are closer" in text
    assert ("**2.2(b) Generation:** from $\\mathcal N(\\mathbf 0, I)$ the VAE generates garments (Fréchet distance "
            in text)  # the Summary carries each clause's numbers
    q2r["frechet_differences"][key].update(fd=1.0, ci95_low=-2.0, ci95_high=4.0)
    q2r["frechet_differences"][fitted].update(fd=5.0, ci95_low=2.0, ci95_high=8.0)
    text = prose(smoke_context)
    assert "**(b) From $\\mathcal N(\\mathbf 0, I)$ the Fréchet distance does not separate the VAE's samples" in text
    assert "training codes, the VAE's samples are closer to real images than the DAE's" in text
    q2r["frechet_differences"][key].update(fd=-5.0, ci95_low=-8.0, ci95_high=-2.0)
    q2r["frechet_differences"][fitted].update(fd=-5.0, ci95_low=-8.0, ci95_high=-2.0)
    text = prose(smoke_context)
    assert "**(b) From $\\mathcal N(\\mathbf 0, I)$ the DAE's samples are closer to real images than the VAE's" in text
    assert "training codes, the DAE's samples are closer to real images than the VAE's" in text
    del q2r["frechet_differences"][fitted]  # a run from before the like-for-like comparison still renders
    assert "fitted to each model's training codes" not in prose(smoke_context)
    for model, better in (("VAE", "VAE"), ("DAE", "DAE")):
        other = "DAE" if model == "VAE" else "VAE"
        q2r["reconstruction"][model]["nll_nats"], q2r["reconstruction"][other]["nll_nats"] = 100.0, 120.0
        sign = -1 if model == "VAE" else 1
        q2r["reconstruction_difference"]["VAE - DAE"].update(ci95_low=sign * 20.5 - 0.5, ci95_high=sign * 20.5 + 0.5)
        text = prose(smoke_context)
        assert f"**(a) The {better} reconstructs clean test images better, by 20.0 nats per image (95 % interval 20.0 to 21.0" in text
        assert ("The objectives predict this" in text) == (better == "DAE")
    q2r["reconstruction_difference"]["VAE - DAE"].update(ci95_low=-1.0, ci95_high=3.0)
    text = prose(smoke_context)
    assert "**(a) Neither model reconstructs clean test images better: the DAE is ahead by 20.0 nats per image" in text
    assert "the VAE's and the DAE's are not separated on clean test images" in text


@pytest.mark.integration
def test_q2_semisupervised_prose_follows_the_intervals_against_the_yardstick(smoke_context):
    q2s = smoke_context["q2s"].metrics
    low = q2s["budgets"][0]
    versus = [r for r in q2s["paired"] if r["b"] == "pixels/chosen"]
    for r in versus:  # the analysis widened each interval to hold over all of these comparisons
        r.update(mean_difference=0.0, ci95_low=-0.01, ci95_high=0.01)
    text = prose(smoke_context)
    assert "**Was it beneficial to use the unlabelled data? No: no method that uses the unlabelled images" in text
    assert "2.3 Was unlabelled data beneficial?** No: no method" in text
    gain = next(r for r in versus if r["a"] == "dae/chosen" and r["budget"] == low and r["protocol"] == "uniform")
    gain.update(mean_difference=0.02, ci95_low=0.01, ci95_high=0.03)
    text = prose(smoke_context).replace("\u00a0", " ")
    assert (f"**Was it beneficial to use the unlabelled data? Yes, in 1 of the {len([r for r in versus if r['protocol'] == 'uniform'])} "
            f"comparisons, at {low} labels: the label-only selection on DAE codes beat the label-only selection on raw "
            f"pixels given the same labels by +2.0 points [1.0, 3.0]") in text
    assert "2.3 Was unlabelled data beneficial?** Yes, in 1 of the" in text
    assert "**Which representation worked best? " in text


ANSWER_FIRST = {  # a discussion question's bold opening -> what its answer must start with (None: any sentence)
    "Did we train a generative model?": ("Yes", "No", "Partly"),
    "How is the latent space populated, and what lives in the gaps?": None,
    "Was it beneficial to use the unlabelled data?": ("Yes", "No", "Mostly no"),
    "Which representation worked best?": None,
}


def answer_first_problems(text: str) -> list[str]:
    """Discussion questions whose bold opening does not carry an answer sentence, and bold task openings
    ('**(a) ...**') that are not a full sentence."""
    problems = []
    for question, starts in ANSWER_FIRST.items():
        found = re.search(r"\*\*" + re.escape(question) + r"\s*(.*?)\*\*", text)
        if not found:
            problems.append(f"missing: {question}")
            continue
        answer = found.group(1).strip()
        if len(answer.split()) < 3 or not answer.endswith("."):
            problems.append(f"no answer sentence after: {question}")
        elif starts and not answer.startswith(starts):
            problems.append(f"not a {'/'.join(starts)} answer: {question}")
    for opening in re.findall(r"\*\*\(([a-c])\) (.*?)\*\*", text):
        if len(opening[1].split()) < 4 or not opening[1].rstrip().endswith("."):
            problems.append(f"task ({opening[0]}) opens without a sentence: {opening[1][:40]}")
    return problems


def test_the_answer_first_check_can_fail():
    good = "**Did we train a generative model? Yes: the samples are digits.** Evidence."
    assert "missing: Which representation worked best?" in answer_first_problems(good)
    assert not [p for p in answer_first_problems(good) if "generative" in p]
    assert answer_first_problems("**Did we train a generative model?** The test loss fell.")[0].startswith("no answer")
    assert "task (b) opens without a sentence: Motivation" in answer_first_problems("**(b) Motivation.**")[-1] or \
        any("task (b)" in p for p in answer_first_problems("**(b) Motivation**"))


@pytest.mark.integration
def test_every_discussion_question_opens_with_its_answer(smoke_context):
    assert answer_first_problems(prose(smoke_context)) == []


@pytest.mark.integration
def test_no_run_together_sentences(smoke_context):
    text = prose(smoke_context)
    text = re.sub(r"`[^`]*`|\]\([^)]*\)|https?://\S+", "", text)  # code, link targets and addresses
    assert re.findall(r"[a-z0-9)\]]\.[A-Z][a-z]", text) == []


def test_best_input_reads_the_difference_either_way_round_and_needs_an_interval_to_resolve():
    chosen = {"vae": {100: {"mean_accuracy": 0.60}}, "dae": {100: {"mean_accuracy": 0.66}},
              "pixels": {100: {"mean_accuracy": 0.64}}}
    d = {"mean_difference": -0.02, "ci95_low": -0.03, "ci95_high": -0.01}
    differences = {("dae", "pixels"): {100: {**d, "mean_difference": 0.02, "ci95_low": 0.01, "ci95_high": 0.03,
                                             "verdict": "above"}},
                   ("vae", "dae"): {100: {**d, "verdict": "below"}}}
    best = findings._best_input(chosen, differences, 100)
    assert (best["best"], best["second"], best["resolved"]) == ("dae", "pixels", True)
    differences[("dae", "pixels")][100].update(ci95_low=-0.01, verdict="unclear")
    assert findings._best_input(chosen, differences, 100)["resolved"] is False
    flipped = findings._flip({"mean_difference": -0.02, "ci95_low": -0.03, "ci95_high": -0.01})
    assert (flipped["mean_difference"], flipped["ci95_low"], flipped["ci95_high"], flipped["verdict"]) == \
        (0.02, 0.01, 0.03, "above")


def test_preprocessing_facts_name_the_commonest_choice_and_the_ablation():
    metrics = {"chosen_counts": {"vae": {"100": {"preprocessing": {"active": 4, "none": 1}, "encoding": {"codes": 5},
                                                 "classifier": {"logreg": 5}}}},
               "ablation": [{"representation": "vae", "budget": 100, "encoding": "codes", "preprocessing": p,
                             "mean_accuracy": a} for p, a in (("active", 0.6), ("standardise", 0.5), ("none", 0.58))]}
    facts = findings._preprocessing_facts(metrics, [100])["vae"][100]
    assert (facts["preprocessing"], facts["n"], facts["counts"]["preprocessing"]["active"]) == ("active", 5, 4)
    assert facts["by_preprocessing"] == {"active": 0.6, "standardise": 0.5, "none": 0.58}


def architecture_view(conv_minus_mlp: float, own: bool = False):
    """A measured mlp-against-conv comparison (as `report.MeasuredChoices` reads it from study cells) whose
    conv − mlp held-out loss difference is `conv_minus_mlp` ± 1 nat."""
    from types import SimpleNamespace

    from vaereport.reporting import robustness

    d = {"mean": conv_minus_mlp, "low": conv_minus_mlp - 1, "high": conv_minus_mlp + 1, "se": 0.5, "n": 10000}
    acc = {"mean": 0.02, "low": 0.01, "high": 0.03, "n": 5}
    q1 = [{"architecture": a, "decoder": "bernoulli", "epochs": 10, "n_validation": 10000, "validation_neg_elbo": 140.0,
           "validation_mse": 0.02, "n_parameters": 1000, "seconds_per_epoch": s, "paired": p}
          for a, s, p in (("mlp", 5.0, None), ("conv", 20.0, d))]
    q2 = [{"architecture": a, "epochs": 10, "latent_dim": 16, "n_validation": 10000, "vae_loss": 250.0, "dae_loss": 240.0,
           "vae_mse": 0.01, "dae_mse": 0.01, "n_parameters": 1000, "seconds_per_epoch": s, "budgets": [100, 1000],
           "accuracy": {(rep, l): {"mean_accuracy": 0.7} for rep in ("vae", "dae") for l in (100, 1000)},
           "paired": {"VAE": p, "DAE": p, **{(rep, l): None if p is None else acc for rep in ("vae", "dae")
                                             for l in (100, 1000)}}}
          for a, s, p in (("mlp", 8.0, None), ("conv", 40.0, d))]
    return SimpleNamespace(q1=q1, q2=q2, q1_verdict=robustness.architecture_verdict(q1), q1_decoder=[], q1_decoder_verdict=None, q1_encoder=[], q1_encoder_verdict=None,
                           q2_verdict=robustness.architecture_verdict(q2, "VAE"), available=True, own=own, source="study_smoke",
                           q1_longer=[], q2_longer=[], q1_equal_time=None, q2_equal_time=None,
                           where=lambda: "@sec-robust-arch" if own else "the study")


def with_architecture(ctx: dict, arch) -> dict:
    """The report context with `arch` as its measured architecture comparison, and the sentences drawn from it."""
    from vaereport.reporting import report

    ctx["arch"] = arch
    ctx.update(report.architecture_sentences(arch, ctx["train_seconds"]))
    return ctx


@pytest.mark.integration
def test_architecture_answers_follow_the_measured_comparison(smoke_context):
    from types import SimpleNamespace

    # no study cells yet (whatever other tests have run in the shared smoke build)
    with_architecture(smoke_context, SimpleNamespace(q1=[], q2=[], q1_verdict=None, q2_verdict=None, available=False,
                                                     q1_decoder=[], q1_decoder_verdict=None, q1_encoder=[], q1_encoder_verdict=None, q1_longer=[], q2_longer=[],
                                                     q1_equal_time=None, q2_equal_time=None,
                                                     own=False, source="study_smoke", where=lambda: "the study"))
    assert "No convolutional model was measured for this report." in prose(smoke_context)
    with_architecture(smoke_context, architecture_view(-3.0))
    text = prose(smoke_context).replace("\u00a0", " ")
    assert ("**(b) Fully connected, although the Keras VAE example's convolutional encoder and decoder fit held-out digits better: "
            "on a CPU it costs 4.0 times the training time.**") in text
    assert "conv − dense in negative ELBO is −3.0 nats (95 % interval −4.0 to −2.0) per image" in text
    assert "with convolutional models, training the report's models would take about" in text
    assert "convolutional layers fit held-out garments better but cost 5.0 times the time per epoch.**" in text
    assert "The dense models are kept because with convolutional models" in text
    assert ("; in the label-only selection's accuracy the difference is "
            "resolved on VAE codes with 100 labels, 2.0 points (95 % interval 1.0 to 3.0); on DAE codes") in text
    equal = architecture_view(-3.0)
    equal.q2_equal_time = {"epochs": 29, "conv_epochs": 5, "seconds": 140.0, "conv_seconds": 143.0,
                           "paired": {"mean": -1.0, "low": -1.2, "high": -0.8}, "dae_paired": {"mean": -0.5, "low": -0.7, "high": -0.3},
                           "accuracy": {}, "dense_better": True, "conv_better": False}
    text = prose(with_architecture(smoke_context, equal)).replace("\u00a0", " ")
    assert "but in no more training time the dense ones fit better.**" in text
    assert "Trained for 29 epochs in 140 s (VAE and DAE together), against 143 s for the convolutional models' 5" in text
    assert "The dense models are kept because" not in text
    assert "given no more than its training time (29 epochs instead of 5), the dense VAE's is lower by 1.0 nats" in text
    with_architecture(smoke_context, architecture_view(-3.0))
    smoke_context["arch"].q2[1]["paired"][("vae", 100)] = {"mean": 0.0, "low": -0.01, "high": 0.01, "n": 5}
    text = prose(smoke_context).replace("\u00a0", " ")
    assert "the difference is resolved only on DAE codes with 100 labels" in text
    assert "1,000 labels, 2.0 points (95 % interval 1.0 to 3.0); the other interval includes zero." in text
    with_architecture(smoke_context, architecture_view(3.0))
    text = prose(smoke_context).replace("\u00a0", " ")
    assert "**(b) Fully connected: measured against the Keras VAE example's convolutional encoder and decoder, it fits held-out " \
           "digits better in 25 % of the training time.**" in text
    assert "convolutional layers fit held-out garments worse at 5.0 times the time per epoch.**" in text
    assert "convolutional VAE's held-out negative ELBO is higher by 3.0 nats (95 % interval 2.0 to 4.0) at 5.0 times the time per epoch" in text
    with_architecture(smoke_context, architecture_view(0.0))
    text = prose(smoke_context)
    assert "fit held-out digits no better by a resolved margin" in text and "is not resolved as lower or higher" in text
    assert answer_first_problems(text) == []


@pytest.mark.integration
def test_sigma_answer_whether_or_not_the_study_trained_the_reports_sigma(smoke_context):
    sigma = smoke_context["q1"].meta["params"]["gaussian_sigma"]
    others = [s for s in (0.05, 0.1, 0.2, 0.3, 0.5) if s != sigma][:2]

    def row(s, elbo, vs_best):
        return {"sigma": s, "epochs": 10, "n_validation": 500, "validation_neg_elbo": elbo,
                "validation_mse": 0.05, "vs_best": vs_best}

    # the study's grid holds neither the report's σ (study_smoke trains 0.1 and 0.3 while smoke keeps 0.2)
    smoke_context["arch"].sigma = [row(others[0], 100.0, None), row(others[1], 120.0, {"mean": 20.0, "low": 18.0, "high": 22.0})]
    smoke_context["measured_sigma"] = others[0]
    text = prose(smoke_context)
    assert f"**σ = {sigma}, fixed before training; held-out images favour σ = {others[0]}, on which no conclusion" in text
    assert f", σ = {sigma} being" not in text and answer_first_problems(text) == []
    # the report's σ is trained and is not the best: its paired difference from the best is cited
    smoke_context["arch"].sigma.append(row(sigma, 110.0, {"mean": 10.0, "low": 8.0, "high": 12.0}))
    text = prose(smoke_context)
    assert f"σ = {sigma} being 10 nats (95 % interval 8 to 12, paired over the images) above σ = {others[0]}" in text
    # the report's σ is the best
    smoke_context["measured_sigma"] = sigma
    assert f"**σ = {sigma}: of the values trained," in prose(smoke_context)


def test_share_difference_matches_a_hand_computed_wald_interval():
    d = findings.share_difference(0.8, 1000, 0.95, 10000)
    half = 1.96 * ((0.8 * 0.2 / 1000 + 0.95 * 0.05 / 10000) ** 0.5)  # 0.0254
    assert d["mean"] == pytest.approx(-0.15)
    assert (d["low"], d["high"]) == pytest.approx((-0.15 - half, -0.15 + half))
    assert findings.share_difference(0.5, 10, 0.5, 10)["low"] < 0 < findings.share_difference(0.5, 10, 0.5, 10)["high"]


def test_reconstruction_gap_is_oriented_worse_minus_better_and_resolved_only_when_its_interval_excludes_zero():
    from vaereport.science.training import paired_difference

    vae, dae = np.array([220.0, 222.0, 221.0, 223.0]), np.array([229.0, 230.0, 228.0, 231.0])
    metrics = {"reconstruction": {"VAE": {"nll_nats": vae.mean()}, "DAE": {"nll_nats": dae.mean()}},
               "models": {"VAE": {"final_train_loss": 1.0}, "DAE": {"final_train_loss": 2.0}},
               "reconstruction_difference": {"VAE - DAE": paired_difference(vae, dae)}}
    facts = findings.reconstruction_facts(metrics)
    assert (facts["better"], facts["gap_nats"], facts["resolved"]) == ("VAE", pytest.approx(8.0), True)
    assert facts["gap_interval"][0] < 8.0 < facts["gap_interval"][1]
    noisy = np.array([210.0, 240.0, 215.0, 236.0])
    metrics["reconstruction"]["DAE"]["nll_nats"] = noisy.mean()
    metrics["reconstruction_difference"]["VAE - DAE"] = paired_difference(vae, noisy)
    facts = findings.reconstruction_facts(metrics)
    assert facts["gap_interval"][0] < 0 < facts["gap_interval"][1] and not facts["resolved"]
    del metrics["reconstruction_difference"]
    assert findings.reconstruction_facts(metrics)["gap_interval"] is None


SOFTWARE_IN_PROSE = re.compile(r"\bmake (report|study|render|bench|setup|test|runs|q1|q2)\b|PROFILE=|\bvaereport (run|report|render)\b|cache key|this build|"
                               r"\brun id\b|\b[0-9a-f]{16}\b")


def software_in_prose(text: str) -> list[str]:
    """Build commands, cache keys and run ids in the report's body and Summary (everything before the
    provenance appendix, where they belong)."""
    body = text.split("# Appendix: provenance")[0]
    body = re.sub(r"\]\([^)]*\)", "]", body)  # link targets (a caption's link to its notebook) are not prose
    return [m.group(0) for m in SOFTWARE_IN_PROSE.finditer(body)]


def test_the_software_check_can_fail():
    text = "Use σ = 0.2 (`make report PROFILE=study` measures it; cache key 3fa2c1d4e5f60718).\n# Appendix: provenance\nkey"
    assert software_in_prose(text) == ["make report", "PROFILE=", "cache key", "3fa2c1d4e5f60718"]
    assert software_in_prose("Both choices make a difference of 2 nats.") == []
    assert software_in_prose("[notebook](build/smoke/runs/q1/3fa2c1d4e5f60718/q1.ipynb) shows it.") == []


@pytest.mark.integration
def test_no_build_commands_cache_keys_or_run_ids_in_the_body(smoke_context):
    from vaereport.reporting import report

    assert software_in_prose(report.fill("smoke", smoke_context)) == []


def test_gap_images_are_described_in_words_without_numbers():
    base = {"has_gaps": True, "n_points": 6, "named_as_neighbour": 5, "n_mixed": 4, "named_verdict": "below"}
    assert findings.gap_images_in_words(base) == ("one of the two digits whose regions meet there, drawn less "
                                                   "distinctly than digits decoded elsewhere")
    assert findings.gap_images_in_words({**base, "n_mixed": 3, "named_verdict": "unclear"}) == \
        "digits of the classes around them"
    assert findings.gap_images_in_words({**base, "named_as_neighbour": 3}) == "shapes that are mostly none of the digits around them"
    assert findings.gap_images_in_words({**base, "n_points": 0}) is None
    assert findings.gap_images_in_words({**base, "has_gaps": False}) is None


def test_the_accuracy_table_shows_the_few_label_budgets():
    assert findings.display_budgets([100, 300, 1000, 3000, 10000, 60000]) == [100, 300, 1000, 3000, 10000, 60000]
    assert findings.display_budgets([100, 200, 300, 1000, 3000, 10000, 60000]) == [100, 300, 1000, 10000, 60000]
    assert findings.display_budgets([100, 500]) == [100, 500]


def test_the_gap_points_table_names_the_classes_around_each_point_and_the_decoded_digit():
    gaps = {"neighbours": [{"classes": [2, 3], "shares": [0.76, 0.08]}, {"classes": [6, 5], "shares": [0.48, 0.32]}],
            "named": [2, 9], "confidence": [0.97, 0.55]}
    rows = findings.gap_point_rows(gaps, [str(d) for d in range(10)])
    assert rows == [{"point": 1, "around": "76\u00a0% 2s, 8\u00a0% 3s", "named": "2", "confidence": 0.97, "one_of_them": "yes"},
                    {"point": 2, "around": "48\u00a0% 6s, 32\u00a0% 5s", "named": "9", "confidence": 0.55, "one_of_them": "no"}]
