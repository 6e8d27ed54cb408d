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

from vae_geom.i18n import t

KL_PER_DIM = 0.1  # nats per image per latent dimension: I(x; z) < 0.29 bits on the plane
PRIOR_MASS_1 = 1 - math.exp(-0.5)  # N(0, I) in 2D: mass inside its 1-sigma circle, 39.3%
NATS_TO_BITS = 1 / math.log(2)


def collapsed(kl: float | None, latent_dim: int = 2) -> bool:
    """Whether a model's mean test KL shows a collapsed posterior (kl None: an AE, never)."""
    return kl is not None and kl < KL_PER_DIM * latent_dim


def is_collapsed(meta: dict) -> bool:
    """`collapsed` read from a checkpoint's record (its JSON)."""
    return collapsed(meta["test"]["kl"], meta["model"]["latent_dim"])


def _coverage_words(test: dict, lang: str = "en") -> str:
    cover = t("collapse.cover", lang, coverage=test["coverage_1"])
    if abs(test["coverage_1"] - PRIOR_MASS_1) < 0.03:
        return cover + t("collapse.cover.prior", lang, prior=PRIOR_MASS_1)
    return cover + t("collapse.cover.apart", lang, prior=PRIOR_MASS_1)


def notice(test: dict, lang: str = "en") -> str:
    """Why a collapsed model looks as it does, with its own figures (`meta["test"]`)."""
    bits = test["kl"] * NATS_TO_BITS
    return t(
        "collapse.notice", lang, kl=test["kl"], bits=bits, spread=test["code_spread"]
    ) + _coverage_words(test, lang)


def ladder_note(rows: list[dict], lang: str = "en") -> str:
    """Why the coverage-vs-beta curve bends down ("" if it never does): one sentence per rung
    whose coverage is below the previous rung's, collapsed or not; `rows` are the ladder's test
    figures with their beta, beta ascending (`ladder.kl_ladder_table`)."""
    notes = []
    for prev, r in zip(rows[:-1], rows[1:], strict=True):
        if r["kl"] is None:
            continue
        if collapsed(r["kl"]):
            notes.append(
                t(
                    "collapse.note.collapsed",
                    lang,
                    beta=r["beta"],
                    kl=r["kl"],
                    coverage=r["coverage_1"],
                    prior=PRIOR_MASS_1,
                )
            )
        elif r["coverage_1"] < prev["coverage_1"]:
            notes.append(
                t(
                    "collapse.note.falls",
                    lang,
                    beta=r["beta"],
                    before=prev["coverage_1"],
                    after=r["coverage_1"],
                    kl=r["kl"],
                    spread=r["code_spread"],
                    prev_spread=prev["code_spread"],
                    prev_beta=prev["beta"],
                )
            )
    return "".join(notes)
