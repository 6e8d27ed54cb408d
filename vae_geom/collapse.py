"""Posterior collapse: the KL term won, every q(z|x) is (nearly) the prior, the codes no longer
carry x.

Read from the test figures every checkpoint's JSON records (`meta["test"]`). The mean KL per image
bounds the information the codes carry about x: I(x; z) <= E_x KL(q(z|x) || p(z)) (Alemi et al.
2018, "Fixing a Broken ELBO"). A model is collapsed when that bound is below `KL_PER_DIM` = 0.1
nats per latent dimension: 0.2 nats = 0.29 bits for the plane, less than the 1 bit it takes to
tell even two classes apart, so the decoder cannot use z to tell one x from another. The working
VAEs of the ladder spend 3 nats or more (the digits beta = 1 VAE: 2.97); the digits beta = 3 VAE
spends 0.19 and decodes every test image as the same blurred digit.

An AE has no KL (None): its codes are points, it never collapses.
"""

from __future__ import annotations

import math

KL_PER_DIM = 0.1  # nats per image per latent dimension: I(x; z) < 0.29 bits on the plane
PRIOR_MASS_1 = 1 - math.exp(-0.5)  # N(0, I) in 2D: mass inside its 1-sigma circle, 39.3%
NATS_TO_BITS = 1 / math.log(2)


def collapsed(kl: float | None, latent_dim: int = 2) -> bool:
    """Whether a model's mean test KL shows a collapsed posterior (kl None: an AE, never)."""
    return kl is not None and kl < KL_PER_DIM * latent_dim


def is_collapsed(meta: dict) -> bool:
    """`collapsed` read from a checkpoint's record (its JSON)."""
    return collapsed(meta["test"]["kl"], meta["model"]["latent_dim"])


def _coverage_words(test: dict) -> str:
    cover = f"Its coverage, {test['coverage_1']:.0%}, "
    if abs(test["coverage_1"] - PRIOR_MASS_1) < 0.03:
        return (
            f"{cover}is just about the prior's own 1σ mass, 1 − e^(−1/2) = {PRIOR_MASS_1:.0%}: "
            "all its ellipses are one unit circle."
        )
    return (
        f"{cover}is not the prior's own 1σ mass ({PRIOR_MASS_1:.0%}) only because its "
        "near-copies of the unit circle still sit a little apart."
    )


def notice(test: dict) -> str:
    """Why a collapsed model looks as it does, with its own figures (`meta["test"]`)."""
    bits = test["kl"] * NATS_TO_BITS
    return (
        f"This model has collapsed: its KL is {test['kl']:.4f} nats per image, so its codes carry "
        f"at most {bits:.2f} bits about x, less than it takes to tell two classes apart. Every "
        "posterior is (nearly) the prior itself and the codes no longer depend on x — the KL term "
        f"won over reconstruction (the codes' spread is {test['code_spread']:.2f}). "
        + _coverage_words(test)
    )


def ladder_note(rows: list[dict]) -> str:
    """Why the coverage-vs-beta curve bends down ("" if it never does): one sentence per rung
    whose coverage is below the previous rung's, collapsed or not; `rows` are the ladder's test
    figures with their beta, beta ascending (`ladder.kl_ladder_table`)."""
    notes = []
    for prev, r in zip(rows[:-1], rows[1:], strict=True):
        if r["kl"] is None:
            continue
        if collapsed(r["kl"]):
            notes.append(
                f" At β = {r['beta']:g} the model has collapsed (KL {r['kl']:.4f} nats per "
                "image): the KL term won, every posterior is (nearly) the prior itself and the "
                "codes no longer depend on x, so its ellipses pile up on the prior's own circle "
                f"and its coverage falls to {r['coverage_1']:.0%} (one unit circle alone: "
                f"{PRIOR_MASS_1:.0%})."
            )
        elif r["coverage_1"] < prev["coverage_1"]:
            notes.append(
                f" At β = {r['beta']:g} the coverage falls ({prev['coverage_1']:.0%} → "
                f"{r['coverage_1']:.0%}) though the model has not collapsed: the KL pulls every "
                f"ellipse toward the prior's own circle (KL {r['kl']:.2f} nats per image, codes' "
                f"spread {r['code_spread']:.2f} against {prev['code_spread']:.2f} at β = "
                f"{prev['beta']:g}), so the ellipses pile up on one another near the origin "
                "instead of tiling the disc, and their union covers less."
            )
    return "".join(notes)
