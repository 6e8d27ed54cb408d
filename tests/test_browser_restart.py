"""A server restarted under an open session: the page says it lost the server, reconnects by
itself, and shows the same view again (dataset, model and clicked z live in the URL)."""

from __future__ import annotations

import os

import pytest

from tests.devserver import (
    CHROMIUM,
    chromium,
    click_plane,
    free_port,
    streamlit_server,
    wait_for_app,
)
from tests.test_browser import READOUT, wait_for_listener

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]
Z = (1.7, -2.1)
SHOWS_Z = """([a, b]) => {
    const m = document.body.innerText.match(/z = \\(([+-][0-9.]+), ([+-][0-9.]+)\\)/);
    return !!m && Math.abs(+m[1] - a) < 0.05 && Math.abs(+m[2] - b) < 0.05
        && !!document.querySelector('img[src*="/media/"]');
}"""


def _decoded(page) -> tuple[float, float]:
    return tuple(float(v) for v in READOUT.search(page.inner_text("body")).groups())


def test_an_open_session_recovers_its_view_after_a_server_restart():
    port = free_port()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        with streamlit_server(port=port) as url:
            page.goto(f"{url}/?dataset=digits&model=vae-kl-0.3")
            wait_for_app(page)
            wait_for_listener(page)
            click_plane(page, Z)
            page.wait_for_function(SHOWS_Z, arg=list(Z), timeout=30_000)
            assert "z=" in page.url and "model=vae-kl-0.3" in page.url
        # The server is gone: Streamlit tells the user, and keeps the page as it was.
        page.wait_for_selector('[data-testid="stDialog"]', timeout=30_000)
        assert "Connection error" in page.inner_text('[data-testid="stDialog"]')

        with streamlit_server(port=port):  # the same address, a new process with no sessions
            page.wait_for_function(SHOWS_Z, arg=list(Z), timeout=60_000)
            wait_for_app(page)
            wait_for_listener(page)
            assert _decoded(page) == pytest.approx(Z, abs=0.05)
            assert not page.locator('[data-testid="stException"]').count()
            assert "β = 0.3" in page.inner_text(".st-key-explorer-ladder")  # the same model
            assert "model=vae-kl-0.3" in page.url
            page.wait_for_selector('[data-testid="stDialog"]', state="hidden", timeout=30_000)
            # the reconnected page may redraw the plane once more after the dialog closes: click
            # the chart that carries the listener (a CI run once clicked one it had replaced)
            wait_for_app(page)
            wait_for_listener(page)
            click_plane(page, (-Z[0], -Z[1]))  # and it answers clicks again
            page.wait_for_function(SHOWS_Z, arg=[-Z[0], -Z[1]], timeout=30_000)
