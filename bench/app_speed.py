"""App speed: cold start, beta switch, figure payload, page loads and server memory (issue 4).

Headless Debian Chromium against the real `streamlit run` server (tests/devserver.py):

1. cold start: from launching a fresh `streamlit run app.py` to the Explorer's latent plane being
   interactive (the chart exists and assets/plane_click.js has attached `gd.__vaeGeomClick`);
2. beta switch: on the Explorer with all 5,000 MNIST ellipses, from the keydown on the beta slider
   to the first `plotly_afterplot` whose ellipse trace holds new data (timed inside the page);
3. figure payload: bytes Streamlit serialises for the latent figure (`fig.to_json()`) with 1k / 5k
   / 10k ellipses, cross-checked against the largest websocket frame the browser receives;
4. page load of every page on a warm server: `page.goto` to the script not running and every plotly
   chart drawn, each in a fresh browser context (an empty HTTP cache: a first visit), and in a
   new tab of a browser that opened the page before (its HTTP cache holds the JavaScript: a
   returning visit); and navigation: clicking the page's sidebar link in an open session until
   it is drawn (how a student moves between pages: the JavaScript is already loaded);
5. server memory: VmRSS of the streamlit process with 1 and with N open Explorer sessions (each
   having clicked once in the plane), and after closing them.

    PYTHONPATH=. .venv/bin/python -m bench.app_speed            # full run, ~4.5 min
    PYTHONPATH=. .venv/bin/python -m bench.app_speed --short    # CI: ~65 s

Prints one JSON object; exit 0 even when slow (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from tests.devserver import chromium, click_plane, streamlit_server, wait_for_app
from vae_geom import checkpoints, ladder
from vae_geom.data import load_dataset
from vae_geom.figures import plane
from vae_geom.models import posteriors

VIEWPORT = {"width": 1400, "height": 1100}
EXPLORER_ALL = "/?dataset=mnist&model=vae-kl-1&split=all"
PAGES = [
    "/",
    "/Points_vs_ellipses",
    "/KL_and_coverage",
    "/Reparameterisation",
    "/Regularisers",
    "/Code_space_shapes",
    "/Generate_and_interpolate",
]
# beta ladder walk from beta = 1: (key, label the slider shows afterwards)
SWITCHES = [
    ("ArrowLeft", "β = 0.3"),
    ("ArrowLeft", "β = 0.1"),
    ("ArrowRight", "β = 0.3"),
    ("ArrowRight", "β = 1"),
    ("ArrowRight", "β = 3"),
    ("ArrowLeft", "β = 1"),
    ("ArrowLeft", "β = 0.3"),
    ("ArrowRight", "β = 1"),
]
INTERACTIVE = (
    "() => { const gd = document.querySelector('.st-key-latent .js-plotly-plot');"
    " return !!(gd && gd._fullLayout && gd.__vaeGeomClick); }"
)
# every plotly chart drawn (has _fullLayout), at least n of them, and the script done
PAGE_READY = """(n) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const g = [...document.querySelectorAll('.js-plotly-plot')];
  return g.length >= Math.max(n, 1) && g.every(x => !!x._fullLayout);
}"""
# Installed before any page script: stamps every websocket message the app receives
# [performance.now(), bytes], so a delay can be split into "bytes arrived" and "drawn".
WS_PROBE_JS = """(() => {
  const W = window.WebSocket;
  window.__ws = [];
  const Probe = function (...args) {
    const s = new W(...args);
    s.addEventListener('message', e => {
      const d = e.data;
      window.__ws.push([performance.now(), d.byteLength ?? d.size ?? d.length]);
    });
    return s;
  };
  Probe.prototype = W.prototype;
  Object.assign(Probe, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Probe;
})();"""
BIG_FRAME = 100_000  # bytes: a frame this large carries a figure
# Installed in the Explorer: a keydown on the beta slider stamps t0 and the current ellipse data;
# the first plotly_afterplot after it whose first filled trace's x differs records the delay.
# Charts that appear later (a rerun may replace the element) get the same hook.
BETA_PROBE_JS = """() => {
  const S = window.__beta = {t0: null, before: null, lat: [], keys: [], hooked: new WeakSet()};
  const gdNow = () => document.querySelector('.st-key-latent .js-plotly-plot');
  const sig = gd => {
    const t = gd && gd.data && gd.data.find(d => d.fill === 'toself');
    return t ? JSON.stringify(t.x).slice(0, 2000) : '';
  };
  const hook = gd => {
    if (!gd || typeof gd.on !== 'function' || S.hooked.has(gd)) return;
    S.hooked.add(gd);
    gd.on('plotly_afterplot', () => {
      if (S.t0 === null) return;
      const now = performance.now();
      if (sig(gd) !== S.before) { S.lat.push(now - S.t0); S.t0 = null; }
    });
  };
  document.addEventListener('keydown', e => {
    if (!e.target.closest || !e.target.closest('.st-key-explorer-ladder')) return;
    S.before = sig(gdNow()); S.t0 = performance.now(); S.keys.push(S.t0);
  }, true);
  hook(gdNow());
  new MutationObserver(() => hook(gdNow())).observe(document.body,
                                                   {childList: true, subtree: true});
}"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def stats(values, digits: int = 1) -> dict:
    a = np.asarray(values, float)
    return {
        "p50": round(float(np.percentile(a, 50)), digits),
        "p95": round(float(np.percentile(a, 95)), digits),
        "max": round(float(a.max()), digits),
    }


# --- the server process -----------------------------------------------------------------------


def server_pid(url: str) -> int:
    """The pid of our child `streamlit run` listening on url's port (devserver uses Popen)."""
    port = str(urlparse(url).port)
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and b"streamlit" in args and port.encode() in args:
            return int(d.name)
    raise RuntimeError(f"no streamlit child process on port {port}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)  # kB -> MiB
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --- browser helpers --------------------------------------------------------------------------


def new_page(browser):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(WS_PROBE_JS)
    return ctx, ctx.new_page()


def first_big_frame_after(frames: list, t: float) -> float | None:
    """ms from t to the first websocket frame of at least BIG_FRAME bytes received after t."""
    return next((f[0] - t for f in frames if f[0] >= t and f[1] >= BIG_FRAME), None)


def wait_interactive(page, timeout_ms: float = 120_000) -> None:
    page.wait_for_function(INTERACTIVE, timeout=timeout_ms)


def click_and_wait(page, z=(3.5, -3.5)) -> None:
    """Click z as a person does (devserver.click_plane), then wait for the decoded image."""
    click_plane(page, z)
    page.wait_for_function(
        "() => { const i = document.querySelector('img[src*=\"/media/\"]');"
        " return !!i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )
    wait_for_app(page)


# --- 1. cold start ----------------------------------------------------------------------------


def cold_start(browser, runs: int) -> dict:
    total, healthy, arrived = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        with streamlit_server() as url:
            healthy.append(time.perf_counter() - t0)
            ctx, page = new_page(browser)
            t_goto = time.perf_counter() - t0
            page.goto(url, timeout=120_000)
            wait_interactive(page)
            total.append(time.perf_counter() - t0)
            big = first_big_frame_after(page.evaluate("() => window.__ws"), 0)
            arrived.append(None if big is None else t_goto + big / 1e3)
            ctx.close()
    return {
        "runs": runs,
        "p50_s": round(float(np.median(total)), 2),
        "all_s": [round(v, 2) for v in total],
        # launch -> /_stcore/health answers; launch -> the figure's bytes reach the browser
        "server_healthy_p50_s": round(float(np.median(healthy)), 2),
        "figure_arrived_s": [None if a is None else round(a, 2) for a in arrived],
    }


# --- 2. beta switch (+ websocket bytes of the 5k figure) --------------------------------------


def beta_switch(browser, url: str, switches: int, gap_ms: int = 500) -> dict:
    ctx, page = new_page(browser)
    frames: list[int] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))),
    )
    page.goto(url + EXPLORER_ALL, timeout=120_000)
    wait_for_app(page)
    wait_interactive(page)
    traces = page.evaluate(
        "() => document.querySelector('.st-key-latent .js-plotly-plot').data"
        ".filter(d => d.fill === 'toself').map(d => !!(d.x && d.x.bdata))"
    )
    ws = {"frames": len(frames), "largest_frame_bytes": max(frames), "total_bytes": sum(frames)}
    page.evaluate(BETA_PROBE_JS)
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    labels = []
    for i, (key, label) in enumerate(SWITCHES[:switches]):
        wait_for_app(page)
        page.wait_for_timeout(gap_ms)
        thumb.focus()
        thumb.press(key)
        page.wait_for_function(f"() => window.__beta.lat.length > {i}", timeout=60_000)
        page.wait_for_function(
            "(l) => document.querySelector('.st-key-explorer-ladder').innerText.includes(l)",
            arg=label,
            timeout=15_000,
        )
        labels.append(label)
    lat = page.evaluate("() => window.__beta.lat")
    keys = page.evaluate("() => window.__beta.keys")
    frames = page.evaluate("() => window.__ws")
    ctx.close()
    # the last websocket frame between the keydown and the redraw: Streamlit sends a figure it
    # has sent this session before as a small cache reference, so size cannot pick the frame
    arrived = [
        max((f[0] - k for f in frames if k <= f[0] <= k + ms), default=None)
        for k, ms in zip(keys, lat, strict=True)
    ]
    return {
        "switches": len(lat),
        "path": ["β = 1", *labels],
        **{f"{k}_ms": v for k, v in stats(lat).items()},
        "all_ms": [round(v, 1) for v in lat],
        # keydown -> the last frame before the redraw: server rerun + transport; the rest of
        # each all_ms value is the browser decoding and drawing the figure
        "last_frame_ms": [None if a is None else round(a, 1) for a in arrived],
        "ellipse_traces": len(traces),
        "ellipse_x_is_bdata": all(traces),
        "websocket_on_load": ws,
    }


