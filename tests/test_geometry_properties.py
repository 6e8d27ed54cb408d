"""Property tests (hypothesis) for the geometry core: coverage grows with k and holds at least its
largest ellipse's prior mass (a quadrature oracle); any sane input gives finite, bounded output;
NaN is refused with a clear error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats
from scipy.special import ndtr

from vae_geom import geometry as g

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def posterior_sets(min_size: int = 0, max_size: int = 12):
    """(mu, sigma) with |mu| up to 1e3 and sigma from 1e-8 to 1e3 (and exact zeros: points)."""
    n = st.integers(min_size, max_size)
    mu = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    log_sigma = st.floats(-8, 3)
    return n.flatmap(
        lambda k: st.tuples(
            arrays(np.float64, (k, 2), elements=mu),
            arrays(np.float64, (k, 2), elements=log_sigma).map(lambda a: 10.0**a),
        )
    )


def near_prior(max_size: int = 6):
    """(mu, sigma) of 1 to `max_size` ellipses that hold a real share of the prior's mass: mu in
    [-3, 3]^2, sigma from 0.03 to 3. The wide sets above are mostly far away or all-covering."""
    n = st.integers(1, max_size)
    mu = st.floats(-3, 3)
    log_sigma = st.floats(-1.5, 0.5)
    return n.flatmap(
        lambda k: st.tuples(
            arrays(np.float64, (k, 2), elements=mu),
            arrays(np.float64, (k, 2), elements=log_sigma).map(lambda a: 10.0**a),
        )
    )


QUAD_ERROR = 1e-6  # the quadrature's error bound: 50 times below one Monte Carlo draw (1/M)


def ellipse_prior_mass(mu, sigma, k: float) -> float:
    """P_{z ~ N(0,I)}[((z1 - mu1)/sigma1)^2 + ((z2 - mu2)/sigma2)^2 <= k^2], by quadrature.

    The oracle for one ellipse, independent of `coverage_k`'s Monte Carlo: integrate over z1 the
    prior density phi(z1) times the z2-mass Phi(mu2 + h) - Phi(mu2 - h) of the ellipse's chord at
    z1, of half-height h = k sigma2 sqrt(1 - ((z1 - mu1) / (k sigma1))^2). z1 is cut to [-9, 9]:
    the prior mass beyond is 2e-19, far below every tolerance here.
    """
    (m1, m2), (s1, s2) = mu, sigma
    a, b = max(m1 - k * s1, -9.0), min(m1 + k * s1, 9.0)
    if a >= b:
        return 0.0

    def chord(z1: float) -> float:
        h = k * s2 * math.sqrt(max(0.0, 1.0 - ((z1 - m1) / (k * s1)) ** 2))
        return math.exp(-0.5 * z1 * z1) / math.sqrt(2 * math.pi) * (ndtr(m2 + h) - ndtr(m2 - h))

    # where the integrand peaks (mu1, 0): help quad see it, unless at an end or at the other peak
    gap = 1e-3 * (b - a)
    peaks = [p for p in sorted({m1, 0.0}) if a + gap < p < b - gap]
    peaks = [p for i, p in enumerate(peaks) if i == 0 or p - peaks[i - 1] > gap]
    mass, err = integrate.quad(chord, a, b, points=peaks or None, epsabs=1e-10, limit=200)
    assert err < QUAD_ERROR, err
    return mass


@pytest.mark.parametrize(
    "mu, s, k", [((0, 0), 1.0, 1.0), ((0, 0), 1.0, 2.0), ((1.5, -0.5), 0.7, 1.0), ((3, 3), 2, 2)]
)
def test_the_ellipse_oracle_matches_the_noncentral_chi_square(mu, s, k):
    # a circle of radius k s around mu holds P[chi'^2_2(|mu|^2) <= (k s)^2] of the prior's mass
    # (at mu = 0, s = 1: 1 - exp(-k^2/2), the essay's 39% and 86%)
    expected = stats.ncx2.cdf((k * s) ** 2, df=2, nc=float(np.dot(mu, mu)))
    assert ellipse_prior_mass(mu, (s, s), k) == pytest.approx(expected, abs=1e-9)


# k' close to k is where fresh draws for k' would show: their Monte Carlo noise (~0.001 at
# M = 200 000) then outweighs the true growth of the coverage
FACTORS = st.one_of(st.floats(1, 1.01), st.floats(1, 3))


@SETTINGS
@given(st.one_of(near_prior(), posterior_sets(min_size=1)), st.floats(0.1, 3), FACTORS)
def test_coverage_grows_with_k(ps, k, factor):
    # the same M prior draws (one seed) for both k: a draw inside some k-sigma ellipse is inside
    # its (factor k)-sigma ellipse too, so the share can only grow - exactly, no Monte Carlo slack
    mu, sigma = ps
    assert g.coverage_k(mu, sigma, k) <= g.coverage_k(mu, sigma, factor * k)


def test_coverage_at_2_sigma_exceeds_coverage_at_1_sigma():
    rng = np.random.default_rng(1)
    mu, sigma = rng.normal(0, 1, (300, 2)), rng.uniform(0.05, 0.5, (300, 2))
    one, two = g.coverage_k(mu, sigma, 1.0), g.coverage_k(mu, sigma, 2.0)
    assert 0 < one < two < 1  # a real gap between the two, so the order is tested, not a tie


@SETTINGS
@given(st.one_of(near_prior(), posterior_sets(min_size=1)), st.floats(0.5, 3))
def test_coverage_holds_at_least_the_largest_single_ellipse(ps, k):
    # The union of the ellipses holds at least the prior mass P of its largest member. coverage_k
    # estimates the union's mass from M = COVERAGE_SAMPLES fixed draws; the share of those draws
    # inside one fixed ellipse is Binomial(M, P) / M, of standard deviation sqrt(P (1 - P) / M)
    # (<= 0.0012 at M = 200 000). We allow 5 of them (a false alarm about 3e-7 per example), one
    # draw for the count being an integer, and the quadrature's error.
    mu, sigma = ps
    m = g.COVERAGE_SAMPLES
    largest = max(ellipse_prior_mass(mu[i], sigma[i], k) for i in range(len(mu)))
    p = min(largest, 1.0)  # quadrature may overshoot 1 by a rounding error
    slack = 5 * np.sqrt(p * (1 - p) / m) + 1 / m + QUAD_ERROR
    assert g.coverage_k(mu, sigma, k) >= largest - slack


@SETTINGS
@given(posterior_sets(min_size=1))
def test_aggregate_divergences_and_holes_are_finite_and_bounded(ps):
    mu, sigma = ps
    div = g.aggregate_divergences(mu, sigma, g.Grid(size=21))
    assert np.isfinite(div["kl"]) and div["kl"] >= 0
    assert 0 <= div["js"] <= np.log(2) + 1e-9
    assert 0.0 <= g.holes_fraction(mu, sigma, g.Grid(size=21)) <= 1.0
    q, outside = g.cell_masses(mu, sigma, g.Grid(size=21))
    assert np.isfinite(q).all() and q.sum() + outside == pytest.approx(1.0, abs=1e-9)


@SETTINGS
@given(posterior_sets(min_size=1), st.floats(0.5, 3))
def test_ellipse_outlines_contain_their_centre(ps, k):
    mu, sigma = ps
    xy = g.ellipse_outlines(mu, sigma, k=k, vertices=16).astype(np.float64).reshape(len(mu), 18, 2)
    ring = xy[:, :-1]  # (n, 17, 2) without the NaN separator
    assert np.isfinite(ring).all()
    # the centre of each outline is its mu (the mean of the 16 distinct vertices), up to float32
    centre = ring[:, :-1].mean(axis=1)
    scale = np.abs(mu).max(axis=1) + k * sigma.max(axis=1) + 1
    assert (np.abs(centre - mu).max(axis=1) <= 1e-6 * scale).all()


@SETTINGS
@given(posterior_sets(min_size=1), st.tuples(st.floats(-9, 9), st.floats(-9, 9)))
def test_responsibilities_are_a_distribution_or_zero(ps, z):
    mu, sigma = ps
    r = g.responsibilities(z, mu, sigma)
    assert np.isfinite(r).all() and (r >= 0).all()
    assert r.sum() == pytest.approx(1.0) or r.sum() == 0.0


def test_empty_sets_behave():
    empty = np.zeros((0, 2))
    assert g.coverage_k(empty, empty) == 0.0
    assert g.ellipse_outlines(empty, empty).shape == (0, 2)
    with pytest.raises(g.GeometryError, match="empty set"):
        g.aggregate_divergences(empty, empty)


@given(st.integers(0, 5), st.integers(0, 1))
@settings(max_examples=20, deadline=None)
def test_nan_anywhere_is_refused_clearly(i, j):
    mu, sigma = np.zeros((6, 2)), np.ones((6, 2))
    mu[i, j] = np.nan
    with pytest.raises(g.GeometryError, match="finite"):
        g.coverage_k(mu, sigma)
