"""The shapes a code space can take, and three measures that tell them apart (numpy, no torch).

An autoencoder's codes can lie **scattered** (separate clumps with empty gaps between them), on a
**line** (one latent dimension is redundant), on a **ring** (a hole in the middle), or fill a
**disc** (regular, compact, continuous: what the VAE's KL term asks for). Definitions (the UI quotes
them), for points p_i in the plane, i = 1..n:

- Sigma = the sample covariance of the p_i, with eigenvalues lambda_min <= lambda_max and unit
  eigenvectors V; the whitened points are w_i = Lambda^{-1/2} V^T (p_i - mean): the same cloud
  moved to the origin, turned onto its principal axes and stretched to unit variance in each.
  All three measures read only the w_i (or the lambdas), so none changes when the points are
  moved, turned or scaled: they measure shape, not position or size.
- flatness = 1 - lambda_min / lambda_max: 0 for a round cloud, 1 for points exactly on a line.
- central_hole = 1 - min(1, rho(3/4) / rho(3/2)), where rho(r) = #{i : |w_i| < r} / (pi r^2) is
  the density of whitened points inside radius r: the centre's density against that of the
  cloud twice as far out. 1 when the centre is empty (a ring), 0 when the centre is at least as
  dense as its surroundings (a uniform disc or a Gaussian). Why not "the centre's mass against
  N(0, I)'s": a uniform disc holds only 0.57 of a Gaussian's mass there and would look hollow.
  Why 3/4 and not smaller: fewer points inside make the measure noisy (a uniform disc of 500
  points stays below 0.35 over 200 seeds; with radius 1/2 it reaches 0.54).
- gaps = the share of the 0.1-wide cells inside radius 2 of the whitened plane where the
  whitened points, each blurred into a small Gaussian N(w_i, h^2 I) with h = 0.15, have density
  q < 0.1 * N(w; 0, I): `geometry.holes_fraction` (the app's holes) on the whitened codes.
  Empty space between clumps, where a Gaussian cloud of the same covariance would have points.
- spread = sqrt(mean |p_i|^2), the RMS radius (1.41 for N(0, I)): the one measure that DOES see
  size and position; it only flags codes collapsed onto the origin.

`classify` applies them in a fixed order, the first that fires wins (see `THRESHOLDS`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from vae_geom import geometry
from vae_geom.geometry import GeometryError

KINDS = ("scattered", "line", "ring", "disc")  # the four shapes of the essay
MIN_POINTS = 10
CENTRE, AROUND = 0.75, 1.5  # whitened radii of the "centre" and of "its surroundings"
BLUR = 0.15  # h: each whitened point is blurred into N(w_i, h^2 I) before looking for gaps
# (measure, threshold) in the order `classify` tries them: flatness first, since a line is
# also gappy and hollow once whitened; then the hole, since a ring's outside is a gap too.
THRESHOLDS = {"spread": 0.1, "flatness": 0.9, "central_hole": 0.6, "gaps": 0.1}
MEANING = {
    "point": "every code sits at the origin: the posterior collapsed and the decoder ignores z",
    "scattered": "clumps with empty gaps between them: the decoder never learnt the gaps",
    "line": "all codes along one direction: the second latent dimension is redundant",
    "ring": "a hole in the middle: z near the centre decodes to nothing the model learnt",
    "disc": "one compact, continuous cloud without gaps or hole: the regular code space",
}


def check_points(points) -> np.ndarray:
    """Validate a point set of shape (n, 2), n >= 10, finite, not all equal; a float64 copy."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 2:
        raise GeometryError(f"points must have shape (n, 2) (one row per code); got {p.shape}.")
    if len(p) < MIN_POINTS:
        raise GeometryError(f"A shape needs at least {MIN_POINTS} points; got {len(p)}.")
    if not np.isfinite(p).all():
        raise GeometryError("points must be finite numbers (found NaN or inf).")
    if np.ptp(p, axis=0).max() == 0:
        raise GeometryError("All points coincide: a single point has no shape to measure.")
    return p


