"""The terms of the VAE objective, per sample (summed over pixels / latent dims).

loss = recon + beta * reg, where reg is one of
  KL     = 1/2 * sum(mu^2 + sigma^2 - log sigma^2 - 1)   (Kingma & Welling 2014, Appendix B)
  simple = sum(mu^2 + (sigma - 1)^2)                      (the essay's pull toward the unit circle)
Both are zero exactly when the posterior is the prior N(0, I).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

REGULARISERS = ("kl", "simple", "none")


def recon_bernoulli(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) for Bernoulli pixels, per sample: shape (B,)."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1)


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag sigma^2) || N(0, I)) in closed form, per sample: shape (B,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(dim=1)


def simple_regulariser(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """||mu||^2 + ||sigma - 1||^2, per sample: shape (B,)."""
    sigma = torch.exp(0.5 * logvar)
    return (mu.pow(2) + (sigma - 1).pow(2)).sum(dim=1)


def regulariser(name: str, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """The regulariser `name` (one of REGULARISERS) per sample; "none" is zeros."""
    if name == "kl":
        return kl_divergence(mu, logvar)
    if name == "simple":
        return simple_regulariser(mu, logvar)
    if name == "none":
        return torch.zeros(mu.shape[0], dtype=mu.dtype, device=mu.device)
    raise ValueError(f"Unknown regulariser {name!r}: choose one of {REGULARISERS}.")