# --- 3. figure payload ------------------------------------------------------------------------


def payload() -> dict:
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    ds = load_dataset("mnist")
    x, y = ds.samples("all")
    mu, sigma = posteriors(model, x)
    rng = np.random.default_rng(0)
    mu10 = np.concatenate([mu, mu + rng.normal(0, 0.01, mu.shape).astype(np.float32)])
    sigma10 = np.concatenate([sigma, sigma * (1 + rng.normal(0, 0.01, sigma.shape))]).astype(
        np.float32
    )
    y10 = np.concatenate([y, y])
    xt, yt = ds.samples("test")
    mut, sigmat = posteriors(model, xt)
    out = {}
    for name, (m, s, lab) in {
        "1k": (mut, sigmat, yt),
        "5k": (mu, sigma, y),
        "10k": (mu10, sigma10, y10),
    }.items():
        t0 = time.perf_counter()
        fig = plane.clickable(plane.latent_figure(m, s, lab))
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        n = len(fig.to_json().encode())
        out[name] = {
            "ellipses": len(m),
            "bytes": n,
            "mb": round(n / 1e6, 3),
            "build_ms": round(built * 1e3, 1),
            "to_json_ms": round((time.perf_counter() - t0) * 1e3, 1),
        }
    return out


# --- 4. page loads ----------------------------------------------------------------------------


