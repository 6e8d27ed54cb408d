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


def test_the_animation_says_how_far_a_sample_moves_between_rungs():
    """The second caption's number is the largest median move of a test image's mu between
    neighbouring KL rungs, recomputed here from the shipped weights (codes scaled to RMS 1)."""
    at = _run(section=STEPS)
    ds = load_dataset("mnist")

    def unit_codes(beta):
        mu, _ = posteriors(load(ladder.stem("mnist", f"vae-kl-{beta:g}"))[0], ds.x_test)
        return mu / np.sqrt((mu.astype(np.float64) ** 2).sum(1).mean())

    mu = [unit_codes(b) for b in ladder.KL_BETAS]
    moves = [np.median(np.linalg.norm(a - b, axis=1)) for a, b in zip(mu[:-1], mu[1:], strict=True)]
    caption = at.caption[1].value
    assert "one model walked through β" in caption
    assert f"moves a median of at most {max(moves):.2f}" in caption


def test_the_curves_mark_and_explain_the_collapsed_rung(on_collapsed_ladder):
    """On a digits ladder whose beta = 3 VAE is a synthetic collapsed model (KL 0, codes' spread
    0; tests/collapsed_ladder.py), the curve marks that rung and the caption says why."""
    at = run_page(PAGE, state={"kl.section": SECTIONS[CURVES]}, query={"dataset": "digits"})
    chart = _charts(at)[0]
    notes = chart["layout"].get("annotations", [])
    assert [n["text"] for n in notes] == ["collapsed"]
    assert chart["data"][0]["x"][notes[0]["x"]] == "3"  # the category at the annotation's index
    test = json.loads((on_collapsed_ladder / "digits" / "vae-kl-3.json").read_text())["test"]
    caption = at.caption[0].value
    assert f"At β = 3 the model has collapsed (KL {test['kl']:.4f} nats per image)" in caption
    assert "no longer depend on x" in caption
    assert f"its coverage falls to {test['coverage_1']:.0%} (one unit circle alone: 39%)" in caption
    assert "though the model has not collapsed" not in caption  # one sentence: the collapse


def test_the_shipped_digits_curves_mark_the_collapsed_rung():
    """The shipped digits beta = 3 VAE kept 0.19 nats of KL: its decoder no longer tells one
    digit from another (the judge reads decode(mu(x)) as x's digit at chance). The curve marks
    it, and the caption gives the JSON's figures."""
    at = _run("digits")
    chart = _charts(at)[0]
    notes = chart["layout"].get("annotations", [])
    assert [n["text"] for n in notes] == ["collapsed"]
    assert chart["data"][0]["x"][notes[0]["x"]] == "3"
    three = json.loads((ladder.MODELS_DIR / "digits" / "vae-kl-3.json").read_text())
    assert three["judge"]["agreement"] < 0.2  # the judge's view: chance is 0.1
    caption = at.caption[0].value
    assert f"At β = 3 the model has collapsed (KL {three['test']['kl']:.4f} nats" in caption
    assert f"its coverage falls to {three['test']['coverage_1']:.0%}" in caption


def test_a_ladder_without_collapse_marks_and_says_nothing():
    at = _run("mnist")
    assert not _charts(at)[0]["layout"].get("annotations")
    assert "collapsed" not in at.caption[0].value


def test_a_large_test_set_is_animated_through_a_fixed_subset_and_the_caption_says_so():
    """Fashion-MNIST has 5,000 test images: the animation draws 1,000 of them, the same at every
    rung, and says so; its beta = 1 frame holds those images' own codes."""
    at = _run("fashion", section=STEPS)
    (anim,) = _charts(at)
    frames, between = anim["frames"], coverage.LADDER_BETWEEN
    ds = load_dataset("fashion")
    keep = coverage.animation_subset(len(ds.y_test))
    mu, _ = posteriors(load(ladder.stem("fashion", "vae-kl-1"))[0], ds.x_test[keep])
    frame, classes = frames[3 * (between + 1)], np.unique(ds.y_test)
    shown = sum(len(array(frame["data"][len(classes) + j]["x"])) for j in range(len(classes)))
    assert shown == coverage.ANIMATION_MAX == len(mu)
    c = classes[0]
    np.testing.assert_array_equal(
        array(frame["data"][len(classes)]["x"]), mu[ds.y_test[keep] == c, 0]
    )
    assert "draws 1,000 of the 5,000 test images, picked at random" in at.caption[0].value
