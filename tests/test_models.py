"""The networks: the AE is a point, the VAE's z follows N(mu, sigma^2), inits are seeded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vae_geom.models import ModelConfig, decode_images, make_model, posteriors


def test_ae_codes_are_points():
    model = make_model(ModelConfig(16, hidden=(8,), kind="ae"), seed=0)
    x = torch.rand(5, 16)
    mu, logvar = model.encode(x)
    z = model.reparameterize(mu, logvar)
    assert torch.equal(z, mu)  # sigma = exp(-inf / 2) = 0: no noise at all
    _, sigma = posteriors(model, x.numpy())
    assert (sigma == 0).all()


def test_reparameterised_z_has_the_posterior_moments():
    model = make_model(ModelConfig(16, hidden=(8,)), seed=0)
    mu = torch.tensor([[1.0, -2.0]]).expand(200_000, 2)
    logvar = torch.log(torch.tensor([[0.25, 4.0]])).expand(200_000, 2)
    z = model.reparameterize(mu, logvar, torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(0), torch.tensor([1.0, -2.0]), atol=0.02, rtol=0)
    torch.testing.assert_close(z.std(0), torch.tensor([0.5, 2.0]), atol=0.02, rtol=0)


def test_logvar_is_clamped_to_the_configured_range():
    cfg = ModelConfig(4, hidden=(4,))
    model = make_model(cfg, seed=0)
    with torch.no_grad():
        model.to_logvar.bias.fill_(1e6)
    _, logvar = model.encode(torch.rand(3, 4))
    assert (logvar == cfg.logvar_max).all()


def test_same_seed_same_weights_and_the_global_rng_is_untouched():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = make_model(ModelConfig(10), seed=5)
    after = torch.rand(1)
    b, c = make_model(ModelConfig(10), seed=5), make_model(ModelConfig(10), seed=6)
    assert torch.equal(before, after)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(va, vb), k
    assert not torch.equal(a.to_mu.weight, c.to_mu.weight)


def test_decode_images_are_probabilities_of_the_right_shape():
    model = make_model(ModelConfig(64, hidden=(8,)), seed=0)
    img = decode_images(model, np.array([[0.0, 0.0], [3.0, -1.0]]))
    assert img.shape == (2, 64) and img.min() >= 0 and img.max() <= 1


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind"):
        ModelConfig(4, kind="gan")
