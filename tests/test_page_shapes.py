"""AppTest of the Code-space-shapes page: its verdicts, table and planes are the core's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from tests.plotly_data import array
from vae_geom import checkpoints, ladder, shapes
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "5_Code_space_shapes.py")


SECTIONS = ["Four made-up code spaces", "Every shipped model", "One model, measured"]
MADE_UP, LADDER, MODEL = range(3)


def _run(dataset: str = "mnist", model: str | None = None, section: int = MADE_UP) -> AppTest:
    """The page with one section's tab open (only the open tab runs)."""
    return run_page(PAGE, dataset, model, {"shapes.section": SECTIONS[section]})


@pytest.fixture(scope="module", params=["mnist", "digits"])
def page(request) -> tuple[str, AppTest, AppTest]:
    """(dataset, the made-up shapes' tab, the shipped models' tab)."""
    return request.param, _run(request.param), _run(request.param, section=LADDER)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _verdicts(at: AppTest) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Verdict: ")]


def test_the_four_generated_shapes_are_drawn_and_judged_as_themselves(page):
    _, at, _ = page
    charts = _charts(at)
    assert len(charts) == 4  # the four shapes only: the other tabs do not run
    verdicts = _verdicts(at)
    # one "Verdict: " caption per shape: a changed prefix or a missing caption is a failure,
    # not an empty loop
    assert len(verdicts) == len(shapes.KINDS), verdicts
    for kind, fig, caption in zip(shapes.KINDS, charts, verdicts, strict=True):
        assert fig["layout"]["title"]["text"] == f"generated: {kind}"
        points = shapes.make_shape(kind)
        np.testing.assert_allclose(array(fig["data"][0]["x"]), points[:, 0])
        np.testing.assert_allclose(array(fig["data"][0]["y"]), points[:, 1])
        assert caption == shapes.describe(shapes.measures(points))
        assert caption.startswith(f"Verdict: {kind} — ")
        names = [t.get("name") for t in fig["data"]]
        assert "prior 1σ circle" in names and "prior 2σ circle" in names
        assert fig["layout"]["xaxis"]["range"] == [-4, 4]
        assert fig["layout"]["yaxis"]["scaleanchor"] == "x"


def test_the_table_measures_every_shipped_models_test_codes(page):
    dataset, _, at = page
    table = at.dataframe[0].value
    assert list(table["model"]) == [s.name for s in ladder.SPECS]
    x_test = load_dataset(dataset).x_test
    for row in table.to_dict("records"):
        model, _ = checkpoints.load(ladder.stem(dataset, row["model"]))
        expected = shapes.measures(posteriors(model, x_test)[0])
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, abs=1e-12), (row["model"], key)
        assert row["verdict"] == shapes.classify(expected)


def test_the_ladders_verdicts_are_its_codes_and_the_caption_says_where_the_ae_came_from():
    """Each shipped model's verdict is that of its test codes, measured here; the AE continued
    from the beta = 1 VAE, kept its shape, and the caption says so rather than call it typical."""
    at = _run(section=LADDER)
    verdicts = dict(zip(*at.dataframe[0].value[["model", "verdict"]].T.values, strict=True))
    ds = load_dataset("mnist")
    for name in ("ae", "vae-kl-0", "vae-kl-1"):
        mu, _ = posteriors(checkpoints.load(ladder.stem("mnist", name))[0], ds.x_test)
        assert shapes.describe(shapes.measures(mu)).startswith(f"Verdict: {verdicts[name]} ")
    assert verdicts["vae-kl-1"] == "disc"
    assert checkpoints.read_meta(ladder.stem("mnist", "ae"))["continued_from"] == "vae-kl-1"
    assert any("went on training from the β = 1 VAE" in c.value for c in at.caption)


def test_the_selected_model_is_drawn_whitened_with_its_verdict():
    at = _run("digits", "ae", section=MODEL)
    model, _ = checkpoints.load(ladder.stem("digits", "ae"))
    mu, _ = posteriors(model, load_dataset("digits").x_test)
    assert _verdicts(at) == [shapes.describe(shapes.measures(mu))]
    _, whitened = _charts(at)  # the codes as placed, then whitened
    points = next(t for t in whitened["data"] if t.get("name") == "whitened codes w")
    w = shapes.whiten(mu)
    np.testing.assert_allclose(array(points["x"]), w[:, 0], atol=1e-12)
    gaps = array(next(t for t in whitened["data"] if t["type"] == "heatmap")["z"])
    np.testing.assert_array_equal(gaps.reshape(shapes.gap_map(mu).shape) > 0, shapes.gap_map(mu))
    assert gaps.any()  # the AE leaves gaps, drawn as red cells
    assert len(at.get("download_button")) == 1


def test_the_formulas_and_rules_are_shown():
    at = _run()
    latex = at.latex[0].value
    assert r"\lambda_{\min}/\lambda_{\max}" in latex and r"\rho(3/4)" in latex
    assert any(shapes.rules() in c.value for c in at.caption)
