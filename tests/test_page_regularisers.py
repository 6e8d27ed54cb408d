"""AppTest of the Regularisers page: its table and charts are the JSONs' figures and the core's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from vae_geom import checkpoints, ladder
from vae_geom.data import load_dataset
from vae_geom.figures import penalties as penalty_figures
from vae_geom.models import posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "4_Regularisers.py")
MODELS = ["vae-kl-1", "vae-simple-1"]


SECTIONS = ["The two penalties", "The same VAE trained with each"]
PENALTIES, TRAINED = range(2)


def _run(dataset: str, section: int) -> AppTest:
    """The page with one section's tab open (only the open tab runs)."""
    return run_page(PAGE, dataset, state={"reg.section": SECTIONS[section]})


@pytest.fixture(scope="module", params=["mnist", "digits"])
def page(request) -> tuple[str, AppTest, AppTest]:
    """(dataset, the penalties tab, the trained-models tab)."""
    return request.param, _run(request.param, PENALTIES), _run(request.param, TRAINED)


def test_the_table_shows_each_models_recorded_figures_and_its_median_sigma(page):
    dataset, _, at = page
    table = at.dataframe[0].value
    assert list(table["model"]) == MODELS
    ds = load_dataset(dataset)
    for row, name in zip(table.to_dict("records"), MODELS, strict=True):
        model, meta = checkpoints.load(ladder.stem(dataset, name))
        for key in penalty_figures.RECORDED:
            assert row[key] == meta["test"][key], (name, key)
        _, sigma = posteriors(model, ds.x_test)
        assert row["median_sigma"] == pytest.approx(float(np.median(sigma)))
    # the lesson the page exists for: the simple penalty lets sigma collapse, the KL does not
    kl, simple = table.to_dict("records")
    assert simple["median_sigma"] < kl["median_sigma"] / 10
    assert simple["coverage_1"] < kl["coverage_1"]


def test_the_penalty_charts_and_both_latent_planes_are_drawn(page):
    _, at_penalties, at = page
    simple, kl, curve = [json.loads(c.proto.spec) for c in at_penalties.get("plotly_chart")]
    plane_kl, plane_simple = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert simple["data"][0]["type"] == kl["data"][0]["type"] == "contour"
    assert curve["layout"]["xaxis"]["type"] == "log"
    assert "collapse" in plane_simple["layout"]["title"]["text"]
    for plane in (plane_kl, plane_simple):
        assert "prior 1σ circle" in [t.get("name") for t in plane["data"]]
    # one line per chart saying what to see, and the table's
    assert len(at_penalties.caption) >= 3 and len(at.caption) >= 3
    buttons = at.get("download_button")  # one CSV of codes per model
    assert len(buttons) == 2 and buttons[0].proto.url != buttons[1].proto.url


def test_the_latex_shows_both_formulas():
    at = run_page(PAGE, "mnist")  # above the tabs
    latex = at.latex[0].value
    assert r"(\sigma_d - 1)^2" in latex and r"\log\sigma_d^2" in latex
