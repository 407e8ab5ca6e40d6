import numpy as np
import pytest

from vaereport.science import semisup
from vaereport.errors import ParameterError
from vaereport.science.constants import CLASSIFIERS


@pytest.fixture
def labels():
    return np.random.default_rng(0).integers(0, 10, size=6000)


def test_subsets_have_the_budget_sizes_and_are_reproducible(labels):
    counts = semisup.subset_counts([100, 1000, 6000], 6000, n_seeds=3)
    a = semisup.draw_subsets(labels, counts, seed=5)
    b = semisup.draw_subsets(labels, counts, seed=5)
    assert set(a) == {(100, 0), (100, 1), (100, 2), (1000, 0), (1000, 1), (1000, 2), (6000, 0)}
    for (l, _), idx in a.items():
        assert len(idx) == l and len(np.unique(idx)) == l
        np.testing.assert_array_equal(idx, b[(l, _)])
    assert not np.array_equal(a[(100, 0)], a[(100, 1)])
    c = semisup.draw_subsets(labels, {100: 1}, seed=6)
    assert not np.array_equal(a[(100, 0)], c[(100, 0)])


def test_small_budgets_get_more_subsets_and_the_first_ones_do_not_move(labels):
    counts = semisup.subset_counts([100, 300, 1000, 6000], 6000, n_seeds=5, n_seeds_small=20, small_budget_max=300)
    assert counts == {100: 20, 300: 20, 1000: 5, 6000: 1}
    many = semisup.draw_subsets(labels, counts, seed=5)
    few = semisup.draw_subsets(labels, semisup.subset_counts([100], 6000, n_seeds=5), seed=5)
    for r in range(5):  # more subsets add draws; the first five are those of a run with five
        np.testing.assert_array_equal(many[(100, r)], few[(100, r)])


def test_balanced_subsets_hold_l_over_c_of_every_class(labels):
    for l in (100, 105):
        idx = semisup.draw_subsets(labels, {l: 1}, 0, protocol="balanced")[(l, 0)]
        counts = np.bincount(labels[idx], minlength=10)
        assert len(np.unique(idx)) == l and counts.min() == l // 10 and counts.max() <= l // 10 + 1
    with pytest.raises(ParameterError, match="unknown protocol"):
        semisup.draw_subsets(labels, {100: 1}, 0, protocol="stratified")


def test_pca_is_fitted_on_the_training_images_without_labels():
    rng = np.random.default_rng(0)
    x_train, x_eval = rng.normal(size=(500, 30)), rng.normal(size=(200, 30)) + 5.0
    z_train, z_eval = semisup.pca_features(x_train, x_eval, 4, seed=0)
    assert z_train.shape == (500, 4) and z_eval.shape == (200, 4)
    np.testing.assert_allclose(z_train.mean(axis=0), 0, atol=1e-4)  # centred on the training images only
    assert np.abs(z_eval.mean(axis=0)).max() > 1  # the evaluation images take no part in the fit


def test_every_input_and_method_uses_the_same_subsets(labels):
    subsets = semisup.draw_subsets(labels, {100: 2, 300: 2}, 0)
    cells = semisup.plan_fits(subsets, ["vae", "dae", "pca", "pixels"], ["logreg", "knn"], svm_max_budget=10**6)
    keys = {}
    for cell in cells:
        keys.setdefault((cell.representation, cell.classifier), set()).add((cell.budget, cell.repetition))
    assert len(keys) == 8 and all(k == set(subsets) for k in keys.values())


@pytest.mark.parametrize("budgets,n_seeds,fragment", [
    ([100, 7000], 2, "exceed the 6000 training images"),
    ([9, 100], 2, "smaller than the 10 classes"),
    ([100], 0, "at least one labelled subset"),
])
def test_impossible_budgets_are_rejected(budgets, n_seeds, fragment):
    with pytest.raises(ParameterError, match=fragment):
        semisup.check_budgets(budgets, 6000, 10, n_seeds)


