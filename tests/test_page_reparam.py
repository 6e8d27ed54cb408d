"""AppTest of the reparameterisation page: the draws, their decodings, picking by click."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests import plane_data
from tests.plotly_data import array
from vae_geom import checkpoints, generate, ladder
from vae_geom.data import load_dataset
from vae_geom.models import decode_images, posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "3_Reparameterisation.py")


def _setup(name="vae-kl-1"):
    model, _ = checkpoints.load(ladder.stem("mnist", name))
    mu, sigma = posteriors(model, load_dataset("mnist").x_test)
    return model, mu, sigma


def test_the_draws_and_their_decodings_are_the_cores(media):
    model, mu, sigma = _setup()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["reparam.index"] = 7
    at.session_state["reparam.k"] = 5
    at.session_state["reparam.seed"] = 11
    at.run()
    assert not at.exception
    eps, z = generate.reparameterize(mu[7], sigma[7], 5, 11)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    zfig = next(t for t in charts[1]["data"] if t["name"] == "z = μ + ε⊙σ")
    np.testing.assert_allclose(np.stack([array(zfig["x"]), array(zfig["y"])], 1), z, rtol=1e-6)
    mosaic = at.get("image")[2].proto.imgs[0]
    png = media.png(mosaic.url)
    tile0 = decode_images(model, z[:1])[0].reshape(28, 28)
    f = (png.shape[1]) // (5 * 29 + 1)  # 5 tiles of 28 px + 1 px padding, upscaled by f
    np.testing.assert_allclose(
        png[f : f + 28 * f : f, f : f + 28 * f : f], tile0, atol=1 / 255 + 1e-6
    )


def test_a_click_picks_the_nearest_sample():
    _, mu, _ = _setup()
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["reparam.z"] = tuple(mu[42] + 0.001)
    at.run()
    assert at.number_input(key="reparam.index").value == 42
    # the plane marks the picked sample's 1σ and 2σ ellipses and its draws
    marks = plane_data.state(at, "reparam_plane")["marks"]
    assert [(m["kind"], m.get("k")) for m in marks] == [
        ("ellipse", 1),
        ("ellipse", 2),
        ("points", None),
    ]
    np.testing.assert_allclose(marks[0]["z"], mu[42], atol=1e-6)


def test_a_click_on_the_plane_picks_the_nearest_sample():
    """The click as the plane's script sends it, through the bounded websocket path."""
    _, mu, _ = _setup()
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    plane_data.click(at, *map(float, mu[42] + 0.001), key="reparam_plane")
    assert not at.exception
    assert at.number_input(key="reparam.index").value == 42


def test_the_ae_gets_a_clear_notice():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    at.selectbox(key="sidebar.model").set_value("ae").run()
    assert not at.exception
    assert "σ ≡ 0" in at.warning[0].value


def test_the_page_opens_on_a_sample_the_model_reconstructs_as_itself():
    """Issue 13: the default sample is one whose reconstruction decode(mu(x)) a classifier that
    never saw the model (fitted here on the training pixels) reads as x's own digit."""
    from sklearn.linear_model import LogisticRegression

    from vae_geom import checkpoints, ladder
    from vae_geom.data import load_dataset
    from vae_geom.models import decode_images, posteriors

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    i = at.number_input(key="reparam.index").value
    ds = load_dataset("mnist")
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    mu, _ = posteriors(model, ds.x_test[i : i + 1])
    clf = LogisticRegression(max_iter=2000).fit(ds.x_train, ds.y_train)
    assert clf.predict(decode_images(model, mu))[0] == ds.y_test[i]
    assert f"Sample #{i} (digit {ds.y_test[i]})" in " ".join(c.value for c in at.caption)
