"""Train your own in a real browser: 2 epochs on the digits set, then the replay slider."""

from __future__ import annotations

import os
import re
import time

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
        slider = page.locator("input.vg-epoch")  # the replay's slider, inside the plane
        slider.wait_for(timeout=30_000)
        assert slider.get_attribute("max") == "2"  # frames: epochs 0 (untrained), 1, 2
        label = page.locator(".vg-epoch-label")
        assert label.inner_text() == "after epoch 2"
        slider.evaluate("(e) => { e.value = '0'; e.dispatchEvent(new Event('input')); }")
        assert label.inner_text() == "after epoch 0"
        # the untrained model's ellipses are drawn, and no z decodes with the last decoder there
        page.locator(".vg-readout", has_text="last epoch").wait_for(timeout=5_000)
        assert page.evaluate(
            "() => { const p = window.__vaeGeomPlane.planes.get('train.plane');"
            " return p.mu === p.frameArrays(0)[0] || p.mu[0] === p.frameArrays(0)[0][0]; }"
        )
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
        page.wait_for_function(  # the replay's plane has its payload
            "window.__vaeGeomPlane && window.__vaeGeomPlane.planes.get('train.plane')"
            " && window.__vaeGeomPlane.planes.get('train.plane').data",
            timeout=30_000,
        )
        last = page.evaluate(  # the epochs recorded: the replay's frames (at most 51 are sent)
            "() => { const f = window.__vaeGeomPlane.planes.get('train.plane').data.frames;"
            " return f.epochs[f.epochs.length - 1]; }"
        )
        assert 3 <= last < 200


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (/proc/PID/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, timeout_s: float) -> float:
    """Seconds until the server uses under a fifth of a core over half a second."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        before = server_cpu_seconds(pid)
        time.sleep(0.5)
        if server_cpu_seconds(pid) - before < 0.1:
            return time.monotonic() - start
    raise AssertionError(f"the server still trains {timeout_s} s after its last tab closed")


def test_the_queue_and_a_closed_tab_give_the_slot_to_the_next(tmp_path, monkeypatch):
    """One slot (VAE_GEOM_MAX_TRAININGS=1): two more tabs queue, each told its place, kept up to
    date; closing the training tab stops its run and the head of the queue starts at once."""
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path))
    monkeypatch.setenv("VAE_GEOM_MAX_TRAININGS", "1")  # inherited by the server
    waiting = "1 training is running; you are number {} in the queue"
    with streamlit_server() as url, chromium() as browser:
        first = start_training(browser, url, epochs=200)
        first.get_by_text(re.compile(r"epoch \d+/200")).wait_for(timeout=60_000)
        second = start_training(browser, url, epochs=200)
        second.get_by_text(waiting.format(1)).wait_for(timeout=60_000)
        third = start_training(browser, url, epochs=200)
        third.get_by_text(waiting.format(2)).wait_for(timeout=60_000)
        assert not re.search(r"epoch \d+/200", second.locator("body").inner_text())

        closed = time.monotonic()
        first.close()
        second.get_by_text(re.compile(r"epoch \d+/200")).wait_for(timeout=30_000)
        handed_over = time.monotonic() - closed
        third.get_by_text(waiting.format(1)).wait_for(timeout=10_000)  # moved up

        second.close()
        third.get_by_text(re.compile(r"epoch \d+/200")).wait_for(timeout=30_000)
        third.close()
        idle = wait_until_idle(url.pid, timeout_s=20)
    assert handed_over < 5, f"the queue's head started {handed_over:.1f} s after the tab closed"
    assert idle < 5, f"the last closed tab's training ran on for {idle:.1f} s"