def _eig(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of the sample covariance of checked points."""
    lam, vec = np.linalg.eigh(np.cov(p.T))
    return np.maximum(lam, 0.0), vec  # round-off can make a zero eigenvalue slightly negative


def whiten(points) -> np.ndarray:
    """w_i = Lambda^{-1/2} V^T (p_i - mean), shape (n, 2): centred, on its principal axes, unit
    variance. For points exactly on a line (lambda_min = 0) the flat axis stays 0."""
    p = check_points(points)
    lam, vec = _eig(p)
    scale = np.where(lam > lam[-1] * 1e-12, 1 / np.sqrt(np.maximum(lam, 1e-300)), 0.0)
    return (p - p.mean(0)) @ vec * scale  # (n, 2)


def flatness(points) -> float:
    """1 - lambda_min / lambda_max of the covariance: 0 round, 1 exactly on a line."""
    lam, _ = _eig(check_points(points))
    return float(1 - lam[0] / lam[-1])


def central_hole(points) -> float:
    """1 - min(1, rho(3/4) / rho(3/2)) on the whitened points (see the module docstring)."""
    r = np.linalg.norm(whiten(points), axis=1)
    # the whitened mean |w|^2 is at most 2 < (3/2)^2, so some point is always inside 3/2
    ratio = (CENTRE**-2 * np.mean(r < CENTRE)) / (AROUND**-2 * np.mean(r < AROUND))
    return float(1 - min(1.0, ratio))


def gap_map(points) -> np.ndarray:
    """Boolean (G, G) [iy, ix] on `geometry.Grid()`: the whitened plane's empty cells."""
    w = whiten(points)
    return geometry.holes_map(w, np.full_like(w, BLUR))


def gaps(points) -> float:
    """Share of the whitened 2-sigma disc's cells that are empty (see the module docstring)."""
    w = whiten(points)
    return geometry.holes_fraction(w, np.full_like(w, BLUR))


def measures(points) -> dict[str, float]:
    """All four measures of a point set of shape (n, 2): flatness, central_hole, gaps, spread."""
    p = check_points(points)
    return {
        "flatness": flatness(p),
        "central_hole": central_hole(p),
        "gaps": gaps(p),
        "spread": geometry.code_spread(p),
    }


def classify(m: dict[str, float]) -> str:
    """The verdict for measures `m`: the first rule that fires, in this order.

    spread < 0.1 -> "point" (only if `m` has a spread); flatness >= 0.9 -> "line";
    central_hole >= 0.6 -> "ring"; gaps >= 0.1 -> "scattered"; otherwise "disc".
    """
    t = THRESHOLDS
    if m.get("spread", np.inf) < t["spread"]:
        return "point"
    if m["flatness"] >= t["flatness"]:
        return "line"
    if m["central_hole"] >= t["central_hole"]:
        return "ring"
    if m["gaps"] >= t["gaps"]:
        return "scattered"
    return "disc"


def measure_all(codes: Mapping[str, np.ndarray]) -> list[dict]:
    """One row per named point set: {"model": name, "verdict": ..., **measures}, in order."""
    rows = []
    for name, points in codes.items():
        m = measures(points)
        rows.append({"model": name, "verdict": classify(m), **m})
    return rows


def rules() -> str:
    """The verdict's rules as one line of text, read from `THRESHOLDS` (what the UI shows)."""
    t = THRESHOLDS
    return (
        f"spread < {t['spread']:g} → point; flatness ≥ {t['flatness']:g} → line; "
        f"central hole ≥ {t['central_hole']:g} → ring; gaps ≥ {t['gaps']:g} → scattered; "
        "otherwise → disc"
    )


def describe(m: dict[str, float]) -> str:
    """The verdict for measures `m`, what it means, and the three shape measures, as one line."""
    v = classify(m)
    return (
        f"Verdict: {v} — {MEANING[v]}. Flatness {m['flatness']:.2f} · central hole "
        f"{m['central_hole']:.2f} · gaps {m['gaps']:.2f}."
    )


def _rotate(p: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return p @ np.array([[c, s], [-s, c]])  # (n, 2): each row turned by `angle`


def _polar(r: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)  # (n, 2)


def make_shape(kind: str, n: int = 500, seed: int = 0) -> np.ndarray:
    """n points of shape (n, 2) forming one of `KINDS`, inside the prior's 2-sigma disc.

    scattered: 7 clumps (sd 0.18), one at the centre and six around it at radius 1.7, jittered;
    line: a segment of length 5 at a random angle, sd 0.08 across it;
    ring: radius 1.5, sd 0.12 across it;
    disc: uniform in the disc of radius 2 (the prior's 2-sigma disc).
    """
    if kind not in KINDS:
        raise GeometryError(f"Unknown shape {kind!r}: choose one of {', '.join(KINDS)}.")
    if n < MIN_POINTS:
        raise GeometryError(f"A shape needs at least {MIN_POINTS} points; got {n}.")
    rng = np.random.default_rng(seed)
    if kind == "scattered":
        t = rng.uniform(0, 2 * np.pi) + np.arange(6) * np.pi / 3
        centres = np.vstack([[0.0, 0.0], _polar(np.full(6, 1.7), t)])
        centres += rng.uniform(-0.15, 0.15, centres.shape)
        return centres[rng.integers(0, len(centres), n)] + 0.18 * rng.standard_normal((n, 2))
    if kind == "line":
        along = np.stack([rng.uniform(-2.5, 2.5, n), 0.08 * rng.standard_normal(n)], axis=1)
        return _rotate(along, rng.uniform(0, np.pi))
    t = rng.uniform(0, 2 * np.pi, n)
    if kind == "ring":
        return _polar(1.5 + 0.12 * rng.standard_normal(n), t)
    return _polar(2 * np.sqrt(rng.uniform(size=n)), t)  # sqrt: uniform in area, not in radius
