"""A plane too large for one browser message is refused in words, and the server decodes typed z."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.shown import read
from vae_geom import checkpoints, ladder, payload
from vae_geom.models import decode_images
from vae_geom.ui import plane

APP = str(Path(__file__).parents[1] / "app.py")


def test_an_oversized_plane_says_why_and_keeps_the_typed_z_path(monkeypatch, media):
    monkeypatch.setattr(payload, "PAYLOAD_MAX_BYTES", 100_000)  # MNIST's plane is 1.7 MB
    plane._cached_payload.clear()  # a plane packed by an earlier test would be served
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert not [e for e in at.get("bidi_component") if e.key == "latent"]  # nothing sent
    [warning] = [read(w.value) for w in at.warning if "cannot be shown" in w.value]
    assert "MB, more than the 0 MB one browser message may carry" in warning
    at.number_input(key="latent.z1").set_value(0.5)
    at.number_input(key="latent.z2").set_value(-1.25)
    at.button(key="latent.go").click().run()
    assert at.session_state["explorer.z"] == (0.5, -1.25)
    png = media.png(at.get("image")[0].proto.imgs[0].url)
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    expected = decode_images(model, [(0.5, -1.25)])[0].reshape(28, 28)
    f = png.shape[0] // 28
    np.testing.assert_allclose(png[::f, ::f], expected, atol=1 / 255 + 1e-6)
    plane._cached_payload.clear()  # no later test sees a plane refused under this bound