def test_classifier_sees_only_the_labelled_subset(monkeypatch, labels):
    """A spy estimator records what it is fitted on: the l labelled training labels, never test labels."""
    seen = {}

    class Spy:
        def fit(self, x, y):
            seen["fit_x"], seen["fit_y"] = x, y
            return self

        def predict(self, x):
            seen["predict_x"] = x
            return np.zeros(len(x), dtype=int)

    monkeypatch.setattr(semisup, "make_classifier", lambda *a, **k: Spy())
    rng = np.random.default_rng(1)
    x_train, x_test = rng.normal(size=(6000, 4)), rng.normal(size=(500, 4))
    y_test = np.full(500, 99)  # labels no training label can equal
    idx = semisup.draw_subsets(labels, {200: 1}, 0)[(200, 0)]
    row = semisup.fit_and_score(semisup.Fit(200, 0, "vae", "logreg"), x_train, labels, x_test, y_test, idx, 0)
    np.testing.assert_array_equal(seen["fit_y"], labels[idx])
    np.testing.assert_array_equal(seen["fit_x"], x_train[idx])
    assert 99 not in seen["fit_y"]
    assert seen["predict_x"] is x_test
    assert row["accuracy"] == 0.0


def test_real_pipeline_scores_a_separable_problem():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    x = rng.normal(size=(600, 2)) + 4 * np.eye(3)[y][:, :2] + 4 * (y == 2)[:, None]
    for name in CLASSIFIERS:
        row = semisup.fit_and_score(semisup.Fit(300, 0, "vae", name), x[:500], y[:500], x[500:], y[500:],
                                    np.arange(300), 0)
        assert row["accuracy"] > 0.9, name


def test_summary_interval_and_labels_needed():
    results = [{"budget": l, "repetition": r, "representation": "vae", "classifier": "mlp",
                "accuracy": acc + 0.01 * r, "fit_seconds": 0.1}
               for l, acc in ((100, 0.6), (1000, 0.8)) for r in range(3)]
    summary = semisup.summarise(results)
    row = summary[summary.budget == 100].iloc[0]
    assert row.mean_accuracy == pytest.approx(0.61)
    assert row.ci95_low < 0.61 < row.ci95_high
    needed = semisup.labels_needed(summary, 0.71).iloc[0]
    assert needed.labels_needed == pytest.approx(np.exp(np.log(100) + 0.5 * np.log(10)), rel=1e-6)
    assert semisup.labels_needed(summary, 0.95).iloc[0].labels_needed is None


# ---------------------------------------------------------------- the honest choice and label spreading
from vaereport.science import choice  # noqa: E402


@pytest.fixture
def blobs():
    """Ten well-separated classes in 4-D: (x_train, y_train, x_test, y_test)."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4, size=(10, 4))
    y_train, y_test = rng.integers(0, 10, 3000), rng.integers(0, 10, 500)
    return (centres[y_train] + rng.normal(size=(3000, 4)), y_train, centres[y_test] + rng.normal(size=(500, 4)), y_test)


RULE = choice.SelectionRule(folds=3, cv_max_labels=200, holdout_validation=100, holdout_train_max=150)


def test_selection_uses_stratified_folds_for_small_l_and_a_capped_holdout_for_large_l():
    y = np.repeat(np.arange(10), 10)
    splits, scheme = choice.selection_splits(y, RULE, seed=0)
    assert scheme == "3-fold CV" and len(splits) == 3
    for train, val in splits:
        assert set(train).isdisjoint(val) and len(train) + len(val) == len(y)
    y_big = np.repeat(np.arange(10), 100)
    (train, val), = choice.selection_splits(y_big, RULE, seed=0)[0]
    assert len(val) == 100 and len(train) == 150 and set(train).isdisjoint(val)
    y_lonely = np.array([0] * 20 + [1])  # one class has a single label: unstratified folds
    assert choice.selection_splits(y_lonely, RULE, seed=0)[1] == "3-fold CV (unstratified)"


def test_the_choice_never_sees_test_labels_and_reuses_the_sweeps_fit(blobs):
    x_train, y_train, x_test, y_test = blobs
    idx = np.arange(300)
    features = {"codes": (x_train, x_test)}
    opts = choice.options(features, ["standardise"], choice.candidates(["logreg", "knn"], 300, 10**6))
    first = choice.choose_and_score(features, y_train, y_test, idx, opts, RULE, 0)
    shuffled = choice.choose_and_score(features, y_train, np.roll(y_test, 1), idx, opts, RULE, 0)
    assert (first["classifier"], first["setting"], first["selection_accuracy"]) == \
        (shuffled["classifier"], shuffled["setting"], shuffled["selection_accuracy"])  # chosen without test labels
    assert first["accuracy"] > 0.9 and first["scheme"] == "hold-out"
    knn = choice.Option("codes", "standardise", "knn", (("n_neighbors", 5),))
    reused = choice.choose_and_score(features, y_train, y_test, idx, [knn], RULE, 0, reuse={knn: 0.123})
    assert reused["accuracy"] == 0.123


def test_every_input_gets_the_same_candidates_and_the_same_cost_cap():
    classifiers = list(CLASSIFIERS)
    below, above = choice.candidates(classifiers, 1000, 3000), choice.candidates(classifiers, 10000, 3000)
    assert ("svm_rbf", {"C": 10.0}) in below and all(c != "svm_rbf" for c, _ in above)
    labels = {rep: sorted(o.label for o in choice.options({e: None for e in semisup.ENCODINGS[rep]},
                                                          ["active", "none"], below))
              for rep in semisup.REPRESENTATION_LABELS}
    assert labels["vae"] == labels["dae"] == labels["pca"] == labels["pixels"]  # one encoding each, same options
    fits = semisup.plan_fits({(1000, 0): None, (10000, 0): None}, ["vae", "dae"], ["svm_rbf", "knn"], 3000)
    assert {(f.budget, f.classifier) for f in fits} == {(1000, "svm_rbf"), (1000, "knn"), (10000, "knn")}


def inactive_code(n, rng):
    """Two informative code dimensions (four classes at the corners of a square) and 40 near-constant ones
    (standard deviation 0.02), like a VAE's inactive units: standardising blows the latter up to unit noise."""
    y = rng.integers(0, 4, n)
    corners = np.array([[0, 0], [0, 3], [3, 0], [3, 3]])
    return np.hstack([corners[y] + rng.normal(scale=0.7, size=(n, 2)), rng.normal(scale=0.02, size=(n, 40))]), y


