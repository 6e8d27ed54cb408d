"""The in-browser latent plane (issue 14): hover, pin, load, β morph, server CPU and bytes.

Headless Debian Chromium (Playwright) against the real `streamlit run app.py` server
(tests/devserver.py); the Explorer with all 5,000 MNIST ellipses
(`?dataset=mnist&model=vae-kl-1&split=all`), drawn by assets/plane/plane.js. Measured:

1. hover: sweeps of 2 s across the plane (a Lissajous path through the dense centre and the
   empty corners), driven two ways, alternately: "cdp", real input (`page.mouse.move`, i.e. CDP
   Input.dispatchMouseEvent, one after another: each returns once the renderer has taken the
   move, which Chromium does once per frame, so about one move per frame), timed also by
   Chromium's own trace (EventLatency of MOUSE_MOVED_EVENT: the event's creation in the browser
   process to the presentation of the frame it changed); and "synthetic", one PointerEvent per
   display frame dispatched in the page at a random moment of its frame. For each plane frame
   that handled a move (the plane's `frame`, wrapped in the page), from the event's `timeStamp`
   to: the rAF callback that draws it ("raf"), the end of its drawing: decoded image, blend,
   thumbnails ("drawn"), a MessageChannel task posted from that rAF, which runs once the frame's
   rendering steps are done (a `requestPostAnimationFrame` polyfill: "painted"), and the first
   rAF timestamp after "painted": the display frame that shows it ("presented", the headline
   figure). Frame rate and gaps from a rAF loop over the sweep; websocket frames (Playwright's
   framesent / framereceived) and the server's CPU (/proc/PID/stat utime + stime) over the sweep,
   and the idle server's CPU over as long;
2. pin: clicks at empty points of the plane (no 2σ ellipse holds them); from the pointerdown to
   the trigger leaving on the websocket, to the URL's `z` changing (Python ran the click's
   callback and the "decoder" fragment, whose `st.query_params` write came back), to the
   server's panel showing the new z, and to its decoded image loaded; server CPU per click;
   websocket bytes per click;
3. first load: `page.goto` → the plane drawn (`window.__vaeGeomPlane.draws.length > 0`; also the
   plane's `vae-geom-plane-ready` event in the page clock) on a warm server, in a new browser
   context (empty HTTP cache: a first visit) and in a new tab of a context that opened the page
   before (a returning visit), for 5,000 (`split=all`) and 1,000 (`/`) ellipses;
4. cold start: launching a fresh server → the plane drawn (5,000 ellipses);
5. bytes: websocket bytes received by one Explorer session up to the plane drawn and settled
   (and HTTP bytes, for the record); bytes of a rerun: the 2σ toggle, on then off;
6. β switch: keydown on the ladder slider → the new rung's payload frame arrives (in-page
   websocket stamp) → the plane's `load` → the first morph frame drawn (`drawBase` wrapped);
   morph frame rate from `drawBase` calls and rAF gaps over the 600 ms morph, and the long tasks
   (> 50 ms, any script) that overlap it.

    PYTHONPATH=. .venv/bin/python -m bench.plane_hover            # full run, ~3 min
    PYTHONPATH=. .venv/bin/python -m bench.plane_hover --short    # CI, ~1.5 min
    PYTHONPATH=. .venv/bin/python -m bench.plane_hover --only hover pin   # some parts

Prints one JSON object (p50 / p95 / max side by side); exit 0 even when slow (a benchmark, not a
test). Nothing else heavy should run meanwhile: "others_cpu_s" in each part says how much CPU
processes outside this benchmark used during it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.click_latency import empty_points  # random z in no 2σ ellipse: the same clicks
from tests.devserver import chromium, streamlit_server, wait_for_app

VIEWPORT = {"width": 1400, "height": 1100}
EXPLORER_ALL = "/?dataset=mnist&model=vae-kl-1&split=all"  # 5,000 ellipses
EXPLORER = "/"  # MNIST β = 1, the 1,000 test ellipses
FRAME_S = 1 / 60
SWEEP_S = 2.0
SWEEP_R = 3.6  # latent units: the sweep stays inside the fixed ±4 view
# beta ladder walk from beta = 1 (as bench.app_speed): (key, label the slider shows afterwards)
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
DRAWN = "() => !!(window.__vaeGeomPlane && window.__vaeGeomPlane.draws.length > 0)"
JS_MARK = b"function halfToFloat"  # in a websocket frame: the component's JS was (re)sent

# Before any page script: stamps (page clock) websocket messages in and out, the plane's ready
# event, pointerdowns, URL changes (Streamlit writes st.query_params with history.*State).
INIT_JS = """(() => {
  const B = window.__bench = {ws: [], ready: null, downs: [], urls: []};
  const W = window.WebSocket;
  const Probe = function (...args) {
    const s = new W(...args);
    s.addEventListener('message', (e) => {
      const d = e.data;
      B.ws.push([performance.now(), 'r', d.byteLength ?? d.size ?? d.length]);
    });
    const send = s.send.bind(s);
    s.send = (d) => { B.ws.push([performance.now(), 's', d.byteLength ?? d.size ?? d.length]);
                      return send(d); };
    return s;
  };
  Probe.prototype = W.prototype;
  Object.assign(Probe, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Probe;
  document.addEventListener('vae-geom-plane-ready', () => {
    if (B.ready === null) B.ready = performance.now();
  });
  window.addEventListener('pointerdown', (e) => B.downs.push(performance.now()), true);
  for (const name of ['replaceState', 'pushState']) {
    const f = history[name].bind(history);
    history[name] = (...a) => { const r = f(...a); B.urls.push([performance.now(), location.href]);
                                return r; };
  }
})();"""

# Wraps the plane's methods (the instance outlives reruns) to time each frame and load, and
# installs a rAF loop that records every frame's timestamp while B.rafOn.
HOOK_JS = """() => {
  const B = window.__bench, p = window.__vaeGeomPlane.planes.get('latent');
  if (B.hooked) return;
  B.hooked = true;
  Object.assign(B, {hover: [], bases: [], loads: [], rafs: [], rafOn: false, moves: [],
                    longtasks: []});
  // main-thread tasks over 50 ms (whoever runs them): what a missed frame was spent on
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask'});
  const frame = p.frame.bind(p);
  p.frame = (now) => {
    const ev = p.eventTime, hovering = !!p.cursor;
    const t0 = performance.now();
    frame(now);
    if (ev === undefined || !hovering) return;
    const rec = {ev, raf: now, start: t0, drawn: performance.now()};
    B.hover.push(rec);
    const mc = new MessageChannel();
    mc.port1.onmessage = () => { rec.painted = performance.now(); };
    mc.port2.postMessage(0);
    // presented: the first display frame (rAF timestamp) that begins after the frame holding
    // the new image was rendered and committed (painted)
    let hops = 0;
    const after = (t) => {
      const early = rec.painted === undefined || t < rec.painted;
      if (early && ++hops < 4) requestAnimationFrame(after);
      else rec.next = t;
    };
    requestAnimationFrame(after);
  };
  const drawBase = p.drawBase.bind(p);
  p.drawBase = () => { const t = performance.now(); drawBase();
                       B.bases.push([t, performance.now(), !!p.morphing]); };
  const load = p.load.bind(p);
  p.load = (bytes) => {
    const rec = {start: performance.now(), bytes: bytes.byteLength};
    B.loads.push(rec);
    return load(bytes).then((r) => { rec.end = performance.now(); return r; });
  };
  p.over.addEventListener('pointermove', (e) => {
    if (B.rafOn) B.moves.push([e.timeStamp, performance.now(),
                               e.getCoalescedEvents ? e.getCoalescedEvents().length : 1]);
  }, true);
  const loop = (t) => { if (B.rafOn) B.rafs.push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
}"""

# The page pixel of latent z, from the plane's own layout.
Z_TO_PX = """([z1, z2]) => {
  const p = window.__vaeGeomPlane.planes.get('latent'), r = p.over.getBoundingClientRect();
  return [r.left + p.ox + z1 * p.scale, r.top + p.oy - z2 * p.scale];
}"""

# Installed for the clicks: after each pointerdown, when the server panel's z (the first <strong>
# that starts "z = (" outside the component) and its decoded image change.
PANEL_JS = """() => {
  const B = window.__bench;
  B.panel = []; B.image = [];
  const panelZ = () => { for (const s of document.querySelectorAll('strong'))
                           if (s.textContent.startsWith('z = (')) return s.textContent;
                         return null; };
  let lastText = panelZ(), lastSrc = null;
  const first = document.querySelector('img[src*="/media/"]');
  lastSrc = first && first.getAttribute('src');
  const check = () => {
    const t = panelZ();
    if (t !== null && t !== lastText) { lastText = t; B.panel.push([performance.now(), t]); }
    const img = document.querySelector('img[src*="/media/"]');
    const src = img && img.getAttribute('src');
    if (src && src !== lastSrc) {
      lastSrc = src;
      const done = () => B.image.push(performance.now());
      if (img.complete && img.naturalWidth) done();
      else img.addEventListener('load', done, {once: true});
    }
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true,
    characterData: true, attributes: true, attributeFilter: ['src']});
}"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def stats(values, digits: int = 1) -> dict:
    a = np.asarray([v for v in values if v is not None], float)
    if not len(a):
        return {"n": 0, "p50": None, "p95": None, "max": None}
    return {
        "n": len(a),
        "p50": round(float(np.percentile(a, 50)), digits),
        "p95": round(float(np.percentile(a, 95)), digits),
        "max": round(float(a.max()), digits),
    }


# --- processes --------------------------------------------------------------------------------


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, all threads) process `pid` has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy (not idle or waiting for I/O) since boot."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int) -> float:
    """CPU seconds of `root` and its live descendants (this process: Playwright and Chromium)."""
    parent, own = {}, {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parent[int(d)] = int(fields[1])
                own[int(d)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                continue
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += own.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


class CpuMeter:
    """CPU seconds over a stretch: the server, and processes outside this benchmark (noise)."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> CpuMeter:
        self.t0 = time.perf_counter()
        self.server0 = cpu_s(self.server_pid)
        self.machine0 = machine_busy_s()
        self.ours0 = tree_cpu_s(os.getpid())  # the server is our child: included
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.server = cpu_s(self.server_pid) - self.server0
        ours = tree_cpu_s(os.getpid()) - self.ours0
        self.others = max(0.0, machine_busy_s() - self.machine0 - ours)


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    from importlib.metadata import version

    import streamlit

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "streamlit": streamlit.__version__,
        "playwright": version("playwright"),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "commit": git("rev-parse", "--short", "HEAD"),
        # uncommitted changes to what is measured (the app, its package, the plane's JS)
        "dirty": git("status", "--porcelain", "--", "app.py", "pages", "vae_geom", "assets"),
    }


def git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.strip()


# --- the page ---------------------------------------------------------------------------------


class Frames:
    """Websocket frames of a page as Playwright reports them: [direction, bytes, carries JS]."""

    def __init__(self, page) -> None:
        self.all: list[tuple[str, int, bool]] = []
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        ws.on("framereceived", lambda p: self._add("r", p))
        ws.on("framesent", lambda p: self._add("s", p))

    def _add(self, way: str, payload) -> None:
        raw = payload.encode() if isinstance(payload, str) else payload
        self.all.append((way, len(raw), JS_MARK in raw))

    def mark(self) -> int:
        return len(self.all)

    def since(self, mark: int) -> dict:
        got = self.all[mark:]
        r = [n for w, n, _ in got if w == "r"]
        s = [n for w, n, _ in got if w == "s"]
        return {
            "received_frames": len(r),
            "received_bytes": sum(r),
            "largest_received": max(r, default=0),
            "sent_frames": len(s),
            "sent_bytes": sum(s),
            "frames_with_plane_js": sum(1 for w, _, js in got if w == "r" and js),
        }


def open_explorer(browser, url: str, path: str = EXPLORER_ALL):
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(INIT_JS)
    page = ctx.new_page()
    frames = Frames(page)
    page.goto(url + path, timeout=120_000)
    page.wait_for_function(DRAWN, timeout=120_000)
    wait_for_app(page)
    return ctx, page, frames


def settle(page, ms: int = 500) -> None:
    wait_for_app(page)
    page.wait_for_timeout(ms)


# --- 1. hover ---------------------------------------------------------------------------------


# One synthetic sweep in the page: one PointerEvent per display frame, each dispatched at a random
# moment of its frame (a setTimeout of 0-14 ms after the frame's rAF), as moves from a hand arrive.
SYNTHETIC_JS = """(pts) => new Promise((done) => {
  const over = window.__vaeGeomPlane.planes.get('latent').over;
  let i = 0;
  const tick = () => {
    if (i >= pts.length) { setTimeout(done, 100); return; }
    const [x, y] = pts[i++];
    setTimeout(() => over.dispatchEvent(new PointerEvent('pointermove', {clientX: x, clientY: y,
      bubbles: true, composed: true, pointerType: 'mouse', isPrimary: true})), Math.random() * 14);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})"""


def sweep_point(phase: float) -> tuple[float, float]:
    """A Lissajous figure through the dense centre and the empty corners; phase in [0, 1)."""
    return (
        SWEEP_R * math.sin(2 * math.pi * phase),
        SWEEP_R * math.sin(4 * math.pi * phase + math.pi / 4),
    )


def one_sweep(page, mode: str, to_px) -> dict:
    """Moves for SWEEP_S seconds. "cdp": real input (Input.dispatchMouseEvent), one
    `page.mouse.move` after another: each returns once the renderer has taken the move, which it
    does once per frame (Chromium aligns pointer moves to rAF), so about one move per frame.
    "synthetic": SYNTHETIC_JS, exactly one move per frame at a random phase."""
    sent, latency = 0, None
    if mode == "cdp":
        trace = EventLatencyTrace(page)
        t0 = time.perf_counter()
        while (elapsed := time.perf_counter() - t0) < SWEEP_S:
            page.mouse.move(*to_px(sweep_point(elapsed / SWEEP_S)))
            sent += 1
        page.wait_for_timeout(100)  # the last move's frames
        send_s = time.perf_counter() - t0
        latency = trace.stop()
    else:
        t0 = time.perf_counter()
        n = round(SWEEP_S / FRAME_S)
        pts = [to_px(sweep_point(i / n)) for i in range(n)]
        page.evaluate(SYNTHETIC_JS, pts)
        sent = n
        send_s = time.perf_counter() - t0
    return {"moves_sent": sent, "send_s": round(send_s, 3), "event_latency": latency}


class EventLatencyTrace:
    """Chromium's own input-to-presentation latency: the trace's EventLatency slices (category
    "benchmark") of type MOUSE_MOVED_EVENT, from the event's creation in the browser process to
    the presentation of the frame that it changed (cc's EventMetrics, as Chrome's own
    dashboards measure input latency)."""

    def __init__(self, page) -> None:
        self.cdp = page.context.browser.new_browser_cdp_session()
        self.events: list[dict] = []
        self.done = False
        self.page = page
        self.cdp.on("Tracing.dataCollected", lambda e: self.events.extend(e["value"]))
        self.cdp.on("Tracing.tracingComplete", lambda e: setattr(self, "done", True))
        self.cdp.send(
            "Tracing.start",
            {"traceConfig": {"includedCategories": ["benchmark"]}, "transferMode": "ReportEvents"},
        )

    def stop(self) -> list[float]:
        self.cdp.send("Tracing.end")
        for _ in range(100):
            if self.done:
                break
            self.page.wait_for_timeout(50)
        self.cdp.detach()
        begins, out = {}, []
        for e in self.events:
            if e.get("name") != "EventLatency":
                continue
            key = (e.get("pid"), str(e.get("id2") or e.get("id")))
            if e["ph"] == "b":
                kind = e.get("args", {}).get("event_latency", {}).get("event_type")
                begins[key] = (e["ts"], kind)
            elif e["ph"] == "e" and key in begins:
                ts, kind = begins.pop(key)
                if kind == "MOUSE_MOVED_EVENT":
                    out.append((e["ts"] - ts) / 1e3)
        return out


def hover(page, frames: Frames, server_pid: int, sweeps: int) -> dict:
    left, top, ox, oy, scale = page.evaluate(
        "() => { const p = window.__vaeGeomPlane.planes.get('latent');"
        " const r = p.over.getBoundingClientRect(); return [r.left, r.top, p.ox, p.oy, p.scale]; }"
    )

    def to_px(z):
        return (left + ox + z[0] * scale, top + oy - z[1] * scale)

    runs = {"cdp": [], "synthetic": []}
    for _ in range(sweeps):
        for mode in runs:
            settle(page)
            page.mouse.move(*to_px(sweep_point(0)), steps=3)
            page.wait_for_timeout(300)
            page.evaluate(
                "() => { const B = window.__bench; B.hover = []; B.rafs = []; B.moves = [];"
                " window.__vaeGeomPlane.hover.length = 0; B.rafOn = true; }"
            )
            mark = frames.mark()
            with CpuMeter(server_pid) as cpu:
                sent = one_sweep(page, mode, to_px)
            page.evaluate("() => { window.__bench.rafOn = false; }")
            got = page.evaluate(
                "() => { const B = window.__bench;"
                " return {hover: B.hover, rafs: B.rafs, moves: B.moves,"
                " plane: window.__vaeGeomPlane.hover}; }"
            )
            runs[mode].append(sweep_result(got, sent, frames.since(mark), cpu))
    # the server doing nothing for as long, for comparison (tornado's loop, timers)
    with CpuMeter(server_pid) as idle:
        time.sleep(SWEEP_S)
    out = {"sweeps_per_mode": sweeps, "sweep_s": SWEEP_S}
    for mode, rs in runs.items():
        out[mode] = summarise_sweeps(rs)
    out["server_cpu_ms_idle_same_time"] = round(idle.server * 1e3, 1)
    return out


def sweep_result(got: dict, sent: dict, ws: dict, cpu: CpuMeter) -> dict:
    moves, recs = got["moves"], got["hover"]
    t_first, t_last = moves[0][1], moves[-1][1]
    rafs = [t for t in got["rafs"] if t_first - 1 <= t <= t_last + 17]
    gaps = np.diff(rafs) if len(rafs) > 1 else np.array([0.0])

    def since_event(key: str) -> list:
        return [r[key] - r["ev"] if key in r else None for r in recs]

    return {
        "moves_sent": sent["moves_sent"],
        "send_s": sent["send_s"],
        "pointermoves_dispatched": len(moves),
        "coalesced_max": max(m[2] for m in moves),
        "event_to_dispatch": [m[1] - m[0] for m in moves],
        "plane_frames": len(recs),
        **{k: since_event(k) for k in ("raf", "drawn", "painted", "next")},
        "chromium_event_latency": sent.get("event_latency") or [],
        "compute": [r["drawn"] - r["start"] for r in recs],
        "fps": (len(rafs) - 1) / ((rafs[-1] - rafs[0]) / 1e3) if len(rafs) > 1 else 0.0,
        "frame_gap_max_ms": float(gaps.max()),
        "frames_over_50ms": int((gaps > 50).sum()),
        "frames_over_25ms": int((gaps > 25).sum()),
        "ws": ws,
        "server_cpu_ms": cpu.server * 1e3,
        "others_cpu_s": round(cpu.others, 2),
    }


def summarise_sweeps(runs: list[dict]) -> dict:
    """Each sweep's p50 / p95 (the median sweep by presented p50 first), and all sweeps pooled."""
    keys = ("raf", "drawn", "painted", "next", "chromium_event_latency")
    per_run = [
        {
            **{("presented" if k == "next" else k): stats(r[k]) for k in keys},
            "compute": stats(r["compute"], 2),
            "fps": round(r["fps"], 1),
            "frame_gap_max_ms": round(r["frame_gap_max_ms"], 1),
            "frames_over_50ms": r["frames_over_50ms"],
            "frames_over_25ms": r["frames_over_25ms"],
            "moves_sent": r["moves_sent"],
            "send_s": r["send_s"],
            "pointermoves_dispatched": r["pointermoves_dispatched"],
            "coalesced_max": r["coalesced_max"],
            "plane_frames": r["plane_frames"],
            "ws_sent_frames": r["ws"]["sent_frames"],
            "ws_sent_bytes": r["ws"]["sent_bytes"],
            "ws_received_bytes": r["ws"]["received_bytes"],
            "server_cpu_ms": round(r["server_cpu_ms"], 1),
            "others_cpu_s": r["others_cpu_s"],
        }
        for r in runs
    ]
    order = sorted(range(len(runs)), key=lambda i: per_run[i]["presented"]["p50"] or 0)
    return {
        "median_sweep": per_run[order[len(order) // 2]],
        "pooled_ms": {
            ("presented" if k == "next" else k): stats(sum((r[k] for r in runs), [])) for k in keys
        },
        "compute_ms": stats(sum((r["compute"] for r in runs), []), 2),
        "event_to_dispatch_ms": stats(sum((r["event_to_dispatch"] for r in runs), [])),
        "fps_all": [round(r["fps"], 1) for r in runs],
        "frame_gap_max_ms": round(max(r["frame_gap_max_ms"] for r in runs), 1),
        "frames_over_50ms": sum(r["frames_over_50ms"] for r in runs),
        "ws_sent_frames": sum(r["ws"]["sent_frames"] for r in runs),
        "ws_sent_bytes": sum(r["ws"]["sent_bytes"] for r in runs),
        "ws_received_bytes": sum(r["ws"]["received_bytes"] for r in runs),
        "server_cpu_ms_per_sweep": [round(r["server_cpu_ms"], 1) for r in runs],
        "others_cpu_s": [r["others_cpu_s"] for r in runs],
        "per_sweep": per_run,
    }


# --- 2. pin -----------------------------------------------------------------------------------


SERVER_CHECK = "Decode it on the server too"  # the Explorer's toggle, shown once z is pinned


def server_check(page, on: bool) -> None:
    """Set the Explorer's toggle that has the server decode each pinned z (off by default)."""
    toggle = page.locator('[data-testid="stCheckbox"]', has_text=SERVER_CHECK).first
    toggle.wait_for(timeout=30_000)
    if toggle.locator("input").is_checked() != on:
        toggle.click()
        page.wait_for_timeout(1500)


def pins(
    page,
    frames: Frames,
    server_pid: int,
    clicks: int,
    seed: int,
    gap_ms: int = 500,
    decode: bool = False,
):
    """`clicks` pins at empty points, a person's pace apart. `decode`: with the server decoding
    each one too (the Explorer's toggle on: its panel's image is waited for)."""
    points = empty_points(clicks, seed, "all")
    if decode:
        server_check(page, True)
    page.evaluate(PANEL_JS)
    mark = frames.mark()
    rows = []
    with CpuMeter(server_pid) as cpu:
        for z in points:
            settle(page, gap_ms)
            x, y = page.evaluate(Z_TO_PX, list(z))
            page.mouse.move(x, y, steps=4)
            page.wait_for_timeout(150)
            before = page.evaluate(
                "() => { const B = window.__bench; return [B.downs.length, B.urls.length,"
                " B.panel.length, B.image.length, B.ws.length]; }"
            )
            page.mouse.click(x, y)
            page.wait_for_function(
                "([n, decode]) => { const B = window.__bench; return B.panel.length > n[2]"
                " && (!decode || B.image.length > n[3]) && B.urls.length > n[1]; }",
                arg=[before, decode],
                timeout=30_000,
            )
            got = page.evaluate(
                """(n) => { const B = window.__bench; const t0 = B.downs[n[0]];
                const zurl = B.urls.slice(n[1]).find(u => new URL(u[1]).searchParams.get('z'));
                const sent = B.ws.slice(n[4]).find(w => w[1] === 's');
                return {down: t0, sent: sent && sent[0] - t0,
                        url: zurl && zurl[0] - t0,
                        z: zurl && new URL(zurl[1]).searchParams.get('z'),
                        panel: B.panel[n[2]][0] - t0, text: B.panel[n[2]][1],
                        image: n[3] < B.image.length ? B.image[n[3]] - t0 : null}; }""",
                before,
            )
            got["aimed"] = z
            rows.append(got)
        settle(page, 300)

    def aimed(r: dict) -> bool:
        if not r["z"]:
            return False
        got = [float(v) for v in r["z"].split(",")]
        return max(abs(a - b) for a, b in zip(got, r["aimed"], strict=True)) < 0.05

    z_ok = all(aimed(r) for r in rows)
    # the server's CPU over the clicks, less what it uses idle over as long (measured in hover)
    ws = frames.since(mark)
    return {
        "clicks": len(rows),
        "gap_ms": gap_ms,
        "down_to_sent_ms": stats([r["sent"] for r in rows]),
        "down_to_url_ms": stats([r["url"] for r in rows]),
        "down_to_panel_ms": stats([r["panel"] for r in rows]),
        "server_decodes": decode,
        "down_to_image_ms": stats([r["image"] for r in rows]) if decode else None,
        "url_z_matches_aim": z_ok,
        "server_cpu_ms_per_click": round(cpu.server * 1e3 / len(rows), 2),
        "server_cpu_ms_total": round(cpu.server * 1e3, 1),
        "wall_s": round(cpu.wall, 2),
        "others_cpu_s": round(cpu.others, 2),
        "ws_received_bytes_per_click": round(ws["received_bytes"] / len(rows)),
        "ws_sent_bytes_per_click": round(ws["sent_bytes"] / len(rows)),
        "all_url_ms": [round(r["url"], 1) for r in rows],
    }


# --- 3. first load, 4. cold start, 5. bytes -------------------------------------------------


def timed_load(ctx, url: str, path: str) -> dict:
    page = ctx.new_page()
    frames = Frames(page)
    cdp = ctx.new_cdp_session(page)
    http = []
    cdp.on("Network.loadingFinished", lambda e: http.append(e.get("encodedDataLength", 0)))
    cdp.send("Network.enable")
    t0 = time.perf_counter()
    page.goto(url + path, timeout=120_000)
    page.wait_for_function(DRAWN, timeout=120_000)
    drawn = time.perf_counter() - t0
    ready = page.evaluate("() => window.__bench.ready")
    wait_for_app(page)
    idle = time.perf_counter() - t0
    page.wait_for_timeout(1000)
    out = {
        "drawn_s": drawn,
        "ready_event_s": ready / 1e3 if ready is not None else None,
        "script_done_s": idle,
        "ws": frames.since(0),
        "http_bytes": sum(http),
        "draw": page.evaluate("() => window.__vaeGeomPlane.draws[0]"),
        "base_draw_ms": page.evaluate("() => window.__vaeGeomPlane.frames[0]"),
    }
    page.close()
    return out


def first_loads(browser, url: str, path: str, reps: int) -> dict:
    first, again = [], []
    for _ in range(reps):
        ctx = browser.new_context(viewport=VIEWPORT)
        ctx.add_init_script(INIT_JS)
        first.append(timed_load(ctx, url, path))
        again.append(timed_load(ctx, url, path))  # a new tab: the JavaScript is cached
        ctx.close()
    last = first[-1]
    return {
        "path": path,
        "runs": reps,
        "first_visit_s": stats([r["drawn_s"] for r in first], 2),
        "first_visit_all_s": [round(r["drawn_s"], 2) for r in first],
        "first_visit_ready_event_s": stats([r["ready_event_s"] for r in first], 2),
        "first_visit_script_done_s": stats([r["script_done_s"] for r in first], 2),
        "returning_visit_s": stats([r["drawn_s"] for r in again], 2),
        "returning_visit_all_s": [round(r["drawn_s"], 2) for r in again],
        "session_ws": last["ws"],
        "session_ws_received_mb": round(last["ws"]["received_bytes"] / 1e6, 3),
        "first_visit_http_bytes": last["http_bytes"],
        "returning_visit_http_bytes": again[-1]["http_bytes"],
        "plane_load_ms": [round(r["draw"]["ms"], 1) for r in first],
        "base_draw_ms": [round(r["base_draw_ms"], 1) for r in first],
        "ellipses": last["draw"]["n"],
    }


def cold_start(browser, runs: int) -> dict:
    total, healthy, ready = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        with streamlit_server() as url:
            healthy.append(time.perf_counter() - t0)
            ctx = browser.new_context(viewport=VIEWPORT)
            ctx.add_init_script(INIT_JS)
            page = ctx.new_page()
            t_goto = time.perf_counter() - t0
            page.goto(url + EXPLORER_ALL, timeout=120_000)
            page.wait_for_function(DRAWN, timeout=120_000)
            total.append(time.perf_counter() - t0)
            ev = page.evaluate("() => window.__bench.ready")
            ready.append(t_goto + ev / 1e3 if ev is not None else None)
            ctx.close()
        log(f"cold start: {total[-1]:.2f} s")
    return {
        "runs": runs,
        "path": EXPLORER_ALL,
        "launch_to_drawn_s": stats(total, 2),
        "all_s": [round(v, 2) for v in total],
        "server_healthy_s": stats(healthy, 2),
        "ready_event_s": [None if v is None else round(v, 2) for v in ready],
    }


def rerun_bytes(page, frames: Frames) -> dict:
    """The 2σ toggle reruns the whole page: its websocket bytes, and plane loads it caused."""
    out = []
    toggle = page.locator(".st-key-explorer-two_sigma label").first
    for state in ("on", "off"):
        settle(page, 500)
        mark = frames.mark()
        loads0 = page.evaluate("() => window.__bench.loads.length")
        toggle.click()
        page.wait_for_timeout(300)
        settle(page, 700)
        loads = page.evaluate("(n) => window.__bench.loads.slice(n)", loads0)
        out.append(
            {
                "toggle": state,
                **frames.since(mark),
                "plane_loads": len(loads),
                "plane_load_ms": [round(r["end"] - r["start"], 1) for r in loads if "end" in r],
            }
        )
    return {"runs": out, "received_bytes": [r["received_bytes"] for r in out]}


# --- 6. beta switch ---------------------------------------------------------------------------


def beta_switch(page, switches: int, gap_ms: int = 500) -> dict:
    thumb = page.locator('.st-key-explorer-ladder input[type="range"]')
    rows = []
    for key, label in SWITCHES[:switches]:
        settle(page, gap_ms)
        n = page.evaluate(
            "() => { const B = window.__bench; B.rafs = []; B.rafOn = true;"
            " return [B.ws.length, B.loads.length, B.bases.length,"
            " window.__vaeGeomPlane.draws.length, B.longtasks.length]; }"
        )
        thumb.focus()
        t_key = page.evaluate("() => performance.now()")
        thumb.press(key)
        page.wait_for_function(
            "(n) => window.__vaeGeomPlane.draws.length > n[3]"
            " && !window.__vaeGeomPlane.planes.get('latent').morphing",
            arg=n,
            timeout=120_000,
        )
        page.wait_for_timeout(100)
        got = page.evaluate(
            """(n) => { const B = window.__bench; B.rafOn = false;
            return {ws: B.ws.slice(n[0]), loads: B.loads.slice(n[1]), bases: B.bases.slice(n[2]),
                    rafs: B.rafs, draw: window.__vaeGeomPlane.draws.slice(n[3]),
                    longtasks: B.longtasks.slice(n[4])}; }""",
            n,
        )
        page.wait_for_function(
            "(l) => document.querySelector('.st-key-explorer-ladder').innerText.includes(l)",
            arg=label,
            timeout=15_000,
        )
        load = next((r for r in got["loads"] if "end" in r), None)
        before = [w for w in got["ws"] if w[1] == "r" and load and w[0] <= load["start"]]
        if not before:
            log(f"β switch to {label}: no websocket frame or load seen, skipped")
            continue
        # the payload's frame; for a rung this session had before, the app sends the payload's
        # small stub (ui/plane.py), the page holding the bytes: then the last frame before load
        big = [w for w in before if w[2] >= 100_000]
        arrived = (big or before)[-1][0]
        payload_frame = max(w[2] for w in got["ws"] if w[1] == "r")
        bases = [b for b in got["bases"] if b[0] >= load["start"]]
        # one per frame: the morph's last frame draws twice (t = 1, then the exact rung)
        bases = [b for i, b in enumerate(bases) if i == 0 or b[0] - bases[i - 1][1] > 1]
        first_end = bases[0][1]
        last_start = bases[-1][0]
        morph_rafs = [t for t in got["rafs"] if bases[0][0] - 1 <= t <= last_start + 1]
        gaps = np.diff(morph_rafs) if len(morph_rafs) > 1 else np.array([0.0])
        t_a, t_b = bases[0][0], bases[-1][1]
        long_in_morph = [d for t, d in got["longtasks"] if t < t_b and t + d > t_a]
        rows.append(
            {
                "to": label,
                "payload_resent": bool(big),
                "morph": bool(got["draw"] and got["draw"][0]["morph"]),
                "payload_bytes": payload_frame,
                "key_to_arrived": arrived - t_key,
                "arrived_to_load": load["start"] - arrived,
                "load_to_first_frame": first_end - load["start"],
                "arrived_to_first_frame": first_end - arrived,
                "key_to_first_frame": first_end - t_key,
                "draws_ms": got["draw"][0]["ms"] if got["draw"] else None,
                "morph_frames": len(bases),
                "morph_s": (bases[-1][1] - bases[0][0]) / 1e3,
                "morph_fps": (len(bases) - 1) / ((last_start - bases[0][0]) / 1e3)
                if len(bases) > 1
                else None,
                "drawbase_ms": [b[1] - b[0] for b in bases],
                "morph_frame_gap_max": float(gaps.max()),
                "morph_long_tasks": len(long_in_morph),
                "morph_long_task_ms": sum(long_in_morph),
                "morph_raf_fps": (len(morph_rafs) - 1) / ((morph_rafs[-1] - morph_rafs[0]) / 1e3)
                if len(morph_rafs) > 1
                else None,
            }
        )
        log(f"β switch to {label}: {rows[-1]['arrived_to_first_frame']:.1f} ms after arrival")
    keys = (
        "key_to_arrived",
        "arrived_to_load",
        "load_to_first_frame",
        "arrived_to_first_frame",
        "key_to_first_frame",
        "draws_ms",
    )
    return {
        "switches": len(rows),
        "path": [r["to"] for r in rows],
        "all_morphed": all(r["morph"] for r in rows),
        "payload_bytes": [r["payload_bytes"] for r in rows],
        **{f"{k}_ms": stats([r[k] for r in rows]) for k in keys},
        "morph_fps": stats([r["morph_fps"] for r in rows]),
        "morph_raf_fps": stats([r["morph_raf_fps"] for r in rows]),
        "morph_frames": [r["morph_frames"] for r in rows],
        "drawbase_ms": stats(sum((r["drawbase_ms"] for r in rows), [])),
        "morph_frame_gap_max_ms": round(max(r["morph_frame_gap_max"] for r in rows), 1),
        # long tasks (> 50 ms, any script: Streamlit rendering the rest of the rerun, GC, ...)
        # that overlap the morph, and their total duration per switch
        "morph_long_tasks": [r["morph_long_tasks"] for r in rows],
        "morph_long_task_ms": [round(r["morph_long_task_ms"]) for r in rows],
        "morph_s": [round(r["morph_s"], 2) for r in rows],
        "all_arrived_to_first_frame_ms": [round(r["arrived_to_first_frame"], 1) for r in rows],
    }


# --- all --------------------------------------------------------------------------------------


PARTS = ("first_load", "hover", "pin", "rerun", "beta_switch", "cold_start")


def measure(short: bool, seed: int = 0, only: tuple[str, ...] = PARTS) -> dict:
    t_start = time.perf_counter()
    result = {"mode": "short" if short else "full", "machine": machine()}
    result["loadavg_start"] = os.getloadavg()
    reps = 1 if short else 3
    with chromium() as browser:
        result["machine"]["chromium"] = browser.version
        with streamlit_server() as url:
            pid = url.pid
            ctx, page, _ = open_explorer(browser, url)  # warm the server's caches
            ctx.close()
            if "first_load" in only:
                result["first_load"] = {
                    "5000": first_loads(browser, url, EXPLORER_ALL, reps),
                    "1000": first_loads(browser, url, EXPLORER, reps),
                }
                log(f"first load: {json.dumps(result['first_load'])}")
            ctx, page, frames = open_explorer(browser, url)
            settle(page, 1500)
            page.evaluate(HOOK_JS)
            if "hover" in only:
                result["hover"] = hover(page, frames, pid, 2 if short else 5)
                log(f"hover: {json.dumps(result['hover'])}")
            if "pin" in only:
                result["pin"] = pins(page, frames, pid, 6 if short else 20, seed)
                log(f"pin: {json.dumps(result['pin'])}")
                # the same with the server decoding every pin too (the toggle on), then off
                result["pin_decoded"] = pins(
                    page, frames, pid, 4 if short else 10, seed + 1, 500, True
                )
                log(f"pin, decoded on the server too: {json.dumps(result['pin_decoded'])}")
                server_check(page, False)
            if "rerun" in only:
                result["rerun"] = rerun_bytes(page, frames)
                log(f"rerun: {json.dumps(result['rerun'])}")
            if "beta_switch" in only:
                result["beta_switch"] = beta_switch(page, 3 if short else len(SWITCHES))
            ctx.close()
        if "cold_start" in only:
            result["cold_start"] = cold_start(browser, reps)
    result["loadavg_end"] = os.getloadavg()
    result["wall_s"] = round(time.perf_counter() - t_start, 1)
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--short",
        action="store_true",
        help="CI: 2 sweeps per mode, 6 pins, 3 β switches, 1 load and 1 cold start",
    )
    p.add_argument("--seed", type=int, default=0, help="for the pinned points")
    p.add_argument(
        "--only", nargs="+", choices=PARTS, default=PARTS, help="measure just these parts"
    )
    args = p.parse_args()
    result = measure(args.short, args.seed, tuple(args.only))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
