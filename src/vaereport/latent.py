"""Geometry of a 2-D latent space: where the prior has mass but no test point lands."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def find_gaps(z: np.ndarray, n_gaps: int = 6, radius: float = 2.0, resolution: int = 121) -> tuple[np.ndarray, np.ndarray]:
    """Latent points within `radius` of the origin that are farthest from every encoded point.

    z: (n, 2) encoded means. Returns (points (k, 2), distance of each to its nearest encoded point (k,)),
    chosen greedily so that the gaps are at least `radius / 4` apart.
    """
    axis = np.linspace(-radius, radius, resolution)
    cand = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
    cand = cand[np.linalg.norm(cand, axis=1) <= radius]
    dist, _ = cKDTree(z).query(cand)
    chosen: list[int] = []
    for i in np.argsort(-dist, kind="stable"):
        if all(np.linalg.norm(cand[i] - cand[j]) >= radius / 4 for j in chosen):
            chosen.append(int(i))
        if len(chosen) == n_gaps:
            break
    return cand[chosen].astype("float32"), dist[chosen]


def nearest_neighbour_distances(z: np.ndarray) -> np.ndarray:
    """Distance from each point of z (n, 2) to its nearest other point."""
    dist, _ = cKDTree(z).query(z, k=2)
    return dist[:, 1]


def prior_mass_far_from_data(z: np.ndarray, radius: float, distance: float, n_samples: int = 20000, seed: int = 0) -> float:
    """Fraction of prior samples N(0, I) with |z| <= radius whose nearest encoded point is farther than `distance`."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n_samples, z.shape[1]))
    s = s[np.linalg.norm(s, axis=1) <= radius]
    dist, _ = cKDTree(z).query(s)
    return float(np.mean(dist > distance))


def nearest_indices(z: np.ndarray, points: np.ndarray, k: int = 25) -> np.ndarray:
    """Indices (len(points), k) of the k encoded points nearest to each query point."""
    _, idx = cKDTree(z).query(points, k=k)
    return np.atleast_2d(idx)
