"""The two regularisers against independent oracles: torch's KL, the hand formula, the limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_geom import objectives, penalties
from vae_geom.figures import penalties as penalty_figures


def grid_minimum(g: penalties.PenaltyGrid) -> tuple[float, float, float]:
    """(mu, sigma, value) at the grid's smallest value."""
    i, j = np.unravel_index(np.argmin(g.values), g.values.shape)
    return float(g.mu[j]), float(g.sigma[i]), float(g.values[i, j])


@pytest.fixture(scope="module")
def grids() -> dict[str, penalties.PenaltyGrid]:
    return {name: penalties.grid(name) for name in penalties.NAMES}


def test_kl_grid_equals_torch_kl_divergence_elementwise(grids):
    g = grids["kl"]
    mu, sigma = np.meshgrid(g.mu, g.sigma)  # (n_sigma, n_mu), as the grid's values
    oracle = kl_divergence(
        Normal(torch.as_tensor(mu), torch.as_tensor(sigma)), Normal(0.0, 1.0)
    ).numpy()
    assert g.values.shape == (len(g.sigma), len(g.mu))
    np.testing.assert_allclose(g.values, oracle, rtol=1e-12, atol=1e-12)


def test_simple_grid_equals_the_hand_formula(grids):
    g = grids["simple"]
    for i, j in [(0, 0), (49, 60), (149, 120), (10, 3)]:
        m, s = float(g.mu[j]), float(g.sigma[i])
        assert g.values[i, j] == pytest.approx(m * m + (s - 1) * (s - 1), abs=1e-12)


def test_the_numpy_penalties_match_the_training_objectives(rng):
    mu, sigma = rng.normal(size=(50, 2)), rng.uniform(0.01, 3, size=(50, 2))
    logvar = torch.as_tensor(np.log(sigma**2))
    mu_t = torch.as_tensor(mu)
    np.testing.assert_allclose(
        penalties.kl(mu, sigma).sum(axis=1), objectives.kl_divergence(mu_t, logvar), rtol=1e-10
    )
    np.testing.assert_allclose(
        penalties.simple(mu, sigma).sum(axis=1),
        objectives.simple_regulariser(mu_t, logvar),
        rtol=1e-10,
    )


@pytest.mark.parametrize("name", penalties.NAMES)
def test_both_are_minimised_at_mu_0_sigma_1_with_value_0(grids, name):
    mu, sigma, value = grid_minimum(grids[name])
    assert (mu, sigma) == pytest.approx(penalties.MINIMUM, abs=1e-12)
    assert value == pytest.approx(0.0, abs=1e-12)
    assert (grids[name].values >= 0).all()
    # and nowhere else: every other grid point is strictly positive
    assert (grids[name].values > 0).sum() == grids[name].values.size - 1


def test_as_sigma_goes_to_0_simple_tends_to_1_and_kl_to_infinity():
    sigma = np.array([1e-1, 1e-2, 1e-4, 1e-8, 1e-12])
    curves = penalties.along_sigma(sigma, mu=0.0)
    np.testing.assert_allclose(curves["simple"], (sigma - 1) ** 2)
    assert curves["simple"][-1] == pytest.approx(1.0, abs=1e-11)
    assert (curves["simple"] < 1).all()  # bounded: shrinking sigma never costs more than 1
    assert (np.diff(curves["kl"]) > 0).all()  # grows without bound, like -log sigma
    assert curves["kl"][-1] > 26
    np.testing.assert_allclose(curves["kl"], 0.5 * (sigma**2 - 1) - np.log(sigma))
    # off mu = 0 too: the simple penalty's price of a point is bounded by 1 + mu^2 (its value at
    # sigma = 0), the KL's is not
    for mu in (0.5, 2.0):
        assert penalties.simple(mu, 1e-9) == pytest.approx(1 + mu**2)
        assert penalties.kl(mu, 1e-9) > 20


def test_a_non_positive_sigma_or_an_unknown_name_says_what_is_wrong():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        penalties.kl(0.0, np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="choose one of"):
        penalties.penalty("l1", 0.0, 1.0)


def test_code_summary_counts_sigmas_on_the_clamp_floor():
    floor = penalties.sigma_floor(-12.0)
    assert floor == pytest.approx(math.exp(-6))
    sigma = np.array([[floor, floor], [floor, 0.5], [1.0, 2.0], [floor, 0.1]])
    mu = np.zeros_like(sigma)
    s = penalties.code_summary(mu, sigma, logvar_min=-12.0)
    assert s["at_floor"] == 4 / 8
    assert s["median_sigma"] == pytest.approx(np.median(sigma.ravel()))
    assert s["simple"] == pytest.approx(((sigma - 1) ** 2).sum() / 4)


def test_a_comparison_row_has_every_table_column():
    test = {k: float(i) for i, k in enumerate(penalty_figures.RECORDED)}
    row = penalty_figures.comparison_row(
        "m", test, {"simple": 1.0, "kl": 2.0, "median_sigma": 0.1, "at_floor": 0.0}
    )
    assert set(row) == {"model", *penalty_figures.TABLE_COLUMNS}
    assert row["coverage_1"] == test["coverage_1"]


def test_contour_figure_marks_the_minimum_over_the_stated_ranges(grids):
    fig = penalty_figures.contour_figure(grids["kl"], zmax=5.0)
    contour, star = fig.data[0], fig.data[1]
    np.testing.assert_array_equal(contour.z, grids["kl"].values)
    assert (contour.zmin, contour.zmax) == (0, 5.0)
    assert (star.x[0], star.y[0]) == penalties.MINIMUM
    assert list(fig.layout.xaxis.range) == [-3.0, 3.0]
    assert list(fig.layout.yaxis.range) == [0, 3.0]
    assert fig.layout.xaxis.title.text.startswith("μ") and fig.layout.yaxis.title.text[0] == "σ"


def test_sigma_curve_is_on_a_log_axis_with_both_penalties():
    sigma = penalties.sigma_axis()
    fig = penalty_figures.sigma_curve(sigma, penalties.along_sigma(sigma), floor=0.0025)
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.range) == pytest.approx([-3, math.log10(3)])
    names = [t.name for t in fig.data]
    assert names[:2] == [penalties.LABELS["simple"], penalties.LABELS["kl"]]
    assert any("floor" in n for n in names)
