"""Train your own in a real browser: 2 epochs on the digits set, then the replay slider."""

from __future__ import annotations

import os

import pytest

from tests.devserver import CHROMIUM, chromium, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]


def start_training(browser, url: str, epochs: int):
    """Open Train your own on the digits set, set the epochs, press Train; returns the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{url}/Train_your_own?dataset=digits")
    wait_for_app(page)
    box = page.get_by_label("Epochs")
    box.fill(str(epochs))
    box.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Train").click()
    return page


def test_two_epochs_on_digits_then_the_replay(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path))  # inherited by the server
    with streamlit_server() as url, chromium() as browser:
        page = start_training(browser, url, epochs=2)
        page.get_by_text("Done: 2 epochs").wait_for(timeout=120_000)
        slider = page.locator('.st-key-train-epoch input[type="range"]')  # key "train.epoch"
        slider.wait_for(timeout=30_000)
        assert slider.get_attribute("max") == "2"
        page.wait_for_selector(".st-key-train-plane .js-plotly-plot", timeout=30_000)
        page.screenshot(path=str(tmp_path / "train.png"))
        if os.environ.get("VAE_GEOM_SCREENSHOTS"):
            page.screenshot(path=os.environ["VAE_GEOM_SCREENSHOTS"] + "/train.png")


def test_stop_keeps_the_epochs_done(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path))
    with streamlit_server() as url, chromium() as browser:
        page = start_training(browser, url, epochs=200)
        page.wait_for_function(  # epochs fly by (~0.1 s): wait for any epoch >= 3, not exactly 3
            "() => { const m = document.body.innerText.match(/epoch (\\d+)\\/200/);"
            " return m && +m[1] >= 3; }",
            timeout=60_000,
        )
        page.get_by_role("button", name="Stop").click()
        page.get_by_text("Training was stopped after epoch").wait_for(timeout=30_000)
        wait_for_app(page)
        last = int(page.locator('.st-key-train-epoch input[type="range"]').get_attribute("max"))
        assert 3 <= last < 200
