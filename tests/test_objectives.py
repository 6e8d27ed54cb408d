"""The objective's terms against torch.distributions, an independent implementation."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from vae_geom import objectives


def _posterior_and_prior(mu, logvar):
    q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    return q, p


@pytest.mark.parametrize("log10_sigma", [-4.0, -1.0, 0.0, 1.0, 2.0])
def test_kl_matches_torch_distributions(log10_sigma):
    g = torch.Generator().manual_seed(int(log10_sigma * 10) + 100)
    mu = torch.randn(64, 2, generator=g, dtype=torch.float64) * 3
    sigma = 10 ** (log10_sigma + 0.1 * torch.randn(64, 2, generator=g, dtype=torch.float64))
    logvar = 2 * torch.log(sigma)
    q, p = _posterior_and_prior(mu, logvar)
    expected = kl_divergence(q, p)
    got = objectives.kl_divergence(mu, logvar)
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-9)


def test_kl_is_zero_only_at_the_prior():
    mu, logvar = torch.zeros(3, 2), torch.zeros(3, 2)
    assert objectives.kl_divergence(mu, logvar).abs().max() < 1e-7
    assert (objectives.kl_divergence(mu + 0.1, logvar) > 0).all()
    assert (objectives.kl_divergence(mu, logvar + 0.1) > 0).all()


def test_simple_regulariser_is_the_squared_distance_to_the_unit_circle_parameters():
    mu = torch.tensor([[1.0, -2.0], [0.0, 0.0]])
    sigma = torch.tensor([[0.5, 3.0], [1.0, 1.0]])
    got = objectives.simple_regulariser(mu, 2 * torch.log(sigma))
    # ||mu - 0||^2 + ||sigma - 1||^2 written out by hand for the two rows
    expected = torch.tensor([1 + 4 + 0.25 + 4, 0.0])
    torch.testing.assert_close(got, expected)


def test_recon_is_bernoulli_negative_log_likelihood():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 20, generator=g)
    x = torch.rand(8, 20, generator=g).round()  # binary pixels, where log_prob is defined
    expected = -Independent(Bernoulli(logits=logits), 1).log_prob(x)
    torch.testing.assert_close(objectives.recon_bernoulli(logits, x), expected)


def test_regulariser_dispatch_and_unknown_name():
    mu, logvar = torch.ones(2, 2), torch.zeros(2, 2)
    assert torch.equal(objectives.regulariser("none", mu, logvar), torch.zeros(2))
    assert torch.equal(
        objectives.regulariser("kl", mu, logvar), objectives.kl_divergence(mu, logvar)
    )
    with pytest.raises(ValueError, match="Unknown regulariser"):
        objectives.regulariser("l2", mu, logvar)
