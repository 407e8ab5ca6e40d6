import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.svm import SVC

from vaereport.science import graph_ssl


@pytest.fixture(scope="module")
def moons():
    x, y = make_moons(n_samples=1200, noise=0.06, random_state=0)
    return x[:1000], y[:1000], x[1000:], y[1000:]


def test_graph_learning_beats_a_supervised_classifier_given_the_same_few_labels(moons):
    x_train, y_train, x_eval, y_eval = moons
    labelled = np.concatenate([np.flatnonzero(y_train == c)[:2] for c in (0, 1)])  # two labels per moon
    graph = graph_ssl.knn_graph(x_train, x_eval, k=10)
    assert graph.shape == (1200, 1200) and (graph != graph.T).nnz == 0  # all images, symmetric
    every = graph_ssl.methods_for(["poisson", "laplace"], ["poisson", "laplace"])
    scores = graph_ssl.score(graph, len(y_train), y_train, y_eval, labelled, every)
    assert set(scores) == {"poisson", "poisson_priors", "laplace", "laplace_priors"}
    supervised = float(np.mean(SVC().fit(x_train[labelled], y_train[labelled]).predict(x_eval) == y_eval))
    for method, (accuracy, seconds) in scores.items():
        assert accuracy > max(0.95, supervised + 0.05), method
        assert seconds >= 0


def test_evaluation_labels_never_reach_the_solver(moons):
    x_train, y_train, x_eval, y_eval = moons
    graph = graph_ssl.knn_graph(x_train, x_eval, k=10)
    labelled = np.arange(0, 1000, 100)
    a = graph_ssl.score(graph, 1000, y_train, y_eval, labelled, ["laplace"])["laplace"][0]
    flipped = 1 - y_eval  # scoring against the opposite labels gives the complementary accuracy
    b = graph_ssl.score(graph, 1000, y_train, flipped, labelled, ["laplace"])["laplace"][0]
    assert a + b == pytest.approx(1.0)


def test_classes_are_mapped_to_the_packages_zero_based_labels_and_back(moons):
    x_train, y_train, x_eval, y_eval = moons
    shifted = {c: 7 + 2 * c for c in (0, 1)}  # labels 7 and 9: not 0..k-1
    y_t, y_e = np.vectorize(shifted.get)(y_train), np.vectorize(shifted.get)(y_eval)
    graph = graph_ssl.knn_graph(x_train, x_eval, k=10)
    labelled = np.concatenate([np.flatnonzero(y_train == c)[:3] for c in (0, 1)])
    per_subset = graph_ssl.score_subsets(graph, 1000, y_t, y_e, {0: labelled, 1: labelled[::-1]}, ["poisson"])
    assert per_subset[0]["poisson"][0] > 0.95 and per_subset[0]["poisson"][0] == per_subset[1]["poisson"][0]


def test_prior_variants_only_for_the_solvers_named():
    assert graph_ssl.methods_for(["poisson", "laplace"], ["poisson"]) == ["poisson", "poisson_priors", "laplace"]
    assert graph_ssl.methods_for(["laplace"], []) == ["laplace"]
