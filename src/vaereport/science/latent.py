"""Geometry of a 2-D latent space: where the prior has mass but the encoded data do not.

Emptiness is measured by density: the aggregate posterior q(z) = (1/N) sum_i N(z; m_i, diag s_i^2) of the
encoded images against the prior p(z) = N(0, I). Where q/p is small, sampling the prior lands in regions
the decoder was rarely trained on.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def log_normal_pdf_2d(points: np.ndarray, mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """log N(points[a]; mean[b], diag exp(log_var[b])) for every pair, shape (len(points), len(mean)).

    Summed one latent dimension at a time over (points, means) planes rather than through a
    (points, means, K) array: the same operations in the same order, so the same bits, at half the memory
    traffic."""
    var = np.exp(log_var)
    total = None
    for k in range(points.shape[1]):
        term = (points[:, k, None] - mean[None, :, k]) ** 2 / var[None, :, k] + log_var[None, :, k] + np.log(2 * np.pi)
        total = term if total is None else total + term
    return -0.5 * total


def aggregate_posterior_density(points: np.ndarray, z_mean: np.ndarray, z_log_var: np.ndarray,
                                chunk: int = 64) -> np.ndarray:
    """q(z) at points (m, K), the average of the N posteriors N(z_mean[i], diag exp(z_log_var[i]))."""
    out = np.empty(len(points))
    for start in range(0, len(points), chunk):
        logp = log_normal_pdf_2d(points[start:start + chunk], z_mean, z_log_var)
        top = logp.max(axis=1, keepdims=True)
        out[start:start + chunk] = np.exp(top[:, 0]) * np.exp(logp - top).mean(axis=1)
    return out


def prior_density(points: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.sum(points**2, axis=1)) / (2 * np.pi) ** (points.shape[1] / 2)


def density_ratio(points: np.ndarray, z_mean: np.ndarray, z_log_var: np.ndarray) -> np.ndarray:
    """q(z) / p(z) at points (m, K)."""
    return aggregate_posterior_density(points, z_mean, z_log_var) / prior_density(points)


def disc_grid(radius: float, resolution: int) -> np.ndarray:
    """Points of a square grid of `resolution` per side that lie within `radius` of the origin, (m, 2)."""
    axis = np.linspace(-radius, radius, resolution)
    grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    return grid[np.linalg.norm(grid, axis=1) <= radius]


def low_density_points(points: np.ndarray, ratio: np.ndarray, n: int, min_separation: float) -> np.ndarray:
    """Indices of up to n points with the smallest ratio, greedily kept at least `min_separation` apart."""
    chosen: list[int] = []
    for i in np.argsort(ratio, kind="stable"):
        if all(np.linalg.norm(points[i] - points[j]) >= min_separation for j in chosen):
            chosen.append(int(i))
        if len(chosen) == n:
            break
    return np.array(chosen, dtype=int)


def disc_prior_samples(z_mean: np.ndarray, z_log_var: np.ndarray, radius: float, threshold: float,
                       n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Of n_samples draws from the prior N(0, I), those within `radius` of the origin (m, K), and whether
    q/p is below `threshold` at each of them (m,): Monte-Carlo samples of the prior inside the disc and its gaps."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n_samples, z_mean.shape[1]))
    inside = s[np.linalg.norm(s, axis=1) <= radius]
    return inside, density_ratio(inside, z_mean, z_log_var) < threshold


def mass_below(below: np.ndarray, n_samples: int, radius: float, dim: int) -> dict:
    """The prior's mass where q/p is below the threshold, from `below` (m,) over the m of n_samples prior draws
    that fell within `radius`: the fraction of the disc's mass, the disc's exact mass (chi-square with `dim`
    degrees of freedom) and their product, the fraction of all of it."""
    from scipy.stats import chi2

    of_disc = float(np.mean(below)) if len(below) else 0.0
    disc_mass = float(chi2.cdf(radius**2, dim))
    return {"of_all_prior_mass": of_disc * disc_mass, "of_disc_mass": of_disc, "disc_mass": disc_mass,
            "n_samples": n_samples, "n_inside": int(len(below)), "n_below": int(np.sum(below))}


def prior_mass_below(z_mean: np.ndarray, z_log_var: np.ndarray, radius: float, threshold: float,
                     n_samples: int = 4000, seed: int = 0) -> dict:
    """Monte-Carlo estimate of the prior's mass within `radius` where q/p < threshold (see `mass_below`)."""
    _, below = disc_prior_samples(z_mean, z_log_var, radius, threshold, n_samples, seed)
    return mass_below(below, n_samples, radius, z_mean.shape[1])


def nearest_indices(z: np.ndarray, points: np.ndarray, k: int = 25) -> np.ndarray:
    """Indices (len(points), k) of the k encoded points nearest to each query point."""
    _, idx = cKDTree(z).query(points, k=k)
    return np.atleast_2d(idx)


def class_overlap(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray, k: int = 10,
                  n_classes: int = 10, top: int = 4) -> dict:
    """Which classes share territory in the latent plane: a k-nearest-neighbour vote among the training means
    (n, K) labels each test mean (m, K); `confusion[i][j]` is the share of class-i test digits voted j. The
    `pairs` are the `top` class pairs {i, j} with the largest symmetric confusion (share i->j plus j->i)."""
    from sklearn.neighbors import KNeighborsClassifier

    vote = KNeighborsClassifier(n_neighbors=k).fit(z_train, y_train).predict(z_test)
    confusion = np.zeros((n_classes, n_classes))
    np.add.at(confusion, (y_test, vote), 1.0)
    confusion /= np.maximum(confusion.sum(axis=1, keepdims=True), 1.0)
    pairs = sorted(((confusion[i, j] + confusion[j, i], i, j) for i in range(n_classes) for j in range(i + 1, n_classes)),
                   reverse=True)[:top]
    return {"k": k, "accuracy": float(np.mean(vote == y_test)), "confusion": confusion,
            "pairs": [{"classes": [int(i), int(j)], "confusion": float(c), "i_to_j": float(confusion[i, j]),
                       "j_to_i": float(confusion[j, i])} for c, i, j in pairs]}
