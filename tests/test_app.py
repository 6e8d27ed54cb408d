"""AppTest of the Explorer: every dataset, the latent plane, true figures, decoding a clicked z.

The plane is drawn in the browser from the bytes the page sends it (vae_geom/ui/plane.py); these
tests read those bytes back (tests/plane_data.py, independent of vae_geom/payload.py) and compare
them with the model's encoder and the dataset, computed here."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from tests import plane_data
from tests.apptest import run_page
from tests.shown import read
from vae_geom import checkpoints, geometry, ladder, payload
from vae_geom.data import DATASETS, load_dataset
from vae_geom.models import decode_images, posteriors
from vae_geom.ui.decoded import ellipses_containing

APP = str(Path(__file__).parents[1] / "app.py")


def _run(dataset=None, model=None, z=None, query=None, check=False) -> AppTest:
    """The Explorer; `z`: the pinned z, as a click leaves it; `check`: the toggle that has the
    server decode the pinned z turned on."""
    state = {} if z is None else {"explorer.z": z}
    if check:
        state["explorer.server_check"] = True
    return run_page(APP, dataset, model, state, query)


# The payload's posteriors are float32, encoded by the app in its own batches: 1e-5 at |z| up to
# ~10 is rounding, far below any real change.
FLOAT32_ATOL = 1e-5
# The training images go to the browser only where they fit (payload.IMAGES_MAX_BYTES): MNIST's
# 4,000 deflate to 0.65 MB, Fashion's 20,000 would be 8.7 MB (vae_geom/payload.py)
IMAGES_SENT = {"digits": True, "shapes": True, "mnist": True, "fashion": False}
HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def _oracle(dataset: str, model_name: str):
    """The model as stored on disk and its posteriors of both splits, encoded here."""
    model, _ = checkpoints.load(ladder.stem(dataset, model_name))
    ds = load_dataset(dataset)
    return model, ds, posteriors(model, ds.x_test), posteriors(model, ds.x_train)


def _assert_decoder_is(plane: plane_data.Plane, model) -> None:
    """The payload's weights are the model's decoder, layer by layer, as the payload rounds them
    (float32 with 15 mantissa bits), and decode as the model does."""
    linears = [m for m in model.decoder if isinstance(m, torch.nn.Linear)]
    assert sorted(n for n in plane.arrays if n[0] in "Wb") == sorted(
        f"{p}{i}" for i in range(len(linears)) for p in "Wb"
    )
    for i, m in enumerate(linears):
        np.testing.assert_array_equal(plane[f"W{i}"], plane_data.sent(m.weight.detach().numpy()))
        np.testing.assert_array_equal(plane[f"b{i}"], plane_data.sent(m.bias.detach().numpy()))
    z = np.array([[0.0, 0.0], [1.5, -2.0], [-3.9, 3.9], [9.0, -9.0]])
    # within the 1e-3 of the model itself (the rounding: ~1e-4 on the shipped decoders)
    np.testing.assert_allclose(
        plane_data.decode(plane.arrays, z), decode_images(model, z), rtol=0, atol=1e-3
    )


@pytest.mark.parametrize("dataset", DATASETS)
def test_explorer_draws_every_test_posterior_for_each_dataset(dataset):
    at = _run(dataset)
    plane = plane_data.plane(at)
    model_name = at.selectbox(key="sidebar.model").value
    model, ds, (mu, sigma), (mu_train, sigma_train) = _oracle(dataset, model_name)
    meta = plane.meta
    assert meta["plane"] == "latent" and meta["order"] == f"{dataset}/test"
    assert meta["range"] == 4  # the fixed ±4 view of every Explorer plane
    assert meta["is_ae"] is False and tuple(meta["image_shape"]) == ds.image_shape
    # one posterior per test sample, in the dataset's order, labelled with its own label
    np.testing.assert_allclose(plane["mu"], mu, rtol=0, atol=FLOAT32_ATOL)
    np.testing.assert_allclose(plane["sigma"], sigma, rtol=0, atol=FLOAT32_ATOL)
    np.testing.assert_array_equal(plane["labels"], ds.y_test)
    # what the hover weighs z against: the TRAINING posteriors, and (where sent) their images
    np.testing.assert_allclose(plane["train_mu"], mu_train, rtol=0, atol=FLOAT32_ATOL)
    np.testing.assert_allclose(plane["train_sigma"], sigma_train, rtol=0, atol=FLOAT32_ATOL)
    assert meta["images"] is IMAGES_SENT[dataset]
    if IMAGES_SENT[dataset]:
        pixels = np.round(np.clip(ds.x_train.astype(np.float64), 0, 1) * 255)
        np.testing.assert_array_equal(plane["train_images"], pixels.astype(np.uint8))
    else:
        assert "train_images" not in plane.arrays
    _assert_decoder_is(plane, model)
    # the legend: one entry per label present, named as the dataset names it, each its colour;
    # Fashion-MNIST names its classes: "0 · T-shirt/top" under the title "class"
    if ds.class_names:
        names = [f"{c} · {ds.class_names[c]}" for c in np.unique(ds.y_test)]
        assert meta["legend"] == ds.label_name == "class"
    else:
        names = [f"{ds.label_name} {c}" for c in np.unique(ds.y_test)]  # "digit 3"
        assert not meta["legend"]
    assert [c["name"] for c in meta["classes"]] == names
    assert [c["label"] for c in meta["classes"]] == np.unique(ds.y_test).tolist()
    colours = [c["colour"] for c in meta["classes"]]
    assert all(HEX.fullmatch(c) for c in colours) and len(set(colours)) == min(len(colours), 10)
    assert plane.state == {**plane.state, "plane": "latent", "z": None, "k": 1}


def test_the_2_sigma_toggle_and_a_pin_change_the_state_not_the_payload():
    """Python's state (z, 1σ or 2σ) goes in the small mount; the payload, sent whole once, is
    sent as its stub after that (the page holds it: vae_geom/ui/plane.py)."""
    at = _run()
    before = plane_data.component(at, "latent").proto.bytes
    assert plane_data.state(at)["k"] == 1
    at.toggle(key="explorer.two_sigma").set_value(True).run()
    assert plane_data.state(at)["k"] == 2
    now = plane_data.component(at, "latent").proto.bytes
    assert now == payload.stub(before) and len(now) < 2_000 < len(before)
    assert plane_data.payload_bytes(at) == before
    at.toggle(key="explorer.two_sigma").set_value(False).run()
    assert plane_data.state(at)["k"] == 1


def test_all_samples_draws_the_training_and_the_test_posteriors():
    at = _run(query={"split": "all"})
    plane = plane_data.plane(at)
    _, ds, (mu, sigma), (mu_train, sigma_train) = _oracle("mnist", "vae-kl-1")
    assert plane.meta["order"] == "mnist/all"
    # the training samples, then the test samples (vae_geom.data.Dataset.samples("all"))
    np.testing.assert_allclose(plane["mu"], np.concatenate([mu_train, mu]), atol=FLOAT32_ATOL)
    np.testing.assert_allclose(
        plane["sigma"], np.concatenate([sigma_train, sigma]), atol=FLOAT32_ATOL
    )
    np.testing.assert_array_equal(plane["labels"], np.concatenate([ds.y_train, ds.y_test]))
    assert at.query_params["split"] == "all"


def test_metrics_show_the_checkpoints_recorded_figures():
    at = _run("mnist", "vae-kl-1")
    meta = checkpoints.read_meta(ladder.stem("mnist", "vae-kl-1"))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["coverage₁"] == f"{meta['test']['coverage_1']:.1%}"
    assert metrics["holes"] == f"{meta['test']['holes_fraction']:.1%}"


def test_ae_has_no_ellipses_and_no_elbo():
    at = _run("mnist", "ae")
    plane = plane_data.plane(at)
    model, _, (mu, sigma), _ = _oracle("mnist", "ae")
    assert plane.meta["is_ae"] is True
    np.testing.assert_allclose(plane["mu"], mu, rtol=0, atol=FLOAT32_ATOL)
    assert not sigma.any() and not plane["sigma"].any()  # points: no ellipse has any extent
    assert not plane["train_sigma"].any()
    _assert_decoder_is(plane, model)
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
        assert not at.get("bidi_component")  # no plane (nor its fallback) for a broken model
        assert not plane_data.fallback_or_none(at)
    finally:
        st.cache_resource.clear()


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


PINNED = "The pinned z"


def _assert_decoded(at: AppTest, media, z) -> None:
    """The server's panel for z: decoder(z) crisp (an integer upscale of the model's own image),
    p(z), and z in the address bar."""
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    expected = decode_images(model, [z])[0].reshape(28, 28)
    decoded = at.get("image")[0].proto.imgs[0]
    assert decoded.caption == "decoder(z)"
    png = media.png(decoded.url)  # upscaled by an integer factor, nearest neighbour
    f = png.shape[0] // 28
    assert png.shape == (28 * f, 28 * f)
    np.testing.assert_allclose(png[::f, ::f], expected, atol=1 / 255 + 1e-6)
    density = np.exp(geometry.log_prior_density(z))
    assert f"z = ({z[0]:+.2f}, {z[1]:+.2f})** · prior density p(z) = {density:.3g}" in _text(at)
    assert at.query_params["z"] == f"{z[0]:.3f},{z[1]:.3f}"


def test_a_pin_writes_z_and_the_url_and_the_server_decodes_it_only_when_asked(media):
    """MNIST's training images are in the browser, whose panel shows everything for a pinned z:
    the pin only writes z, p(z) and the URL; the toggle has the server decode z too."""
    at = _run()
    plane_data.click(at, 0.3, -0.6)
    assert not at.exception
    assert [h.value for h in at.subheader] == [PINNED]
    assert at.toggle(key="explorer.server_check").value is False
    assert not at.get("image")  # nothing decoded on the server
    density = np.exp(geometry.log_prior_density((0.3, -0.6)))
    assert f"z = (+0.30, -0.60)** · prior density p(z) = {density:.3g}" in _text(at)
    assert at.query_params["z"] == "0.300,-0.600"
    at.toggle(key="explorer.server_check").set_value(True).run()
    _assert_decoded(at, media, (0.3, -0.6))


def test_where_the_images_are_not_sent_the_server_decodes_every_pin():
    at = _run("fashion", z=(0.5, 0.5))
    assert plane_data.plane(at).meta["images"] is False
    assert not [w for w in at.toggle if w.key == "explorer.server_check"]
    assert "the server decodes every pinned z below" in " ".join(c.value for c in at.caption)
    assert at.get("image")[0].proto.imgs[0].caption == "decoder(z)"


def test_a_clicked_z_is_decoded_and_shown_crisp(media):
    at = _run(check=True)
    assert PINNED not in [h.value for h in at.subheader] and not at.get("image")
    assert "z" not in at.query_params
    plane_data.click(at, 0.3, -0.6)  # what the plane's script sends on a click
    assert not at.exception
    assert at.session_state["explorer.z"] == (0.3, -0.6)
    # only the "decoder" fragment ran: the plane (1.7 MB) is neither rebuilt nor re-sent
    assert not at.get("bidi_component") and not at.get("title")
    assert [h.value for h in at.subheader] == [PINNED]
    _assert_decoded(at, media, (0.3, -0.6))
    at.run()  # the next whole run tells the plane its pinned z, and keeps the same bytes
    assert plane_data.state(at)["z"] == [0.3, -0.6]


def test_a_pinned_z_from_a_link_or_state_is_decoded_and_marked_on_the_plane(media):
    at = _run(z=(0.3, -0.6), check=True)
    _assert_decoded(at, media, (0.3, -0.6))
    assert plane_data.state(at)["z"] == [0.3, -0.6]


def test_a_second_click_moves_z_and_a_bad_one_leaves_it_with_a_short_warning():
    at = _run()
    plane_data.click(at, 0.5, -1.25)
    at.run()
    plane_data.click(at, -2.0, 1.5, t=2)
    assert at.session_state["explorer.z"] == (-2.0, 1.5)
    assert "**z = (-2.00, +1.50)**" in _text(at)
    at.run()
    bad = {"x": "![x](http://host/t.png)" + "a" * 500, "y": 0, "chart": "latent", "t": 3}
    plane_data.click(at, 0, 0, events=[{"event": "click", "value": bad}])
    assert not at.exception
    assert at.session_state["explorer.z"] == (-2.0, 1.5)  # unchanged
    (warning,) = [w.value for w in at.warning if w.value.startswith("That click could not")]
    assert len(warning) < 160 and "](" not in warning  # quoted short and literally
    assert "**z = (-2.00, +1.50)**" in _text(at)
    plane_data.click(at, 4.5, 12.0, t=4)  # beyond |z| <= 10: refused the same way
    assert at.session_state["explorer.z"] == (-2.0, 1.5)
    assert any("could not be read" in w.value and "10" in read(w.value) for w in at.warning)


def _type_z(at: AppTest, z1, z2) -> AppTest:
    """What a student without the plane's script does: type z in the fallback, press its button."""
    at.number_input(key="latent.z1").set_value(z1)
    at.number_input(key="latent.z2").set_value(z2)
    return at.button(key="latent.go").click().run()


