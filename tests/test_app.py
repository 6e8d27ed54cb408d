"""AppTest of the Explorer: every dataset, the latent plane, true figures, decoding a clicked z."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from tests.plotly_data import array
from tests.shown import read
from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import DATASETS, load_dataset
from vae_geom.models import decode_images, posteriors
from vae_geom.ui.decoded import ellipses_containing

APP = str(Path(__file__).parents[1] / "app.py")


def _run(dataset=None, model=None, z=None, query=None) -> AppTest:
    state = {} if z is None else {"explorer.z": z}  # the clicked z
    return run_page(APP, dataset, model, state, query)


def _figure(at: AppTest) -> dict:
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


# The figure's coordinates are float32: the markers are the encoder's mu as is, the outlines are
# computed in float64 and cast. At |z| up to ~10 one float32 step is ~1e-6, so 1e-5 is rounding,
# far below any real change.
FLOAT32_ATOL = 1e-5


@pytest.mark.parametrize("dataset", DATASETS)
def test_explorer_draws_every_test_posterior_for_each_dataset(dataset):
    at = _run(dataset)
    fig = _figure(at)
    names = [t.get("name", "") for t in fig["data"]]
    assert "prior 1σ circle" in names and "prior 2σ circle" in names
    assert fig["layout"]["xaxis"]["range"] == [-4, 4]
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x"
    # the oracle: the shown model's posteriors of the dataset's test split, encoded here
    model_name = at.selectbox(key="sidebar.model").value
    model, _ = checkpoints.load(ladder.stem(dataset, model_name))
    ds = load_dataset(dataset)
    mu, sigma = posteriors(model, ds.x_test)
    # one mu marker per test sample, each once, at its mu, in the trace of its label
    markers = [t for t in fig["data"] if t.get("mode") == "markers"]
    idx = np.concatenate([array(t["customdata"]).astype(int) for t in markers])
    assert len(idx) == len(ds.y_test)
    np.testing.assert_array_equal(np.sort(idx), np.arange(len(ds.y_test)))
    for t in markers:
        i = array(t["customdata"]).astype(int)
        np.testing.assert_allclose(array(t["x"]), mu[i, 0], rtol=0, atol=FLOAT32_ATOL)
        np.testing.assert_allclose(array(t["y"]), mu[i, 1], rtol=0, atol=FLOAT32_ATOL)
        label = ds.y_test[i[0]]
        assert (ds.y_test[i] == label).all() and t["name"] == f"{ds.label_name} {label}"
        # ... and its 1σ ellipse in its label's ellipse trace: a closed outline then a NaN row,
        # whose extent is mu ± 1σ on each axis (the outline passes through the axes' ends)
        (fill,) = [e for e in fig["data"] if e.get("fill") and e["legendgroup"] == t["legendgroup"]]
        rows = np.stack([array(fill["x"]), array(fill["y"])], -1).reshape(len(i), -1, 2)
        assert np.isnan(rows[:, -1]).all() and not np.isnan(rows[:, :-1]).any()
        lo, hi = rows[:, :-1].min(1), rows[:, :-1].max(1)  # (n, 2) each
        np.testing.assert_allclose((lo + hi) / 2, mu[i], rtol=0, atol=FLOAT32_ATOL)
        np.testing.assert_allclose((hi - lo) / 2, sigma[i], rtol=0, atol=FLOAT32_ATOL)


def test_metrics_show_the_checkpoints_recorded_figures():
    at = _run("mnist", "vae-kl-1")
    meta = checkpoints.read_meta(ladder.stem("mnist", "vae-kl-1"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["coverage₁"] == f"{meta['test']['coverage_1']:.1%}"
    assert metrics["holes"] == f"{meta['test']['holes_fraction']:.1%}"


def test_ae_has_no_ellipses_and_no_elbo():
    at = _run("mnist", "ae")
    fig = _figure(at)
    assert not [t for t in fig["data"] if t.get("fill") == "toself"]
    assert {m.label: m.value for m in at.metric}["test ELBO"] == "—"


def test_a_corrupt_checkpoint_gives_a_clear_message(tmp_path, monkeypatch):
    root = tmp_path / "models"
    shutil.copytree(ladder.MODELS_DIR, root)
    (root / "mnist" / "vae-kl-1.safetensors").write_bytes(b"garbage")
    monkeypatch.setattr(ladder, "MODELS_DIR", root)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        assert "cannot be loaded" in at.error[0].value and "restore it" in at.error[0].value
        assert not at.get("plotly_chart")
    finally:
        st.cache_resource.clear()


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_clicked_z_is_decoded_and_shown_crisp(media):
    z = (0.3, -0.6)
    at = _run(z=z)
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    expected = decode_images(model, [z])[0].reshape(28, 28)
    decoded = at.get("image")[0].proto.imgs[0]
    assert decoded.caption == "decoder(z)"
    png = media.png(decoded.url)  # upscaled by an integer factor, nearest neighbour
    f = png.shape[0] // 28
    assert png.shape == (28 * f, 28 * f)
    np.testing.assert_allclose(png[::f, ::f], expected, atol=1 / 255 + 1e-6)
    density = np.exp(geometry.log_prior_density(z))
    assert f"z = (+0.30, -0.60)** · prior density p(z) = {density:.3g}" in _text(at)
    assert at.query_params["z"] == "0.300,-0.600"


def test_z_inside_an_ellipse_lists_its_covering_samples_and_a_hole_says_so():
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    mu, sigma = posteriors(model, load_dataset("mnist").x_test)
    inside = int(geometry.covered_by(mu[0], mu, sigma, k=2.0).sum())
    at = _run(z=tuple(mu[0]))
    assert f"z lies inside {ellipses_containing(inside)}." in _text(at)
    captions = [c.caption for c in at.get("image")[-1].proto.imgs]
    assert any(c.startswith("#0: r = ") for c in captions)
    at = _run(z=(3.9, 3.9))
    assert "z is in a hole" in _text(at)


def test_the_ae_decodes_too_but_has_no_covering_posteriors():
    at = _run(model="ae", z=(0.0, 0.0))
    assert "An AE's codes are **points**" in _text(at)
    assert at.get("image")[0].proto.imgs[0].caption == "decoder(z)"


def test_the_beta_slider_walks_the_ladder():
    at = _run()
    at.select_slider(key="explorer.ladder").set_value("vae-kl-0").run()
    assert at.selectbox(key="sidebar.model").value == "vae-kl-0"
    cov = checkpoints.read_meta(ladder.stem("mnist", "vae-kl-0"))["test"]["coverage_1"]
    assert {m.label: m.value for m in at.metric}["coverage₁"] == f"{cov:.1%}"


def test_a_link_reopens_the_same_view():
    at = _run(query={"dataset": "digits", "model": "ae", "z": "1.5,-0.5"})
    assert at.selectbox(key="sidebar.dataset").value == "digits"
    assert at.selectbox(key="sidebar.model").value == "ae"
    assert "z = (+1.50, -0.50)" in _text(at)
    assert not at.warning


@pytest.mark.parametrize(
    "query, notice",
    [
        ({"dataset": "cifar10"}, "dataset “cifar10” is unknown"),
        ({"model": "../../etc/passwd"}, "model “../../etc/passwd” is unknown"),
        ({"z": "abc,1"}, "z “abc,1” was ignored: z must be two numbers"),
        ({"z": "1e308,1e308"}, "outside the plane"),
        ({"z": "nan,0"}, "finite"),
        ({"z": "1"}, "two numbers"),
    ],
)
def test_a_bad_link_falls_back_with_a_notice(query, notice):
    at = _run(query=query)
    shown = [read(w.value) for w in at.warning]  # the notice quotes the link's text literally
    assert any(notice in text for text in shown), shown
    assert at.selectbox(key="sidebar.dataset").value == "mnist"
    assert at.selectbox(key="sidebar.model").value == "vae-kl-1"
    assert at.get("plotly_chart")


def test_the_count_of_covering_ellipses_reads_as_english():
    assert ellipses_containing(1) == "1 posterior's 2σ ellipse"
    assert ellipses_containing(3) == "3 posteriors' 2σ ellipses"
    assert ellipses_containing(1200) == "1,200 posteriors' 2σ ellipses"
