"""Posterior collapse: the KL term won, every q(z|x) is the prior, the codes no longer depend on x.

Read from the test figures every checkpoint's JSON records (`meta["test"]`): the mean KL per image
and the codes' spread (`geometry.code_spread`, the RMS radius of mu). Two thresholds, both needed:

- KL below `KL_PER_DIM` = 0.01 nats per image per latent dimension. The mean KL bounds the
  information the codes carry about x (I(x; z) <= E_x KL(q(z|x) || p(z)), Alemi et al. 2018,
  "Fixing a Broken ELBO"): 0.01 nats is 0.014 bits, nothing a decoder can use. A working VAE of
  the ladder spends 3 nats or more.
- Spread below `SPREAD` = 0.1: every mu sits within a tenth of the prior's sigma of the origin,
  so all ellipses are drawn on top of one another. (Spread^2 <= 2 KL, so a tiny KL implies it;
  the second test guards a record whose KL is small for another reason.)

An AE has no KL (None): its codes are points, it never collapses.
"""

from __future__ import annotations

import math

KL_PER_DIM = 0.01  # nats per image per latent dimension: I(x; z) is below 0.014 bits per axis
SPREAD = 0.1  # RMS radius of mu, in units of the prior's sigma: all codes on the origin
PRIOR_MASS_1 = 1 - math.exp(-0.5)  # N(0, I) in 2D: mass inside its 1-sigma circle, 39.3%


def collapsed(kl: float | None, code_spread: float, latent_dim: int = 2) -> bool:
    """Whether a model's test figures show a collapsed posterior (kl None: an AE, never)."""
    if kl is None:
        return False
    return kl < KL_PER_DIM * latent_dim and code_spread < SPREAD


def is_collapsed(meta: dict) -> bool:
    """`collapsed` read from a checkpoint's record (its JSON)."""
    test = meta["test"]
    return collapsed(test["kl"], test["code_spread"], meta["model"]["latent_dim"])


def notice(test: dict) -> str:
    """Why a collapsed model looks as it does, with its own figures (`meta["test"]`)."""
    return (
        f"This model has collapsed: its KL is {test['kl']:.4f} nats per image (≈ 0), so every "
        "posterior is the prior itself and the codes no longer depend on x — the KL term won "
        f"over reconstruction (the codes' spread is {test['code_spread']:.2f}). Its coverage, "
        f"{test['coverage_1']:.0%}, is just about the prior's own 1σ mass, "
        f"1 − e^(−1/2) = {PRIOR_MASS_1:.0%}: all its ellipses are one unit circle."
    )


def ladder_note(rows: list[dict]) -> str:
    """Why the coverage-vs-beta curve bends down, one sentence per collapsed rung ("" if none);
    `rows` are the ladder's test figures with their beta (`ladder.kl_ladder_table`)."""
    return "".join(
        f" At β = {r['beta']:g} the model has collapsed (KL {r['kl']:.4f} nats per image): the KL "
        "term won, every posterior is the prior itself and the codes no longer depend on x, so "
        f"its coverage, {r['coverage_1']:.0%}, falls to about the prior's own 1σ mass, "
        f"{PRIOR_MASS_1:.0%}."
        for r in rows
        if collapsed(r["kl"], r["code_spread"])
    )
