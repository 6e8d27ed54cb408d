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
    # the μ markers: every marker trace that numbers its samples (edge markers of codes beyond
    # the frame carry no sample numbers)
    markers = [t for t in fig["data"] if t.get("mode") == "markers" and "customdata" in t]
    idx = np.concatenate([array(t["customdata"]).astype(int) for t in markers])
    assert len(idx) == len(ds.y_test)
    np.testing.assert_array_equal(np.sort(idx), np.arange(len(ds.y_test)))
    for t in markers:
        i = array(t["customdata"]).astype(int)
        np.testing.assert_allclose(array(t["x"]), mu[i, 0], rtol=0, atol=FLOAT32_ATOL)
        np.testing.assert_allclose(array(t["y"]), mu[i, 1], rtol=0, atol=FLOAT32_ATOL)
        label = ds.y_test[i[0]]
        name = f"{ds.label_name} {label}"
        if ds.class_names:  # Fashion-MNIST names its classes: "class 0 · T-shirt/top"
            name = f"{name} · {ds.class_names[label]}"
        assert (ds.y_test[i] == label).all() and t["name"] == name
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


def _inside_2sigma(z, mu, sigma) -> np.ndarray:
    """The oracle for coverage: ((z - mu_i) / sigma_i)^2 summed over the axes <= 2^2, sample by
    sample (a diagonal Gaussian's 2-sigma ellipse), with no call into vae_geom.geometry."""
    z = np.asarray(z, dtype=np.float64)
    return np.array(
        [
            (((z - m) / s) ** 2).sum() <= 4.0
            for m, s in zip(mu.astype(np.float64), sigma, strict=True)
        ]
    )


def _split_posteriors(split: str):
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    ds = load_dataset("mnist")
    return posteriors(model, ds.x_train if split == "train" else ds.x_test)


def test_z_inside_an_ellipse_lists_its_covering_samples_and_a_hole_says_so():
    mu, sigma = _split_posteriors("train")  # where the decoder learned, whatever split is drawn
    inside = int(_inside_2sigma(mu[0], mu, sigma).sum())
    at = _run(z=tuple(mu[0]))
    assert f"z lies inside {ellipses_containing(inside)}." in _text(at)
    assert f"{inside:,} training samples' 2σ ellipses" in _text(at)
    captions = [c.caption for c in at.get("image")[-1].proto.imgs]
    assert any(c.startswith("train #0: r = ") for c in captions)
    at = _run(z=(3.9, 3.9))
    assert not _inside_2sigma((3.9, 3.9), mu, sigma).any()
    assert "z is in a hole: no training sample's 2σ ellipse contains it" in _text(at)


# Issue 13: inside 21 training posteriors' 2-sigma ellipses of MNIST beta = 1, but no test one
Z_TRAIN_ONLY = (1.09, 2.25)


def test_coverage_and_the_blend_are_those_of_the_training_samples_whatever_is_drawn(media):
    """The decoder learned from the training split: a z that only training ellipses cover is no
    hole, and the blend and thumbnails are the training samples that claim z."""
    z = np.array(Z_TRAIN_ONLY)
    mu, sigma = _split_posteriors("train")
    mu_test, sigma_test = _split_posteriors("test")
    assert not _inside_2sigma(z, mu_test, sigma_test).any()  # the case of the issue
    n = int(_inside_2sigma(z, mu, sigma).sum())
    assert n > 1
    # r_i = N(z; mu_i, sigma_i^2) / sum_j N(z; mu_j, sigma_j^2), written out in float64
    var = sigma.astype(np.float64) ** 2
    log_pdf = -0.5 * (((z - mu) ** 2 / var).sum(1) + np.log(var).sum(1)) - np.log(2 * np.pi)
    r = np.exp(log_pdf - log_pdf.max())
    r /= r.sum()
    blend = (r @ load_dataset("mnist").x_train.astype(np.float64)).reshape(28, 28)
    for split in ("test", "all"):
        at = _run(z=Z_TRAIN_ONLY, query={"split": split})
        text = _text(at)
        assert f"**z lies inside {n:,} training samples' 2σ ellipses.**" in text, text
        assert "z is in a hole" not in text
        images = at.get("image")
        assert images[1].proto.imgs[0].caption == (
            "Σᵢ rᵢ xᵢ: the training samples that claim z, averaged by responsibility"
        )
        png = media.png(images[1].proto.imgs[0].url)
        f = png.shape[0] // 28
        np.testing.assert_allclose(png[::f, ::f], blend, atol=1 / 255 + 1e-6)
        captions = [c.caption for c in images[-1].proto.imgs]
        assert captions[0] == f"train #{np.argmax(r)}: r = {r.max():.2f}"
        assert all(c.startswith("train #") for c in captions)


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
    assert ellipses_containing(1) == "1 training sample's 2σ ellipse"
    assert ellipses_containing(3) == "3 training samples' 2σ ellipses"
    assert ellipses_containing(1200) == "1,200 training samples' 2σ ellipses"
