"""A collapsed model says so wherever it is shown: the Explorer and the model picker.

The collapsed model is synthetic (tests/collapsed_ladder.py: the digits vae-kl-3 with mu = 0 and
sigma = 1 for every x), so these tests do not depend on which shipped rung, if any, collapsed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.apptest import run_page
from tests.test_collapse import _rung_collapsed_by_its_figures
from vae_geom import checkpoints, ladder

APP = str(Path(__file__).parents[1] / "app.py")


def _explorer(model: str):
    """The Explorer opened by a link on digits and `model` (on the ladder ladder.MODELS_DIR
    points at: no other dataset is loaded first)."""
    return run_page(APP, query={"dataset": "digits", "model": model}, timeout=120)


def _collapsed_options(at) -> list[str]:
    """The model picker's options (the labels it shows) that say "collapsed"."""
    return [o for o in at.selectbox(key="sidebar.model").options if "collapsed" in o]


def test_the_explorer_says_why_a_collapsed_model_is_one_circle(on_collapsed_ladder):
    at = _explorer("vae-kl-3")
    assert at.selectbox(key="sidebar.model").value == "vae-kl-3"
    test = json.loads((on_collapsed_ladder / "digits" / "vae-kl-3.json").read_text())["test"]
    (info,) = [i.value for i in at.info if "collapsed" in i.value]
    assert f"KL is {test['kl']:.4f} nats per image" in info and "no longer depend on x" in info
    assert f"the codes' spread is {test['code_spread']:.2f}" in info
    assert f"Its coverage, {test['coverage_1']:.0%}," in info and "= 39%" in info
    picker = at.selectbox(key="sidebar.model")
    assert picker.format_func("vae-kl-3").endswith(" — collapsed")
    assert _collapsed_options(at) == ["VAE, KL, β = 3 — collapsed"]


@pytest.mark.parametrize("model", ["vae-kl-1", "ae"])
def test_a_model_that_has_not_collapsed_says_nothing(on_collapsed_ladder, model):
    at = _explorer(model)
    assert at.selectbox(key="sidebar.model").value == model
    assert not [i for i in at.info if "collapsed" in i.value]
    picker = at.selectbox(key="sidebar.model")
    assert "collapsed" not in picker.format_func(model)
    assert _collapsed_options(at) == ["VAE, KL, β = 3 — collapsed"]  # the synthetic rung only


def test_the_shipped_pickers_mark_only_what_has_collapsed():
    """On the shipped ladder the picker marks a rung exactly when the oracle of test_collapse
    (its KL and coverage, not collapse.py's thresholds) says it collapsed: for MNIST, none."""
    at = run_page(APP, "digits", "vae-kl-3", timeout=120)
    expected = [
        f"{s.label} — collapsed"
        for s in ladder.SPECS
        if _rung_collapsed_by_its_figures(checkpoints.read_meta(ladder.stem("digits", s.name)))
    ]
    assert _collapsed_options(at) == expected
    if not expected:  # and the Explorer says nothing of a collapse
        assert not [i for i in at.info if "collapsed" in i.value]
    mnist = at.selectbox(key="sidebar.dataset").set_value("mnist").run()
    assert not _collapsed_options(mnist)
