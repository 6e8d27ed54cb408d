"""AppTest of Generate and interpolate: each served mosaic is decoder(z) for the right z."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtri
from streamlit.testing.v1 import AppTest

from tests import plane_data
from tests.apptest import run_page
from vae_geom import checkpoints, geometry, ladder, tiles
from vae_geom.data import load_dataset
from vae_geom.figures.plane import HOLE
from vae_geom.models import decode_images, posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "6_Generate_and_interpolate.py")
ATOL = 1 / 255 + 1e-6  # PNG holds 8 bits per pixel


SECTIONS = ["1 · Samples of the prior", "2 · A grid over the plane", "3 · A path from A to B"]
SAMPLES, GRID, PATH = range(3)


def _run(state=None, dataset=None, model=None, section=SAMPLES) -> AppTest:
    """The page opened by a link to one section's tab; state: what a click would set."""
    return run_page(PAGE, dataset, model, state, query={"generate.section": SECTIONS[section]})


def _open(at: AppTest, section: int) -> None:
    """Click a tab: the browser sends the tab's new state and the URL that now names it."""
    at.session_state["generate.section"] = SECTIONS[section]
    at.query_params["generate.section"] = SECTIONS[section]
    at.run()


def _model(dataset="mnist", name="vae-kl-1"):
    return checkpoints.load(ladder.stem(dataset, name))[0]


def _served(at: AppTest, media, caption_start: str) -> np.ndarray:
    """The PNG served under the image whose caption starts so, shrunk back to one pixel each."""
    (img,) = [
        i.proto.imgs[0]
        for i in at.get("image")
        if i.proto.imgs[0].caption.startswith(caption_start)
    ]
    return media.png(img.url)


def _unscale(png: np.ndarray, rows: int, cols: int, shape) -> np.ndarray:
    """Undo the whole-factor upscaling of a rows x cols mosaic of `shape` tiles (1-pixel pads)."""
    h, w = shape
    native = (rows * (h + 1) + 1, cols * (w + 1) + 1)  # tiles.mosaic's size
    f = png.shape[0] // native[0]
    assert f >= 1 and png.shape == (f * native[0], f * native[1])
    return png[::f, ::f]


def _tile(mosaic: np.ndarray, r: int, c: int, shape) -> np.ndarray:
    h, w = shape
    return mosaic[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w]


def test_the_first_tab_opens_by_default():
    at = run_page(PAGE)
    assert [c.key for c in at.get("bidi_component")] == ["gen_samples", "gen_samples.state"]


@pytest.mark.parametrize("section", [SAMPLES, GRID, PATH])
def test_only_the_open_tab_runs_each_its_plane_mosaic_and_formula(section):
    at = _run(section=section)
    assert not at.get("plotly_chart")  # each tab's plane is the browser's
    plane = ["gen_samples", "gen_grid", "gen_plane"][section]
    assert [c.key for c in at.get("bidi_component")] == [plane, f"{plane}.state"]
    assert len(at.get("image")) == 1 and len(at.latex) == 1


def test_a_link_to_an_unknown_tab_opens_the_first_and_drops_the_parameter():
    at = run_page(PAGE, query={"generate.section": "9 · nonsense"})
    assert [c.key for c in at.get("bidi_component")] == ["gen_samples", "gen_samples.state"]
    assert "generate.section" not in at.query_params


def test_settings_survive_a_closed_tab():
    """Streamlit forgets a widget a run does not draw: ui.keep_widgets carries it over."""
    at = _run(section=GRID)
    at.slider(key="generate.g").set_value(7)
    at.radio(key="generate.spacing").set_value("uniform").run()
    _open(at, PATH)
    assert at.session_state["generate.a"] == (-2.0, -1.0)  # the path's defaults
    _open(at, GRID)
    assert at.slider(key="generate.g").value == 7
    assert at.radio(key="generate.spacing").value == "uniform"
    assert not at.exception


