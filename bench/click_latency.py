"""Click -> decoded image latency in the Explorer, in headless Debian Chromium on the real server.

The Explorer shows the MNIST beta = 1 VAE with ALL 5,000 samples (?split=all). We click random
EMPTY points of the plane (assets/plane/plane.js; no 2-sigma ellipse contains them): the plane pins
z and sends it, the server decodes it (?decode=server: the toggle that asks for it, off by
default since the browser's panel shows the same), and we time, inside the page, from the
pointerdown to the moment the server's new decoded image is in the DOM and loaded. (The plane's
own panel decodes under the pointer without the server; bench/plane_hover.py times that.)

    PYTHONPATH=. .venv/bin/python -m bench.click_latency [--clicks 30] [--seed 0]
    PYTHONPATH=. .venv/bin/python -m bench.click_latency --short     # CI: 8 clicks

Prints one JSON object (p50 / p95 / max in ms); exit 0 even when slow (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from tests.devserver import chromium, streamlit_server, wait_for_app
from tests.test_browser_plane import PLANE, click_z, wait_for_plane
from vae_geom import checkpoints, geometry, ladder
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

# Installed in the page: stamps each pointerdown (the plane pins z on it; the event is composed, so
# it reaches the document from the component's shadow root), and each time the server's decoded
# image (the first image the app serves: the plane's panel is canvases) changes and has loaded,
# records the delay since the last pointerdown.
PROBE_JS = """() => {
  window.__lat = []; let t0 = null, last = null;
  document.addEventListener('pointerdown', () => { t0 = performance.now(); }, true);
  const check = () => {
    const img = document.querySelector('img[src*="/media/"]');
    if (!img || t0 === null) return;
    const src = img.getAttribute('src');
    if (src === last) return;
    const done = () => {
      if (t0 !== null) { window.__lat.push(performance.now() - t0); t0 = null; }
    };
    last = src;
    if (img.complete && img.naturalWidth) done();
    else img.addEventListener('load', done, {once: true});
  };
  new MutationObserver(check).observe(document.body, {childList: true, subtree: true,
                                                       attributes: true, attributeFilter: ['src']});
}"""


def empty_points(n: int, seed: int, split: str = "all") -> list[tuple[float, float]]:
    model, _ = checkpoints.load(ladder.stem("mnist", "vae-kl-1"))
    mu, sigma = posteriors(model, load_dataset("mnist").samples(split)[0])
    rng, found = np.random.default_rng(seed), []
    while len(found) < n:
        z = tuple(float(v) for v in rng.uniform(-3.8, 3.8, 2))
        if not geometry.covered_by(z, mu, sigma, k=2.0).any():
            found.append(z)
    return found


def measure(clicks: int, seed: int, split: str = "all", gap_ms: int = 500) -> dict:
    points = empty_points(clicks, seed, split)
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        t0 = time.perf_counter()
        # decode=server: the Explorer's "Decode it on the server too" on, the image this times
        page.goto(f"{url}/?dataset=mnist&model=vae-kl-1&split={split}&decode=server")
        wait_for_plane(page, PLANE, timeout_ms=120_000)
        first_load = time.perf_counter() - t0
        n_ellipses, first_draw = page.evaluate(
            "(n) => [window.__vaeGeomPlane.planes.get(n).data.shown.n,"
            " window.__vaeGeomPlane.draws[0].ms]",
            PLANE,
        )
        page.evaluate(PROBE_JS)
        for i, z in enumerate(points):
            click_z(page, z)  # the clock starts at its pointerdown
            page.wait_for_function(f"() => window.__lat.length > {i}", timeout=30_000)
            # a person looks at the answer before clicking again: wait for the run to end, then
            # pause, so a click is not timed while queued behind the previous one's tail
            wait_for_app(page)
            page.wait_for_timeout(gap_ms)
        lat = np.array(page.evaluate("() => window.__lat"))
    return {
        "clicks": len(lat),
        "ellipses_shown": len(load_dataset("mnist").samples(split)[1]),
        "ellipses_drawn": n_ellipses,  # by the plane's canvas
        "first_draw_ms": round(float(first_draw), 1),  # parse the payload, draw the ellipses
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p95_ms": round(float(np.percentile(lat, 95)), 1),
        "max_ms": round(float(lat.max()), 1),
        "gap_ms": gap_ms,
        "first_load_s": round(first_load, 2),
        "all_ms": [round(float(v), 1) for v in lat],
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clicks", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--short", action="store_true", help="8 clicks: the CI regression check")
    p.add_argument(
        "--gap-ms",
        type=int,
        default=500,
        help="pause after each answer before the next click (0: click at once)",
    )
    p.add_argument(
        "--split",
        choices=("all", "test"),
        default="all",
        help="all = 5,000 ellipses (the target's setting), test = 1,000",
    )
    args = p.parse_args()
    print(
        json.dumps(
            measure(8 if args.short else args.clicks, args.seed, args.split, args.gap_ms), indent=2
        )
    )


if __name__ == "__main__":
    main()
