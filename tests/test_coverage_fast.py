"""`geometry.covered`'s sieves give the brute force's answer draw by draw; coverage_k at M = 200,000
matches the closed form for one circle at the origin."""

from __future__ import annotations

import numpy as np
import pytest

from vae_geom import geometry as g


def posterior_set(seed: int, n: int = 400):
    """Typical posteriors, with points, lines (one sigma zero), a huge and a needle-thin ellipse."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 1.5, (n, 2))
    sigma = rng.uniform(0.05, 0.6, (n, 2))
    sigma[rng.random(n) < 0.1] = 0.0  # points (an AE's codes)
    sigma[rng.random(n) < 0.05, rng.integers(0, 2)] = 0.0  # lines
    sigma[0] = (50.0, 0.02)  # wider than every draw, and thinner than the raster's cells
    sigma[1] = (1e4, 1e4)  # covers everything
    return mu, sigma


def probes(mu, sigma, k: float, seed: int) -> np.ndarray:
    """Prior draws, plus points on the ellipses' borders and on the raster's cell edges, where a
    sieve that is not exact would disagree with the brute force."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, len(mu))
    border = mu + k * sigma * np.stack([np.cos(t), np.sin(t)], axis=1)
    edges = rng.integers(-300, 300, (2000, 2)) * g.COVER_CELL
    return np.concatenate([g.prior_samples(10_000, seed), border, edges, mu])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_covered_equals_the_brute_force_draw_by_draw(seed, k):
    mu, sigma = posterior_set(seed)
    for keep in (slice(None), slice(2, None)):  # with and without the two huge ellipses
        z = probes(mu[keep], sigma[keep], k, seed)
        fast = g.covered(z, mu[keep], sigma[keep], k)
        np.testing.assert_array_equal(fast, g.covered_brute(z, mu[keep], sigma[keep], k))


@pytest.mark.parametrize(
    "mu, sigma",
    [
        ((0.3, -0.2), (0.7, 0.4)),  # a single ellipse
        ((0.0, 0.0), (1.0, 1.0)),  # the prior's own circle
        ((2.5, 0.0), (0.01, 3.0)),  # a needle
        ((0.0, 0.0), (1e6, 1e6)),  # wider than everything
    ],
)
def test_a_single_ellipse_equals_the_brute_force_over_all_m_draws(mu, sigma):
    mu, sigma = np.array([mu]), np.array([sigma])
    z = g.prior_samples()
    for k in (1.0, 2.0):
        np.testing.assert_array_equal(g.covered(z, mu, sigma, k), g.covered_brute(z, mu, sigma, k))


@pytest.mark.parametrize(
    "name, spread, low, high",
    [
        ("collapsed", 0.05, 0.95, 1.0),  # every ellipse nearly the prior's circle
        ("small", 1.5, 0.005, 0.05),  # smaller than the raster's cells
        ("typical", 1.5, 0.05, 0.6),
    ],
)
def test_many_ellipses_equal_the_brute_force(name, spread, low, high):
    rng = np.random.default_rng(7)
    mu, sigma = rng.normal(0, spread, (3_000, 2)), rng.uniform(low, high, (3_000, 2))
    sigma[:, 0] *= rng.uniform(0.2, 1.0, 3_000)  # some anisotropy
    z = g.prior_samples(20_000, seed=3)
    for k in (1.0, 2.0):
        np.testing.assert_array_equal(g.covered(z, mu, sigma, k), g.covered_brute(z, mu, sigma, k))


def test_points_none_and_non_finite_draws_cover_or_are_covered_by_nothing():
    z = np.concatenate([g.prior_samples(1_000), [[np.nan, 0.0], [np.inf, 0.0], [0.0, -np.inf]]])
    mu = np.zeros((5, 2))
    assert not g.covered(z, mu, np.zeros_like(mu)).any()  # points: an AE
    assert not g.covered(z, np.zeros((0, 2)), np.zeros((0, 2))).any()  # n = 0
    hit = g.covered(z, mu, np.ones_like(mu), 1e9)
    assert hit[:-3].all() and not hit[-3:].any()
    assert g.covered(mu[:1], mu, np.ones_like(mu), 0.0).all()  # k = 0: only the centres


@pytest.mark.parametrize("s", [0.3, 0.7, 1.0, 1.5])
@pytest.mark.parametrize("k", [1.0, 2.0])
def test_coverage_of_one_circle_at_the_origin_matches_the_closed_form(s, k):
    # ||z||^2 ~ chi^2_2 under the prior, so the circle of radius k s holds 1 - exp(-(k s)^2 / 2);
    # the estimate from M fixed draws is within 3 standard errors of it
    assert g.COVERAGE_SAMPLES >= 200_000
    p = 1 - np.exp(-((k * s) ** 2) / 2)
    se = np.sqrt(p * (1 - p) / g.COVERAGE_SAMPLES)
    assert abs(g.coverage_k(np.zeros((1, 2)), np.full((1, 2), s), k) - p) <= 3 * se
