"""Every sentence true: no number typed into the templates, and each conditional sentence of the prose
driven through its branches with metrics made to take them."""

import copy
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from vaereport import findings
from vaereport.genmetrics import bootstrap_frechet, frechet_distance, frechet_from_moments

# Numbers a template may state in words of its own: question and task numbers, the assignment's "2-D",
# the image size, the interval level, the published benchmark's facts, N(0, I), SHA-256.
ALLOWED = [r"1\.[1-5]\.?", r"\*{0,2}Q[12](\.[123](–2\.2)?)?\*{0,2},?", r"(Tasks? )?2\.[123](–2\.[23])?", r"2-D\)?\.?",
           r"784(-dimensional)?", r"\(?95", r"60,000", r"2017\)", r"N\(0,", r"SHA-256:"]


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
                       "rise_since_min": 0.0, "final_gap": 3.0, "lowest_at_end": True}}
    late = copy.deepcopy(still)
    late["curve"].update(last=141.0, min_epoch=30, rise_since_min=1.0, lowest_at_end=False, final_gap=-0.5)
    assert findings.curve_facts(still)["overfits"] is False and findings.curve_facts(still)["test_above_train"]
    assert findings.curve_facts(late)["overfits"] is True and not findings.curve_facts(late)["test_above_train"]


def test_gap_facts():
    gaps = {"ratios": [0.01, 0.2], "prior_mass_below": {"of_disc_mass": 0.0, "of_all_prior_mass": 0.0,
                                                         "disc_mass": 0.39, "n_samples": 10}}
    assert findings.gap_facts(gaps)["has_gaps"] is False
    gaps["prior_mass_below"]["of_disc_mass"] = 0.00046
    facts = findings.gap_facts(gaps)
    assert facts["has_gaps"] and facts["ratio_low"] == 0.01 and facts["ratio_high"] == 0.2


def semisup_metrics(vae_minus_dae, code_minus_pixels, spreading_minus_chosen):
    """Synthetic Q2.3 metrics with two budgets; each argument maps budget -> (mean, low, high) of a difference."""
    budgets = [100, 60000]
    summary = [{"budget": l, "representation": rep, "classifier": clf, "n": 5 if l == 100 else 1,
                "mean_accuracy": 0.7 + 0.1 * (l > 100) + 0.01 * i, "std_accuracy": 0.01 if l == 100 else None,
                "ci95_low": 0.69 if l == 100 else None, "ci95_high": 0.72 if l == 100 else None}
               for l in budgets for i, (rep, clf) in enumerate([("vae", "chosen"), ("dae", "chosen"),
                                                                ("pixels", "chosen"), ("vae", "mlp"),
                                                                ("vae", "label_spreading"), ("dae", "label_spreading")])]
    paired = []
    for (a, b), diffs in ((("vae/chosen", "dae/chosen"), vae_minus_dae),
                          (("vae/chosen", "pixels/chosen"), code_minus_pixels),
                          (("dae/chosen", "pixels/chosen"), code_minus_pixels),
                          (("vae/label_spreading", "vae/chosen"), spreading_minus_chosen),
                          (("dae/label_spreading", "dae/chosen"), spreading_minus_chosen)):
        paired += [{"budget": l, "a": a, "b": b, "n": 5, "mean_difference": m, "ci95_low": lo, "ci95_high": hi}
                   for l, (m, lo, hi) in diffs.items()]
    return {"budgets": budgets, "summary": summary, "paired": paired,
            "best_by_test": {"vae": {"100": {"classifier": "mlp", "mean_accuracy": 0.72}},
                             "dae": {"100": {"classifier": "svm_rbf", "mean_accuracy": 0.73}}}}


