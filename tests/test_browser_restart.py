"""A server restarted under an open session: the page says it lost the server, reconnects by
itself, and shows the same view again (dataset, model and pinned z live in the URL), with the
plane drawn, marking that z, and pinning z again on a click."""

from __future__ import annotations

import os
import time

import pytest

from tests.devserver import CHROMIUM, chromium, free_port, streamlit_server, wait_for_app
from tests.test_browser_plane import (
    PINNED_JS,
    PLANE,
    SERVER_Z_JS,
    click_z,
    wait_for_plane,
    wait_for_server_z,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]
Z = (1.7, -2.1)
HAS_IMAGE = "() => !!document.querySelector('img[src*=\"/media/\"]')"
SRC = "() => document.querySelector('img[src*=\"/media/\"]').getAttribute('src')"
# The HTTP status of the decoded image's URL: a server holds a media file only once a run of its
# own has made it (the URL names the image's content, so the same z gives the same URL).
STATUS = "async (src) => (await fetch(src, {cache: 'no-store'})).status"


def served(page, src: str, timeout_s: float = 60) -> None:
    """Until the server at the page's address serves `src`: the new server has rerun the page."""
    deadline = time.monotonic() + timeout_s
    while (status := page.evaluate(STATUS, src)) != 200:
        assert time.monotonic() < deadline, f"{src}: HTTP {status} for {timeout_s} s"
        page.wait_for_timeout(250)


def test_an_open_session_recovers_its_view_after_a_server_restart():
    port = free_port()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        with streamlit_server(port=port) as url:
            # decode=server: the server decodes each pin too (its image is what a new process lacks)
            page.goto(f"{url}/?dataset=digits&model=vae-kl-0.3&decode=server")
            wait_for_plane(page)
            z = click_z(page, Z)
            wait_for_server_z(page, z)
            page.wait_for_function(HAS_IMAGE, timeout=30_000)
            assert "z=" in page.url and "model=vae-kl-0.3" in page.url
            shown, src = page.evaluate(SERVER_Z_JS), page.evaluate(SRC)
        # The server is gone: Streamlit tells the user, and keeps the page as it was.
        page.wait_for_selector('[data-testid="stDialog"]', timeout=30_000)
        assert "Connection error" in page.inner_text('[data-testid="stDialog"]')

        with streamlit_server(port=port):  # the same address, a new process with no sessions
            served(page, src)  # a new process holds no media: it has rerun the page from the URL
            wait_for_server_z(page, shown)  # the URL's z (3 decimals)
            wait_for_app(page)
            assert page.evaluate(SERVER_Z_JS) == pytest.approx(Z, abs=0.0051)
            assert not page.locator('[data-testid="stException"]').count()
            assert "β = 0.3" in page.inner_text(".st-key-explorer-ladder")  # the same model
            assert "model=vae-kl-0.3" in page.url
            page.wait_for_selector('[data-testid="stDialog"]', state="hidden", timeout=30_000)
            # the reconnected page may re-send the plane once more after the dialog closes:
            # click only once it has drawn and holds still, marking the z the server restored
            wait_for_plane(page)
            page.wait_for_function(
                "([n, a, b]) => { const p = window.__vaeGeomPlane.planes.get(n).pinned;"
                " return !!p && Math.abs(p[0] - a) < 6e-4 && Math.abs(p[1] - b) < 6e-4; }",
                arg=[PLANE, *z],
                timeout=30_000,
            )
            assert not page.locator(f".st-key-{PLANE}-fallback").is_visible()
            again = click_z(page, (-Z[0], -Z[1]))  # and it answers clicks again
            wait_for_server_z(page, again)
            assert page.evaluate(PINNED_JS, PLANE) == again
        assert not errors, errors
