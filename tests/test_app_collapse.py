"""A collapsed model says so wherever it is shown: the Explorer and the model picker."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.apptest import run_page

APP = str(Path(__file__).parents[1] / "app.py")


def _explorer(model: str):
    return run_page(APP, "digits", model, timeout=120)


def test_the_explorer_says_why_a_collapsed_model_is_one_circle():
    at = _explorer("vae-kl-3")
    (info,) = [i.value for i in at.info if "collapsed" in i.value]
    assert "KL is 0.0003 nats per image" in info and "no longer depend on x" in info
    assert "Its coverage, 41%" in info and "= 39%" in info
    picker = at.selectbox(key="sidebar.model")
    assert picker.format_func("vae-kl-3").endswith(" — collapsed")


@pytest.mark.parametrize("model", ["vae-kl-1", "ae"])
def test_a_model_that_has_not_collapsed_says_nothing(model):
    at = _explorer(model)
    assert not [i for i in at.info if "collapsed" in i.value]
    picker = at.selectbox(key="sidebar.model")
    assert "collapsed" not in picker.format_func(model)
    # the picker marks the one collapsed rung of digits, and no rung of MNIST
    assert [o for o in picker.options if "collapsed" in o] == ["VAE, KL, β = 3 — collapsed"]
    mnist = at.selectbox(key="sidebar.dataset").set_value("mnist").run()
    assert not [o for o in mnist.selectbox(key="sidebar.model").options if "collapsed" in o]