def page_state(page) -> list:
    return page.evaluate(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
        const g = [...document.querySelectorAll('.js-plotly-plot')];
        return [app && app.getAttribute('data-test-script-state'), g.length,
                g.filter(x => !!x._fullLayout).length]; }"""
    )


def timed_load(page, url: str, path: str, charts: int) -> tuple[float, float] | str:
    """Seconds from `goto` to ready, and (in-page clock, from navigation start) to the last
    websocket frame received before ready: the server's share; the rest is the browser drawing.
    A string (what the page showed) if it was not ready within 60 s."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        t0 = time.perf_counter()
        page.goto(url + path, timeout=60_000)
        page.wait_for_function(PAGE_READY, arg=charts, timeout=60_000)
        elapsed = time.perf_counter() - t0
        last = page.evaluate("() => window.__ws.length ? window.__ws.at(-1)[0] : 0")
        return elapsed, last / 1e3
    except PlaywrightTimeout:
        return f"not ready in 60 s: [script state, charts, drawn] = {page_state(page)}"


def load_once(browser, url: str, path: str, charts: int) -> tuple[float, float] | str:
    """A first visit: a fresh browser context, so the HTTP cache is empty."""
    ctx, page = new_page(browser)
    try:
        return timed_load(page, url, path, charts)
    finally:
        ctx.close()


