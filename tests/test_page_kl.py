"""AppTest of the KL and coverage page: its charts and figures are the core's and the JSONs'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from tests.plotly_data import array
from vae_geom import geometry, ladder
from vae_geom.checkpoints import load
from vae_geom.data import load_dataset
from vae_geom.figures import coverage
from vae_geom.models import posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "2_KL_and_coverage.py")


SECTIONS = ["Coverage against β", "Step through β", "Aggregate posterior vs prior"]
CURVES, STEPS, AGGREGATE = range(3)


def _run(dataset="mnist", model=None, section=CURVES) -> AppTest:
    """The page with one section's tab open (only the open tab runs)."""
    return run_page(PAGE, dataset, model, {"kl.section": SECTIONS[section]}, timeout=120)


def _charts(at) -> list[dict]:
    """The page's plotly figures in page order."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.mark.parametrize("dataset", ["mnist", "shapes"])
def test_ladder_curves_plot_the_recorded_coverage(dataset):
    at = _run(dataset)
    curves = _charts(at)[0]
    cov1 = next(t for t in curves["data"] if t["name"].startswith("coverage₁"))
    expected = [r["coverage_1"] for r in ladder.kl_ladder_table(dataset)]
    np.testing.assert_allclose(cov1["y"], expected)
    assert cov1["x"] == ["off", "0.1", "0.3", "1", "3"]


def test_the_animation_morphs_between_the_trained_rungs_and_says_so():
    """A frame per KL rung, carrying that model's own codes, with interpolated frames between
    them; the slider names only the rungs; the titles and the caption tell the two apart."""
    at = _run(section=STEPS)
    (anim,) = _charts(at)
    frames, between = anim["frames"], coverage.LADDER_BETWEEN
    rungs = ["off", "β = 0.1", "β = 0.3", "β = 1", "β = 3"]
    assert len(frames) == len(rungs) + (len(rungs) - 1) * between
    rung_frames = frames[:: between + 1]
    assert [f["name"] for f in rung_frames] == rungs
    assert [s["label"] for s in anim["layout"]["sliders"][0]["steps"]] == rungs
    for i, f in enumerate(frames):
        title = f["layout"]["title"]["text"]
        assert title.endswith("(trained rung)" if i % (between + 1) == 0 else ": interpolated")
    # the beta = 0.3 frame is that model's codes, class by class
    model, _ = load(ladder.stem("mnist", "vae-kl-0.3"))
    ds = load_dataset("mnist")
    mu, _ = posteriors(model, ds.x_test)
    frame, classes = rung_frames[2], np.unique(ds.y_test)
    for j, c in enumerate(classes):  # the frame's data: each class's ellipses, then its mu
        i = len(classes) + j
        assert anim["data"][frame["traces"][i]]["legendgroup"] == str(c)
        np.testing.assert_array_equal(array(frame["data"][i]["x"]), mu[ds.y_test == c, 0])
        np.testing.assert_array_equal(array(frame["data"][i]["y"]), mu[ds.y_test == c, 1])
    caption = at.caption[0].value
    assert "Only the rungs" in caption and "are trained models" in caption
    assert f"The {between} frames between two rungs are interpolated, not trained" in caption


def test_aggregate_figures_match_the_core_for_the_selected_model():
    at = _run(model="vae-kl-0.3", section=AGGREGATE)
    model, _ = load(ladder.stem("mnist", "vae-kl-0.3"))
    mu, sigma = posteriors(model, load_dataset("mnist").x_test)
    div = geometry.aggregate_divergences(mu, sigma)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["KL(q‖p)"] == f"{div['kl']:.3f} nats"
    assert metrics["JS(q, p)"] == f"{div['js']:.3f} nats"
    assert metrics["holes"] == f"{geometry.holes_fraction(mu, sigma):.1%}"


@pytest.mark.parametrize(
    ("section", "keys"),
    [
        (CURVES, ["kl.curves", "kl.rd"]),
        (STEPS, ["kl.animation"]),
        (AGGREGATE, ["kl.q", "kl.p", "kl.holes"]),
    ],
)
def test_only_the_open_tab_runs(section, keys):
    assert [c.key for c in _run(section=section).get("plotly_chart")] == keys


def test_the_curves_mark_and_explain_the_collapsed_rung():
    """digits beta = 3 has collapsed (KL 0.0003 nats): the curve marks it, the caption says why."""
    at = _run("digits")
    chart = _charts(at)[0]
    notes = chart["layout"].get("annotations", [])
    assert [n["text"] for n in notes] == ["collapsed"]
    assert chart["data"][0]["x"][notes[0]["x"]] == "3"  # the category at the annotation's index
    caption = at.caption[0].value
    assert "β = 3 the model has collapsed" in caption and "no longer depend on x" in caption


def test_a_ladder_without_collapse_marks_and_says_nothing():
    at = _run("mnist")
    assert not _charts(at)[0]["layout"].get("annotations")
    assert "collapsed" not in at.caption[0].value
