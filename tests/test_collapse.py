"""Posterior collapse, told from a model's recorded test figures (vae_geom.collapse)."""

from __future__ import annotations

import json
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
    assert collapse.collapsed(test["kl"])
    # the union of near-copies of the unit circle: a little more than its chi^2_2 mass, 39%
    assert 1 - math.exp(-0.5) <= test["coverage_1"] < 1 - math.exp(-0.5) + 0.03
    text = collapse.notice(test)
    assert "collapsed" in text and "no longer depend on x" in text and "39%" in text


def test_a_working_model_and_an_ae_are_not_collapsed(rng):
    mu = rng.normal(0, 1, (500, 2))  # codes spread like the prior, small ellipses
    test = _figures(mu, np.full((500, 2), 0.3))
    assert not collapse.collapsed(test["kl"])
    assert not collapse.collapsed(None)  # an AE: points, no KL


def test_spread_alone_is_not_collapse():
    """Codes packed near the origin but with sharp posteriors still carry x (a large KL)."""
    assert not collapse.collapsed(10.2)


def _rung_collapsed_by_its_figures(meta: dict) -> bool:
    """An oracle independent of collapse.py's threshold: a VAE whose decoder no longer tells one
    x from another. The judge (a classifier of real images that never saw the model) reads
    decode(mu(x)) as x's own class no better than twice chance."""
    classes = len(
        json.loads((ladder.MODELS_DIR / meta["dataset"] / "judge.json").read_text())["classes"]
    )
    return meta["kind"] == "vae" and meta["judge"]["agreement"] < 2 / classes


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_shipped_ladder(dataset):
    """Whichever shipped rungs have collapsed (none, when this was written), the thresholds and
    the oracle agree on every one of them."""
    for spec in ladder.SPECS:
        meta = checkpoints.read_meta(ladder.stem(dataset, spec.name))
        assert collapse.is_collapsed(meta) == _rung_collapsed_by_its_figures(meta), spec.name


def test_the_synthetic_collapsed_rung_is_collapsed_by_both(collapsed_ladder):
    """vae-kl-3 with to_mu and to_logvar zeroed (tests/collapsed_ladder.py): its recorded figures
    are those of q(z|x) = p(z), and both the thresholds and the oracle call it collapsed."""
    meta = checkpoints.read_meta(ladder.stem("digits", "vae-kl-3", collapsed_ladder))
    test = meta["test"]
    assert test["kl"] == 0.0 and test["code_spread"] == 0.0
    assert abs(test["coverage_1"] - (1 - math.exp(-0.5))) < 0.01  # Monte Carlo, M = 200,000
    assert collapse.is_collapsed(meta) and _rung_collapsed_by_its_figures(meta)
    for name in ("ae", "vae-kl-1"):  # its neighbours are the shipped ones, not collapsed
        meta = checkpoints.read_meta(ladder.stem("digits", name, collapsed_ladder))
        assert not collapse.is_collapsed(meta) and not _rung_collapsed_by_its_figures(meta)


def _row(beta: float, coverage: float, kl: float = 3.0, spread: float = 1.3) -> dict:
    """A row of ladder.kl_ladder_table with the figures ladder_note reads."""
    return {
        "name": f"vae-kl-{beta:g}",
        "beta": beta,
        "kl": kl,
        "code_spread": spread,
        "coverage_1": coverage,
    }


RISING = [_row(0.0, 0.002, 11.0, 1.9), _row(0.1, 0.16, 6.0, 1.7), _row(1.0, 0.84, 3.0, 1.36)]


def test_the_ladder_note_names_only_the_collapsed_rung():
    rows = [*RISING, _row(3.0, 0.41, kl=0.0003, spread=0.01)]
    note = collapse.ladder_note(rows)
    assert note.count("collapsed") == 1 and note.count("β = ") == 1
    assert "At β = 3 the model has collapsed (KL 0.0003 nats per image)" in note
    assert "its coverage falls to 41% (one unit circle alone: 39%)." in note
    assert collapse.ladder_note(RISING) == ""  # the coverage only rises: nothing to explain


def test_the_ladder_note_explains_a_coverage_that_falls_without_collapse():
    rows = [*RISING, _row(3.0, 0.77, kl=0.5, spread=0.56)]
    note = collapse.ladder_note(rows)
    assert note.count("β = 3 ") == 1 and "has collapsed" not in note
    assert "At β = 3 the coverage falls (84% → 77%) though the model has not collapsed" in note
    assert "(KL 0.50 nats per image, codes' spread 0.56 against 1.36 at β = 1)" in note


def _coverage_sentence(prev: dict, r: dict) -> list[str]:
    """The figures the note must quote for a rung whose coverage fell, from the two JSONs."""
    return [
        f"At β = {r['train']['beta']:g} the coverage falls",
        f"({prev['test']['coverage_1']:.0%} → {r['test']['coverage_1']:.0%})",
        f"KL {r['test']['kl']:.2f} nats per image",
        f"codes' spread {r['test']['code_spread']:.2f} against "
        f"{prev['test']['code_spread']:.2f} at β = {prev['train']['beta']:g}",
    ]


@pytest.mark.parametrize("dataset", ["digits", "mnist"])
def test_the_shipped_ladder_notes_quote_the_jsons(dataset):
    """Every fall of the shipped coverage curve is explained with its JSONs' figures (read here
    with json, not through the app's loaders), and nothing else is."""
    folder = ladder.MODELS_DIR / dataset
    records = [json.loads((folder / f"vae-kl-{b:g}.json").read_text()) for b in ladder.KL_BETAS]
    note = collapse.ladder_note(ladder.kl_ladder_table(dataset))
    explained = 0  # rungs whose coverage fell, or that collapsed
    for prev, r in zip(records[:-1], records[1:], strict=True):
        if _rung_collapsed_by_its_figures(r):
            explained += 1
            assert f"At β = {r['train']['beta']:g} the model has collapsed" in note, note
        elif r["test"]["coverage_1"] < prev["test"]["coverage_1"]:
            explained += 1
            assert all(part in note for part in _coverage_sentence(prev, r)), note
    assert note.count(" At β = ") == explained
    if dataset == "digits":  # retrained: beta = 3 kept 0.19 nats of KL, its decoder ignores z
        assert explained == 1 and "At β = 3 the model has collapsed" in note, note