def test_semisup_facts_say_helped_only_where_the_interval_excludes_zero():
    m = semisup_metrics(vae_minus_dae={100: (0.02, 0.01, 0.03), 60000: (-0.01, None, None)},
                        code_minus_pixels={100: (0.03, 0.01, 0.05), 60000: (-0.02, None, None)},
                        spreading_minus_chosen={100: (0.01, -0.01, 0.03)})
    f = findings.semisup_facts(m)
    assert f["vae_ahead"] == [100] and f["dae_ahead"] == [] and f["single"] == [60000]
    assert f["vae_helped"] == [100] and f["vae_hurt"] == [] and f["dae_helped"] == [100]
    assert f["vae_spreading_adds"] == [] and f["vae_spreading_loses"] == []
    assert f["best_by_test"]["vae"][100]["classifier"] == "mlp"
    m2 = semisup_metrics(vae_minus_dae={100: (-0.02, -0.03, -0.01)},
                         code_minus_pixels={100: (-0.001, -0.02, 0.01)},
                         spreading_minus_chosen={100: (0.02, 0.01, 0.03)})
    f2 = findings.semisup_facts(m2)
    assert f2["dae_ahead"] == [100] and f2["vae_helped"] == [] and f2["vae_hurt"] == []
    assert f2["dae_spreading_adds"] == [100]


def test_summary_pivot_marks_the_best_and_gives_no_spread_for_single_runs():
    m = semisup_metrics({}, {}, {})
    rows = findings.summary_pivot(m, [100, 60000])
    best = [r for r in rows if r["100"].startswith("**")]
    assert len(best) == 1 and best[0]["representation"] == "DAE" and best[0]["classifier"] == "label spreading"
    assert all("±" not in r["60000"] for r in rows) and all("±" in r["100"] for r in rows)


def test_labels_needed_reports_at_most_when_met_at_the_smallest_budget():
    import pandas as pd

    from vaereport.semisup import labels_needed

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


def test_bootstrap_intervals_cover_the_estimate_and_order_differences():
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(400, 4))
    near, far = rng.normal(size=(400, 4)) + 0.2, rng.normal(size=(400, 4)) + 2.0
    out = bootstrap_frechet({"near": near, "far": far}, ref, n_boot=50, seed=0, pairs=[("far", "near")])
    for name in ("near", "far"):
        assert out[name]["ci95_low"] <= out[name]["fd"] <= out[name]["ci95_high"] or name == "near"
    assert out["far - near"]["ci95_low"] > 0
    assert findings.interval_verdict(out["far - near"]["ci95_low"], out["far - near"]["ci95_high"]) == "above"


def test_schema_requires_more_generated_images_than_features():
    from vaereport.errors import ParameterError
    from vaereport.params import load_params
    from vaereport.schema import FEATURE_DIM

    with pytest.raises(ParameterError, match="out of range"):
        load_params("q2_representations", "smoke", [f"n_generated={FEATURE_DIM}"])
    assert load_params("q2_representations", "smoke", [f"n_generated={FEATURE_DIM + 1}"])["n_generated"] == FEATURE_DIM + 1


# ---------------------------------------------------------------- the templates' branches
@pytest.fixture
def smoke_context(smoke_build, monkeypatch):
    """The report context of the smoke build, to be altered so the prose takes each branch."""
    from vaereport import report

    out, env, _ = smoke_build
    monkeypatch.setenv("VAEREPORT_BUILD_DIR", env["VAEREPORT_BUILD_DIR"])
    return report.context("smoke")


def prose(ctx) -> str:
    from vaereport import report

    return re.sub(r"\s+", " ", report.fill("smoke", ctx))


