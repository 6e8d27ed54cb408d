"""The plane's script (assets/plane/plane.js) must not leak as the Explorer reruns, in a real
browser (issue 11's check, for the plane component of issue 14).

Streamlit calls the component's function again on reruns that send it new data (a β change sends a
new payload, 1σ/2σ and a new z a new state) and keeps the module loaded, so what the function adds
(a Plane, its DOM, its listeners, its ResizeObserver, the style that hides the fallback) must be
added once per plane, not once per call. On the Explorer we click, change β, and repeat 10 times,
then click and toggle 2σ 4 more times, and count; then check that a click still pins z on the
server, and that leaving the page and coming back re-attaches the same plane.
"""

from __future__ import annotations

import pytest

from tests.devserver import CHROMIUM, chromium, streamlit_server, wait_for_app
from tests.test_browser_plane import PLANE, click_z, wait_for_plane, wait_for_server_z

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="needs Debian chromium"),
]

# Runs before any page script: counts the listeners added to the plane's elements (class vg-*)
# and, per ResizeObserver, the plane elements (div.vg) it observes now.
COUNT = """(() => {
    const count = (window.__vgCount = { listeners: 0, observed: new Map() });
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (type, fn, options) {
        if (this instanceof Element && typeof this.className === "string"
            && /(^| )vg-/.test(this.className)) count.listeners++;
        return add.call(this, type, fn, options);
    };
    const Native = window.ResizeObserver;
    window.ResizeObserver = class extends Native {
        constructor(callback) { super(callback); count.observed.set(this, new Set()); }
        observe(target, options) {
            if (target.classList && target.classList.contains("vg"))
                count.observed.get(this).add(target);
            return super.observe(target, options);
        }
        unobserve(target) {
            count.observed.get(this).delete(target);
            return super.unobserve(target);
        }
        disconnect() { count.observed.get(this).clear(); return super.disconnect(); }
    };
})();"""

COUNTS = """() => {
    const roots = [document];
    for (let i = 0; i < roots.length; i++)
        for (const el of roots[i].querySelectorAll("*"))
            if (el.shadowRoot) roots.push(el.shadowRoot);
    const all = (selector) => roots.flatMap((r) => [...r.querySelectorAll(selector)]);
    const P = window.__vaeGeomPlane, c = window.__vgCount;
    return {
        planes: P.planes.size,
        shown: all("div.vg").length,  // the plane elements in the page now
        styles: all("style.vg-style").length,
        hides: document.querySelectorAll('style[id^="vg-hide-"]').length,
        listeners: c.listeners,  // ever added to the planes' elements
        observed: [...c.observed.values()].reduce((n, s) => n + s.size, 0),
        draws: P.draws.length,
        frames: P.frames.length,
        hover: P.hover.length,
    };
}"""
LADDER_SHOWS = """(label) =>
    document.querySelector('.st-key-explorer-ladder').innerText.includes(label)"""
MODEL_ID = "(n) => window.__vaeGeomPlane.planes.get(n).data.meta.id"
K = "(n) => window.__vaeGeomPlane.planes.get(n).k"


@pytest.fixture(scope="module")
def page():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.add_init_script(COUNT)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        wait_for_plane(page)
        yield page
        assert not errors, errors


def step_beta(page, key: str, label: str) -> None:
    """A full rerun with a new model: wait until the plane has the new payload and has morphed."""
    before = page.evaluate(MODEL_ID, PLANE)
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    thumb.focus()
    thumb.press(key)
    page.wait_for_function(LADDER_SHOWS, arg=label, timeout=15_000)
    page.wait_for_function(
        "([n, id]) => window.__vaeGeomPlane.planes.get(n).data.meta.id !== id",
        arg=[PLANE, before],
        timeout=60_000,
    )
    wait_for_plane(page)


def toggle_two_sigma(page) -> None:
    """A full rerun with a new state (k): wait until the plane has redrawn at the other k."""
    k = page.evaluate(K, PLANE)
    page.locator(".st-key-explorer-two_sigma label").first.click()
    page.wait_for_function(
        "([n, k]) => window.__vaeGeomPlane.planes.get(n).k !== k", arg=[PLANE, k], timeout=30_000
    )
    wait_for_plane(page)


def click_and_wait(page, z) -> None:
    """Click z and wait for the server's panel to show it."""
    wait_for_server_z(page, click_z(page, z))
    wait_for_app(page)


@pytest.fixture(scope="module")
def counts(page) -> dict[str, dict]:
    """The counts at the start, after 10 β changes, and after 4 more full reruns, each rerun
    following a click at a new z."""
    seen = {"start": page.evaluate(COUNTS)}
    for i in range(10):  # beta 1 -> 0.3 -> 1 -> ...: each is a full rerun with a new payload
        click_and_wait(page, (-3.4 + 0.2 * i, -3.3))
        if i % 2 == 0:
            step_beta(page, "ArrowLeft", "β = 0.3")
        else:
            step_beta(page, "ArrowRight", "β = 1")
    seen["after 10 β changes"] = page.evaluate(COUNTS)
    for i in range(4):  # 1σ <-> 2σ: full reruns too, with a new state
        click_and_wait(page, (3.4, -3.4 + 0.2 * i))
        toggle_two_sigma(page)
    seen["after 4 more reruns"] = page.evaluate(COUNTS)
    print(seen)
    return seen


def test_reruns_leave_one_plane_its_listeners_and_one_observer(counts):
    start = counts["start"]
    assert start["planes"] == start["shown"] == start["styles"] == start["hides"] == 1, start
    # the canvas's pointer and key listeners and the panel's buttons', all added by the constructor
    assert start["listeners"] >= 6 and start["observed"] == 1, start
    for when, now in counts.items():
        for name in ("planes", "shown", "styles", "hides", "listeners", "observed"):
            assert now[name] == start[name], f"{name}: {start[name]} -> {now[name]} {when}"
    # and each β change drew one payload (a morph), not one per rerun
    assert counts["after 10 β changes"]["draws"] - start["draws"] == 10, counts


def test_a_click_still_decodes_after_the_reruns(page, counts):
    click_and_wait(page, (-3.4, 3.4))
    assert page.evaluate(COUNTS)["listeners"] == counts["start"]["listeners"]


def test_leaving_the_page_and_coming_back_reattaches_the_same_plane(page, counts):
    """A page change unmounts the plane's element; coming back must show the same Plane again
    (no second one, no new listeners) and pin clicks on the server."""
    start = counts["start"]
    page.get_by_role("link", name="Points vs ellipses").first.click()
    wait_for_plane(page, "pv_ae")
    wait_for_plane(page, "pv_vae")
    there = page.evaluate(COUNTS)
    assert there["shown"] == 2 and there["planes"] == 3, there  # the Explorer's, detached, kept
    page.get_by_role("link", name="Explorer").first.click()
    wait_for_plane(page)
    back = page.evaluate(COUNTS)
    assert back["shown"] == 1 and back["planes"] == 3, back
    assert back["listeners"] == there["listeners"] == 3 * start["listeners"], (there, back)
    assert back["observed"] <= back["planes"], back
    click_and_wait(page, (-3.0, 3.3))
