"""Property tests (hypothesis) for the geometry core: any sane input gives finite, bounded output;
NaN is refused with a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

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


@SETTINGS
@given(posterior_sets(), st.sampled_from([1.0, 2.0]))
def test_coverage_is_a_share(ps, k):
    mu, sigma = ps
    cov = g.coverage_k(mu, sigma, k, m=500)
    assert 0.0 <= cov <= 1.0


@SETTINGS
@given(posterior_sets(min_size=1))
def test_aggregate_divergences_and_holes_are_finite_and_bounded(ps):
    mu, sigma = ps
    div = g.aggregate_divergences(mu, sigma, g.Grid(size=21))
    assert np.isfinite(div["kl"]) and div["kl"] >= -1e-9
    assert -1e-9 <= div["js"] <= np.log(2) + 1e-9
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
