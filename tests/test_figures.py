"""The shared latent plane (vae_geom.figures.plane) as the browser receives it: one filled trace
of k-sigma outlines per class; and the coverage page's rate-distortion labels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.plotly_data import array
from vae_geom.figures import coverage, plane


def _ellipse_traces(mu, sigma, labels, k=1.0) -> list[dict]:
    fig = json.loads(plane.latent_figure(mu, sigma, labels, k=k).to_json())
    return [t for t in fig["data"] if t.get("fill") == "toself"]


@pytest.mark.parametrize("n", [10, plane.OUTLINE_MAX + 1])
def test_every_outline_point_lies_on_its_k_sigma_ellipse(rng, n):
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = rng.uniform(0.05, 0.5, size=(n, 2)).astype(np.float32)
    traces = _ellipse_traces(mu, sigma, np.zeros(n, int), k=2.0)
    assert len(traces) == 1
    x, y = array(traces[0]["x"]), array(traces[0]["y"])
    polys = np.split(np.stack([x, y], 1), np.flatnonzero(np.isnan(x)))  # NaN between ellipses
    polys = [q for p in polys if len(q := p[~np.isnan(p[:, 0])])]  # the last NaN ends one
    assert len(polys) == n
    for p, m, s in zip(polys, mu, sigma, strict=True):
        r = np.sqrt((((p - m) / s) ** 2).sum(1))  # Mahalanobis radius of each vertex
        np.testing.assert_allclose(r, 2.0, rtol=1e-3)


def test_outlines_are_dropped_only_above_the_density_limit(rng):
    def mode(n):
        mu, sigma = rng.normal(size=(n, 2)), np.full((n, 2), 0.1)
        return _ellipse_traces(mu, sigma, np.zeros(n, int))[0]["mode"]

    assert mode(plane.OUTLINE_MAX) == "lines"
    assert mode(plane.OUTLINE_MAX + 1) == "none"  # filled only: see OUTLINE_MAX


def test_the_loading_plane_is_the_latent_plane_without_samples(rng):
    """The Explorer's first frame (plane.prior_plane) is replaced by the latent figure in place:
    same axes and size, so nothing jumps; its only traces are the prior's 1 and 2 sigma circles."""
    empty = json.loads(plane.prior_plane().to_json())
    full = json.loads(
        plane.latent_figure(rng.normal(size=(5, 2)), np.ones((5, 2)), np.arange(5)).to_json()
    )
    for key in ("xaxis", "yaxis", "height", "margin"):
        assert empty["layout"][key] == full["layout"][key], key
    radii = [np.hypot(array(t["x"]), array(t["y"])) for t in empty["data"]]
    assert len(radii) == 2
    for r, k in zip(radii, (1.0, 2.0), strict=True):
        np.testing.assert_allclose(r, k, rtol=1e-6)


def test_the_rate_distortion_labels_stay_inside_the_plot():
    """Each point's label is written to its right, but the rightmost one's to its left."""
    rows = [{"beta": b, "kl": kl, "recon": 150 - kl} for b, kl in [(0, 70), (0.1, 12), (1, 5)]]
    (trace,) = coverage.rate_distortion(rows).data
    assert list(trace.text) == ["KL off", "β = 0.1", "β = 1"]
    assert list(trace.textposition) == ["top left", "top right", "top right"]


def test_the_ladder_curves_mark_a_collapsed_rung_only():
    """The digits ladder's beta = 3 rung (KL 0.0003 nats) is marked where its coverage falls."""
    from vae_geom import ladder

    rows = ladder.kl_ladder_table("digits")
    fig = coverage.ladder_curves(rows)
    (note,) = fig.layout.annotations
    # a category axis places an annotation by the category's index: the last rung, beta = 3
    categories = list(fig.data[0].x)
    assert (note.text, note.x, note.y) == ("collapsed", len(rows) - 1, rows[-1]["coverage_1"])
    assert categories[note.x] == "3"
    assert not coverage.ladder_curves(ladder.kl_ladder_table("mnist")).layout.annotations
