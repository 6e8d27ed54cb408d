"""The served configuration, seen from a browser: an unexpected error shows no traceback."""

from __future__ import annotations

import os

import pytest

from tests.devserver import CHROMIUM, chromium, streamlit_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]


def test_an_unexpected_error_shows_its_type_only():
    with streamlit_server("tests/scripts/raises.py") as url, chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        box = page.wait_for_selector('[data-testid="stException"]', timeout=60_000)
        text = box.inner_text()
        assert "RuntimeError" in text
        assert "secret detail" not in text and "raises.py" not in text and "Traceback" not in text
