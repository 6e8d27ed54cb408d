"""Tests of vae_geom.shapes: the four shapes, their measures and verdicts, against exact oracles."""

from __future__ import annotations

import numpy as np
import pytest

from vae_geom import geometry, shapes
from vae_geom.geometry import GeometryError

SEEDS = range(5)
INVARIANT = ("flatness", "central_hole", "gaps")  # spread sees size and position on purpose
VERDICTS = ("point", *shapes.KINDS)  # the four shapes plus full posterior collapse


def test_every_verdict_has_a_meaning_to_show():
    assert set(shapes.MEANING) == set(VERDICTS)


@pytest.mark.parametrize("kind", shapes.KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_each_generated_shape_is_classified_as_itself(kind, seed):
    points = shapes.make_shape(kind, seed=seed)
    assert points.shape == (500, 2)
    assert shapes.classify(shapes.measures(points)) == kind


@pytest.mark.parametrize("n", [300, 1000])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_sample_of_the_prior_is_a_disc(n, seed):
    z = np.random.default_rng(1000 + seed).standard_normal((n, 2))  # not make_shape's disc
    m = shapes.measures(z)
    assert shapes.classify(m) == "disc"
    assert m["central_hole"] == 0.0  # a Gaussian's centre is denser than its surroundings


def test_make_shape_is_seeded_and_stays_in_the_plane():
    for kind in shapes.KINDS:
        a, b = shapes.make_shape(kind, 200, seed=3), shapes.make_shape(kind, 200, seed=3)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, shapes.make_shape(kind, 200, seed=4))
        assert np.abs(a).max() < geometry.GRID_LIMIT


def test_points_exactly_on_a_line_have_flatness_one():
    t = np.linspace(-3, 2, 50)[:, None]
    points = np.array([0.4, -1.0]) + t * np.array([[np.cos(0.7), np.sin(0.7)]])
    assert shapes.flatness(points) == pytest.approx(1.0, abs=1e-12)
    assert shapes.classify(shapes.measures(points)) == "line"


def test_a_regular_polygon_has_flatness_zero():
    t = 2 * np.pi * np.arange(12) / 12  # the covariance of a regular polygon is a multiple of I
    points = 3 * np.stack([np.cos(t), np.sin(t)], axis=1)
    assert shapes.flatness(points) == pytest.approx(0.0, abs=1e-12)


def test_points_exactly_on_a_circle_have_a_complete_central_hole():
    t = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    points = np.array([1.0, -2.0]) + 0.7 * np.stack([np.cos(t), np.sin(t)], axis=1)
    assert shapes.central_hole(points) == 1.0
    assert shapes.classify(shapes.measures(points)) == "ring"


def test_a_uniform_lattice_disc_has_no_central_hole_and_no_gaps():
    g = np.linspace(-2, 2, 61)
    x, y = np.meshgrid(g, g)
    points = np.stack([x.ravel(), y.ravel()], axis=1)
    points = points[np.hypot(*points.T) <= 2]  # constant density: rho(3/4) = rho(3/2)
    assert shapes.central_hole(points) == pytest.approx(0.0, abs=0.02)
    assert shapes.gaps(points) == 0.0


def test_whitened_points_have_zero_mean_and_identity_covariance(rng):
    points = rng.standard_normal((400, 2)) @ np.array([[3.0, 1.0], [0.0, 0.5]]) + 7
    w = shapes.whiten(points)
    np.testing.assert_allclose(w.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(np.cov(w.T), np.eye(2), atol=1e-12)


def test_gaps_are_the_apps_holes_of_the_whitened_blurred_points():
    points = shapes.make_shape("scattered", seed=1)
    w = shapes.whiten(points)
    expected = geometry.holes_fraction(w, np.full_like(w, shapes.BLUR))
    assert shapes.gaps(points) == expected
    assert shapes.gap_map(points).sum() / geometry.inside_disc().sum() == pytest.approx(expected)


@pytest.mark.parametrize("kind", shapes.KINDS)
def test_the_shape_measures_ignore_rotation_scale_translation_and_mirroring(kind):
    points = shapes.make_shape(kind, seed=2)
    a = 1.1
    turn = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    mirror = np.array([[1.0, 0.0], [0.0, -1.0]])
    before = shapes.measures(points)
    for moved in (points @ turn * 3.7 + [5.0, -2.0], points @ mirror * 0.2, points + 100):
        after = shapes.measures(moved)
        for key in INVARIANT:
            assert after[key] == pytest.approx(before[key], abs=1e-9), key


def test_spread_is_the_rms_radius():
    points = shapes.make_shape("ring", seed=0)
    assert shapes.measures(points)["spread"] == pytest.approx(np.sqrt((points**2).sum(1).mean()))
    assert shapes.measures(2 * points)["spread"] == pytest.approx(
        2 * shapes.measures(points)["spread"]
    )


@pytest.mark.parametrize(
    "m, verdict",
    [
        ({"flatness": 0.1, "central_hole": 0.0, "gaps": 0.0}, "disc"),
        (
            {"flatness": 0.9, "central_hole": 1.0, "gaps": 1.0},
            "line",
        ),  # line wins: it is tried first
        ({"flatness": 0.89, "central_hole": 0.6, "gaps": 1.0}, "ring"),
        ({"flatness": 0.89, "central_hole": 0.59, "gaps": 0.1}, "scattered"),
        ({"flatness": 0.89, "central_hole": 0.59, "gaps": 0.099}, "disc"),
        ({"flatness": 0.1, "central_hole": 0.0, "gaps": 0.0, "spread": 0.05}, "point"),
        ({"flatness": 0.1, "central_hole": 0.0, "gaps": 0.0, "spread": 0.1}, "disc"),
    ],
)
def test_classify_applies_the_documented_thresholds_in_order(m, verdict):
    assert shapes.classify(m) == verdict
    assert verdict in VERDICTS and verdict in shapes.MEANING


def test_codes_collapsed_onto_the_origin_are_a_point(rng):
    assert shapes.classify(shapes.measures(0.01 * rng.standard_normal((300, 2)))) == "point"


@pytest.mark.parametrize(
    "points, message",
    [
        (np.zeros((20, 3)), "shape (n, 2)"),
        (np.zeros(20), "shape (n, 2)"),
        (np.ones((9, 2)) * np.arange(9)[:, None], "at least 10 points"),
        (np.full((20, 2), np.nan), "finite"),
        (np.r_[np.eye(2), np.full((10, 2), np.inf)], "finite"),
        (np.ones((20, 2)), "coincide"),
    ],
)
def test_bad_points_are_rejected_with_a_clear_message(points, message):
    for measure in (shapes.measures, shapes.flatness, shapes.central_hole, shapes.gaps):
        with pytest.raises(GeometryError, match=message.replace("(", r"\(").replace(")", r"\)")):
            measure(points)


def test_make_shape_rejects_an_unknown_kind_or_too_few_points():
    with pytest.raises(GeometryError, match="Unknown shape 'blob'"):
        shapes.make_shape("blob")
    with pytest.raises(GeometryError, match="at least 10"):
        shapes.make_shape("disc", n=5)
