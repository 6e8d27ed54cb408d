"""Load with everyone hovering: N browser sessions sweep the pointer over the Explorer's plane at
once, against one real server (issue 14's last target).

The plane decodes under the pointer in the browser (assets/plane/plane.js), so hovering should
cost the server nothing. This measures it: one `streamlit run app.py` (tests/devserver.py), one
headless Debian Chromium with N contexts (N sessions, each with its own websocket) on the default
Explorer (MNIST β = 1 VAE, 1,000 ellipses). Once all have drawn their plane, the server's CPU is
metered for `--seconds` with every session idle (the baseline: Streamlit's own housekeeping),
then for `--seconds` with every session sweeping its pointer across the plane (random points, a
move every ~16 ms as far as the shared CPU lets the browsers go). Reported: the server's CPU
seconds and RSS in both stretches, the websocket frames and bytes the sessions sent and received
while hovering (0 is the claim), and how many hover frames the planes answered (that the
browsers did decode).

    PYTHONPATH=. .venv/bin/python -m bench.load_hover --sessions 20 --seconds 30

Prints a summary and one JSON object; exits 1 if a session failed or anything was sent while
hovering.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import numpy as np

from bench.load_sessions import rss_mb, wait_for_plane
from bench.plane_hover import CpuMeter
from tests.devserver import CHROMIUM, CHROMIUM_ARGS, streamlit_server
from tests.test_browser_plane import PLANE, Z_TO_PAGE_JS

VIEWPORT = {"width": 1400, "height": 1100}
Z_RANGE = 3.8  # the pointer stays inside the plane's [-4, 4] axes
HOVERS_JS = "() => window.__vaeGeomPlane.hover.length"


class Session:
    def __init__(self, i: int, seed: int) -> None:
        self.i, self.rng = i, np.random.default_rng([seed, i])
        self.sent = self.received = self.sent_bytes = 0
        self.counting = False
        self.moves = self.hovers = 0
        self.errors: list[str] = []

    def frame(self, direction: str, payload) -> None:
        if not self.counting:
            return
        if direction == "sent":
            self.sent += 1
            self.sent_bytes += len(payload)
        else:
            self.received += 1


async def open_session(browser, url: str, s: Session, timeout_ms: float) -> None:
    s.context = await browser.new_context(viewport=VIEWPORT)
    s.page = page = await s.context.new_page()
    page.on("pageerror", lambda e: s.errors.append(f"pageerror: {e}"))
    page.on(
        "websocket",
        lambda ws: (
            ws.on("framesent", lambda p: s.frame("sent", p)),
            ws.on("framereceived", lambda p: s.frame("received", p)),
        ),
    )
    await page.goto(url + "/", timeout=timeout_ms)
    await wait_for_plane(page, timeout_ms)


async def hover_until(s: Session, end: float) -> None:
    """Sweep the pointer between random points of the plane until `end`."""
    page = s.page
    (x0, y0), (x1, _) = [await page.evaluate(Z_TO_PAGE_JS, [PLANE, *z]) for z in ((0, 0), (1, 0))]
    scale = x1 - x0  # px per latent unit, measured once (the plane does not move while hovering)
    start = await page.evaluate(HOVERS_JS)
    while time.monotonic() < end:
        z1, z2 = s.rng.uniform(-Z_RANGE, Z_RANGE, 2)
        await page.mouse.move(x0 + z1 * scale, y0 - z2 * scale, steps=8)
        s.moves += 8
    s.hovers = await page.evaluate(HOVERS_JS) - start  # answered frames (the list keeps 1,000)


async def _run(sessions: int, seconds: float, seed: int, timeout_s: float) -> dict:
    from playwright.async_api import async_playwright

    t_ms = timeout_s * 1000
    with streamlit_server() as url:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            ss = [Session(i, seed) for i in range(sessions)]
            t0 = time.monotonic()
            opened = await asyncio.gather(
                *(open_session(browser, url, s, t_ms) for s in ss), return_exceptions=True
            )
            failed = [f"session {s.i}: {e!r}" for s, e in zip(ss, opened, strict=True) if e]
            ready_s = round(time.monotonic() - t0, 1)
            await asyncio.sleep(2)  # the last reruns' answers in
            rss_idle = rss_mb(url.pid)
            with CpuMeter(url.pid) as idle:
                await asyncio.sleep(seconds)
            live = [s for s, e in zip(ss, opened, strict=True) if not e]
            for s in live:
                s.counting = True
            end = time.monotonic() + seconds
            with CpuMeter(url.pid) as hovering:
                results = await asyncio.gather(
                    *(hover_until(s, end) for s in live), return_exceptions=True
                )
            for s in live:
                s.counting = False
            failed += [f"session {s.i}: {e!r}" for s, e in zip(live, results, strict=True) if e]
            rss_hover = rss_mb(url.pid)
            await browser.close()
    hovers = [s.hovers for s in live]
    return {
        "sessions": sessions,
        "ready_s": ready_s,
        "seconds": seconds,
        "failed": failed + [e for s in ss for e in s.errors],
        "server_cpu_s": {"idle": round(idle.server, 2), "hovering": round(hovering.server, 2)},
        "others_cpu_s": {"idle": round(idle.others, 2), "hovering": round(hovering.others, 2)},
        "server_rss_mb": {"idle": round(rss_idle, 1), "after_hovering": round(rss_hover, 1)},
        "ws_sent_frames": sum(s.sent for s in live),
        "ws_sent_bytes": sum(s.sent_bytes for s in live),
        "ws_received_frames": sum(s.received for s in live),
        "pointer_moves": sum(s.moves for s in live),
        "hover_frames_answered": {"total": sum(hovers), "min": min(hovers, default=0)},
    }


def run(sessions: int = 20, seconds: float = 30, seed: int = 0, timeout_s: float = 120) -> dict:
    return asyncio.run(_run(sessions, seconds, seed, timeout_s))


def report(r: dict) -> str:
    cpu, rss, h = r["server_cpu_s"], r["server_rss_mb"], r["hover_frames_answered"]
    return "\n".join(
        [
            f"sessions            {r['sessions']} (all ready after {r['ready_s']} s)",
            f"server CPU          idle {cpu['idle']} s, hovering {cpu['hovering']} s "
            f"(each over {r['seconds']} s)",
            f"server RSS (MB)     idle {rss['idle']}, after hovering {rss['after_hovering']}",
            f"sent while hovering {r['ws_sent_frames']} websocket frames, "
            f"{r['ws_sent_bytes']} bytes; received {r['ws_received_frames']} frames",
            f"pointer moves       {r['pointer_moves']}; hover frames answered {h['total']} "
            f"(the least by one session: {h['min']})",
            f"failures            {len(r['failed'])}",
        ]
        + [f"  ! {f}" for f in r["failed"][:10]]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=30, help="idle, then hovering, this long")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for any step")
    args = p.parse_args()
    r = run(args.sessions, args.seconds, args.seed, args.timeout)
    print(report(r))
    print(json.dumps(r))
    sys.exit(1 if r["failed"] or r["ws_sent_frames"] else 0)


if __name__ == "__main__":
    main()
