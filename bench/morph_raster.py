"""What bounds the β morph's frame rate: the plane's morph run alone, with no Streamlit rerun
beside it, drawing the ellipses as shipped and as variants injected by this script (issue 14's
"morph ≥ 50 fps at 5,000 ellipses").

One warm `streamlit run app.py`, headless Debian Chromium at 1500 × 1000, the Explorer with all
5,000 MNIST ellipses. In the page, `plane.morph` is called directly (assets/plane/plane.js: what a
β switch calls once the new rung is in), from the drawn posteriors to μ × 0.3, σ × 2.5 over 600
ms: nothing is sent to the server and nothing else renders. Frames are the plane's `drawBase`
calls during the morph (`window.__vaeGeomPlane.frames`); fps = (frames − 1) / duration. Variants
replace the plane's `drawCodes` for the run:

- `shipped`: each class's ellipses as one translucent path, filled (the app as it is);
- `no_fill`: the same frames without the ellipses (axes, prior, the 5,000 μ markers);
- `outline`: the ellipses stroked instead of filled;
- `coarse_0.5`, `coarse_0.25`: filled into a canvas of half (quarter) the resolution, scaled up.

    PYTHONPATH=. .venv/bin/python -m bench.morph_raster [--rounds 2] [--morphs 3]

Prints a line per variant and round, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics

from tests.devserver import chromium, streamlit_server

DRAWN = "() => window.__vaeGeomPlane && window.__vaeGeomPlane.draws.length > 0"
EXPLORER_ALL = "/?dataset=mnist&model=vae-kl-1&split=all"

# One morph run alone: {frames, fps, drawbase_p50}. The plane keeps its own data; the target is
# made here (μ pulled in, σ grown) and the plane is put back afterwards.
MORPH_JS = """async (ms) => {
  const p = window.__vaeGeomPlane.planes.get('latent');
  const mu0 = p.mu, s0 = p.sigma, n = mu0.length;
  const mu1 = new Float32Array(n), s1 = new Float32Array(n);
  for (let i = 0; i < n; i++) { mu1[i] = mu0[i] * 0.3; s1[i] = s0[i] * 2.5; }
  const f0 = window.__vaeGeomPlane.frames.length, t0 = performance.now();
  p.morph(mu0, s0, mu1, s1, ms);
  await new Promise((done) => {
    const wait = () => (p.morphing ? setTimeout(wait, 5) : done());
    wait();
  });
  const t1 = performance.now(), frames = window.__vaeGeomPlane.frames.slice(f0).map(Number);
  p.mu = mu0; p.sigma = s0; p.drawBase();
  frames.sort((a, b) => a - b);
  return { frames: frames.length, fps: (frames.length - 1) / ((t1 - t0) / 1000),
           drawbase_p50: frames[Math.floor(frames.length / 2)] };
}"""

# The variants: each replaces the plane's drawCodes (the ellipses, then `between` = the prior's
# circles, then the μ markers as shipped draws them: only the ellipses' part differs).
VARIANT_JS = """(variant) => {
  const p = window.__vaeGeomPlane.planes.get('latent');
  if (!p.shippedDrawCodes) p.shippedDrawCodes = p.drawCodes;
  const shipped = p.shippedDrawCodes;
  const ellipses = (plane, target, classes, paint) => {
    const { shown } = plane.data, mu = plane.mu, sigma = plane.sigma, k = plane.k, s = plane.scale;
    classes.forEach((cls, c) => {
      target.beginPath();
      for (let i = 0; i < shown.n; i++) {
        if ((plane.classIndex.get(shown.labels[i]) || 0) !== c) continue;
        const x = plane.ox + mu[2 * i] * s, y = plane.oy - mu[2 * i + 1] * s;
        const rx = Math.max(0.3, k * sigma[2 * i] * s);
        const ry = Math.max(0.3, k * sigma[2 * i + 1] * s);
        target.moveTo(x + rx, y); target.ellipse(x, y, rx, ry, 0, 0, 2 * Math.PI);
      }
      paint(target, cls);
    });
  };
  const fill = (g, cls) => {
    g.globalAlpha = 0.22; g.fillStyle = cls.colour; g.fill(); g.globalAlpha = 1;
  };
  const stroke = (g, cls) => {
    g.globalAlpha = 0.55; g.lineWidth = 0.7; g.strokeStyle = cls.colour; g.stroke();
    g.globalAlpha = 1;
  };
  const markersOnly = (plane, ctx, classes, between) => {
    const isAe = plane.data.meta.is_ae;
    plane.data.meta.is_ae = true;  // shipped draws no ellipses for an AE: only its markers
    try { shipped.call(plane, ctx, classes, between); } finally { plane.data.meta.is_ae = isAe; }
  };
  const coarse = (f) => function (ctx, classes, between) {
    const { x0, y0, w, h } = this.plot;
    const c = this.benchCoarse || (this.benchCoarse = document.createElement('canvas'));
    c.width = Math.round(w * f); c.height = Math.round(h * f);
    const g = c.getContext('2d');
    g.setTransform(f, 0, 0, f, -x0 * f, -y0 * f);
    ellipses(this, g, classes, fill);
    ctx.drawImage(c, x0, y0, w, h);
    markersOnly(this, ctx, classes, between);
  };
  const variants = {
    shipped,
    no_fill: function (ctx, classes, between) { markersOnly(this, ctx, classes, between); },
    outline: function (ctx, classes, between) {
      ellipses(this, ctx, classes, stroke); markersOnly(this, ctx, classes, between);
    },
    'coarse_0.5': coarse(0.5),
    'coarse_0.25': coarse(0.25),
  };
  p.drawCodes = variants[variant];
  p.drawBase();
  return p.data.shown.n;
}"""

VARIANTS = ("shipped", "no_fill", "outline", "coarse_0.5", "coarse_0.25")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--morphs", type=int, default=3, help="morph runs per variant and round")
    a = p.parse_args()
    out: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    with streamlit_server("app.py") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(url + EXPLORER_ALL)
        page.wait_for_function(DRAWN, timeout=120_000)
        page.wait_for_timeout(3000)  # the rest of the page has rendered: the morph runs alone
        for _ in range(a.rounds):
            for variant in VARIANTS:
                n = page.evaluate(VARIANT_JS, variant)
                page.wait_for_timeout(300)
                runs = [page.evaluate(MORPH_JS, 600) for _ in range(a.morphs)]
                out[variant] += runs
                print(
                    f"{variant:12s} {n} ellipses: fps {[round(r['fps'], 1) for r in runs]}, "
                    f"drawBase p50 {[round(r['drawbase_p50'], 1) for r in runs]} ms"
                )
        chromium_version = browser.version
    summary = {
        v: {
            "fps_p50": round(statistics.median(r["fps"] for r in runs), 1),
            "fps_min": round(min(r["fps"] for r in runs), 1),
            "fps_max": round(max(r["fps"] for r in runs), 1),
            "drawbase_ms_p50": round(statistics.median(r["drawbase_p50"] for r in runs), 1),
        }
        for v, runs in out.items()
    }
    print(
        json.dumps(
            {
                "args": vars(a),
                "chromium": chromium_version,
                "loadavg": os.getloadavg(),
                "summary": summary,
            }
        )
    )


if __name__ == "__main__":
    main()