def reload_times(browser, url: str, path: str, charts: int, reps: int) -> list:
    """A returning visit: the same browser (context) opened the page before, so Streamlit's
    JavaScript comes from its HTTP cache; each load is a new tab (a new page and session)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(WS_PROBE_JS)
    try:
        timed_load(ctx.new_page(), url, path, charts)  # fills the cache
        out = []
        for _ in range(reps):
            page = ctx.new_page()
            out.append(timed_load(page, url, path, charts))
            page.close()
        return out
    finally:
        ctx.close()


def settled_charts(browser, url: str, path: str) -> int:
    """Warm-up load: how many charts the page shows once it has stopped changing (1.5 s)."""
    ctx, page = new_page(browser)
    page.goto(url + path, timeout=120_000)
    page.wait_for_function(PAGE_READY, arg=1, timeout=180_000)
    last, still, deadline = None, 0, time.monotonic() + 60
    while still < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        state = page_state(page)
        ready = state[0] == "notRunning" and state[1] == state[2]
        still = still + 1 if (state == last and ready) else 0
        last = state
    ctx.close()
    return last[1]


def page_loads(browser, url: str, paths: list[str], reps: int) -> dict:
    out = {}
    for path in paths:
        charts = settled_charts(browser, url, path)
        runs = [load_once(browser, url, path, charts) for _ in range(reps)]
        again = reload_times(browser, url, path, charts, reps)
        ok, ok_again = ([r for r in rs if not isinstance(r, str)] for rs in (runs, again))
        out[path] = {
            "charts": charts,
            "p50_s": round(float(np.median([r[0] for r in ok])), 2) if ok else None,
            "all_s": [round(r[0], 2) for r in ok],
            "last_frame_p50_s": round(float(np.median([r[1] for r in ok])), 2) if ok else None,
            "cached_p50_s": round(float(np.median([r[0] for r in ok_again])), 2)
            if ok_again
            else None,
            "cached_all_s": [round(r[0], 2) for r in ok_again],
        }
        failed = [r for r in runs + again if isinstance(r, str)]
        if failed:
            out[path]["failed"] = failed
        log(f"page {path}: {out[path]}")
    return out


def navigation(browser, url: str, paths: list[str], reps: int) -> dict:
    """Seconds from clicking a page's link in the sidebar to that page drawn, the way a student
    moves between pages: same tab and session, so the JavaScript is already loaded (Streamlit
    swaps pages over its websocket). Each page is reached from the Explorer, p50 of `reps`."""
    ctx, page = new_page(browser)
    page.goto(url + "/", timeout=120_000)
    page.wait_for_function(PAGE_READY, arg=1, timeout=120_000)
    out = {}
    for path in paths:
        charts = settled_charts(browser, url, path)  # how many charts the page ends up with
        times = []
        for _ in range(reps):
            for target, n in (("/", 1), (path, charts)):
                # our page links are relative: "" for the Explorer, "Regularisers", ...
                href = target.lstrip("/")
                link = page.locator(f'[data-testid="stSidebar"] a[href="{href}"]').first
                page.wait_for_timeout(300)
                t0 = time.perf_counter()
                link.click()
                page.wait_for_function(
                    "(p) => location.pathname.endsWith(p)", arg=target, timeout=60_000
                )
                page.wait_for_function(PAGE_READY, arg=n, timeout=60_000)
                if target == path:
                    times.append(time.perf_counter() - t0)
        out[path] = {
            "p50_s": round(float(np.median(times)), 2),
            "all_s": [round(t, 2) for t in times],
        }
        log(f"navigate to {path}: {out[path]}")
    ctx.close()
    return out


# --- 5. server memory -------------------------------------------------------------------------


def memory(browser, sessions: int, short: bool = False) -> dict:
    with streamlit_server() as url:
        pid = server_pid(url)
        out = {"path": "/", "idle_mb": rss_mb(pid)}
        open_ = []
        for i in range(sessions):
            ctx, page = new_page(browser)
            page.goto(url + "/", timeout=120_000)
            wait_for_app(page)
            wait_interactive(page)
            click_and_wait(page)
            open_.append(ctx)
            if i == 0:
                page.wait_for_timeout(1000)
                out["sessions_1_mb"] = rss_mb(pid)
        page.wait_for_timeout(1000)
        out[f"sessions_{sessions}_mb"] = rss_mb(pid)
        out["sessions"] = sessions
        for ctx in open_:
            ctx.close()
        time.sleep(2)
        out["closed_after_2s_mb"] = rss_mb(pid)
        if not short:
            time.sleep(8)
            out["closed_after_10s_mb"] = rss_mb(pid)
    return out


PARTS = ("payload", "cold_start", "page_load", "navigation", "beta_switch", "memory")


def measure(short: bool, only: tuple[str, ...] = PARTS) -> dict:
    t_start = time.perf_counter()
    result = {"mode": "short" if short else "full", "loadavg_start": os.getloadavg()}
    reps = 1 if short else 3
    if "payload" in only:
        result["payload"] = payload()
        log(f"payload: {result['payload']}")
    with chromium() as browser:
        if "cold_start" in only:
            result["cold_start"] = cold_start(browser, reps)
            log(f"cold start: {result['cold_start']}")
        with streamlit_server() as url:
            paths = PAGES[:2] if short else PAGES
            if "page_load" in only:
                result["page_load"] = page_loads(browser, url, paths, reps)
            if "navigation" in only:
                result["navigation"] = navigation(browser, url, paths[1:], reps)
            if "beta_switch" in only:
                result["beta_switch"] = beta_switch(browser, url, 2 if short else len(SWITCHES))
                log(f"beta switch: {result['beta_switch']}")
        if "memory" in only:
            result["memory"] = memory(browser, 3 if short else 10, short)
    if "payload" in result and "beta_switch" in result:
        ws = result["beta_switch"]["websocket_on_load"]["largest_frame_bytes"]
        result["payload"]["5k"]["largest_ws_frame_bytes"] = ws
        result["payload"]["5k"]["ws_over_to_json"] = round(ws / result["payload"]["5k"]["bytes"], 3)
    result["loadavg_end"] = os.getloadavg()
    result["wall_s"] = round(time.perf_counter() - t_start, 1)
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--short",
        action="store_true",
        help="CI: 1 cold start, 2 beta switches, 2 pages x 1 load, 3 sessions",
    )
    p.add_argument(
        "--only", nargs="+", choices=PARTS, default=PARTS, help="measure just these parts"
    )
    args = p.parse_args()
    print(json.dumps(measure(args.short, tuple(args.only)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