def test_the_inverse_cdf_grid_mosaic_decodes_the_expected_z(media):
    at = _run(section=GRID)
    g = at.slider(key="generate.g").value
    png = _served(at, media, f"decoder(z), {g}×{g} inverse-cdf grid")
    mosaic = _unscale(png, g, g, (28, 28))
    axis = ndtri((np.arange(g) + 0.5) / g)  # independent of generate.grid_axis
    model = _model()
    for r, c in [(0, 0), (0, g - 1), (g // 2, 3), (g - 1, 0)]:
        z = (axis[c], axis[g - 1 - r])  # z1 rightward, z2 upward: row 0 holds the largest z2
        expected = decode_images(model, [z])[0].reshape(28, 28)
        np.testing.assert_allclose(_tile(mosaic, r, c, (28, 28)), expected, atol=ATOL)


def test_a_uniform_grid_on_the_digits_decodes_linspace(media):
    at = _run(dataset="digits", section=GRID)
    at.slider(key="generate.g").set_value(5)
    at.radio(key="generate.spacing").set_value("uniform").run()  # a is for the uniform grid only
    at.slider(key="generate.limit").set_value(2.0).run()
    assert not at.exception
    mosaic = _unscale(_served(at, media, "decoder(z), 5×5 uniform grid"), 5, 5, (8, 8))
    axis = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    z = np.array([(axis[c], axis[4 - r]) for r in range(5) for c in range(5)])
    expected = tiles.mosaic(decode_images(_model("digits"), z), (8, 8), 5)
    np.testing.assert_allclose(mosaic, expected, atol=ATOL)


def test_prior_samples_are_decoded_and_their_holes_counted(media):
    at = _run()
    at.segmented_control(key="generate.n").set_value(16)
    at.number_input(key="generate.seed").set_value(7).run()
    assert not at.exception
    z = np.random.default_rng(7).standard_normal((16, 2))  # the oracle: numpy's own draws
    mosaic = _unscale(_served(at, media, "decoder(z), 16 draws (seed 7)"), 4, 4, (28, 28))
    expected = tiles.mosaic(decode_images(_model(), z), (28, 28), 4)
    np.testing.assert_allclose(mosaic, expected, atol=ATOL)
    holes = int((~_covered_by_training(z)).sum())
    assert any(c.value.startswith(f"{holes} of 16 samples land in a hole") for c in at.caption)


def _covered_by_training(z, dataset="mnist", name="vae-kl-1") -> np.ndarray:
    """The oracle: is each z inside some TRAINING posterior's 2-sigma ellipse (written out)?"""
    mu, sigma = posteriors(_model(dataset, name), load_dataset(dataset).x_train)
    d = (np.asarray(z, dtype=np.float64)[:, None] - mu) / sigma  # (m, n, 2)
    return ((d**2).sum(-1) <= 4.0).any(1)


def _samples_chart_holes(at: AppTest) -> int:
    """How many of the samples plane's z are drawn as holes (red points among its marks)."""
    [mark] = plane_data.state(at, "gen_samples")["marks"]
    return sum(c == HOLE for c in mark["colours"])


def test_holes_are_judged_by_the_training_posteriors():
    """Issue 13: the decoder learned from the training split, so a prior sample is in a hole only
    outside every training sample's 2-sigma ellipse, whatever the plane draws. Seed 21's 16 draws
    include 7 outside every test ellipse but none outside the training ones."""
    at = _run()
    at.segmented_control(key="generate.n").set_value(16)
    at.number_input(key="generate.seed").set_value(21).run()
    assert not at.exception
    z = np.random.default_rng(21).standard_normal((16, 2))
    mu_test, sigma_test = posteriors(_model(), load_dataset("mnist").x_test)
    assert (~geometry.covered(z, mu_test, sigma_test, k=2.0)).sum() > 0  # holes of the test set
    holes = int((~_covered_by_training(z)).sum())
    assert holes == 0
    shown = [c.value for c in at.caption if "samples land in a hole" in c.value]
    assert shown and shown[0].startswith(
        f"{holes} of 16 samples land in a hole: outside every training sample's 2σ ellipse"
    )
    assert _samples_chart_holes(at) == holes


def test_a_path_is_in_a_hole_only_outside_the_training_ellipses():
    z = (1.09, 2.25)  # inside training ellipses only (no test ellipse holds it)
    at = _run({"generate.a": z, "generate.b": z}, section=PATH)
    at.slider(key="generate.steps").set_value(5).run()
    assert not at.exception
    assert _covered_by_training(np.array([z])).all()
    summary = at.markdown[-1].value
    assert (
        "none of the 5 steps lie in a hole, outside every training sample’s 2σ ellipse" in summary
    )
    assert "never trained" not in summary


def _strip(at: AppTest, media, steps: int) -> np.ndarray:
    return _unscale(_served(at, media, "decoder(z(t))"), 1, steps, (28, 28))


def test_the_strip_runs_from_a_to_b(media):
    a, b = (-1.5, 2.0), (2.5, -0.5)
    at = _run({"generate.a": a, "generate.b": b}, section=PATH)
    at.slider(key="generate.steps").set_value(5).run()
    strip, model = _strip(at, media, 5), _model()
    for i, z in enumerate([a, (-0.5, 1.375), (0.5, 0.75), (1.5, 0.125), b]):
        expected = decode_images(model, [z])[0].reshape(28, 28)
        np.testing.assert_allclose(_tile(strip, 0, i, (28, 28)), expected, atol=ATOL)
    assert at.number_input(key="generate.a1").value == pytest.approx(a[0])
    assert at.number_input(key="generate.b2").value == pytest.approx(b[1])
    assert "On this path" in at.markdown[-1].value


def test_typed_endpoints_move_the_path(media):
    at = _run(section=PATH)
    at.number_input(key="generate.b1").set_value(3.0)
    at.number_input(key="generate.b2").set_value(-3.0).run()
    assert at.session_state["generate.b"] == (3.0, -3.0)
    strip, model = _strip(at, media, 11), _model()
    expected = decode_images(model, [(3.0, -3.0)])[0].reshape(28, 28)
    np.testing.assert_allclose(_tile(strip, 0, 10, (28, 28)), expected, atol=ATOL)
    # (3, -3) is 4.2 from the origin: the path's far end leaves the prior's 2-sigma circle
    assert "leave the prior’s 2σ circle" in at.markdown[-1].value
    assert not at.markdown[-1].value.startswith("On this path none")


def test_clicks_set_a_then_b():
    at = _run({"generate.click": (0.5, 0.5)}, section=PATH)
    assert at.session_state["generate.a"] == (0.5, 0.5)
    assert "next click sets **B**" in at.info[0].value
    at.session_state["generate.click"] = (1.0, -1.0)
    at.run()
    assert at.session_state["generate.b"] == (1.0, -1.0)
    assert at.session_state["generate.a"] == (0.5, 0.5)
    assert at.number_input(key="generate.b2").value == pytest.approx(-1.0)
    # the plane marks the path from A to B, its steps coloured, and the ends labelled
    marks = plane_data.state(at, "gen_plane")["marks"]
    t = np.linspace(0, 1, at.slider(key="generate.steps").value)[:, None]
    path = (1 - t) * np.array([0.5, 0.5]) + t * np.array([1.0, -1.0])  # z(t), written out
    np.testing.assert_allclose(marks[0]["z"], path, atol=1e-12)
    assert [(m["label"], m["z"]) for m in marks[1:]] == [("A", [0.5, 0.5]), ("B", [1.0, -1.0])]


def test_a_click_on_the_plane_sets_the_next_end():
    """The click as the plane's script sends it, through the bounded websocket path."""
    at = _run(section=PATH)
    plane_data.click(at, 0.25, -0.75, key="gen_plane")
    assert not at.exception
    assert at.session_state["generate.a"] == (0.25, -0.75)


def test_the_ae_says_its_points_make_every_z_a_hole_and_where_it_is_judged():
    at = _run(model="ae")
    assert "points cover no area: here every z counts as a hole" in at.warning[0].value
    assert "Points vs ellipses" in at.warning[0].value
    # and it is true: the samples section flags every draw of the AE as a hole
    assert any(c.value.startswith("36 of 36 samples land in a hole") for c in at.caption)