def test_the_fallback_pins_a_typed_z_as_a_click_would(media):
    at = _run(check=True)
    fallback = plane_data.fallback(at)
    # shown until the plane's script starts and hides it: it says what it is for
    said = " ".join(e.value for e in [*fallback.warning, *fallback.caption, *fallback.markdown])
    assert "JavaScript" in said and "type z" in said.lower(), said
    assert {n.key for n in fallback.number_input} == {"latent.z1", "latent.z2"}
    assert [b.key for b in fallback.button] == ["latent.go"]
    assert PINNED not in [h.value for h in at.subheader]
    _type_z(at, 0.3, -0.6)
    assert not at.exception
    assert at.session_state["explorer.z"] == (0.3, -0.6)
    assert PINNED in [h.value for h in at.subheader]  # a whole run: the server's button
    _assert_decoded(at, media, (0.3, -0.6))  # the same panel, p(z) and ?z= as a click
    assert plane_data.state(at)["z"] == [0.3, -0.6]  # and the plane marks it


def test_the_fallback_starts_at_a_linked_z():
    at = _run(query={"z": "1.5,-0.5"})
    assert at.number_input(key="latent.z1").value == 1.5
    assert at.number_input(key="latent.z2").value == -0.5


def test_the_fallback_follows_a_pinned_z():
    """A z pinned by a click shows in the typed-z boxes: typing one coordinate keeps the other."""
    at = _run()
    plane_data.click(at, 0.75, -1.5)
    at.run()  # the next full run draws the fallback again
    assert at.number_input(key="latent.z1").value == 0.75
    assert at.number_input(key="latent.z2").value == -1.5
    at.number_input(key="latent.z2").set_value(2.0)
    at.button(key="latent.go").click().run()
    assert at.session_state["explorer.z"] == (0.75, 2.0)


