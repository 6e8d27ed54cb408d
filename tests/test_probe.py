"""The answer at a clicked z: decoded image, prior density, covering posteriors, blend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from vae_geom import probe
from vae_geom.geometry import GeometryError
from vae_geom.models import decode_images


@pytest.fixture(scope="module")
def setup(tiny_vae, digits):
    from vae_geom.models import posteriors

    model, _ = tiny_vae
    mu, sigma = posteriors(model, digits.x_test)
    return model, digits, mu, sigma


def test_probe_decodes_z_and_reports_the_prior_density(setup):
    model, ds, mu, sigma = setup
    p = probe.probe(model, ds.x_test, mu, sigma, (0.5, -1.0), ds.image_shape)
    assert p.image.shape == (8, 8)
    np.testing.assert_allclose(p.image.ravel(), decode_images(model, [[0.5, -1.0]])[0])
    assert p.prior_density == pytest.approx(multivariate_normal(np.zeros(2)).pdf([0.5, -1.0]))


def test_blend_is_the_responsibility_weighted_mean_of_the_images(setup):
    model, ds, mu, sigma = setup
    z = mu[3]  # the centre of sample 3's ellipse: it is covered
    p = probe.probe(model, ds.x_test, mu, sigma, z, ds.image_shape, top=3)
    dens = np.array(
        [multivariate_normal(m, np.diag(s**2)).pdf(z) for m, s in zip(mu, sigma, strict=True)]
    )
    r = dens / dens.sum()
    np.testing.assert_allclose(p.blend.ravel(), r @ ds.x_test, atol=1e-5)
    assert list(p.top) == list(np.argsort(-r)[: len(p.top)])
    assert p.inside >= 1


def test_far_away_z_is_in_a_hole(setup):
    model, ds, mu, sigma = setup
    assert probe.probe(model, ds.x_test, mu, sigma, (9.5, 9.5), ds.image_shape).inside == 0


def test_ae_points_have_no_responsibilities(setup, digits):
    model, ds, mu, _ = setup
    p = probe.probe(model, ds.x_test, mu, np.zeros_like(mu), (0, 0), ds.image_shape)
    assert len(p.top) == 0 and p.blend is None and p.inside == 0
    idx, dist = probe.nearest_codes((0, 0), mu, 3)
    assert dist[0] == pytest.approx(np.linalg.norm(mu, axis=1).min())


@pytest.mark.parametrize(
    "z, message",
    [
        ((np.nan, 0), "finite"),
        (("a", 1), "two numbers"),
        ((1, 2, 3), "two numbers"),
        ((50, 0), "outside the plane"),
        ((float("inf"), 0), "finite"),
    ],
)
def test_bad_z_is_refused_with_a_clear_message(z, message):
    with pytest.raises(GeometryError, match=message):
        probe.check_z(z)
