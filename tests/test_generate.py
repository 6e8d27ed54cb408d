"""Prior samples, the manifold grid and linear paths, against independent oracles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from vae_geom import generate, tiles
from vae_geom.geometry import GeometryError
from vae_geom.models import decode_images


@pytest.mark.parametrize("g", [5, 12, 25])
def test_inverse_cdf_grid_gives_every_cell_equal_prior_mass(g):
    axis = generate.grid_axis(g, "inverse-cdf")
    u = norm.cdf(axis)  # the oracle: scipy's normal CDF, not the ndtri the code uses
    np.testing.assert_allclose(u, (np.arange(g) + 0.5) / g, atol=1e-12)
    # the g cells [Phi^-1(i/g), Phi^-1((i+1)/g)] around the points each hold mass 1/g ...
    edges = norm.ppf(np.arange(g + 1) / g)
    np.testing.assert_allclose(np.diff(norm.cdf(edges)), np.full(g, 1 / g), atol=1e-12)
    assert ((edges[:-1] < axis) & (axis < edges[1:])).all()
    # ... so the mass between neighbouring points is 1/g too, and 1/(2g) beyond the outer ones
    np.testing.assert_allclose(np.diff(u), 1 / g, atol=1e-12)
    assert u[0] == pytest.approx(1 / (2 * g)) and 1 - u[-1] == pytest.approx(1 / (2 * g))
    np.testing.assert_allclose(axis, -axis[::-1], atol=1e-12)  # symmetric about 0


def test_inverse_cdf_cells_are_narrow_in_the_middle_and_wide_in_the_tails():
    gaps = np.diff(generate.grid_axis(15, "inverse-cdf"))
    assert gaps[7] < gaps[0] and gaps[7] < gaps[-1]


@pytest.mark.parametrize("g, a", [(5, 3.0), (11, 2.0), (25, 0.5)])
def test_uniform_grid_spacing_is_exact(g, a):
    axis = generate.grid_axis(g, "uniform", a)
    assert axis[0] == -a and axis[-1] == a
    np.testing.assert_allclose(np.diff(axis), 2 * a / (g - 1), rtol=1e-12)


@pytest.mark.parametrize("spacing", generate.SPACINGS)
def test_manifold_grid_is_row_major_with_z2_descending(spacing):
    g = 7
    z = generate.manifold_grid(g, spacing, 2.5)
    assert z.shape == (g * g, 2)
    rows = z.reshape(g, g, 2)  # [row, col, d]: as the mosaic tiles it
    axis = generate.grid_axis(g, spacing, 2.5)
    for r in range(g):
        np.testing.assert_array_equal(rows[r, :, 0], axis)  # z1 ascending along a row
        assert (rows[r, :, 1] == axis[g - 1 - r]).all()  # one z2 per row, top row largest
    assert (np.diff(rows[:, 0, 1]) < 0).all()
    assert tuple(z[0]) == (axis[0], axis[-1]) and tuple(z[-1]) == (axis[-1], axis[0])


def test_linear_path_has_the_endpoints_and_equal_steps():
    a, b = (-2.0, 1.0), (3.0, -0.5)
    z = generate.linear_path(a, b, 11)
    assert z.shape == (11, 2)
    np.testing.assert_array_equal(z[0], a)
    np.testing.assert_allclose(z[-1], b, atol=1e-15)
    steps = np.diff(z, axis=0)
    np.testing.assert_allclose(steps, np.tile((np.array(b) - a) / 10, (10, 1)), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(steps, axis=1), np.hypot(5, 1.5) / 10)


def test_prior_samples_are_standard_normal_and_reproducible():
    z = generate.prior_samples(200_000, seed=3)
    assert z.shape == (200_000, 2)
    np.testing.assert_allclose(z.mean(0), 0, atol=0.01)
    np.testing.assert_allclose(np.cov(z.T), np.eye(2), atol=0.01)
    np.testing.assert_array_equal(generate.prior_samples(16, 5), generate.prior_samples(16, 5))
    assert not np.array_equal(generate.prior_samples(16, 5), generate.prior_samples(16, 6))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: generate.manifold_grid(4), ValueError, "G must lie in [5, 25]; got 4"),
        (lambda: generate.manifold_grid(26), ValueError, "G must lie in [5, 25]"),
        (lambda: generate.manifold_grid(7.5), ValueError, "G must be a whole number"),
        (lambda: generate.manifold_grid("ten"), ValueError, "G must be a whole number"),
        (lambda: generate.manifold_grid(9, "log"), ValueError, "spacing must be one of"),
        (lambda: generate.manifold_grid(9, "uniform", 0), GeometryError, "half-width a"),
        (lambda: generate.manifold_grid(9, "uniform", np.nan), GeometryError, "half-width"),
        (lambda: generate.manifold_grid(9, "uniform", 11.0), GeometryError, "(0, 10]"),
        (lambda: generate.linear_path((np.nan, 0), (1, 1)), GeometryError, "finite"),
        (lambda: generate.linear_path((0, 0), (1, 1e9)), GeometryError, "outside the plane"),
        (lambda: generate.linear_path((0, 0), (1,)), GeometryError, "two numbers"),
        (lambda: generate.linear_path((0, 0), (1, 1), 2), ValueError, "steps must lie in"),
        (lambda: generate.prior_samples(0), ValueError, "samples n must lie in"),
        (lambda: generate.prior_samples(16, -1), ValueError, "seed must lie in"),
        (lambda: generate.prior_samples(True), ValueError, "whole number"),
    ],
)
def test_bad_inputs_are_refused_with_a_clear_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_outside_disc_and_holes():
    z = np.array([[0.0, 0.0], [1.9, 0.0], [1.5, 1.5], [3.0, 0.0]])
    np.testing.assert_array_equal(generate.outside_disc(z), [False, False, True, True])
    mu, sigma = np.array([[0.0, 0.0]]), np.array([[1.0, 1.0]])
    # inside the one 2-sigma ellipse iff |z| <= 2
    np.testing.assert_array_equal(generate.in_hole(z, mu, sigma), [False, False, True, True])
    assert generate.in_hole(z, mu, np.zeros_like(sigma)).all()  # an AE's points cover nothing


def test_runs_and_the_path_summary():
    mask = np.array([True, True, False, False, True])
    assert generate.runs(mask) == [(0, 1), (4, 4)]
    assert generate.runs(np.zeros(3, bool)) == []
    text = generate.path_summary(mask, np.zeros(5, bool))
    assert "3 of 5 steps (t = 0.00–0.25, 1.00) leave the prior’s 2σ circle" in text
    hole_words = "lie in a hole, outside every training sample’s 2σ ellipse (red ○)"
    assert f"none of the 5 steps {hole_words}." in text and "never trained" not in text
    text = generate.path_summary(mask, mask)
    assert f"3 of 5 steps (t = 0.00–0.25, 1.00) {hole_words}." in text
    assert "never trained" in text


def test_clicks_alternate_between_a_and_b():
    state: dict = {}
    generate.assign_click(state)
    assert "generate.a" not in state  # no click yet
    state["generate.click"] = (1.0, 2.0)
    generate.assign_click(state)
    assert state["generate.a"] == (1.0, 2.0) and state["generate.next"] == "b"
    generate.assign_click(state)  # a rerun without a new click changes nothing
    assert "generate.b" not in state and state["generate.next"] == "b"
    state["generate.click"] = (-1.0, 0.5)
    generate.assign_click(state)
    assert state["generate.b"] == (-1.0, 0.5) and state["generate.next"] == "a"
    state["generate.click"] = (3.0, 3.0)
    generate.assign_click(state)
    assert state["generate.a"] == (3.0, 3.0) and state["generate.b"] == (-1.0, 0.5)


def test_decoded_mosaic_tiles_the_decoder_and_scales_by_a_whole_factor(tiny_vae, digits):
    model, _ = tiny_vae
    z = generate.manifold_grid(5, "uniform", 2.0)
    out = generate.decoded_mosaic(model, z, digits.image_shape, cols=5, tile_px=40)
    f = 40 // 8
    assert out.shape == (f * (5 * 9 + 1), f * (5 * 9 + 1))
    small = out[::f, ::f]
    np.testing.assert_array_equal(out, np.kron(small, np.ones((f, f), np.float32)))
    expected = decode_images(model, z)
    np.testing.assert_allclose(small, tiles.mosaic(expected, (8, 8), 5), atol=1e-6)
    r, c = 0, 4  # top right: z = (2, 2)
    np.testing.assert_allclose(
        small[1 + r * 9 : 9 + r * 9, 1 + c * 9 : 9 + c * 9],
        decode_images(model, [[2.0, 2.0]])[0].reshape(8, 8),
        atol=1e-6,
    )


def test_reparameterize_moves_and_stretches_eps():
    mu_i, sigma_i = np.array([1.0, -2.0]), np.array([0.5, 3.0])
    eps, z = generate.reparameterize(mu_i, sigma_i, 1000, seed=3)
    np.testing.assert_array_equal(z, mu_i + eps * sigma_i)
    # the draws follow N(mu, diag sigma^2): standardised they are N(0, I)
    np.testing.assert_allclose(((z - mu_i) / sigma_i).std(0), 1.0, atol=0.06)
    again, _ = generate.reparameterize(mu_i, sigma_i, 1000, seed=3)
    np.testing.assert_array_equal(eps, again)
    with pytest.raises(ValueError, match="between 1 and 1024"):
        generate.reparameterize(mu_i, sigma_i, 0)
