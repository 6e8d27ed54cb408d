"""First load of the Explorer against a page that shows only its plane, and against the smallest
Streamlit page, side by side (issue 14).

Three warm servers (tests/devserver.py): `app.py`, bench/plane_only.py (the same plane, nothing
else: no sidebar, pickers, controls or text) and bench/minimal_fragment_app.py (a title and a
button: what any Streamlit page costs this browser before the app draws anything). Each round
opens each page in a fresh browser context (a first visit: nothing cached) at 1500 × 1000 and
times page.goto → the plane drawn (`window.__vaeGeomPlane.draws.length > 0`; for the minimal
page, its button on screen), taking turns so all see the same load.

    PYTHONPATH=. .venv/bin/python -m bench.first_load [--rounds 6] [--returning]

Prints one JSON object: each page's times, medians, and the median of the per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from tests.devserver import chromium, streamlit_server

DRAWN = "() => window.__vaeGeomPlane && window.__vaeGeomPlane.draws.length > 0"
BUTTON = "() => !!document.querySelector('[data-testid=\"stButton\"] button')"
PAGES = {
    "explorer": "app.py",
    "plane_only": "bench/plane_only.py",
    "minimal": "bench/minimal_fragment_app.py",
}


def load(browser, url: str, ready: str = DRAWN, ctx=None) -> float:
    """Seconds from page.goto to `ready`: in a fresh context (a first visit), or in `ctx` (a
    returning visit: a new tab of a browser that has the page's JavaScript cached)."""
    own = ctx is None
    ctx = ctx or browser.new_context(viewport={"width": 1500, "height": 1000})
    page = ctx.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(ready, timeout=120_000, polling=20)
    took = time.perf_counter() - start
    page.close()
    if own:
        ctx.close()
    return took


def measure(rounds: int, returning: bool = False) -> dict:
    with (
        streamlit_server(PAGES["explorer"]) as explorer,
        streamlit_server(PAGES["plane_only"]) as plane_only,
        streamlit_server(PAGES["minimal"]) as minimal,
        chromium() as browser,
    ):
        urls = {"explorer": explorer, "plane_only": plane_only, "minimal": minimal}
        ready = {"explorer": DRAWN, "plane_only": DRAWN, "minimal": BUTTON}
        # a returning visit: one context per page, whose cache the warming load fills
        ctxs = {
            name: browser.new_context(viewport={"width": 1500, "height": 1000})
            if returning
            else None
            for name in urls
        }
        for name, url in urls.items():
            load(browser, url, ready[name], ctxs[name])  # warm the server's caches (models…)
        times: dict[str, list[float]] = {name: [] for name in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                times[name].append(load(browser, url, ready[name], ctxs[name]))
        ratios = [e / p for e, p in zip(times["explorer"], times["plane_only"], strict=True)]
        return {
            "rounds": rounds,
            "visit": "returning" if returning else "first",
            "loadavg": os.getloadavg(),
            "chromium": browser.version,
            **{f"{n}_s": [round(t, 2) for t in ts] for n, ts in times.items()},
            **{f"{n}_median_s": round(statistics.median(ts), 2) for n, ts in times.items()},
            "explorer_over_plane_only_median": round(statistics.median(ratios), 2),
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument(
        "--returning", action="store_true", help="new tabs of one browser (JavaScript cached)"
    )
    a = p.parse_args()
    print(json.dumps(measure(a.rounds, a.returning)))


if __name__ == "__main__":
    main()