@pytest.mark.integration
def test_q1_prose_follows_the_held_out_curve_and_the_gap_measure(smoke_context):
    q1 = smoke_context["q1"].metrics
    curve = q1["models"]["bernoulli"]["curve"]
    curve.update(lowest_at_end=True, rise_since_min=0.0)
    assert "there is no sign of over-fitting" in prose(smoke_context)
    curve.update(lowest_at_end=False, min_epoch=1, rise_since_min=0.5, noise=1.0, min=curve["first"])
    assert "held-out curve has flattened, with no clear sign of over-fitting yet" in prose(smoke_context)
    curve.update(rise_since_min=5.0, noise=1.0)
    text = prose(smoke_context)
    assert "more than the 1.00 nats by which two evaluations can differ" in text
    assert "the model began to over-fit after epoch 1" in text
    q1["gaps"]["prior_mass_below"].update(of_disc_mass=0.0, of_all_prior_mass=0.0)
    assert "by this measure there are no gaps near the origin" in prose(smoke_context)
    q1["gaps"]["prior_mass_below"].update(of_disc_mass=0.00046, of_all_prior_mass=0.00018)
    text = prose(smoke_context)
    assert "On 0.046 % of the prior's mass inside the disc (0.018 % of all of it)" in text.replace("\u00a0", " ")
    assert "these are the gaps" in text


@pytest.mark.integration
def test_q2_generation_prose_follows_the_bootstrap_intervals(smoke_context):
    q2r = smoke_context["q2r"].metrics
    key = "DAE, code ~ N(0, I) - VAE, z ~ N(0, I)"
    q2r["frechet_differences"][key].update(fd=10.0, ci95_low=5.0, ci95_high=15.0)
    text = prose(smoke_context)
    assert "samples are farther from real images than the VAE's prior samples" in text
    assert "The reason is in the objectives" in text
    q2r["frechet_differences"][key].update(fd=1.0, ci95_low=-2.0, ci95_high=4.0)
    text = prose(smoke_context)
    assert "samples are not distinguishable from the VAE's prior samples" in text
    assert "The reason is in the objectives" not in text
    for model, better in (("VAE", "VAE"), ("DAE", "DAE")):
        other = "DAE" if model == "VAE" else "VAE"
        q2r["reconstruction"][model]["nll_nats"], q2r["reconstruction"][other]["nll_nats"] = 100.0, 120.0
        text = prose(smoke_context)
        assert f"The {better} reconstructs better, by 20.0 nats per image" in text
        assert ("This is what the objectives predict" in text) == (better == "DAE")


@pytest.mark.integration
def test_q2_semisupervised_prose_says_helped_only_with_an_interval_excluding_zero(smoke_context):
    q2s = smoke_context["q2s"].metrics
    low = q2s["budgets"][0]

    def set_diff(a, b, low_ci, high_ci, every_budget=False):
        for r in q2s["paired"]:
            if r["a"] == a and r["b"] == b and (every_budget or r["budget"] == low):
                r.update(mean_difference=(low_ci + high_ci) / 2, ci95_low=low_ci, ci95_high=high_ci)

    for rep in ("vae", "dae"):
        set_diff(f"{rep}/chosen", "pixels/chosen", -0.01, 0.01, every_budget=True)
    text = prose(smoke_context)
    assert "did not beat the same labels on raw pixels at any budget" in text
    assert "each with its honest choice of classifier: at no budget does the paired interval exclude zero" in text
    set_diff("dae/chosen", "pixels/chosen", -0.03, -0.01)
    assert f"the codes were worse (DAE codes at {low} labels)" in prose(smoke_context)
    set_diff("vae/chosen", "pixels/chosen", 0.01, 0.03)
    text = prose(smoke_context)
    assert f"better at {low} labels (at {low} labels: 2.0 points (95 % interval 1.0 to 3.0))" in text.replace("\u00a0", " ")
    assert "helped where the intervals above exclude zero" in text
    set_diff("vae/label_spreading", "vae/chosen", 0.02, 0.04)
    text = prose(smoke_context)
    assert "using the unlabelled data in the classifier adds to using it in the representation" in text
    set_diff("vae/chosen", "dae/chosen", -0.05, -0.01)
    assert f"The DAE codes are ahead at {low} labels" in prose(smoke_context)
