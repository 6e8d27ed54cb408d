"""AppTest of Points vs ellipses: both models decode the same z; the hole jump is the core's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import load_dataset
from vae_geom.models import decode_images, posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "1_Points_vs_ellipses.py")


def _model(name, dataset="mnist"):
    return checkpoints.load(ladder.stem(dataset, name))[0]


def test_one_z_is_decoded_by_both_models(media):
    z = (0.5, 1.0)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["points.z"] = z
    at.run()
    assert not at.exception
    imgs = at.get("image")
    assert [i.proto.imgs[0].caption.split(" —")[0] for i in imgs] == [
        "AE decoder(z)",
        "VAE decoder(z)",
    ]
    for img, name in zip(imgs, ["ae", "vae-kl-1"], strict=True):
        png = media.png(img.proto.imgs[0].url)
        f = png.shape[0] // 28
        expected = decode_images(_model(name), [z])[0].reshape(28, 28)
        np.testing.assert_allclose(png[::f, ::f], expected, atol=1 / 255 + 1e-6)
    assert len(at.get("plotly_chart")) == 2


def test_jumping_into_the_hole_decodes_the_largest_gap():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.button(key="points.jump").click().run()
    mu, _ = posteriors(_model("ae"), load_dataset("mnist").x_test)
    centre, radius = geometry.largest_gap(mu, geometry.plane_limit(mu))
    assert at.session_state["points.z"] == tuple(centre)
    caption = at.get("image")[0].proto.imgs[0].caption
    assert caption == f"AE decoder(z) — nearest code {radius:.2f} away"
    assert "VAE decoder(z) — z is" in at.get("image")[1].proto.imgs[0].caption
