"""The main interaction in a real browser: Debian's chromium, the real `streamlit run` server.

Clicks land on EMPTY points of the latent plane (no code within reach, no ellipse around), the
decoded image and z readout must follow each click, and a beta change must redraw the ellipses.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.devserver import CHROMIUM, chromium, click_plane, streamlit_server, wait_for_app
from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="needs Debian chromium"),
]
READOUT = re.compile(r"z = \(([+-]\d+\.\d+), ([+-]\d+\.\d+)\)")


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


def ellipse_signature(page) -> str:
    return page.evaluate(
        """() => {
        const gd = document.querySelector('.st-key-latent .js-plotly-plot');
        const t = gd.data.find(d => d.fill === 'toself');
        return t ? JSON.stringify(t.x).slice(0, 2000) : "";  // {dtype, bdata}: base64 arrays
    }"""
    )


@pytest.fixture(scope="module")
def page():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        wait_for_app(page)
        page.wait_for_selector(".st-key-latent .js-plotly-plot .nsewdrag", timeout=60_000)
        wait_for_listener(page)
        yield page


def wait_for_listener(page) -> None:
    """Until assets/plane_click.js has attached its plotly_click handler to the chart."""
    page.wait_for_function(
        "() => { const gd = document.querySelector('.st-key-latent .js-plotly-plot');"
        " return !!(gd && gd.__vaeGeomClick); }",
        timeout=60_000,
    )


def decoded_src(page) -> str | None:
    """The decoder(z) image: the first image the app serves (the plane itself is SVG)."""
    img = page.locator('img[src*="/media/"]')
    return img.first.get_attribute("src") if img.count() else None


def wait_or_explain(page, script: str, arg, timeout: float = 30_000) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        text = page.inner_text("body")
        i = text.find("z = (")
        pytest.fail(
            f"waited {timeout / 1000:.0f} s for {arg}; the panel shows: {text[i : i + 300]!r}"
        )


SHOWS_Z = """([a, b]) => {
    const text = document.body.innerText;
    const m = text.match(/z = \\(([+-][0-9.]+), ([+-][0-9.]+)\\)/);
    return m && Math.abs(+m[1] - a) < 0.05 && Math.abs(+m[2] - b) < 0.05
        && text.includes("z is in a hole");
}"""
NEW_IMAGE = """(previous) => {
    const img = document.querySelector('img[src*="/media/"]');
    return !!img && img.complete && img.naturalWidth > 0 && img.getAttribute("src") !== previous;
}"""
REDRAWN = """(before) => {
    const gd = document.querySelector('.st-key-latent .js-plotly-plot');
    const t = gd && gd.data.find(d => d.fill === 'toself');
    return t && JSON.stringify(t.x).slice(0, 2000) !== before;
}"""


def test_clicks_on_empty_space_decode_that_z(page):
    srcs = []
    for z in empty_points(2):
        click_plane(page, z)
        wait_or_explain(page, SHOWS_Z, list(z))
        wait_or_explain(page, NEW_IMAGE, srcs[-1] if srcs else "")
        got = tuple(float(v) for v in READOUT.search(page.inner_text("body")).groups())
        assert got == pytest.approx(z, abs=0.05)
        srcs.append(decoded_src(page))
    assert srcs[0] and srcs[1] and srcs[0] != srcs[1]  # a new image for the new z


def test_a_beta_change_redraws_the_ellipses(page):
    before = ellipse_signature(page)
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    thumb.focus()
    thumb.press("ArrowLeft")  # beta 1 -> 0.3
    page.wait_for_function(
        "() => document.querySelector('.st-key-explorer-ladder').innerText.includes('β = 0.3')",
        timeout=15_000,
    )
    wait_or_explain(page, REDRAWN, before)
    after = ellipse_signature(page)
    assert before and after and after != before
    assert "model=vae-kl-0.3" in page.url
