"""Posterior collapse, told from a model's recorded test figures (vae_geom.collapse)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vae_geom import checkpoints, collapse, geometry, ladder
from vae_geom.data import DATASETS


def _figures(mu: np.ndarray, sigma: np.ndarray) -> dict:
    """The test figures a record carries, computed independently: the closed-form KL per image
    summed over the axes via torch.distributions, the RMS radius of mu, the 1-sigma coverage."""
    q = torch.distributions.Normal(torch.as_tensor(mu), torch.as_tensor(sigma))
    p = torch.distributions.Normal(0.0, 1.0)
    kl = torch.distributions.kl_divergence(q, p).sum(1).mean().item()
    return {
        "kl": kl,
        "code_spread": geometry.code_spread(mu),
        "coverage_1": geometry.coverage_k(mu, sigma, m=20_000),
    }


def test_a_synthetic_collapsed_model_is_collapsed_and_its_coverage_is_the_priors(rng):
    n = 500
    mu = rng.normal(0, 0.01, (n, 2))  # every code on the origin,
    sigma = np.exp(rng.normal(0, 0.01, (n, 2)))  # every ellipse the unit circle: q(z|x) = p(z)
    test = _figures(mu, sigma)
    assert collapse.collapsed(test["kl"], test["code_spread"])
    # the union of near-copies of the unit circle: a little more than its chi^2_2 mass, 39%
    assert 1 - math.exp(-0.5) <= test["coverage_1"] < 1 - math.exp(-0.5) + 0.03
    text = collapse.notice(test)
    assert "collapsed" in text and "no longer depend on x" in text and "39%" in text


def test_a_working_model_and_an_ae_are_not_collapsed(rng):
    mu = rng.normal(0, 1, (500, 2))  # codes spread like the prior, small ellipses
    test = _figures(mu, np.full((500, 2), 0.3))
    assert not collapse.collapsed(test["kl"], test["code_spread"])
    assert not collapse.collapsed(None, 0.0)  # an AE: points, no KL


def test_spread_alone_is_not_collapse():
    """Codes packed near the origin but with sharp posteriors still carry x (a large KL)."""
    assert not collapse.collapsed(10.2, 0.05)


def _rung_collapsed_by_its_figures(meta: dict) -> bool:
    """An oracle independent of the thresholds: the rung's KL is a thousandth of the smallest
    KL of any working rung of any dataset, and its coverage is the prior's own 1-sigma mass."""
    test = meta["test"]
    return (
        test["kl"] is not None
        and test["kl"] < 1e-3 * 3.0
        and abs(test["coverage_1"] - (1 - math.exp(-0.5))) < 0.03
    )


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_shipped_ladder(dataset):
    found = []
    for spec in ladder.SPECS:
        meta = checkpoints.read_meta(ladder.stem(dataset, spec.name))
        assert collapse.is_collapsed(meta) == _rung_collapsed_by_its_figures(meta), spec.name
        if collapse.is_collapsed(meta):
            found.append(spec.name)
    # the digits beta = 3 VAE is the one collapsed rung; MNIST and Bars have none
    assert found == {"digits": ["vae-kl-3"]}.get(dataset, [])


def test_the_ladder_note_names_only_the_collapsed_rung():
    note = collapse.ladder_note(ladder.kl_ladder_table("digits"))
    assert note.count("collapsed") == 1 and "β = 3 " in note and "41%" in note and "39%" in note
    assert collapse.ladder_note(ladder.kl_ladder_table("mnist")) == ""
