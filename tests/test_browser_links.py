"""A link whose values are Markdown, opened in a real browser: the sidebar shows the text, draws
no image or link, and the browser fetches nothing from the host the link names."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pytest

from tests.devserver import CHROMIUM, chromium, free_port, streamlit_server
from vae_geom.ui.literal import JOINER

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]


def test_markdown_in_a_link_is_shown_as_text_and_fetches_nothing():
    host = f"127.0.0.1:{free_port()}"  # nothing listens there; a request would still be seen
    image, link = f"![](http://{host}/t.png)", f"[Log in again](//{host})"
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page()
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(f"{url}?{urlencode({'dataset': image, 'model': link})}")
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("is unknown").first.wait_for(timeout=60_000)
        text = sidebar.inner_text().replace(JOINER, "")  # invisible: not what a reader sees
        assert f"The link's dataset “{image}” is unknown" in text
        assert f"The link's model “{link}” is unknown" in text
        assert sidebar.locator(f'img[src*="{host}"], a[href*="{host}"]').count() == 0
        assert not [u for u in requested if host in u]