def test_the_selection_finds_that_standardising_inactive_dimensions_hurts():
    rng = np.random.default_rng(0)
    x_train, y_train = inactive_code(2000, rng)
    x_test, y_test = inactive_code(1000, rng)
    features = {"codes": (x_train, x_test)}
    opts = choice.options(features, ["standardise", "none", "active"], [("knn", {"n_neighbors": 5})])
    row = choice.choose_and_score(features, y_train, y_test, np.arange(150), opts, RULE, 0)
    by_prep = {v["preprocessing"]: v for v in row["variants"]}
    assert set(by_prep) == {"standardise", "none", "active"}
    assert by_prep["active"]["accuracy"] > by_prep["standardise"]["accuracy"] + 0.2
    assert by_prep["active"]["selection_accuracy"] > by_prep["standardise"]["selection_accuracy"]
    assert row["preprocessing"] in ("active", "none") and row["accuracy"] > 0.9
    active = semisup.make_classifier("knn", 150, 0, "active").fit(x_train[:150], y_train[:150])
    assert active.named_steps["active"].get_support().sum() == 2  # the active set, from the labelled codes only


def test_paired_differences_hold_simultaneously_over_the_budgets():
    from scipy import stats

    diffs = {100: [0.01, 0.03, 0.02, 0.05], 1000: [0.0, 0.01, -0.01, 0.02], 60000: [0.004]}
    results = []
    for l, ds in diffs.items():
        for r, d in enumerate(ds):
            results += [{"budget": l, "repetition": r, "representation": "vae", "classifier": "chosen", "accuracy": 0.5 + d},
                        {"budget": l, "repetition": r, "representation": "dae", "classifier": "chosen", "accuracy": 0.5}]
    table = semisup.paired_differences(results, ("vae", "chosen"), ("dae", "chosen")).set_index("budget")
    d = np.array(diffs[100])
    half = stats.t.ppf(1 - 0.05 / 4, 3) * d.std(ddof=1) / 2  # two budgets with an interval: each at 97.5 %
    assert table.loc[100, "family_size"] == 2
    assert table.loc[100, "ci95_high"] - table.loc[100, "mean_difference"] == pytest.approx(half)
    assert table.loc[100, "pointwise_high"] - table.loc[100, "mean_difference"] < half
    assert np.isnan(table.loc[60000, "ci95_low"])


