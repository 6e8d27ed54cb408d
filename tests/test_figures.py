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


def test_interpolated_posteriors_follow_their_closed_form(rng):
    """mu moves linearly, sigma geometrically (linear in log sigma): t = 0 is a and t = 1 is b
    exactly, t = 1/2 the arithmetic mean of the mus and the geometric mean of the sigmas."""
    n = 50
    mu_a, mu_b = rng.normal(size=(2, n, 2)) * 3
    sigma_a = np.exp(rng.uniform(-12, 1, size=(n, 2)))  # 6e-6 to 2.7: KL off to collapsed
    sigma_b = np.exp(rng.uniform(-12, 1, size=(n, 2)))
    mu, sigma = coverage.interpolate_posteriors(mu_a, sigma_a, mu_b, sigma_b, 0.0)
    assert np.array_equal(mu, mu_a) and np.array_equal(sigma, sigma_a)
    mu, sigma = coverage.interpolate_posteriors(mu_a, sigma_a, mu_b, sigma_b, 1.0)
    assert np.array_equal(mu, mu_b) and np.array_equal(sigma, sigma_b)
    mu, sigma = coverage.interpolate_posteriors(mu_a, sigma_a, mu_b, sigma_b, 0.5)
    np.testing.assert_allclose(mu, (mu_a + mu_b) / 2, rtol=1e-12)
    np.testing.assert_allclose(sigma, np.sqrt(sigma_a * sigma_b), rtol=1e-12)
    for t in np.linspace(0, 1, 11):
        mu, sigma = coverage.interpolate_posteriors(mu_a, sigma_a, mu_b, sigma_b, t)
        np.testing.assert_allclose(mu, mu_a + t * (mu_b - mu_a), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            np.log(sigma), (1 - t) * np.log(sigma_a) + t * np.log(sigma_b), rtol=1e-12
        )
        assert (sigma > 0).all()
        lo, hi = np.minimum(sigma_a, sigma_b), np.maximum(sigma_a, sigma_b)
        assert (sigma >= lo * (1 - 1e-12)).all() and (sigma <= hi * (1 + 1e-12)).all()
    # halving and doubling alike: a quarter of the way from s to s/2 is as far as from s to 2s
    _, down = coverage.interpolate_posteriors(mu_a, sigma_a, mu_a, sigma_a / 2, 0.25)
    _, up = coverage.interpolate_posteriors(mu_a, sigma_a, mu_a, sigma_a * 2, 0.25)
    np.testing.assert_allclose(down * up, sigma_a**2, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        coverage.interpolate_posteriors(mu_a, sigma_a, mu_b, sigma_b, 1.5)


def test_each_ellipse_gets_the_fewest_corners_that_look_round(rng):
    """sized_outlines: every vertex on its 1-sigma ellipse, and each ellipse drawn with the
    fewest of LADDER_CORNERS whose polygon strays at most LADDER_SAGITTA_PX from it."""
    n = 200
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = np.exp(rng.uniform(-7, 0.5, size=(n, 2))).astype(np.float32)
    xy = coverage.sized_outlines(mu, sigma)
    polys = np.split(xy, np.flatnonzero(np.isnan(xy[:, 0])) + 1)[:-1]  # each ends with a NaN row
    assert len(polys) == n
    px = coverage.LADDER_PX_PER_UNIT * sigma.max(1).astype(np.float64)
    options = np.asarray(coverage.LADDER_CORNERS)
    for p, m, s, r, corners in zip(polys, mu, sigma, px, coverage.corners(sigma), strict=True):
        p = p[:-1].astype(np.float64)  # without its NaN
        assert len(p) == corners + 1  # closed: the first point repeated
        np.testing.assert_allclose(np.sqrt((((p - m) / s) ** 2).sum(1)), 1.0, rtol=1e-4)
        sagitta = r * (1 - np.cos(np.pi / options))
        assert sagitta[options == corners][0] <= coverage.LADDER_SAGITTA_PX or corners == 16
        assert (sagitta[options < corners] > coverage.LADDER_SAGITTA_PX).all()  # the fewest


def _rungs(rng, n=60, betas=(0.0, 0.3, 3.0)):
    """Rungs of the same n samples: mu and sigma drift from rung to rung."""
    mu = rng.normal(size=(n, 2)).astype(np.float32)
    sigma = np.exp(rng.uniform(-6, -2, size=(n, 2))).astype(np.float32)
    rungs = []
    for beta in betas:
        rungs.append((beta, mu.copy(), sigma.copy()))
        mu = (mu + rng.normal(scale=0.5, size=mu.shape)).astype(np.float32)
        sigma = (sigma * np.exp(rng.uniform(0, 1.5, size=sigma.shape))).astype(np.float32)
    rungs[1][1][0] = (9.0, 0.5)  # one code beyond the edge
    return rungs


def test_the_ladder_animation_morphs_between_the_trained_rungs(rng):
    """Rung frames are the rungs' own codes; the frames between are interpolate_posteriors at
    t = k / (between + 1), each frame moving the same traces and saying what it shows."""
    rungs, between = _rungs(rng), 3
    labels = rng.integers(0, 3, size=len(rungs[0][1]))
    fig = json.loads(coverage.ladder_animation(rungs, labels, between=between).to_json())
    frames = fig["frames"]
    assert len(frames) == len(rungs) + (len(rungs) - 1) * between
    rung_at = [i * (between + 1) for i in range(len(rungs))]
    assert [frames[i]["name"] for i in rung_at] == ["off", "β = 0.3", "β = 3"]
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == ["off", "β = 0.3", "β = 3"]
    assert [s["args"][0] for s in fig["layout"]["sliders"][0]["steps"]] == [
        ["off"],
        ["β = 0.3"],
        ["β = 3"],
    ]
    assert len({f["name"] for f in frames}) == len(frames)  # plotly finds frames by name

    classes = np.unique(labels)
    sels = [labels == c for c in classes]
    data = fig["data"]
    for f in frames:  # the same traces in every frame: each class's ellipses, mu, the edge
        ellipses, markers, edge = f["traces"][:3], f["traces"][3:6], f["traces"][6]
        assert len(f["traces"]) == len(f["data"]) == 2 * len(classes) + 1
        assert [data[i]["fill"] for i in ellipses] == ["toself"] * 3
        assert [data[i]["mode"] for i in markers] == ["markers"] * 3
        assert [data[i]["legendgroup"] for i in ellipses + markers] == ["0", "1", "2"] * 2
        assert edge == len(data) - 1 and data[edge]["name"].endswith("beyond the edge")
        assert {d["type"] for d in f["data"]} == {"scatter"}  # never turns a trace into another

    def check(frame, mu, sigma, exact):
        for j, sel in enumerate(sels):
            x, y = array(frame["data"][3 + j]["x"]), array(frame["data"][3 + j]["y"])
            want = mu[sel].astype(np.float32)
            if exact:
                assert np.array_equal(x, want[:, 0]) and np.array_equal(y, want[:, 1])
            else:
                np.testing.assert_allclose(np.stack([x, y], 1), mu[sel], rtol=1e-6, atol=1e-6)
            outline = coverage.sized_outlines(want, sigma[sel])
            got = np.stack([array(frame["data"][j]["x"]), array(frame["data"][j]["y"])], 1)
            np.testing.assert_array_equal(got, outline)

    for i, (beta, mu, sigma) in zip(rung_at, rungs, strict=True):
        check(frames[i], mu, sigma, exact=True)
        words = "KL off (β = 0)" if beta == 0 else f"β = {beta:g}"
        assert frames[i]["layout"]["title"]["text"] == f"{words} (trained rung)"
    (_, mu_a, sigma_a), (_, mu_b, sigma_b) = (
        (b, m.astype(float), s.astype(float)) for b, m, s in rungs[1:]
    )
    for k in range(1, between + 1):
        frame, t = frames[rung_at[1] + k], k / (between + 1)
        check(frame, (1 - t) * mu_a + t * mu_b, sigma_a ** (1 - t) * sigma_b**t, exact=False)
        assert frame["layout"]["title"]["text"] == "between β = 0.3 and β = 3: interpolated"
    # the edge markers follow the codes: the one code beyond the edge leaves it on the way to b
    assert array(frames[rung_at[1]]["data"][-1]["x"]).tolist() == [4.0]
    assert (
        len(array(frames[rung_at[1] + between]["data"][-1]["x"]))
        == (np.abs((1 - between / (between + 1)) * mu_a + between / (between + 1) * mu_b) > 4)
        .any(1)
        .sum()
    )
    # the figure first shows the last rung, as its frame draws it
    last = frames[-1]
    for i, d in zip(last["traces"], last["data"], strict=True):
        np.testing.assert_array_equal(array(data[i]["x"]), array(d["x"]))
    assert fig["layout"]["title"]["text"] == "β = 3 (trained rung)"


def test_the_animation_draws_at_most_its_cap_of_samples_the_same_each_time():
    from vae_geom.figures import coverage

    np.testing.assert_array_equal(coverage.animation_subset(10, cap=20), np.arange(10))
    keep = coverage.animation_subset(5_000)
    assert len(keep) == coverage.ANIMATION_MAX == len(np.unique(keep))
    assert (np.diff(keep) > 0).all() and keep.max() < 5_000
    np.testing.assert_array_equal(keep, coverage.animation_subset(5_000))
