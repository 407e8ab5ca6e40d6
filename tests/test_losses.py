import math

import numpy as np
import pytest
from scipy.stats import norm

from vaereport.science.losses import bernoulli_nll, gaussian_nll, kl_per_unit, kl_to_standard_normal, reconstruction_nll


def test_bernoulli_nll_matches_hand_computation():
    x = np.array([[1.0, 0.0, 0.5]], dtype="float32")
    logits = np.array([[2.0, -1.0, 0.0]], dtype="float32")
    p = 1 / (1 + np.exp(-logits))
    expected = -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
    assert float(bernoulli_nll(x, logits)[0]) == pytest.approx(expected, rel=1e-5)
    # hand value: -log sigmoid(2) - log(1 - sigmoid(-1)) + log 2
    hand = math.log(1 + math.exp(-2)) + math.log(1 + math.exp(-1)) + math.log(2)
    assert float(bernoulli_nll(x, logits)[0]) == pytest.approx(hand, rel=1e-5)


def test_bernoulli_nll_is_stable_for_extreme_logits():
    x = np.array([[1.0, 0.0]], dtype="float32")
    logits = np.array([[200.0, -200.0]], dtype="float32")
    assert float(bernoulli_nll(x, logits)[0]) == pytest.approx(0.0, abs=1e-6)
    wrong = np.array([[-200.0, 200.0]], dtype="float32")
    assert float(bernoulli_nll(x, wrong)[0]) == pytest.approx(400.0, rel=1e-5)


def test_gaussian_nll_includes_normaliser():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 784)).astype("float32")
    mean = rng.uniform(size=(3, 784)).astype("float32")
    expected = -norm.logpdf(x, loc=mean, scale=0.1).sum(axis=1)
    np.testing.assert_allclose(np.asarray(gaussian_nll(x, mean, 0.1)), expected, rtol=1e-4)
    # at x == mean only the normaliser remains: D * (log sigma + log(2 pi) / 2)
    zero = np.asarray(gaussian_nll(mean, mean, 0.1))
    np.testing.assert_allclose(zero, 784 * (math.log(0.1) + 0.5 * math.log(2 * math.pi)), rtol=1e-5)


def test_kl_closed_form_hand_value():
    m = np.array([[1.0, 0.0]], dtype="float32")
    log_var = np.array([[0.0, math.log(4.0)]], dtype="float32")
    # 1/2 [(1 + 1 - 0 - 1) + (0 + 4 - log 4 - 1)]
    expected = 0.5 * (1.0 + 3.0 - math.log(4.0))
    assert float(kl_to_standard_normal(m, log_var)[0]) == pytest.approx(expected, rel=1e-6)
    assert float(kl_to_standard_normal(np.zeros((1, 2), "float32"), np.zeros((1, 2), "float32"))[0]) == 0.0


def test_kl_matches_monte_carlo_estimate():
    rng = np.random.default_rng(1)
    m = np.array([0.7, -1.2, 0.1], dtype="float64")
    log_var = np.array([-1.0, 0.5, 0.0], dtype="float64")
    s = np.exp(0.5 * log_var)
    z = m + s * rng.standard_normal((400_000, 3))
    log_q = norm.logpdf(z, m, s).sum(axis=1)
    log_p = norm.logpdf(z).sum(axis=1)
    mc = np.mean(log_q - log_p)
    closed = float(kl_to_standard_normal(m[None].astype("float32"), log_var[None].astype("float32"))[0])
    assert closed == pytest.approx(mc, abs=0.01)


def test_reconstruction_dispatch_rejects_unknown_likelihood():
    with pytest.raises(ValueError, match="unknown likelihood"):
        reconstruction_nll("poisson", np.zeros((1, 2)), np.zeros((1, 2)))


def test_kl_per_unit_sums_to_the_kl_and_is_zero_where_the_posterior_is_the_prior():
    rng = np.random.default_rng(0)
    m, log_var = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")
    m[:, 2], log_var[:, 2] = 0.0, 0.0  # unit 3 is the prior for every image
    units = np.asarray(kl_per_unit(m, log_var))
    assert units.shape == (5, 4) and np.all(units[:, 2] == 0.0) and np.all(units >= 0)
    np.testing.assert_allclose(units.sum(axis=1), np.asarray(kl_to_standard_normal(m, log_var)), rtol=1e-6)
