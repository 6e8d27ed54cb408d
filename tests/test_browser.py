"""The main interaction in a real browser: Debian's chromium, the real `streamlit run` server.

Clicks land on EMPTY points of the latent plane (no code within reach, no ellipse around): the
plane (assets/plane/plane.js) pins each, and the server's panel must follow with that z and its
decoded image; a β change must redraw the ellipses. tests/test_browser_plane.py tests the plane
itself (hover, keys, fallback, downloads).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.devserver import CHROMIUM, chromium, streamlit_server
from tests.test_browser_plane import (
    PLANE,
    SERVER_Z_JS,
    click_z,
    server_decodes,
    server_says,
    wait_for_plane,
    wait_for_server_z,
)
from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="needs Debian chromium"),
]
# the server panel's readout (vae_geom.ui.decoded.decoded_view)
READOUT = re.compile(r"z = \(([+-]\d+\.\d+), ([+-]\d+\.\d+)\) · prior density")


def empty_points(n: int = 2) -> list[tuple[float, float]]:
    """Points of the plane with no code nearby and no 2-sigma ellipse around them."""
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    mu, sigma = posteriors(model, load_dataset("mnist").x_test)
    found = []
    for z in [(3.5, -3.5), (-3.5, 3.4), (-3.4, -3.3), (3.4, 3.5), (0.0, 3.8), (3.8, 0.0)]:
        far = np.linalg.norm(mu - np.array(z), axis=1).min() > 0.3
        if far and not geometry.covered_by(z, mu, sigma, k=2.0).any():
            found.append(z)
    assert len(found) >= n
    return found[:n]


# What the plane's base canvas holds: its payload's id and a digest of its pixels.
SIGNATURE = """(name) => {
    const p = window.__vaeGeomPlane.planes.get(name), c = p.base;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    return `${p.data.meta.id}:${h}`;
}"""


@pytest.fixture(scope="module")
def page():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        wait_for_plane(page)
        yield page
        assert not errors, errors


def decoded_src(page) -> str | None:
    """The server's decoder(z) image: the first image the app serves (the plane is a canvas)."""
    img = page.locator('img[src*="/media/"]')
    return img.first.get_attribute("src") if img.count() else None


def wait_or_explain(page, script: str, arg, timeout: float = 30_000) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"waited {timeout / 1000:.0f} s for {arg}: {page.evaluate(SERVER_Z_JS)}")


NEW_IMAGE = """(previous) => {
    const img = document.querySelector('img[src*="/media/"]');
    return !!img && img.complete && img.naturalWidth > 0 && img.getAttribute("src") !== previous;
}"""
REDRAWN = """([name, before]) => {
    const P = window.__vaeGeomPlane, p = P.planes.get(name);
    return !!p.data && p.data.meta.id !== before.split(':')[0] && !p.morphing;
}"""


def test_clicks_on_empty_space_decode_that_z(page):
    srcs = []
    for z in empty_points(2):
        pinned = click_z(page, z)
        assert pinned == pytest.approx(z, abs=0.05)
        wait_for_server_z(page, pinned)
        if not srcs:
            server_decodes(page)  # on from the first pin: each new pin is decoded there too
        wait_or_explain(page, NEW_IMAGE, srcs[-1] if srcs else "")
        got = tuple(float(v) for v in READOUT.search(page.inner_text("body")).groups())
        assert got == pytest.approx(pinned, abs=0.0051)
        server_says(page, "z is in a hole").wait_for(timeout=30_000)
        srcs.append(decoded_src(page))
    assert srcs[0] and srcs[1] and srcs[0] != srcs[1]  # a new image for the new z


def test_a_beta_change_redraws_the_ellipses(page):
    wait_for_plane(page)
    before = page.evaluate(SIGNATURE, PLANE)
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    thumb.focus()
    thumb.press("ArrowLeft")  # beta 1 -> 0.3
    page.wait_for_function(
        "() => document.querySelector('.st-key-explorer-ladder').innerText.includes('β = 0.3')",
        timeout=15_000,
    )
    wait_or_explain(page, REDRAWN, [PLANE, before], timeout=60_000)
    wait_for_plane(page)
    after = page.evaluate(SIGNATURE, PLANE)
    assert after.split(":")[0] != before.split(":")[0]  # a new model's payload
    assert after.split(":")[1] != before.split(":")[1]  # and new pixels drawn
    assert "model=vae-kl-0.3" in page.url
