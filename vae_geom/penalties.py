"""The two regularisers of the essay, for ONE latent dimension, as functions of (mu, sigma).

Both pull a posterior N(mu, sigma^2) toward the prior N(0, 1), and both are 0 exactly at
(mu, sigma) = (0, 1):

  simple(mu, sigma) = mu^2 + (sigma - 1)^2                          (the essay's pull to the circle)
  KL(mu, sigma)     = 1/2 * (mu^2 + sigma^2 - log sigma^2 - 1)      (Kingma & Welling 2014, App. B)

A model sums them over its latent dimensions. The difference that matters is the edge sigma -> 0:
simple -> 1 + mu^2, a bounded price the reconstruction term happily pays, so sigma collapses to a
point; KL -> infinity through -log sigma^2, so an ellipse can shrink but never vanish.
Numpy only: `vae_geom.objectives` holds the torch versions used in training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MU_RANGE = (-3.0, 3.0)  # the plotted range of mu, in latent units
SIGMA_STEP = 0.02  # the sigma grid is 0.02, 0.04, ..., 3.0: it holds sigma = 1 exactly
SIGMA_MAX = 3.0
MINIMUM = (0.0, 1.0)  # (mu, sigma) where both penalties are 0: the posterior IS the prior
NAMES = ("simple", "kl")
LABELS = {"simple": "simple μ² + (σ − 1)²", "kl": "KL ½(μ² + σ² − log σ² − 1)"}


def _check_sigma(sigma: np.ndarray) -> np.ndarray:
    sigma = np.asarray(sigma, dtype=np.float64)
    if not np.all(sigma > 0):
        raise ValueError("sigma must be > 0: a posterior's standard deviation is positive.")
    return sigma


def simple(mu, sigma) -> np.ndarray:
    """mu^2 + (sigma - 1)^2, elementwise (broadcasts): squared distance of (mu, sigma) to (0, 1)."""
    sigma = _check_sigma(sigma)
    return np.asarray(mu, dtype=np.float64) ** 2 + (sigma - 1.0) ** 2


def kl(mu, sigma) -> np.ndarray:
    """KL(N(mu, sigma^2) || N(0, 1)) = 1/2 (mu^2 + sigma^2 - log sigma^2 - 1), elementwise.

    Kingma & Welling (2014), "Auto-Encoding Variational Bayes", Appendix B, for one dimension.
    """
    sigma = _check_sigma(sigma)
    return 0.5 * (np.asarray(mu, dtype=np.float64) ** 2 + sigma**2 - np.log(sigma**2) - 1.0)


PENALTIES = {"simple": simple, "kl": kl}


def penalty(name: str, mu, sigma) -> np.ndarray:
    """The penalty `name` (one of NAMES) at (mu, sigma), elementwise."""
    if name not in PENALTIES:
        raise ValueError(f"Unknown penalty {name!r}: choose one of {NAMES}.")
    return PENALTIES[name](mu, sigma)


@dataclass(frozen=True)
class PenaltyGrid:
    """A penalty on the (mu, sigma) grid: `values[i, j]` is at (mu[j], sigma[i])."""

    name: str
    mu: np.ndarray  # (n_mu,)
    sigma: np.ndarray  # (n_sigma,)
    values: np.ndarray  # (n_sigma, n_mu), rows = sigma as plotly's contour expects


def grid(name: str, n_mu: int = 121) -> PenaltyGrid:
    """The penalty over mu in MU_RANGE (n_mu points, holding 0 if odd) and sigma in (0, 3]."""
    mu = np.linspace(*MU_RANGE, n_mu)
    # multiples of the step, not linspace: sigma = 1.0 must be on the grid exactly
    sigma = SIGMA_STEP * np.arange(1, round(SIGMA_MAX / SIGMA_STEP) + 1)
    values = penalty(name, mu[None, :], sigma[:, None])  # (n_sigma, n_mu)
    return PenaltyGrid(name, mu, sigma, values)


def along_sigma(sigma, mu: float = 0.0) -> dict[str, np.ndarray]:
    """Both penalties along sigma at a fixed mu: {name: values of the same shape as sigma}."""
    return {name: penalty(name, mu, sigma) for name in NAMES}


def sigma_axis(lo: float = 1e-3, hi: float = SIGMA_MAX, n: int = 400) -> np.ndarray:
    """Log-spaced sigma from lo to hi, for curves whose interesting part is near sigma = 0."""
    return np.geomspace(lo, hi, n)


def sigma_floor(logvar_min: float) -> float:
    """The smallest sigma a model can output when it clamps log sigma^2 >= logvar_min."""
    return float(np.exp(0.5 * logvar_min))


def code_summary(mu: np.ndarray, sigma: np.ndarray, logvar_min: float) -> dict[str, float]:
    """What a model's codes (each of shape (n, d)) say about collapse.

    median_sigma: median of every sigma_id; at_floor: share of sigma_id at the clamp's floor
    (within 1%); simple and kl: each penalty summed over dimensions, averaged over samples.
    """
    floor = sigma_floor(logvar_min)
    return {
        "median_sigma": float(np.median(sigma)),
        "at_floor": float(np.mean(sigma <= floor * 1.01)),
        "simple": float(simple(mu, sigma).sum(axis=1).mean()),
        "kl": float(kl(mu, sigma).sum(axis=1).mean()),
    }