@pytest.mark.parametrize("bad", [25.0, -10.5, 1e308, float("inf"), float("nan")])
def test_the_fallback_refuses_a_z_beyond_the_plane(bad):
    """The number inputs are bounded to |z| <= 10 (probe.Z_LIMIT, the bound on clicks and links):
    the browser enforces it, and the server resets a value sent beyond it to the input's default."""
    at = _run()
    for key in ("latent.z1", "latent.z2"):
        bounded = at.number_input(key=key)
        assert (bounded.min, bounded.max) == (-10.0, 10.0)
    _type_z(at, 1.5, -0.5)
    assert at.session_state["explorer.z"] == (1.5, -0.5)
    _type_z(at, bad, 2.0)
    assert not at.exception and not at.error
    z = at.session_state["explorer.z"]
    assert z == (1.5, 2.0)  # z₁ kept the pinned value, the in-range z₂ applied
    assert max(abs(v) for v in z) <= 10
    _type_z(at, -3.0, bad)
    assert at.session_state["explorer.z"] == (-3.0, 2.0)  # z₂ kept the pinned value
    assert "**z = (-3.00, +2.00)**" in _text(at)


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
    at = _run(z=tuple(mu[0]), check=True)
    assert f"z lies inside {ellipses_containing(inside)}." in _text(at)
    assert f"{inside:,} training samples' 2σ ellipses" in _text(at)
    captions = [c.caption for c in at.get("image")[-1].proto.imgs]
    assert any(c.startswith("train #0: r = ") for c in captions)
    at = _run(z=(3.9, 3.9), check=True)
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
        at = _run(z=Z_TRAIN_ONLY, query={"split": split}, check=True)
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
    at = _run(model="ae", z=(0.0, 0.0), check=True)
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
    assert not plane_data.page_warnings(at)
    plane = plane_data.plane(at)  # the digits AE's plane, the link's z marked on it
    assert plane.meta["order"] == "digits/test" and plane.meta["is_ae"] is True
    assert plane.state["z"] == [1.5, -0.5]


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
    plane = plane_data.plane(at)  # the default plane is drawn
    assert plane.meta["order"] == "mnist/test" and plane.state["z"] is None


def test_the_count_of_covering_ellipses_reads_as_english():
    assert ellipses_containing(1) == "1 training sample's 2σ ellipse"
    assert ellipses_containing(3) == "3 training samples' 2σ ellipses"
    assert ellipses_containing(1200) == "1,200 training samples' 2σ ellipses"
