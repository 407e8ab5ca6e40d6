"""Graph-based semi-supervised learning: Poisson and Laplace learning (Calder et al., ICML 2020; Zhu et al.,
ICML 2003) from the `graphlearning` package, on one k-nearest-neighbour graph per input.

The graph is transductive: its nodes are every training image (labelled or not) and every evaluation image; the
labels of the l labelled training images are the only labels it sees. Evaluation labels only score the result.

Features are float arrays (n, k); labels are ints (n,); `indices` index the labelled training rows.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.neighbors import NearestNeighbors

# The graph methods and whether each rebalances its prediction to class priors (the package's volume label
# projection, with priors estimated from the l labels — never from the evaluation labels).
METHODS = {"poisson": ("poisson", False), "poisson_priors": ("poisson", True),
           "laplace": ("laplace", False), "laplace_priors": ("laplace", True)}
METHOD_LABELS = {"poisson": "Poisson learning", "poisson_priors": "Poisson learning, class priors",
                 "laplace": "Laplace learning", "laplace_priors": "Laplace learning, class priors"}


def knn_graph(x_train: np.ndarray, x_eval: np.ndarray, k: int):
    """The package's symmetrised Gaussian-weighted k-NN graph over the rows of [x_train; x_eval] ((n, n) sparse,
    n = n_train + n_eval), from exact Euclidean neighbours (scikit-learn), the self point included as the
    package expects."""
    import graphlearning as gl

    x = np.concatenate([x_train, x_eval]).astype(np.float32)  # float32 halves the cost of the pixels' search
    distances, neighbours = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)
    return gl.weightmatrix.knn(x, k, knn_data=(neighbours, distances.astype(np.float64)))


def methods_for(names: list[str], with_priors: list[str]) -> list[str]:
    """The method variants run for the solvers `names` ('poisson', 'laplace'); those in `with_priors` also
    rebalanced to the class priors of the labels."""
    return [m for name in names for m in (name, f"{name}_priors") if m == name or name in with_priors]


def score(graph, n_train: int, y_train: np.ndarray, y_eval: np.ndarray, indices: np.ndarray,
          methods: list[str]) -> dict[str, float]:
    """{method: accuracy on the evaluation nodes} for each of `methods` (keys of `METHODS`), with only the
    training rows `indices` labelled. A solve is shared by a method with and without priors (the priors only
    change how its scores are turned into labels). Classes absent from the labelled subset cannot be
    predicted."""
    import graphlearning as gl

    present, labels = np.unique(y_train[indices], return_inverse=True)  # the package wants labels 0..k-1
    accuracy, seconds = {}, {}
    for solver in dict.fromkeys(METHODS[m][0] for m in methods):
        started = time.perf_counter()
        model = getattr(gl.ssl, solver)(graph)
        model.fit(indices, labels)
        for m in methods:
            if METHODS[m] == (solver, False):
                predicted = model.predict(ignore_class_priors=True)
            elif METHODS[m] == (solver, True):
                model.class_priors = gl.utils.class_priors(labels)
                model.weights = 1
                model.volume_label_projection()
                predicted = model.predict()
            else:
                continue
            accuracy[m] = float(np.mean(present[predicted[n_train:]] == y_eval))
            seconds[m] = time.perf_counter() - started
    return {m: (accuracy[m], seconds[m]) for m in methods}


def score_subsets(graph, n_train: int, y_train: np.ndarray, y_eval: np.ndarray, subsets: dict,
                  methods: list[str]) -> dict:
    """`score` for each labelled subset {repetition: indices} on one graph: {repetition: {method: (accuracy,
    seconds)}} (one task per input and budget, so the graph is sent to a worker once)."""
    return {r: score(graph, n_train, y_train, y_eval, indices, methods) for r, indices in subsets.items()}
