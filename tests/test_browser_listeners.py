"""assets/plane_click.js must not leak as the Explorer reruns (issue 11), in a real browser.

Streamlit calls the component's function again on every rerun that sends it new data (the first
full rerun after a click sends the new z) and calls the cleanup it returns only on unmount, so
anything the function adds (a plotly listener on the chart, a MutationObserver on the page) must be
added once, not once per call. On the Explorer we click, change β, and repeat 10 times, then click
and rerun 4 more times, and count both; then check that a click still decodes.
"""

from __future__ import annotations

import re

import pytest

from tests.devserver import CHROMIUM, chromium, click_plane, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="needs Debian chromium"),
]

# Runs before any page script: every MutationObserver that is observing and not disconnected is
# "live"; the ones built by plane_click.js are told apart by their creator's stack (Streamlit
# loads the component as a module whose sourceURL names it, st-bidi-vae_geom.plane_click-*.js).
COUNT_OBSERVERS = """(() => {
    const Native = window.MutationObserver;
    const live = new Map(); // observer -> made by plane_click.js?
    window.__liveObservers = live;
    window.__oursMade = 0;
    window.MutationObserver = class extends Native {
        constructor(callback) {
            super(callback);
            this.__ours = /plane_click/.test(new Error().stack || "");
            window.__oursMade += this.__ours;
        }
        observe(...args) { live.set(this, this.__ours); return super.observe(...args); }
        disconnect() { live.delete(this); return super.disconnect(); }
    };
})();"""

COUNTS = """() => {
    const gd = document.querySelector('.st-key-latent .js-plotly-plot');
    const ours = [...window.__liveObservers.values()].filter(Boolean).length;
    return {
        afterplot: gd._ev.listeners('plotly_afterplot').length,
        click: gd._ev.listeners('plotly_click').length,
        observers: window.__liveObservers.size,
        ours,
        made: window.__oursMade,
    };
}"""

OURS = "() => [...window.__liveObservers.values()].filter(Boolean).length"
LADDER_SHOWS = """(label) =>
    document.querySelector('.st-key-explorer-ladder').innerText.includes(label)"""
REDRAWN = """(before) => {
    const gd = document.querySelector('.st-key-latent .js-plotly-plot');
    const t = gd && gd.data && gd.data.find(d => d.fill === 'toself');
    return !!t && JSON.stringify(t.x).slice(0, 2000) !== before;
}"""
SIGNATURE = """() => {
    const gd = document.querySelector('.st-key-latent .js-plotly-plot');
    const t = gd.data.find(d => d.fill === 'toself');
    return t ? JSON.stringify(t.x).slice(0, 2000) : "";
}"""
LISTENING = """() => {
    const gd = document.querySelector('.st-key-latent .js-plotly-plot');
    return !!(gd && gd.__vaeGeomClick);
}"""
SHOWS_Z = """([a, b]) => {
    const m = document.body.innerText.match(/z = \\(([+-][0-9.]+), ([+-][0-9.]+)\\)/);
    return !!m && Math.abs(+m[1] - a) < 0.05 && Math.abs(+m[2] - b) < 0.05;
}"""
READOUT = re.compile(r"z = \(([+-]\d+\.\d+), ([+-]\d+\.\d+)\)")


@pytest.fixture(scope="module")
def page():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.add_init_script(COUNT_OBSERVERS)
        page.goto(url)
        settle(page)
        yield page


def settle(page) -> None:
    """Until the run is over, the chart is drawn and the listener has attached to it."""
    wait_for_app(page)
    page.wait_for_selector(".st-key-latent .js-plotly-plot .nsewdrag", timeout=60_000)
    page.wait_for_function(LISTENING, timeout=60_000)
    page.wait_for_timeout(300)  # the observer's last attach() after plotly's final redraw


def redraw_by(page, action, ladder_label: str | None = None) -> None:
    """Do `action` (a full rerun that changes the figure) and wait until the chart is redrawn."""
    before = page.evaluate(SIGNATURE)
    action()
    if ladder_label:
        page.wait_for_function(LADDER_SHOWS, arg=ladder_label, timeout=15_000)
    page.wait_for_function(REDRAWN, arg=before, timeout=30_000)
    settle(page)


def step_beta(page, key: str, label: str) -> None:
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    redraw_by(page, lambda: (thumb.focus(), thumb.press(key)), ladder_label=label)


def toggle_two_sigma(page) -> None:
    redraw_by(page, lambda: page.locator(".st-key-explorer-two_sigma label").first.click())


def click_and_wait(page, z) -> None:
    """Click z and wait for the decoder panel to show it: the next full rerun sends this z to the
    component as new data, which is what makes Streamlit call its function again."""
    click_plane(page, z)
    page.wait_for_function(SHOWS_Z, arg=list(z), timeout=30_000)
    page.wait_for_timeout(300)


@pytest.fixture(scope="module")
def counts(page) -> dict[str, dict]:
    """The counts at the start, after 10 β changes, and after 4 more full reruns, each rerun
    following a click at a new z."""
    seen = {"start": page.evaluate(COUNTS)}
    for i in range(10):  # beta 1 -> 0.3 -> 1 -> ...: each is a full rerun with a new figure
        click_and_wait(page, (-3.4 + 0.2 * i, -3.3))
        if i % 2 == 0:
            step_beta(page, "ArrowLeft", "β = 0.3")
        else:
            step_beta(page, "ArrowRight", "β = 1")
    seen["after 10 β changes"] = page.evaluate(COUNTS)
    for i in range(4):  # 1σ <-> 2σ: full reruns too
        click_and_wait(page, (3.4, -3.4 + 0.2 * i))
        toggle_two_sigma(page)
    seen["after 4 more reruns"] = page.evaluate(COUNTS)
    print(seen)
    return seen


def test_reruns_leave_one_listener_and_one_observer(counts):
    """Counted on the chart div shown now (a β change replaces it) and on the whole page."""
    start = counts["start"]
    assert start["ours"] == 1 and start["click"] >= 1, start
    for when, now in counts.items():
        for name in ("afterplot", "click", "ours"):
            assert now[name] <= start[name], f"{name} grew: {start[name]} -> {now[name]} {when}"


def test_a_click_still_decodes_after_the_reruns(page, counts):
    z = (-3.4, 3.4)
    click_and_wait(page, z)
    got = tuple(float(v) for v in READOUT.search(page.inner_text("body")).groups())
    assert got == pytest.approx(z, abs=0.05)
    assert page.evaluate(COUNTS)["ours"] == 1


def test_leaving_the_page_and_coming_back_keeps_one_observer(page):
    """A page change unmounts the listener: its cleanup must run (the observer is disconnected,
    so a later mount makes a new one), and the Explorer must decode clicks again."""
    made = page.evaluate(COUNTS)["made"]
    page.get_by_role("link", name="Points vs ellipses").first.click()
    wait_for_app(page)
    page.wait_for_function(
        "() => { const g = document.querySelector('.st-key-pv_vae .js-plotly-plot');"
        " return !!(g && g.__vaeGeomClick); }",
        timeout=60_000,
    )
    assert page.evaluate(OURS) == 1
    page.get_by_role("link", name="Explorer").first.click()
    settle(page)
    z = (-3.0, 3.3)
    click_and_wait(page, z)
    now = page.evaluate(COUNTS)
    assert now["ours"] == 1 and now["afterplot"] == now["click"] == 1, now
    assert now["made"] > made, "no observer was ever disconnected: the cleanup did not run"