def test_every_method_using_the_unlabelled_images_is_paired_with_pixels_label_only_selection():
    pairs = semisup.comparison_pairs(["vae", "pca", "pixels"], ["poisson"], ["finetune"])
    assert pairs["pixels/poisson vs pixels"] == (("pixels", "poisson"), semisup.YARDSTICK)
    assert pairs["vae/chosen vs pixels"] == (("vae", "chosen"), ("pixels", "chosen"))
    assert pairs["vae/finetune vs pixels"] == (("vae", "finetune"), ("pixels", "chosen"))
    assert "pixels/chosen vs pixels" not in pairs and "vae − pixels, chosen" not in pairs  # listed once
    assert pairs["vae − pca, chosen"] == (("vae", "chosen"), ("pca", "chosen"))
    assert pairs["vae − pixels, poisson"] == (("vae", "poisson"), ("pixels", "poisson"))


def test_the_yardstick_intervals_hold_over_all_its_comparisons_and_the_others_keep_theirs():
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [{"budget": l, "repetition": r, "representation": rep, "classifier": m, "accuracy": rng.uniform(0.5, 0.7)}
            for l in (100, 300) for r in range(6) for rep, m in (("vae", "chosen"), ("pca", "chosen"),
                                                                   ("pixels", "chosen"), ("vae", "poisson"))]
    pairs = semisup.comparison_pairs(["vae", "pca", "pixels"], ["poisson"])
    tables = {k: semisup.paired_differences(rows, a, b) for k, (a, b) in pairs.items()}
    paired = pd.concat(tables.values(), keys=tables.keys(), names=["comparison"]).reset_index(level=0)
    widened = semisup.simultaneous_versus_yardstick(paired)
    versus = widened.b == semisup.YARDSTICK_NAME
    assert versus.sum() == 6 and set(widened.family_size[versus]) == {6}  # 3 methods x 2 budgets
    assert ((widened.ci95_high - widened.ci95_low)[versus] > (paired.ci95_high - paired.ci95_low)[versus]).all()
    assert widened[~versus].equals(paired[~versus])


def test_a_forest_is_fitted_once_for_standardised_and_unscaled_features(blobs, monkeypatch):
    x_train, y_train, x_test, y_test = blobs
    features = {"codes": (x_train, x_test)}
    opts = choice.options(features, ["standardise", "none"], [("random_forest", {})])
    fitted = []
    real = choice.make_classifier
    monkeypatch.setattr(choice, "make_classifier", lambda name, n, seed, prep, **kw: fitted.append(prep) or
                        real(name, n, seed, prep, **kw))
    row = choice.choose_and_score(features, y_train, y_test, np.arange(300), opts, RULE, 0)
    assert fitted == ["none", "none"]  # one selection fit, one test fit: the two options are the same model
    by_prep = {v["preprocessing"]: v for v in row["variants"]}
    assert by_prep["standardise"]["accuracy"] == by_prep["none"]["accuracy"]
    # ... because it is: a forest on standardised features predicts what the forest on raw features does
    scaled = semisup.make_classifier("random_forest", 300, 0, "standardise").fit(x_train[:300], y_train[:300])
    raw = semisup.make_classifier("random_forest", 300, 0, "none").fit(x_train[:300], y_train[:300])
    assert np.array_equal(scaled.predict(x_test), raw.predict(x_test))


def test_without_the_ablation_only_the_chosen_option_is_refitted(blobs, monkeypatch):
    x_train, y_train, x_test, y_test = blobs
    features = {"codes": (x_train, x_test)}
    opts = choice.options(features, ["standardise", "none"], [("knn", {"n_neighbors": 5})])
    fitted = []
    real = choice.make_classifier
    monkeypatch.setattr(choice, "make_classifier", lambda name, n, seed, prep, **kw: fitted.append(prep) or
                        real(name, n, seed, prep, **kw))
    row = choice.choose_and_score(features, y_train, y_test, np.arange(300), opts, RULE, 0, ablate=False)
    assert len(fitted) == 2 * 1 + 1  # two options on the one hold-out split (l > cv_max_labels), then the chosen one
    assert [(v["encoding"], v["preprocessing"]) for v in row["variants"]] == [(row["encoding"], row["preprocessing"])]
