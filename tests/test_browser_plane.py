"""The Explorer's latent plane (assets/plane/plane.js, issue 14) in Debian's Chromium, on the real
`streamlit run` server, at a projector's 1280 × 720 (and once at 1500 × 1000).

Hover decodes z in the browser: the pixels it draws must be torch's decode_images at the z under
the pointer (within the 1 grey level the canvas's rounding allows), its readout that z and the
prior's density there, and what it says claims z numpy's responsibilities. A hover sends nothing to
the server; a click (or Enter, after the arrow keys) pins z on the server. A β change morphs the
ellipses into the new model's; the fallback appears only when the plane's script fails, and pins z
on the server by itself; the PNG and CSV buttons download what is drawn. No page error anywhere.

The helpers at the top (wait_for_plane, click_z, PINNED_JS, SERVER_Z_JS, ...) also drive the other
browser tests and the benchmarks that click the Explorer (bench/click_latency.py,
bench/load_sessions.py).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import time

import numpy as np
import pytest

from tests.devserver import CHROMIUM, chromium, streamlit_server, wait_for_app
from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import load_dataset
from vae_geom.figures.plane import COLOURS
from vae_geom.models import decode_images, posteriors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian chromium"),
]

PLANE = "latent"  # the Explorer's plane (app.py: ui.latent_plane("latent", ...))
SMALL = {"width": 1280, "height": 720}  # a projector
LARGE = {"width": 1500, "height": 1000}
TOP = 5  # plane.js's TOP, probe.probe's top
MIN_WEIGHT = 0.01  # the least responsibility shown under the decoded image
SERVER_PANEL = "The pinned z"
SERVER_CHECK = "Decode it on the server too"  # the Explorer's toggle, shown once z is pinned

# --- helpers: the plane from Python (also used by test_browser*.py and bench/) -----------------

# The plane named `name` has its payload, has drawn, and is neither morphing nor about to draw.
READY_JS = """(name) => {
    const P = window.__vaeGeomPlane, p = P && P.planes && P.planes.get(name);
    return !!(p && p.data && p.plot && p.over.isConnected && !p.morphing && !p.pending);
}"""
# The viewport pixel of z = (z1, z2) on the plane named `name`, by the plane's own mapping.
Z_TO_PAGE_JS = """([name, z1, z2]) => {
    const p = window.__vaeGeomPlane.planes.get(name);
    const r = p.over.getBoundingClientRect(), [x, y] = p.px(z1, z2);
    return [r.left + x, r.top + y];
}"""
BOX_JS = """(name) => {
    const p = window.__vaeGeomPlane.planes.get(name), r = p.over.getBoundingClientRect();
    return [r.left + p.plot.x0, r.top + p.plot.y0, p.plot.w, p.plot.h];
}"""
# The z the plane pinned last (what its click trigger sent), or null.
PINNED_JS = """(name) => {
    const P = window.__vaeGeomPlane, p = P && P.planes && P.planes.get(name);
    return p && p.pinned ? [p.pinned[0], p.pinned[1]] : null;
}"""
# The server panel's z (decoded_view's "z = (+1.23, -0.45) · prior density ..."), or null. The
# plane's own readout lives in the component's shadow root, which document.querySelectorAll does
# not enter, and it says "p(z)", not "prior density".
SERVER_Z_JS = r"""() => {
    for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
        const m = el.innerText.match(/z = \(([+-]\d+\.\d+), ([+-]\d+\.\d+)\) · prior density/);
        if (m) return [+m[1], +m[2]];
    }
    return null;
}"""
SERVER_SHOWS_JS = (
    "([a, b]) => { const z = (" + SERVER_Z_JS + ")();"
    " return !!z && Math.abs(z[0] - a) < 0.0051 && Math.abs(z[1] - b) < 0.0051; }"
)
# What the plane's panel shows: the z under the cursor, the texts, the images' grey levels.
PANEL_JS = """(name) => {
    const p = window.__vaeGeomPlane.planes.get(name);
    const grey = (c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
        for (let i = 0; i < d.length; i += 4) out.push(d[i]);
        return { w: c.width, h: c.height, grey: out };
    };
    const thumbs = [...p.thumbs.querySelectorAll('figure')];
    return {
        cursor: p.cursor ? [p.cursor[0], p.cursor[1]] : null,
        pinned: p.pinned ? [p.pinned[0], p.pinned[1]] : null,
        readout: p.readout.textContent,
        live: p.readout.getAttribute('aria-live'),
        where: p.where.textContent,
        decoded: grey(p.decoded),
        blend: p.blendCanvas.width ? grey(p.blendCanvas) : null,
        captions: thumbs.map((f) => f.querySelector('figcaption').textContent),
        thumb0: thumbs.length && thumbs[0].querySelector('canvas')
            ? grey(thumbs[0].querySelector('canvas')) : null,
    };
}"""
FALLBACK = f".st-key-{PLANE}-fallback"


def wait_for_plane(page, name: str = PLANE, timeout_ms: float = 90_000) -> None:
    """Until the app has run and the plane has its payload, has drawn and holds still."""
    wait_for_app(page, timeout_ms)
    page.wait_for_function(READY_JS, arg=name, timeout=timeout_ms)
    box = page.evaluate(BOX_JS, name)
    for _ in range(50):  # the page reflows while the panels under the plane fill
        page.wait_for_timeout(100)
        again = page.evaluate(BOX_JS, name)
        if again == box:
            break
        box = again


def z_to_page(page, z, name: str = PLANE) -> tuple[float, float]:
    """The viewport pixel of z, scrolling the plane into view first if z is off screen."""
    x, y = page.evaluate(Z_TO_PAGE_JS, [name, *z])
    size = page.viewport_size
    if not (0 <= x < size["width"] and 0 <= y < size["height"]):
        page.evaluate(
            "(n) => window.__vaeGeomPlane.planes.get(n).over"
            ".scrollIntoView({block: 'center', inline: 'center'})",
            name,
        )
        page.wait_for_timeout(200)
        x, y = page.evaluate(Z_TO_PAGE_JS, [name, *z])
    return x, y


def hover_z(page, z, name: str = PLANE) -> list[float]:
    """Move the pointer to z as a person would and wait for the frame that answers it; returns
    the z the plane read from the pointer (the pixel's z, within a pixel of `z`)."""
    x, y = z_to_page(page, z, name)
    page.mouse.move(x, y, steps=5)
    page.wait_for_function(
        """([name, z1, z2]) => { const p = window.__vaeGeomPlane.planes.get(name);
            return !!p.cursor && Math.abs(p.cursor[0] - z1) < 0.05
                && Math.abs(p.cursor[1] - z2) < 0.05 && !p.pending; }""",
        arg=[name, *z],
        timeout=10_000,
    )
    return page.evaluate("(n) => window.__vaeGeomPlane.planes.get(n).cursor", name)


def click_z(page, z, name: str = PLANE) -> list[float]:
    """Settle, hover z, click it: the plane pins z and sends it to the server. Returns the z it
    pinned."""
    wait_for_plane(page, name)
    hover_z(page, z, name)
    x, y = z_to_page(page, z, name)
    page.mouse.click(x, y)
    page.wait_for_function(
        """([name, z1, z2]) => { const p = window.__vaeGeomPlane.planes.get(name);
            return !!p.pinned && Math.abs(p.pinned[0] - z1) < 0.05
                && Math.abs(p.pinned[1] - z2) < 0.05; }""",
        arg=[name, *z],
        timeout=10_000,
    )
    return page.evaluate(PINNED_JS, name)


def wait_for_server_z(page, z, timeout_ms: float = 30_000) -> None:
    """Until the server's panel shows z (to its 2 decimals)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(SERVER_SHOWS_JS, arg=list(z), timeout=timeout_ms)
    except PlaywrightTimeout:
        pytest.fail(f"the server panel never showed z = {z}: it shows {page.evaluate(SERVER_Z_JS)}")


def server_decodes(page) -> None:
    """Turn on the Explorer's toggle that has the server decode the pinned z as well."""
    toggle = page.locator('[data-testid="stCheckbox"]', has_text=SERVER_CHECK).first
    toggle.wait_for(timeout=30_000)
    if not toggle.locator("input").is_checked():
        toggle.click()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[src*=\"/media/\"]');"
        " return !!i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )


def server_says(page, text: str):
    """A locator for the server's Markdown holding `text` (the plane's panel is not Markdown)."""
    return page.locator('[data-testid="stMarkdownContainer"]', has_text=text).first


def url_z(page) -> tuple[float, float] | None:
    m = re.search(r"[?&]z=([^&]+)", page.url)
    if not m:
        return None
    a, b = m.group(1).replace("%2C", ",").split(",")
    return float(a), float(b)


def js_fmt(v: float) -> str:
    """plane.js's fmt: a sign (U+2212 for minus) and 2 decimals."""
    return ("−" if v < 0 else "+") + f"{abs(v):.2f}"


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mnist():
    """The shipped MNIST β = 1 VAE, its training posteriors (what the plane judges z against) and
    training images."""
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    ds = load_dataset("mnist")
    mu, sigma = posteriors(model, ds.x_train)
    return model, mu, sigma, ds


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def open_page(browser, url: str, viewport: dict, path: str = "/", init_script: str | None = None):
    """A fresh context on the Explorer; page.errors collects page errors, page.sent the times of
    the websocket frames the page sends."""
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.errors, page.sent = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "websocket",
        lambda ws: ws.on("framesent", lambda payload: page.sent.append(time.monotonic())),
    )
    page.goto(url + path)
    return context, page


@pytest.fixture(scope="module")
def page(server, browser):
    """One Explorer at 1280 × 720 for the tests below, in file order (the β test comes last)."""
    context, page = open_page(browser, server, SMALL)
    wait_for_plane(page)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def no_page_errors(request):
    """Every test here ends with no page error on the pages it used."""
    yield
    for name in ("page", "large"):
        if name in request.fixturenames:
            p = request.getfixturevalue(name)
            assert not p.errors, p.errors


def empty_z(mu, sigma) -> tuple[float, float]:
    """A z of the plane far from every training code: the grid point of [-3.6, 3.6]² farthest from
    them all, and inside no training posterior's 2σ ellipse."""
    g = np.linspace(-3.6, 3.6, 37)
    grid = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    far = np.linalg.norm(grid[:, None] - mu[None], axis=2).min(1)
    z = tuple(float(v) for v in grid[np.argmax(far)])
    assert far.max() > 1.0 and not geometry.covered_by(z, mu, sigma, k=2.0).any()
    return z


def claimed_z(mu, sigma) -> tuple[float, float]:
    """A z inside the prior's 1σ disc that at least 3 training posteriors claim with r >= 0.01
    and that lies in 2σ ellipses: the first such point of a fixed grid."""
    for z in [(0.45, 0.35), (-0.6, -0.2), (0.2, -0.7), (1.1, 0.5), (-0.3, 0.8), (0.9, -0.9)]:
        r = geometry.responsibilities(z, mu, sigma)
        if (r >= MIN_WEIGHT).sum() >= 3 and geometry.covered_by(z, mu, sigma, k=2.0).any():
            return z
    raise AssertionError("no claimed z on the grid")


def numpy_top(z, mu, sigma) -> tuple[list[int], np.ndarray]:
    r = geometry.responsibilities(z, mu, sigma)
    order = np.argsort(-r, kind="stable")[:TOP]
    return [int(i) for i in order if r[i] >= MIN_WEIGHT], r


# --- hover ------------------------------------------------------------------------------------


def test_at_1280_by_720_no_coverage_figure_is_cut_off(page):
    """Streamlit ends a metric's value with "…" when its column is too narrow: at a projector's
    width five in a row cut "0.583 nats" to "0.583 n…" and the ELBO's unit away."""
    values = page.locator('[data-testid="stMetricValue"]')
    try:
        values.first.scroll_into_view_if_needed()
        assert values.count() == 5
        cut = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')]
                .filter(v => [v, ...v.querySelectorAll('*')]
                    .some(e => e.scrollWidth > e.clientWidth))
                .map(v => v.innerText)"""
        )
        assert cut == [], cut
    finally:  # the tests after this one find the plane where the page opened
        page.locator("h1").first.scroll_into_view_if_needed()
        wait_for_plane(page)


def test_the_plane_draws_and_hides_the_fallback(page):
    assert page.locator("canvas.vg-over").count() == 1  # Playwright's CSS enters the shadow root
    assert not page.locator(FALLBACK).is_visible()
    x0, y0, w, h = page.evaluate(BOX_JS, PLANE)
    # the whole plot area is on screen at 1280 × 720 without scrolling
    assert x0 >= 0 and y0 >= 0 and x0 + w <= SMALL["width"] and y0 + h <= SMALL["height"]
    assert page.evaluate("(n) => window.__vaeGeomPlane.planes.get(n).data.train.n", PLANE) == 4000
    # the replay's epoch slider and play button belong to Train your own only
    assert not page.locator(".vg-frames").is_visible()


def test_hover_in_a_hole_decodes_as_torch_does(page, mnist):
    model, mu, sigma, ds = mnist
    # the browser judges against the same training posteriors
    train_mu = np.array(
        page.evaluate("(n) => Array.from(window.__vaeGeomPlane.planes.get(n).data.train.mu)", PLANE)
    ).reshape(-1, 2)
    np.testing.assert_allclose(train_mu, mu, atol=1e-6)
    z = hover_z(page, empty_z(mu, sigma))
    shown = page.evaluate(PANEL_JS, PLANE)
    assert shown["cursor"] == z
    h, w = ds.image_shape
    assert (shown["decoded"]["h"], shown["decoded"]["w"]) == (h, w)
    grey = np.array(shown["decoded"]["grey"], float)
    torch_grey = np.round(decode_images(model, np.array([z]))[0] * 255)
    assert np.abs(grey - torch_grey).max() <= 1, np.abs(grey - torch_grey).max()
    assert grey.max() - grey.min() > 50  # an image, not a blank canvas
    # the readout: that z, p(z) = N(z; 0, I), and a hole
    m = re.match(r"z = \((\S+), (\S+)\) · p\(z\) = (\S+) · ‖z‖ = (\S+)", shown["readout"])
    assert m, shown["readout"]
    assert (m[1], m[2]) == (js_fmt(z[0]), js_fmt(z[1]))
    density = math.exp(-0.5 * (z[0] ** 2 + z[1] ** 2)) / (2 * math.pi)
    assert float(m[3]) == pytest.approx(density, rel=5e-3)
    assert float(m[4]) == pytest.approx(math.hypot(*z), abs=0.006)
    assert shown["where"].startswith("z is in a hole"), shown["where"]
    assert shown["live"] == "polite"
    assert not geometry.covered_by(z, mu, sigma, k=2.0).any()
    # its nearest claims are still listed, as numpy ranks them
    top, _ = numpy_top(z, mu, sigma)
    assert [int(re.match(r"#(\d+):", c)[1]) for c in shown["captions"]] == top


def test_hover_on_ellipses_lists_numpys_top_responsibilities(page, mnist):
    model, mu, sigma, ds = mnist
    z = hover_z(page, claimed_z(mu, sigma))
    shown = page.evaluate(PANEL_JS, PLANE)
    top, r = numpy_top(z, mu, sigma)
    assert len(top) >= 3
    got = [re.match(r"#(\d+): r = ([0-9.]+)", c).groups() for c in shown["captions"]]
    assert [int(i) for i, _ in got] == top
    assert [float(v) for _, v in got] == pytest.approx([r[i] for i in top], abs=0.0051)
    inside = int(geometry.covered_by(z, mu, sigma, k=2.0).sum())
    expected = "1 training sample's" if inside == 1 else f"{inside:,} training samples'"
    assert shown["where"].startswith(f"z lies inside {expected} 2σ ellipse"), shown["where"]
    # the first thumbnail is that training image, and the blend is Σ r_i x_i within a grey level
    h, w = ds.image_shape
    x = ds.x_train
    assert shown["thumb0"]["grey"] == np.round(x[top[0]] * 255).astype(int).tolist()
    blend = (r[r > 1e-12] @ np.round(x[r > 1e-12] * 255) / 255).reshape(h * w)
    assert np.abs(np.array(shown["blend"]["grey"]) - np.round(blend * 255)).max() <= 1
    torch_grey = np.round(decode_images(model, np.array([z]))[0] * 255)
    assert np.abs(np.array(shown["decoded"]["grey"]) - torch_grey).max() <= 1


# --- what reaches the server ------------------------------------------------------------------


def test_a_hover_sweep_sends_nothing_and_a_click_pins_z_on_the_server(page, mnist):
    _, mu, sigma, _ = mnist
    wait_for_plane(page)
    hover_z(page, (-3.0, 3.0))
    page.wait_for_timeout(300)  # anything the page had to say before the sweep, said
    (x0, y0), (x1, _) = z_to_page(page, (0, 0)), z_to_page(page, (1, 0))
    scale = x1 - x0  # px per latent unit: map z to pixels here, not with a call per move
    before, answered = len(page.sent), page.evaluate("() => window.__vaeGeomPlane.hover.length")
    t0 = time.monotonic()
    i = 0
    while time.monotonic() - t0 < 1.0:  # one second of pointer moves across the plane
        a = i / 60
        z1, z2 = -3.0 + (6.0 * a) % 6.0, 3.0 * math.cos(7 * a)
        page.mouse.move(x0 + z1 * scale, y0 - z2 * scale)
        page.wait_for_timeout(10)
        i += 1
    page.wait_for_timeout(200)
    answered = page.evaluate("() => window.__vaeGeomPlane.hover.length") - answered
    assert i >= 10, f"only {i} pointer moves in the sweep"
    assert answered >= min(5, i // 4), f"{answered} frames answered {i} moves"  # it did decode
    assert len(page.sent) == before, f"{len(page.sent) - before} websocket frames during a hover"

    z = click_z(page, empty_z(mu, sigma))
    page.wait_for_function("() => window.location.search.includes('z=')", timeout=30_000)
    assert len(page.sent) > before
    wait_for_server_z(page, z)
    assert page.get_by_text(SERVER_PANEL, exact=True).is_visible()
    assert url_z(page) == pytest.approx(z, abs=0.00051)
    # asked, the server judges z as the browser did (its Markdown, outside the shadow root)
    server_decodes(page)
    server_says(page, "z is in a hole").wait_for(timeout=30_000)


def test_arrow_keys_move_z_and_enter_pins_it(page):
    wait_for_plane(page)
    page.mouse.move(2, 2)  # off the plane: pointerleave clears the cursor
    page.wait_for_function(
        "(n) => !window.__vaeGeomPlane.planes.get(n).cursor", arg=PLANE, timeout=5_000
    )
    start = page.evaluate(PINNED_JS, PLANE) or [0.0, 0.0]
    over = page.locator("canvas.vg-over")
    over.focus()
    assert page.evaluate("(n) => window.__vaeGeomPlane.planes.get(n).over.matches(':focus')", PLANE)
    assert over.get_attribute("tabindex") == "0" and "arrow keys" in over.get_attribute(
        "aria-label"
    )
    readout = page.locator(".vg-readout")
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowUp"):
        page.keyboard.press(key)
    want = [start[0] + 0.3, start[1] + 0.1]
    page.wait_for_function(
        "([n, t]) => window.__vaeGeomPlane.planes.get(n).readout.textContent.startsWith(t)",
        arg=[PLANE, f"z = ({js_fmt(want[0])}, {js_fmt(want[1])})"],
        timeout=5_000,
    )
    assert readout.get_attribute("aria-live") == "polite"
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([n, a, b]) => { const p = window.__vaeGeomPlane.planes.get(n).pinned;"
        " return !!p && Math.abs(p[0] - a) < 1e-9 && Math.abs(p[1] - b) < 1e-9; }",
        arg=[PLANE, *want],
        timeout=5_000,
    )
    assert page.evaluate(PINNED_JS, PLANE) == pytest.approx(want, abs=1e-9)
    wait_for_server_z(page, want)
    page.wait_for_function(
        "([a, b]) => window.location.search.includes(`z=${a}%2C${b}`)"
        " || window.location.search.includes(`z=${a},${b}`)",
        arg=[f"{want[0]:.3f}", f"{want[1]:.3f}"],
        timeout=30_000,
    )
    # Shift moves 0.5
    page.keyboard.press("Shift+ArrowLeft")
    page.wait_for_function(
        "([n, t]) => window.__vaeGeomPlane.planes.get(n).readout.textContent.startsWith(t)",
        arg=[PLANE, f"z = ({js_fmt(want[0] - 0.5)}, {js_fmt(want[1])})"],
        timeout=5_000,
    )


def test_a_beta_change_morphs_to_the_new_models_codes(page):
    wait_for_plane(page)
    first_id = page.evaluate("(n) => window.__vaeGeomPlane.planes.get(n).data.meta.id", PLANE)
    n_frames = page.evaluate("() => window.__vaeGeomPlane.frames.length")
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    thumb.focus()
    thumb.press("ArrowLeft")  # β = 1 -> 0.3
    page.wait_for_function(
        "() => document.querySelector('.st-key-explorer-ladder').innerText.includes('β = 0.3')",
        timeout=15_000,
    )
    page.wait_for_function(
        "([n, id]) => { const p = window.__vaeGeomPlane.planes.get(n);"
        " return p.data.meta.id !== id; }",
        arg=[PLANE, first_id],
        timeout=60_000,
    )
    wait_for_plane(page)
    draws = page.evaluate("() => window.__vaeGeomPlane.draws")
    assert draws[-1]["morph"] is True and draws[-1]["n"] == 1000, draws
    frames = page.evaluate("() => window.__vaeGeomPlane.frames.length") - n_frames
    assert frames >= 3, f"the morph drew {frames} frames"  # in-between frames, then the last
    assert "model=vae-kl-0.3" in page.url
    # the plane ends on the new model's codes: its mu, and class-coloured dots at them
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-0.3"))
    x, y = load_dataset("mnist").samples("test")
    mu, _ = posteriors(model, x)
    drawn = page.evaluate(
        "(n) => { const p = window.__vaeGeomPlane.planes.get(n);"
        " return { same: p.mu === p.data.shown.mu, mu: Array.from(p.mu) }; }",
        PLANE,
    )
    assert drawn["same"]
    np.testing.assert_allclose(np.array(drawn["mu"]).reshape(-1, 2), mu, atol=1e-5)
    d = np.linalg.norm(mu[:, None] - mu[None], axis=2)
    np.fill_diagonal(d, np.inf)
    alone = np.flatnonzero((d.min(1) > 0.25) & (np.abs(mu).max(1) < 3.5))[:6]
    assert len(alone) >= 3
    pixels = page.evaluate(
        """([n, zs]) => { const p = window.__vaeGeomPlane.planes.get(n);
            const g = p.base.getContext('2d'), dpr = p.base.width / p.cssW;
            return zs.map(([a, b]) => { const [x, y] = p.px(a, b);
                const d = g.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data;
                return Array.from(d);
            }); }""",
        [PLANE, mu[alone].tolist()],
    )
    for i, rgba in zip(alone, pixels, strict=True):
        colour = COLOURS[int(y[i]) % len(COLOURS)].lstrip("#")
        assert rgba[:3] == [int(colour[j : j + 2], 16) for j in (0, 2, 4)], (i, rgba, colour)


# --- the payload sent once per page -------------------------------------------------------------

PLANE_STATS_JS = """(n) => { const P = window.__vaeGeomPlane, p = P.planes.get(n);
    return { id: p.data && p.data.meta.id, needs: P.needs.length, draws: P.draws.length }; }"""


def test_a_rerun_sends_a_stub_and_a_page_that_lost_the_payload_asks_for_it(server, browser):
    """After its first run a page is sent the payload's stub (vae_geom/ui/plane.py): a plane that
    holds the payload keeps it and asks for nothing; one that no longer does (as if its module
    had been loaded again) asks with "need", is sent the bytes whole, and draws them."""
    for lost in (False, True):
        context, page = open_page(browser, server, SMALL)
        try:
            wait_for_plane(page)
            first = page.evaluate(PLANE_STATS_JS, PLANE)
            if lost:
                page.evaluate(
                    "(n) => { const p = window.__vaeGeomPlane.planes.get(n);"
                    " p.data = null; p.parsed.clear(); }",
                    PLANE,
                )
            page.locator(".st-key-explorer-two_sigma label").first.click()  # a rerun: the stub
            page.wait_for_function(
                "(n) => window.__vaeGeomPlane.planes.get(n).k === 2", arg=PLANE, timeout=30_000
            )
            wait_for_plane(page)
            after = page.evaluate(PLANE_STATS_JS, PLANE)
            assert after["id"] == first["id"], (lost, first, after)
            assert (after["needs"], after["draws"] - first["draws"]) == (
                (1, 1) if lost else (0, 0)
            ), (lost, first, after)
            assert not page.locator(FALLBACK).is_visible()
            assert not page.errors, page.errors
        finally:
            context.close()


# --- when the plane cannot start --------------------------------------------------------------

BREAK_INFLATE = "window.DecompressionStream = undefined;"  # parsePlane cannot inflate the images


def test_the_fallback_shows_when_the_script_fails_and_pins_z_on_the_server(server, browser):
    context, page = open_page(browser, server, SMALL, init_script=BREAK_INFLATE)
    try:
        wait_for_app(page, 90_000)
        page.wait_for_function(
            "() => { const P = window.__vaeGeomPlane, p = P && P.planes.get('latent');"
            " return !!p && p.readout.classList.contains('vg-error'); }",
            timeout=60_000,
        )
        error = page.locator(".vg-readout").inner_text()
        assert "DecompressionStream" in error, error
        page.wait_for_timeout(500)
        fallback = page.locator(FALLBACK)
        assert fallback.is_visible()
        fallback.get_by_text("Type z instead").click()  # a collapsed expander: open it
        fallback.get_by_label("z₁").wait_for(timeout=10_000)
        z = (1.3, -2.2)
        for label, v in zip(("z₁", "z₂"), z, strict=True):
            box = fallback.get_by_label(label)
            box.fill(str(v))
            box.press("Enter")
            wait_for_app(page)
        fallback.get_by_role("button", name="Decode z").click()
        wait_for_server_z(page, z)
        page.wait_for_function("() => window.location.search.includes('z=')", timeout=30_000)
        assert url_z(page) == pytest.approx(z, abs=0.00051)
        assert fallback.is_visible()  # still: the plane never drew
        assert not page.errors, page.errors  # a caught failure, said on the page
    finally:
        context.close()


# --- 1500 × 1000: layout and downloads ---------------------------------------------------------


@pytest.fixture(scope="module")
def large(server, browser):
    context, page = open_page(browser, server, LARGE)
    wait_for_plane(page)
    yield page
    context.close()


def test_at_1500_by_1000_the_plane_and_panel_fit_side_by_side(large, mnist):
    model, mu, sigma, _ = mnist
    x0, y0, w, h = large.evaluate(BOX_JS, PLANE)
    assert x0 >= 0 and y0 >= 0 and x0 + w <= LARGE["width"] and y0 + h <= LARGE["height"]
    stage, panel = (
        large.locator(".vg-stage").bounding_box(),
        large.locator(".vg-panel").bounding_box(),
    )
    assert panel["x"] >= stage["x"] + stage["width"]  # beside, not under
    assert not large.locator(FALLBACK).is_visible()
    z = hover_z(large, (-2.5, -3.2))
    grey = np.array(large.evaluate(PANEL_JS, PLANE)["decoded"]["grey"])
    torch_grey = np.round(decode_images(model, np.array([z]))[0] * 255)
    assert np.abs(grey - torch_grey).max() <= 1


def test_the_png_download_is_the_canvas(large, tmp_path):
    from PIL import Image

    wait_for_plane(large)
    with large.expect_download(timeout=60_000) as info:
        large.locator(".vg-png").click(timeout=30_000)
    download = info.value
    assert download.suggested_filename.endswith(".png")
    path = tmp_path / "plane.png"
    download.save_as(path)
    size = large.evaluate(
        "(n) => { const p = window.__vaeGeomPlane.planes.get(n);"
        " return [p.base.width, p.base.height]; }",
        PLANE,
    )
    with Image.open(path) as im:
        im.load()
        assert im.format == "PNG" and list(im.size) == size
        assert len(im.convert("RGB").getcolors(1 << 16) or range(1 << 16)) > 10  # a drawing


def test_the_csv_download_holds_every_drawn_code(large, mnist):
    model, _, _, ds = mnist
    wait_for_plane(large)
    with large.expect_download(timeout=60_000) as info:
        large.locator(".vg-csv").click(timeout=30_000)
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(open(download.path()).read())))
    x, y = ds.samples("test")
    mu, sigma = posteriors(model, x)
    assert (
        len(rows)
        == len(mu)
        == large.evaluate("(n) => window.__vaeGeomPlane.planes.get(n).data.shown.n", PLANE)
    )
    got = np.array([[float(r[k]) for k in ("mu1", "mu2", "sigma1", "sigma2")] for r in rows])
    np.testing.assert_allclose(got[:, :2], mu, atol=1e-6)
    np.testing.assert_allclose(got[:, 2:], sigma, atol=1e-6)
    assert [int(r["label"]) for r in rows] == [int(v) for v in y]
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))


def test_every_download_still_downloads_after_pins(server, browser):
    """A pin reruns only the pinned-z fragment, and Streamlit's keyed rerun replaces a full run
    that had already let go of the page's files: a download button outside the fragment lost its
    file after two pins (404, a cancelled download). The Explorer's downloads are the plane's
    own, made in the browser; any download added to the page must survive pins too. (split=all:
    no other page in this module holds the same file and keeps it alive.)"""
    context, page = open_page(browser, server, LARGE, path="/?split=all")
    try:
        wait_for_plane(page)
        for z in [(1.0, 1.0), (-1.0, 0.5), (0.5, -1.5)]:
            click_z(page, z)
            wait_for_server_z(page, z)
        page.wait_for_timeout(500)
        wait_for_app(page)
        buttons = page.locator('[data-testid="stDownloadButton"] button, .vg-png, .vg-csv')
        assert buttons.count() >= 2  # the plane's PNG and CSV at least
        for i in range(buttons.count()):
            with page.expect_download(timeout=30_000) as info:
                buttons.nth(i).click(timeout=30_000)
            assert info.value.failure() is None, (buttons.nth(i).inner_text(), info.value.url)
        assert not page.errors, page.errors
    finally:
        context.close()
