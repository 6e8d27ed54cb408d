"""Load: N browser sessions clicking the Explorer at once, against one real server (issue 6).

One `streamlit run app.py` (tests/devserver.py) and one headless Debian Chromium with N contexts
(N independent sessions: own cookies, own websocket). Every session opens `/` (the default
Explorer: MNIST beta = 1 VAE, 1,000 test ellipses); once all are ready they click together for
`--seconds`. Each session clicks random points of the plane (its own seeded RNG), as a person:
hover, click, wait for the answer and the end of the run, pause `--gap-ms`, click again.

After each click the session checks that the answer is ITS OWN (no cross-talk between sessions):
the z its plane pinned and sent (`plane.pinned`, assets/plane/plane.js) is the point it aimed at
(else "misclick"), the server panel's "z = (..)" readout and the URL's `?z=` are that z, and the
decoded image the server sent is decode(z): the pixels the page drew are read back from a canvas
and compared with the model decoded here.
Errors counted by kind: Streamlit exception elements, browser console errors and page errors,
timeouts, misclicks, cross-talk (readout, URL or image of another z), server log errors.
Latency per click: in the page, from the pointerdown to the server's new decoded image loaded
(as bench/click_latency.py). Server memory: VmRSS of the server process every ~2 s.

    PYTHONPATH=. .venv/bin/python -m bench.load_sessions --sessions 20 --seconds 60

With `--hostile K` (issue 12) it runs twice, each on a fresh server: quiet, then with K raw
websocket sessions (tests/forge.py, loopback only) that send the heaviest message the server
still accepts, again as soon as each is answered, for the same `--seconds` (at most
HOSTILE_MAX_MESSAGES each); it prints both and how the students' p95 and the server's RSS moved.

Prints a summary and one JSON object; exits 1 if there was any error or cross-talk.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.click_latency import PROBE_JS
from tests import forge
from tests.devserver import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from tests.test_browser_plane import BOX_JS, PLANE, READY_JS, SERVER_Z_JS, Z_TO_PAGE_JS
from vae_geom import checkpoints, ladder
from vae_geom.data import load_dataset
from vae_geom.models import decode_images
from vae_geom.ui import inbound

VIEWPORT = {"width": 1400, "height": 1100}
# the default Explorer (MNIST, beta = 1 VAE, the 1,000 test ellipses) with the server decoding
# each pinned z too (the toggle, off by default): the decoded image each click is checked by
PATH = "/?decode=server"
MODEL = ("mnist", "vae-kl-1")
Z_RANGE = 3.8  # clicks land in [-3.8, 3.8]^2, inside the fixed [-4, 4] axes
AIM_TOL = 0.05  # |sent - aimed| per coordinate: a few pixels (~0.013 z-units per pixel)
READOUT_TOL = 0.0051  # the readout rounds to 2 decimals
URL_TOL = 0.00051  # the URL rounds to 3 decimals
PIXEL_TOL = 2 / 255  # drawn pixels vs decoded here: uint8 truncation and float noise only
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# What the session shows now: the z its plane last pinned (and sent), the server panel's readout,
# the URL's z, the server's decoded image (the first image the app serves) and whether it has
# loaded.
STATE_JS = (
    r"""() => {
  const P = window.__vaeGeomPlane, plane = P && P.planes.get('latent');
  const readout = ("""
    + SERVER_Z_JS
    + r""")();
  const img = document.querySelector('img[src*="/media/"]');
  const q = new URL(location.href).searchParams.get('z');
  return {
    sent: plane && plane.pinned ? [plane.pinned[0], plane.pinned[1]] : null,
    readout,
    url: q ? q.split(',').map(Number) : null,
    src: img ? img.src : null,
    loaded: !!img && img.complete && img.naturalWidth > 0,
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
    lat: window.__lat ? window.__lat.length : 0,
    down: window.__down || null,
  };
}"""
)
# The plane's top edge now, in viewport px; and, installed in the page, the pointer's y, that top
# edge and the page's scroll at each pointerdown (a misclick's report: did the plane move?).
TOP_JS = "() => window.__vaeGeomPlane.planes.get('latent').over.getBoundingClientRect().top"
# Also, after the plane's own handler (the bubbling phase): whether the canvas hit is this plane's,
# the z it pinned then, and how many plane elements the page holds.
DOWN_JS = """() => {
  const plane = () => window.__vaeGeomPlane.planes.get('latent');
  document.addEventListener('pointerdown', (e) => {
    const p = plane(), scrolled = (q) => (document.querySelector(q) || {}).scrollTop;
    window.__down = {
      y: e.clientY,
      top: p.over.getBoundingClientRect().top,
      scroll: [document.scrollingElement.scrollTop, scrolled('[data-testid="stMain"]'),
               scrolled('[data-testid="stAppViewContainer"]')],
      ours: e.composedPath()[0] === p.over,
    };
  }, true);
  document.addEventListener('pointerdown', () => {
    const p = plane(), roots = [document];
    for (let i = 0; i < roots.length && i < 500; i++)
      for (const el of roots[i].querySelectorAll('*')) if (el.shadowRoot) roots.push(el.shadowRoot);
    window.__down.pinned = p.pinned ? [p.pinned[0], p.pinned[1]] : null;
    const count = (n, r) => n + r.querySelectorAll('canvas.vg-over').length;
    window.__down.canvases = roots.reduce(count, 0);
  });
}"""
# The decoded image as the page drew it: its grey levels (R of RGBA; the PNG is grey), row-major,
# as base64 (a JSON array of 20k numbers per click cost the harness ~5x more CPU).
PIXELS_JS = """() => {
  const img = document.querySelector('img[src*="/media/"]');
  if (!img || !img.complete || !img.naturalWidth) return null;
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const rgba = g.getImageData(0, 0, c.width, c.height).data;
  let grey = '';
  for (let i = 0; i < rgba.length; i += 4) grey += String.fromCharCode(rgba[i]);
  return {w: c.width, h: c.height, grey: btoa(grey)};
}"""
SERVER_ERROR = re.compile(r"Traceback|ERROR|Exception|Error:")
LISTENER = PLANE  # the Explorer's plane (its "click" trigger): the hostile sessions' target
HOSTILE_MAX_MESSAGES = (
    20_000  # per hostile socket: the harness's own bound, whatever the server does
)
MESSAGE_CAP = (
    1_000_000  # server.maxWidgetStateSize = 1 (MB, x 1e6): a bigger frame closes the socket
)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _stat(pid: str) -> tuple[int, str, float]:
    """(parent pid, name, CPU seconds used: user + system) of a live process."""
    with open(f"/proc/{pid}/stat") as f:
        head, tail = f.read().rsplit(")", 1)
    fields = tail.split()
    ticks = int(fields[11]) + int(fields[12])
    return int(fields[1]), head.split("(", 1)[1], ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int) -> dict[str, float]:
    """CPU seconds used by the live process `root` and its descendants, by process name."""
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stats[int(d)] = _stat(d)
            except (OSError, ValueError, IndexError):  # gone meanwhile
                continue
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    by_name: Counter = Counter()
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            by_name[stats[pid][1]] += stats[pid][2]
        todo += children.get(pid, [])
    return by_name


def cpu_now(server_pid: int) -> dict:
    """CPU seconds so far: the server; Chromium; this script and Playwright's driver; the whole
    machine, whose remainder is other work sharing the cores."""
    server, ours = sum(tree_cpu_s(server_pid).values()), tree_cpu_s(os.getpid())
    browser = sum(v for name, v in ours.items() if name.startswith("chrom"))
    harness = sum(ours.values()) - server - browser
    return {"server": server, "browser": browser, "harness": harness, "machine": machine_busy_s()}


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy (not idle or waiting for I/O) since boot."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def percentiles(values) -> dict:
    a = np.asarray(values, float)
    if not len(a):
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(a),
        "p50": round(float(np.percentile(a, 50)), 1),
        "p95": round(float(np.percentile(a, 95)), 1),
        "max": round(float(a.max()), 1),
    }


class Decoder:
    """decode(z) here, with the shipped checkpoint the server uses: the image a session must see."""

    def __init__(self, dataset: str, model_name: str):
        torch.set_num_threads(1)
        self.model, _ = checkpoints.load(ladder.stem(dataset, model_name))
        self.shape = load_dataset(dataset).image_shape

    def mismatch(self, shown: np.ndarray, z) -> float:
        """Largest pixel difference between the image shown (uint8, (h, w)) and decode(z)."""
        served = np.asarray(shown, dtype=np.float32) / 255
        f = served.shape[0] // self.shape[0]  # tiles.upscale: nearest neighbour, factor f
        expected = decode_images(self.model, np.array([z]))[0].reshape(self.shape)
        if served.shape != (self.shape[0] * f, self.shape[1] * f) or f < 1:
            return 1.0
        return float(np.abs(served[::f, ::f] - expected).max())


@dataclass
class Session:
    index: int
    rng: np.random.Generator
    clicks: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    page: object = None
    context: object = None

    def error(self, kind: str, detail: str) -> None:
        self.errors.append((kind, f"session {self.index}: {detail}"[:300]))


async def wait_for_app(page, timeout_ms: float) -> None:
    await page.wait_for_selector(READY, timeout=timeout_ms)


async def wait_for_plane(page, timeout_ms: float) -> None:
    """Until the run has ended and the plane has drawn and holds still (as
    tests.test_browser_plane.wait_for_plane)."""
    await wait_for_app(page, timeout_ms)
    await page.wait_for_function(READY_JS, arg=PLANE, timeout=timeout_ms, polling=100)
    box = await page.evaluate(BOX_JS, PLANE)
    for _ in range(50):
        await page.wait_for_timeout(100)
        again = await page.evaluate(BOX_JS, PLANE)
        if again == box:
            return
        box = again


async def click_plane(page, z, timeout_ms: float) -> list[float]:
    """tests.test_browser_plane.click_z for Playwright's async API: settle, hover, then click
    (the plane decodes under the pointer in the page; the click pins z on the server). If the
    plane moved while the pointer rested on it, aim again, as a person would. Returns the pixel
    clicked and the plane's top edge then (a misclick's report says how it moved after)."""
    await wait_for_plane(page, timeout_ms)
    x, y = await page.evaluate(Z_TO_PAGE_JS, [PLANE, *z])
    await page.mouse.move(x, y, steps=4)
    for _ in range(3):
        await page.wait_for_timeout(120)  # a person looks at the plane's answer before clicking
        again = await page.evaluate(Z_TO_PAGE_JS, [PLANE, *z])
        if abs(again[0] - x) < 0.5 and abs(again[1] - y) < 0.5:
            break
        x, y = again
        await page.mouse.move(x, y, steps=2)
    top = await page.evaluate(TOP_JS)
    await page.mouse.click(x, y)
    return [x, y, top]


async def open_session(browser, url: str, s: Session, timeout_ms: float) -> None:
    s.context = await browser.new_context(viewport=VIEWPORT)
    s.page = page = await s.context.new_page()
    page.on("console", lambda m: s.error("console", m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: s.error("pageerror", str(e)))
    await page.goto(url + PATH, timeout=timeout_ms)
    await wait_for_plane(page, timeout_ms)
    await page.evaluate(PROBE_JS)
    await page.evaluate(DOWN_JS)


async def one_click(s: Session, decoder: Decoder, timeout_ms: float) -> None:
    page = s.page
    before = await page.evaluate(STATE_JS)
    aim = [float(v) for v in s.rng.uniform(-Z_RANGE, Z_RANGE, 2)]
    clicked = await click_plane(page, aim, timeout_ms)
    s.clicks += 1
    try:  # the answer: a new decoded image, loaded, after this click's pointerdown
        await page.wait_for_function(
            f"() => window.__lat.length > {before['lat']}", timeout=timeout_ms, polling=50
        )
        await wait_for_app(page, timeout_ms)  # and the run has ended
    except Exception as e:  # Playwright's TimeoutError, or the page died
        s.error("timeout", f"no answer to the click at {aim}: {str(e).splitlines()[0]}")
        return
    s.latencies.append((await page.evaluate("() => window.__lat"))[-1])
    now = await page.evaluate(STATE_JS)
    check_answer(s, aim, before, now, clicked)
    if now["src"] and now["sent"]:
        if (px := await page.evaluate(PIXELS_JS)) is None:
            s.error("no_new_image", "the decoded image could not be read back")
        elif (d := decoder.mismatch(grey(px), now["sent"])) > PIXEL_TOL:
            s.error("cross_talk_image", f"image of z={now['sent']} differs by {d:.3f}")


def grey(pixels: dict) -> np.ndarray:
    raw = base64.b64decode(pixels["grey"])
    return np.frombuffer(raw, dtype=np.uint8).reshape(pixels["h"], pixels["w"])


def check_answer(s: Session, aim, before: dict, now: dict, clicked=None) -> None:
    """Is what the session shows the answer to its own click? (`clicked`: what click_plane
    returned, for a misclick's report.)"""
    sent, readout, url_z = now["sent"], now["readout"], now["url"]
    if now["exceptions"] > before["exceptions"]:
        s.error("exception", f"{now['exceptions']} stException element(s) after the click")
    if sent is None or np.abs(np.subtract(sent, aim)).max() > AIM_TOL:
        where = f" (clicked x, y, plane top {clicked}; at the pointerdown {now.get('down')})"
        s.error("misclick", f"aimed at {aim}, the plane sent {sent}" + where * bool(clicked))
        return
    if readout is None or np.abs(np.subtract(readout, sent)).max() > READOUT_TOL:
        s.error("cross_talk_readout", f"sent {sent}, the panel shows z = {readout}")
    if url_z is None or np.abs(np.subtract(url_z, sent)).max() > URL_TOL:
        s.error("cross_talk_url", f"sent {sent}, the URL says z = {url_z}")
    if not now["loaded"] or now["src"] == before["src"]:
        s.error("no_new_image", f"image {now['src']} (before: {before['src']})")


async def click_until(
    s: Session, decoder: Decoder, end: float, gap_ms: int, t_ms: float, min_clicks: int = 0
):
    """Click until `end`, and on past it until this session has tried `min_clicks` times: on a
    slow or shared machine the run takes longer instead of counting fewer clicks (the speed is
    what the latencies report; a test asks for correctness)."""
    tries = 0
    while time.monotonic() < end or tries < min_clicks:
        tries += 1
        try:
            await one_click(s, decoder, t_ms)
        except Exception as e:  # a dead page or a click that never settled
            kind = "timeout" if "Timeout" in type(e).__name__ else "click_failed"
            s.error(kind, f"{type(e).__name__}: {str(e).splitlines()[0]}")
            await asyncio.sleep(1)
        await s.page.wait_for_timeout(gap_ms)  # a person looks at the answer


def heaviest_message(s: forge.Session) -> dict:
    """The heaviest rerun the server still accepts, as `forge.Session.run` arguments: a trigger
    value of as many click events as inbound.MAX_TRIGGER_BYTES lets through (the most callback
    calls), the plane's state and made-up widgets at inbound.MAX_VALUE_BYTES each (the most
    parsing and storing), all in just under server.maxWidgetStateSize."""
    trigger_id, state_id = s.trigger_id(LISTENER), s.element_id(LISTENER)
    trigger = forge.clicks_within(inbound.MAX_TRIGGER_BYTES - len(trigger_id) - 16)
    state = forge.state_of_size(inbound.MAX_VALUE_BYTES - len(state_id) - 16)
    pad = "x" * (inbound.MAX_VALUE_BYTES - 32)
    used = len(trigger) + len(state) + 4096  # ids, envelope and context, generously
    extra = [
        WidgetState(id=f"made-up-{i}", string_value=pad)
        for i in range(min((MESSAGE_CAP - used) // inbound.MAX_VALUE_BYTES, 200))
    ]
    msg = {"widgets": {trigger_id: trigger}, "json_values": {state_id: state}, "extra": extra}
    for w in [WidgetState(id=trigger_id, json_trigger_value=trigger), *extra]:
        assert not inbound.oversized(w), "the heaviest message must be one the server accepts"
    return msg


async def hostile(url: str, end: float, stats: Counter, timeout_s: float) -> None:
    """One raw websocket session sending the heaviest accepted message until `end`: each time the
    server has answered the last (a closed loop, as fast as the server allows)."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"hostile sessions are for a loopback server only, not {url}")
    async with forge.Session(url) as s:
        await s.run(timeout=timeout_s)
        msg = heaviest_message(s)
        values = [*msg["widgets"].values(), *msg["json_values"].values()]
        stats["bytes_each"] = sum(map(len, values)) + sum(w.ByteSize() for w in msg["extra"])
        for _ in range(HOSTILE_MAX_MESSAGES):
            if time.monotonic() >= end:
                break
            try:
                status = await s.run(**msg, timeout=timeout_s)
            except TimeoutError:
                status = "timeout"
            stats["messages"] += 1
            stats[status] += 1
            stats["exceptions"] = stats["exceptions"] + len(s.exceptions)
            s.exceptions.clear()
            if status == "closed":
                break


async def sample_rss(pid: int, samples: list, stop: asyncio.Event, every: float = 2.0) -> None:
    t0 = time.monotonic()
    while not stop.is_set():
        samples.append((round(time.monotonic() - t0, 1), round(rss_mb(pid), 1)))
        try:
            await asyncio.wait_for(stop.wait(), every)
        except TimeoutError:
            pass


async def _run(
    sessions: int,
    seconds: float,
    seed: int,
    gap_ms: int,
    timeout_s: float,
    n_hostile: int = 0,
    min_clicks: int = 0,
) -> dict:
    from playwright.async_api import async_playwright

    decoder, t_ms = Decoder(*MODEL), timeout_s * 1000
    with streamlit_server() as url:
        stderr = url.log  # the server's stderr lines, read as they come (devserver)
        rss: dict = {"idle": round(rss_mb(url.pid), 1)}
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            ss = [Session(i, np.random.default_rng([seed, i])) for i in range(sessions)]
            t0 = time.monotonic()
            opened = await asyncio.gather(
                *(open_session(browser, url, s, t_ms) for s in ss), return_exceptions=True
            )
            ready_s = time.monotonic() - t0
            for s, e in zip(ss, opened, strict=True):
                if isinstance(e, BaseException):
                    s.error("startup", f"{type(e).__name__}: {str(e).splitlines()[0]}")
            live = [s for s, e in zip(ss, opened, strict=True) if e is None]
            log(f"{len(live)}/{sessions} sessions ready in {ready_s:.1f} s; clicking {seconds} s")
            n_startup_lines = len(stderr)
            samples: list = []
            stop = asyncio.Event()
            rss["start"] = round(rss_mb(url.pid), 1)
            cpu0 = cpu_now(url.pid)
            sampler = asyncio.create_task(sample_rss(url.pid, samples, stop))
            end = time.monotonic() + seconds
            hostile_stats = [Counter() for _ in range(n_hostile)]
            await asyncio.gather(
                *(click_until(s, decoder, end, gap_ms, t_ms, min_clicks) for s in live),
                *(hostile(url, end, h, timeout_s) for h in hostile_stats),
            )
            clicking_s = seconds + max(0.0, time.monotonic() - end)
            rss["end"] = round(rss_mb(url.pid), 1)
            cpu = {k: v - cpu0[k] for k, v in cpu_now(url.pid).items()}
            cpu["other"] = cpu["machine"] - cpu["server"] - cpu["browser"] - cpu["harness"]
            stop.set()
            await sampler
            for s in live:  # an exception element that appeared and stayed
                if await s.page.locator('[data-testid="stException"]').count():
                    s.error("exception", "stException element on the page at the end")
            await browser.close()
        bad_lines = [x for x in stderr[n_startup_lines:] if SERVER_ERROR.search(x)]
    for line in bad_lines[:20]:
        ss[0].error("server_log", line)
    r = summarise(ss, samples, rss, cpu, ready_s, clicking_s, stderr, bad_lines, seed, gap_ms)
    r["hostile"] = [dict(h) for h in hostile_stats]
    return r


def summarise(ss, samples, rss, cpu, ready_s, clicking_s, stderr, bad_lines, seed, gap_ms) -> dict:
    errors = [e for s in ss for e in s.errors]
    kinds = Counter(kind for kind, _ in errors)
    values = [mb for _, mb in samples] + [rss["start"], rss["end"]]
    per_session = [s.clicks for s in ss]
    return {
        "sessions": len(ss),
        "path": PATH,
        "seconds_clicking": round(clicking_s, 1),
        "seed": seed,
        "gap_ms": gap_ms,
        "ready_s": round(ready_s, 1),
        "clicks_total": sum(per_session),
        "clicks_per_session": per_session,
        "errors_total": len(errors),
        "errors_by_kind": dict(kinds),
        "cross_talk": sum(n for k, n in kinds.items() if k.startswith("cross_talk")),
        "error_samples": [d for _, d in errors[:15]],
        "latency_ms": percentiles([v for s in ss for v in s.latencies]),
        "rss_mb": {
            "idle": rss["idle"],
            "start": rss["start"],
            "max": round(max(values), 1),
            "end": rss["end"],
            "growth": round(rss["end"] - rss["start"], 1),
        },
        "rss_samples": samples,
        # CPU seconds used while clicking, by whom ("other": work outside this benchmark)
        "cpu_s": {k: round(v, 1) for k, v in cpu.items()},
        "cores": os.cpu_count(),
        "server_stderr_lines": len(stderr),
        "server_error_lines": len(bad_lines),
        "server_stderr_tail": stderr[-10:],
    }


def run(
    sessions: int = 20,
    seconds: float = 60,
    seed: int = 0,
    gap_ms: int = 500,
    timeout_s=120,
    hostile: int = 0,
    min_clicks: int = 0,
) -> dict:
    """Open `sessions` browser sessions on one server, click in all for `seconds` and until each
    has clicked `min_clicks` times (while `hostile` raw sessions send the heaviest accepted
    message); the summary."""
    return asyncio.run(_run(sessions, seconds, seed, gap_ms, timeout_s, hostile, min_clicks))


def compare(quiet: dict, loud: dict) -> dict:
    """Issue 12's target: the students' p95 within 1.5x of the quiet run's, the server's RSS at
    the end within 100 MB of the quiet run's."""
    p95 = loud["latency_ms"]["p95"] / quiet["latency_ms"]["p95"]
    rss = loud["rss_mb"]["end"] - quiet["rss_mb"]["end"]
    return {
        "p95_ratio": round(p95, 2),
        "rss_end_diff_mb": round(rss, 1),
        "met": p95 <= 1.5 and rss <= 100,
    }


def hostile_report(r: dict) -> str:
    h = r["hostile"]
    if not h:
        return "hostile sockets      none"
    sent = [x.get("messages", 0) for x in h]
    other = Counter()
    for x in h:
        other.update({k: v for k, v in x.items() if k not in ("messages", "bytes_each")})
    size, rate = h[0].get("bytes_each", 0), sum(sent) / r["seconds_clicking"]
    return (
        f"hostile sockets     {len(h)} x the heaviest accepted message ({size:,} bytes): "
        f"{sum(sent)} sent ({rate:.1f}/s), outcomes {dict(other)}"
    )


def report(r: dict) -> str:
    lat, mem, per, cpu = r["latency_ms"], r["rss_mb"], r["clicks_per_session"], r["cpu_s"]
    return "\n".join(
        [
            f"sessions            {r['sessions']} (all ready after {r['ready_s']} s)",
            f"clicking            {r['seconds_clicking']} s, gap {r['gap_ms']} ms",
            f"clicks              {r['clicks_total']} total; per session min {min(per)}, "
            f"median {int(np.median(per))}, max {max(per)}",
            f"errors              {r['errors_total']} {r['errors_by_kind'] or ''}",
            f"cross-talk          {r['cross_talk']}",
            f"latency (ms)        p50 {lat['p50']}, p95 {lat['p95']}, max {lat['max']} "
            f"(n = {lat['n']})",
            f"server RSS (MB)     idle {mem['idle']}; clicking: start {mem['start']}, "
            f"max {mem['max']}, end {mem['end']}, growth {mem['growth']:+}",
            f"CPU while clicking  {cpu['machine']} s of {r['cores']} cores x "
            f"{r['seconds_clicking']} s: server {cpu['server']} s "
            f"({r['clicks_total'] and 1000 * cpu['server'] / r['clicks_total']:.0f} ms per click), "
            f"Chromium {cpu['browser']} s, harness {cpu['harness']} s, other work {cpu['other']} s",
        ]
        + [f"  ! {d}" for d in r["error_samples"]]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60, help="how long every session clicks")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--gap-ms", type=int, default=500, help="pause after each answer")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for any step")
    p.add_argument(
        "--min-clicks",
        type=int,
        default=0,
        help="every session goes on clicking past --seconds until it has clicked this often",
    )
    p.add_argument(
        "--hostile",
        type=int,
        default=0,
        help="also run with this many raw websocket sessions sending the heaviest accepted "
        "message (issue 12); the quiet run comes first, each on a fresh server",
    )
    args = p.parse_args()
    common = (args.sessions, args.seconds, args.seed, args.gap_ms, args.timeout)
    if not args.hostile:
        r = run(*common, min_clicks=args.min_clicks)
        print(report(r))
        print(json.dumps(r))
        sys.exit(1 if r["errors_total"] else 0)
    quiet = run(*common)
    loud = run(*common, hostile=args.hostile)
    verdict = compare(quiet, loud)
    print("== quiet ==\n" + report(quiet))
    print(
        f"== with {args.hostile} hostile sockets ==\n" + report(loud) + "\n" + hostile_report(loud)
    )
    print(
        f"== verdict ==\np95 hostile / quiet = {verdict['p95_ratio']} (target <= 1.5); server RSS"
        f" at the end {verdict['rss_end_diff_mb']:+} MB vs quiet (target <= 100): "
        + ("met" if verdict["met"] else "MISSED")
    )
    print(json.dumps({"quiet": quiet, "hostile": loud, "verdict": verdict}))
    sys.exit(1 if quiet["errors_total"] or loud["errors_total"] else 0)


if __name__ == "__main__":
    main()
