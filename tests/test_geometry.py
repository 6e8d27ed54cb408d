"""Geometry against closed forms: Gaussian mass in k sigma, analytic KL, explicit densities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from vae_geom import geometry as g

M = 200_000  # Monte Carlo size for the oracle checks: standard error ~0.001


def gaussian_mass_inside(k: float) -> float:
    """Mass of a 2-D standard Gaussian inside its k-sigma circle: 1 - exp(-k^2 / 2) (the squared
    radius of N(0, I) in 2-D is chi-squared with 2 degrees of freedom, an exponential of mean 2)."""
    return float(1 - np.exp(-(k**2) / 2))


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.0])
def test_prior_mass_inside_k_sigma_matches_closed_form(k):
    z = g.prior_samples(M, seed=1)
    inside = ((z**2).sum(1) <= k * k).mean()
    assert inside == pytest.approx(gaussian_mass_inside(k), abs=0.004)


@pytest.mark.parametrize("k", [1.0, 2.0])
def test_coverage_of_one_posterior_equal_to_the_prior(k):
    cov = g.coverage_k(np.zeros((1, 2)), np.ones((1, 2)), k, m=M, seed=2)
    assert cov == pytest.approx(1 - np.exp(-(k**2) / 2), abs=0.004)


def test_points_cover_nothing(rng):
    mu = rng.normal(size=(500, 2))
    assert g.coverage_k(mu, np.zeros_like(mu), 1.0) == 0.0
    assert g.coverage_k(mu, np.zeros_like(mu), 2.0) == 0.0


def test_coverage_grows_when_every_sigma_grows(rng):
    mu = rng.normal(size=(50, 2)) * 1.5
    sigma = rng.uniform(0.05, 0.2, size=(50, 2))
    covs = [g.coverage_k(mu, sigma * s) for s in (0.5, 1, 2, 4, 8)]
    assert all(a < b for a, b in zip(covs, covs[1:], strict=False))
    assert covs[-1] > 0.9


def test_coverage_of_far_away_ellipses_is_zero():
    mu = np.full((10, 2), 50.0)
    assert g.coverage_k(mu, np.ones_like(mu)) == 0.0


def test_covered_matches_an_explicit_loop(rng):
    mu, sigma = rng.normal(size=(30, 2)), rng.uniform(0.1, 0.6, size=(30, 2))
    z = rng.normal(size=(400, 2))
    expected = [
        any(((zz - m) / s) @ ((zz - m) / s) <= 1 for m, s in zip(mu, sigma, strict=True))
        for zz in z
    ]
    assert g.covered(z, mu, sigma, 1.0, chunk=100).tolist() == expected


@pytest.mark.parametrize("n", [20, 360])
def test_aggregate_kl_is_zero_for_prior_posteriors(n):
    """q = p: both are 0, never a rounding below it (a model's record refuses a KL < 0; 360 float32
    posteriors summed to -7e-17 on an AMD EPYC with AVX-512, a collapsed rung's test split)."""
    d = g.aggregate_divergences(np.zeros((n, 2), np.float32), np.ones((n, 2), np.float32))
    assert 0 <= d["kl"] < 1e-9
    assert 0 <= d["js"] < 1e-9


@pytest.mark.parametrize("shift", [0.5, 1.0, 1.5])
def test_aggregate_kl_of_a_shifted_prior_matches_the_closed_form(shift):
    # KL(N(s, I) || N(0, I)) = |s|^2 / 2; the grid is 0.1 wide so a small bias is allowed
    d = g.aggregate_divergences(np.array([[shift, 0.0]]), np.ones((1, 2)))
    assert d["kl"] == pytest.approx(shift**2 / 2, rel=0.02)
    assert 0 < d["js"] < np.log(2)


def test_aggregate_density_matches_the_mixture_density(rng):
    mu, sigma = rng.normal(size=(5, 2)), rng.uniform(0.5, 1.0, size=(5, 2))
    grid = g.Grid(limit=4.0, size=160)
    q = g.aggregate_density(mu, sigma, grid)
    c = grid.centres
    zz = np.stack(np.meshgrid(c, c), axis=-1)  # [iy, ix, 2]
    expected = np.mean(
        [multivariate_normal(m, np.diag(s**2)).pdf(zz) for m, s in zip(mu, sigma, strict=True)],
        axis=0,
    )
    assert np.abs(q - expected).max() < 0.01 * expected.max()


def test_aggregate_masses_sum_to_one_also_for_points(rng):
    mu = rng.normal(size=(100, 2)) * 3
    q, outside = g.cell_masses(mu, np.zeros_like(mu))
    assert q.sum() + outside == pytest.approx(1.0)
    assert outside == pytest.approx(np.mean(np.abs(mu).max(1) > g.GRID_LIMIT))


def test_holes_none_for_prior_posteriors_many_for_points(rng):
    assert g.holes_fraction(np.zeros((3, 2)), np.ones((3, 2))) == 0.0
    mu = rng.normal(size=(200, 2))
    # each point fills at most one cell, so at least (cells - 200) of the disc's cells stay holes
    cells = g.inside_disc().sum()
    assert g.holes_fraction(mu, np.zeros_like(mu)) >= 1 - 200 / cells
    hm = g.holes_map(mu, np.zeros_like(mu))
    assert not hm[~g.inside_disc()].any()  # holes are only counted inside the 2-sigma disc


def test_ellipse_outlines_lie_on_their_ellipses(rng):
    mu, sigma = rng.normal(size=(7, 2)), rng.uniform(0.1, 2, size=(7, 2))
    xy = g.ellipse_outlines(mu, sigma, k=2.0, vertices=24)
    assert xy.shape == (7 * 26, 2) and xy.dtype == np.float32
    rows = xy.reshape(7, 26, 2)
    assert np.isnan(rows[:, -1]).all() and np.isfinite(rows[:, :-1]).all()
    r = (((rows[:, :-1] - mu[:, None]) / sigma[:, None]) ** 2).sum(-1)
    np.testing.assert_allclose(r, 4.0, rtol=1e-4)
    np.testing.assert_allclose(rows[:, 0], rows[:, -2], atol=1e-6)  # closed


def test_responsibilities_match_explicit_densities(rng):
    mu, sigma = rng.normal(size=(6, 2)), rng.uniform(0.3, 1.0, size=(6, 2))
    z = np.array([0.2, -0.4])
    dens = np.array(
        [multivariate_normal(m, np.diag(s**2)).pdf(z) for m, s in zip(mu, sigma, strict=True)]
    )
    np.testing.assert_allclose(g.responsibilities(z, mu, sigma), dens / dens.sum(), rtol=1e-9)


def test_responsibilities_far_away_still_sum_to_one_and_points_give_zeros(rng):
    mu, sigma = rng.normal(size=(4, 2)), np.full((4, 2), 0.01)
    r = g.responsibilities([30.0, 30.0], mu, sigma)  # every density underflows to 0
    assert r.sum() == pytest.approx(1.0) and np.isfinite(r).all()
    assert (g.responsibilities([0, 0], mu, np.zeros_like(mu)) == 0).all()


def test_prior_log_density():
    assert g.log_prior_density([0, 0]) == pytest.approx(np.log(1 / (2 * np.pi)))
    expected = multivariate_normal(np.zeros(2), np.eye(2)).logpdf([1.0, -2.0])
    assert g.log_prior_density([1.0, -2.0]) == pytest.approx(expected)


@pytest.mark.parametrize(
    "mu, sigma, message",
    [
        (np.zeros((3, 3)), np.ones((3, 3)), "shape"),
        (np.zeros((3, 2)), np.ones((2, 2)), "shape"),
        (np.array([[np.nan, 0.0]]), np.ones((1, 2)), "finite"),
        (np.zeros((1, 2)), np.array([[np.inf, 1.0]]), "finite"),
        (np.zeros((1, 2)), -np.ones((1, 2)), ">= 0"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(mu, sigma, message):
    with pytest.raises(g.GeometryError, match=message):
        g.coverage_k(mu, sigma)
    with pytest.raises(g.GeometryError, match=message):
        g.ellipse_outlines(mu, sigma)


def test_nan_click_is_rejected():
    with pytest.raises(g.GeometryError, match="finite"):
        g.responsibilities([np.nan, 0], np.zeros((1, 2)), np.ones((1, 2)))


def test_code_spread_of_standard_normal_codes(rng):
    assert g.code_spread(rng.normal(size=(100_000, 2))) == pytest.approx(np.sqrt(2), rel=0.01)


def test_largest_gap_finds_a_hole_punched_into_a_lattice():
    t = np.arange(-5, 5.01, 0.5)
    pts = np.stack(np.meshgrid(t, t), -1).reshape(-1, 2)
    hole = np.array([1.0, -1.5])
    pts = pts[np.linalg.norm(pts - hole, axis=1) > 1.1]  # empty disc of radius ~1.1 at `hole`
    centre, radius = g.largest_gap(pts, core=1.0, size=201)
    assert np.linalg.norm(centre - hole) < 0.1
    assert radius == pytest.approx(np.linalg.norm(pts - centre, axis=1).min())
    assert 1.1 < radius < 1.3


def test_largest_gap_stays_inside_the_plane_shown(rng):
    pts = rng.normal(size=(300, 2)) * 8
    centre, _ = g.largest_gap(pts, limit=4.0)
    assert np.abs(centre).max() <= 4.0


def test_plane_limit_shows_most_codes_and_never_less_than_the_standard_plane(rng):
    assert g.plane_limit(rng.normal(size=(500, 2)) * 0.5) == g.GRID_LIMIT
    wide = rng.normal(size=(500, 2)) * 3
    lim = g.plane_limit(wide)
    assert (np.abs(wide).max(1) <= lim).mean() >= 0.99 and lim <= 10


def test_the_grid_is_what_the_app_says_it_is():
    """The app's help and the README say: 0.1-wide cells over [-4, 4]^2."""
    edges = g.Grid().edges
    assert (edges[0], edges[-1]) == (-4.0, 4.0)
    np.testing.assert_allclose(np.diff(edges), 0.1, rtol=1e-12)


@pytest.mark.parametrize("limit", [4.0, 2.5])
def test_outside_view_counts_the_codes_beyond_each_side_as_a_loop_does(rng, limit):
    mu = rng.normal(scale=3.0, size=(500, 2))
    mu[:4] = [[limit, -limit], [limit + 1e-9, 0], [-9, 9], [0, -limit - 1]]  # edge, corner
    oracle = {"n": 0, "outside": 0, "right": 0, "left": 0, "top": 0, "bottom": 0}
    for z1, z2 in mu:
        oracle["n"] += 1
        oracle["right"] += z1 > limit
        oracle["left"] += z1 < -limit
        oracle["top"] += z2 > limit
        oracle["bottom"] += z2 < -limit
        oracle["outside"] += not (-limit <= z1 <= limit and -limit <= z2 <= limit)
    assert g.outside_view(mu, limit) == oracle
    assert 0 < oracle["outside"] < len(mu)


def test_outside_view_of_codes_inside_the_view_is_zero():
    assert g.outside_view(np.zeros((3, 2)))["outside"] == 0
    assert g.outside_view(np.zeros((0, 2))) == dict.fromkeys(
        ["n", "outside", "right", "left", "top", "bottom"], 0
    )
