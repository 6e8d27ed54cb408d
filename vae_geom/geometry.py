"""The geometry of the posteriors, in numpy (plus scipy's normal CDF and k-d trees): no torch, no
Streamlit.

Every posterior q(z|x_i) = N(mu_i, diag sigma_i^2) is an axis-aligned ellipse in the latent plane;
the prior p(z) = N(0, I) is the unit circle. Definitions (the UI quotes them verbatim):

- coverage_k: P_{z ~ N(0,I)}[ exists i : sum_d ((z_d - mu_id) / sigma_id)^2 <= k^2 ], by Monte Carlo
  with a fixed seed (M = COVERAGE_SAMPLES draws, each tested exactly; `covered` says how without
  testing every draw against every ellipse). A point (sigma = 0) covers nothing, so an AE's
  coverage is 0.
- aggregate posterior q(z) = (1/N) sum_i N(z; mu_i, diag sigma_i^2), as exact probability masses of
  the cells of a grid over [-L, L]^2 plus one cell for "outside"; KL(q||p) and JS(q, p) on those
  cells.
- holes: grid cells whose centre lies inside the prior's 2-sigma disc where q < 0.1 * p.
- responsibilities at z: N(z; mu_i, sigma_i^2) normalised to sum to 1 over i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COVERAGE_SAMPLES = 200_000  # M, the Monte Carlo sample size behind every coverage figure
# `covered`'s raster of cells wholly inside an ellipse (see `_solid_cells`): it spans
# [-6, 6]^2 (all 200,000 prior draws lie within 5.5 of the origin), its columns are 0.02 wide, and
# its rows as high as keeps the (ellipse, row) pairs near 200,000 (0.02 at the least).
COVER_WINDOW = 6.0
COVER_CELL = 0.02
COVER_ROWS = 200_000
COVER_NEAREST = 4  # then each other draw is tested against its 4 nearest centres
COVERAGE_SEED = 0
GRID_LIMIT = 4.0  # the latent plane shown everywhere is [-4, 4]^2
GRID_SIZE = 80  # cells per axis: 8 / 80 = 0.1 latent units wide
HOLE_RATIO = 0.1  # a cell is a hole where q < 0.1 * p
HOLE_RADIUS = 2.0  # ... and its centre lies inside the prior's 2-sigma circle


class GeometryError(ValueError):
    """Raised for input that has no geometric meaning (wrong shape, NaN, negative sigma)."""


def check_posteriors(mu, sigma) -> tuple[np.ndarray, np.ndarray]:
    """Validate (mu, sigma) of shape (n, 2) each: finite, sigma >= 0. Returns float64 copies."""
    mu = np.asarray(mu, dtype=np.float64)
    sigma = np.asarray(sigma, dtype=np.float64)
    if mu.ndim != 2 or mu.shape[1] != 2 or sigma.shape != mu.shape:
        raise GeometryError(
            f"mu and sigma must both have shape (n, 2); got {mu.shape} and {sigma.shape}."
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise GeometryError("mu and sigma must be finite numbers (found NaN or inf).")
    if (sigma < 0).any():
        raise GeometryError("sigma must be >= 0 (it is a standard deviation).")
    return mu, sigma


def ellipse_outlines(mu, sigma, k: float = 1.0, vertices: int = 24) -> np.ndarray:
    """Closed k-sigma outlines of every posterior as ONE float32 array of shape (n*(m+2), 2).

    Each ellipse is m+1 points (the first repeated to close it) followed by a NaN row, so plotly
    draws (and fills) all of them as one trace.
    """
    mu, sigma = check_posteriors(mu, sigma)
    t = np.linspace(0, 2 * np.pi, vertices + 1)
    circle = np.stack([np.cos(t), np.sin(t)], axis=1)  # (m+1, 2): the unit circle
    pts = mu[:, None, :] + k * sigma[:, None, :] * circle[None]  # (n, m+1, 2)
    gap = np.full((len(mu), 1, 2), np.nan)
    return np.concatenate([pts, gap], axis=1).reshape(-1, 2).astype(np.float32)


def prior_samples(m: int = COVERAGE_SAMPLES, seed: int = COVERAGE_SEED) -> np.ndarray:
    """m draws of z ~ N(0, I) in 2-D, shape (m, 2): the same for every model."""
    return np.random.default_rng(seed).standard_normal((m, 2))


def _inside(z, mu, inv, k: float) -> np.ndarray:
    """The one membership test, sum_d ((z_d - mu_d) / sigma_d)^2 <= k^2 with inv = 1 / sigma, in
    the same floating-point steps on every path, so the fast and the brute-force answers agree
    bit for bit. Broadcasts over leading axes."""
    d = (z - mu) * inv
    return (d**2).sum(-1) <= k * k


def covered_brute(z, mu, sigma, k: float = 1.0, chunk: int = 4_000_000) -> np.ndarray:
    """`covered` by brute force, every draw against every ellipse: the reference the fast path is
    tested against (and the old implementation, kept for the benchmark)."""
    mu, sigma = check_posteriors(mu, sigma)
    z = np.asarray(z, dtype=np.float64)
    hit = np.zeros(len(z), dtype=bool)
    keep = (sigma > 0).all(axis=1)  # a point (or a line) has no area: it covers nothing
    mu, inv = mu[keep], 1.0 / sigma[keep]
    if len(mu) == 0:
        return hit
    step = max(1, chunk // len(mu))
    for s in range(0, len(z), step):
        hit[s : s + step] = _inside(z[s : s + step, None, :], mu[None], inv[None], k).any(axis=1)
    return hit


def _solid_cells(mu, sigma, inv, k: float):
    """The raster behind `covered`: which cells lie wholly inside at least one k-sigma ellipse.

    The window [-COVER_WINDOW, COVER_WINDOW]^2 is cut into columns COVER_CELL wide and rows h
    high, h = max(COVER_CELL, the ellipses' summed heights / COVER_ROWS), so there are at most
    about COVER_ROWS (ellipse, row) pairs however large the ellipses (the rows are cut across the
    axis on which the ellipses are narrower, so thin ellipses still get thin rows). For each pair
    the row's cells inside the ellipse form one run, found in closed form and then CHECKED: the
    run's rectangle, grown by 1e-9, must have its four corners inside the ellipse by the same test
    with k^2 shrunk by a factor 1 - 1e-9. An ellipse is convex, so every draw in a checked run is
    inside it by a margin far above rounding error: the answer is the brute-force one. Runs are
    summed as +1/-1 steps along each row. Returns (solid[row, col], swapped, h).
    """
    swap = bool(sigma[:, 1].sum() > sigma[:, 0].sum())  # rows along the thinner axis
    if swap:
        mu, sigma, inv = mu[:, ::-1], sigma[:, ::-1], inv[:, ::-1]
    lim, w = COVER_WINDOW, COVER_CELL
    a = k * sigma  # the semi-axes
    h = max(w, float(np.minimum(2 * a[:, 1], 2 * lim).sum()) / COVER_ROWS)
    rows, cols = max(1, int(2 * lim / h)), int(round(2 * lim / w))
    h = 2 * lim / rows
    # the rows each ellipse spans: i = ellipse, j = row
    lo = np.clip(np.floor((mu[:, 1] - a[:, 1] + lim) / h), 0, rows).astype(np.int64)
    hi = np.clip(np.floor((mu[:, 1] + a[:, 1] + lim) / h), -1, rows - 1).astype(np.int64)
    count = np.maximum(hi - lo + 1, 0)
    i = np.repeat(np.arange(len(mu)), count)
    j = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + lo[i]
    y0, y1 = -lim + j * h, -lim + (j + 1) * h
    # the half-width of the ellipse at the row's edge farther from its centre
    t = np.maximum(np.abs(y0 - mu[i, 1]), np.abs(y1 - mu[i, 1])) / a[i, 1]
    half = a[i, 0] * np.sqrt(np.maximum(1 - t * t, 0)) * (1 - 1e-6)
    c0 = np.clip(np.ceil((mu[i, 0] - half + lim) / w), 0, cols).astype(np.int64)
    c1 = np.clip(np.floor((mu[i, 0] + half + lim) / w), 0, cols).astype(np.int64)  # exclusive
    ok = (t < 1) & (c0 < c1)
    i, j, y0, y1, c0, c1 = i[ok], j[ok], y0[ok], y1[ok], c0[ok], c1[ok]
    e, kk = 1e-9, k * (1 - 1e-9) ** 0.5
    x0, x1 = -lim + c0 * w - e, -lim + c1 * w + e
    good = np.ones(len(i), dtype=bool)
    for cx, cy in ((x0, y0 - e), (x0, y1 + e), (x1, y0 - e), (x1, y1 + e)):
        good &= _inside(np.stack([cx, cy], axis=1), mu[i], inv[i], kk)
    j, c0, c1 = j[good], c0[good], c1[good]
    size = rows * (cols + 1)
    steps = np.bincount(j * (cols + 1) + c0, minlength=size)
    steps -= np.bincount(j * (cols + 1) + c1, minlength=size)
    return np.cumsum(steps.reshape(rows, cols + 1)[:, :-1], axis=1) > 0, swap, h


def covered(z, mu, sigma, k: float = 1.0, chunk: int = 4_000_000) -> np.ndarray:
    """Boolean (m,): is each z inside the k-sigma ellipse of at least one posterior?

    Exactly `covered_brute`'s answer, draw by draw, without testing every draw against every
    ellipse (200,000 draws x 20,000 ellipses would be 4e9 tests). Three sieves, each exact:
    1. draws in a cell that lies wholly inside one ellipse are covered (`_solid_cells`);
    2. each other draw is tested against its COVER_NEAREST nearest centres (scipy's cKDTree); a
       draw farther than k * (the largest sigma) from every centre is outside every ellipse;
    3. the draws still undecided are tested against every ellipse whose centre lies within
       k * max(sigma_i) of them, found by cKDTree in size classes of ellipses (the largest
       semi-axes in a class within a factor 1.25), at most `chunk` pairs at a time.
    """
    if not k > 0:  # k = 0 (only the centres themselves) or NaN: nothing to gain from sieves
        return covered_brute(z, mu, sigma, k, chunk)
    mu, sigma = check_posteriors(mu, sigma)
    z = np.asarray(z, dtype=np.float64).reshape(-1, 2)
    with np.errstate(all="ignore"):  # a sigma so small or large that k * sigma under/overflows
        return _covered(z, mu, sigma, k, chunk)


def _covered(z, mu, sigma, k: float, chunk: int) -> np.ndarray:
    """`covered`'s sieves, for checked input."""
    from scipy.spatial import cKDTree  # here, not above: scipy costs the Explorer's first paint

    hit = np.zeros(len(z), dtype=bool)
    keep = (sigma > 0).all(axis=1)  # a point (or a line) has no area: it covers nothing
    mu, sigma = mu[keep], sigma[keep]
    inv = 1.0 / sigma
    n = len(mu)
    finite = np.isfinite(z).all(axis=1)  # NaN or inf is inside nothing (as in the brute force)
    if n == 0 or not finite.any():
        return hit
    # 1. the raster
    solid, swap, h = _solid_cells(mu, sigma, inv, k)
    zz = z[:, ::-1] if swap else z
    lim = COVER_WINDOW
    win = finite & (np.abs(z) < lim).all(axis=1)
    col = np.floor((zz[win, 0] + lim) / COVER_CELL).astype(np.int64).clip(0, solid.shape[1] - 1)
    row = np.floor((zz[win, 1] + lim) / h).astype(np.int64).clip(0, solid.shape[0] - 1)
    hit[win] = solid[row, col]
    rest = np.flatnonzero(finite & ~hit)
    # 2. the nearest centres
    reach = k * sigma.max(axis=1)  # no ellipse reaches farther than this from its centre
    near = min(COVER_NEAREST, n)
    _, idx = cKDTree(mu).query(z[rest], k=near, distance_upper_bound=reach.max() * (1 + 1e-9))
    idx = idx.reshape(len(rest), near)  # n where fewer than `near` centres are within reach
    some = idx[:, 0] < n
    rest, idx = rest[some], idx[some]
    idx = np.where(idx < n, idx, idx[:, :1])
    got = _inside(z[rest, None], mu[idx], inv[idx], k).any(axis=1)
    hit[rest[got]] = True
    rest = rest[~got]
    # 3. every ellipse within reach, largest first
    size_class = np.floor(np.log(reach) / np.log(1.25))
    for c in np.unique(size_class)[::-1]:
        if len(rest) == 0:
            break
        sel = np.flatnonzero(size_class == c)
        r = reach[sel].max() * (1 + 1e-9)
        tree = cKDTree(mu[sel])
        pairs_per_draw = tree.query_ball_point(z[rest], r, return_length=True)
        got = np.zeros(len(rest), dtype=bool)
        ends = np.cumsum(pairs_per_draw)
        s = 0
        while s < len(rest):  # blocks of draws with at most `chunk` pairs (or one draw)
            e = max(s + 1, int(np.searchsorted(ends, ends[s] - pairs_per_draw[s] + chunk, "right")))
            block = cKDTree(z[rest[s:e]])
            p = block.sparse_distance_matrix(tree, r, output_type="ndarray")
            i, j = p["i"] + s, sel[p["j"]]
            got[i[_inside(z[rest[i]], mu[j], inv[j], k)]] = True
            s = e
        hit[rest[got]] = True
        rest = rest[~got]
    return hit


def covered_by(z, mu, sigma, k: float = 1.0) -> np.ndarray:
    """Boolean (n,): which posteriors' k-sigma ellipses contain the single point z."""
    mu, sigma = check_posteriors(mu, sigma)
    z = np.asarray(z, dtype=np.float64).reshape(1, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        d2 = (((z - mu) / sigma) ** 2).sum(1)
    return (sigma > 0).all(axis=1) & (d2 <= k * k)


def coverage_k(mu, sigma, k: float = 1.0, m: int = COVERAGE_SAMPLES, seed: int = COVERAGE_SEED):
    """Share of the prior's mass inside the union of the k-sigma ellipses (Monte Carlo, M = m)."""
    return float(covered(prior_samples(m, seed), mu, sigma, k).mean())


@dataclass(frozen=True)
class Grid:
    """A square grid of cells over [-limit, limit]^2; `edges` are the cell borders of one axis."""

    limit: float = GRID_LIMIT
    size: int = GRID_SIZE

    @property
    def edges(self) -> np.ndarray:
        return np.linspace(-self.limit, self.limit, self.size + 1)

    @property
    def centres(self) -> np.ndarray:
        e = self.edges
        return (e[:-1] + e[1:]) / 2

    @property
    def cell_area(self) -> float:
        return float((2 * self.limit / self.size) ** 2)


def _cell_masses_1d(mu: np.ndarray, sigma: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(n, G): mass of N(mu_i, sigma_i^2) in each 1-D cell; exact, also for sigma = 0 (a step)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (edges[None, :] - mu[:, None]) / sigma[:, None]  # (n, G+1)
    point = sigma == 0
    t[point] = np.where(edges[None, :] >= mu[point, None], np.inf, -np.inf)
    from scipy.special import ndtr  # here, not above: scipy costs the Explorer's first paint

    return np.diff(ndtr(t), axis=1)


def cell_masses(mu, sigma, grid: Grid = Grid()) -> tuple[np.ndarray, float]:
    """Aggregate posterior as cell masses: (G, G) array indexed [iy, ix], and the mass outside.

    An axis-aligned Gaussian's mass in a rectangle is the product of two 1-D masses, so the sum
    over i is one matrix product: q = My^T Mx / N.
    """
    mu, sigma = check_posteriors(mu, sigma)
    if len(mu) == 0:
        raise GeometryError("The aggregate posterior of an empty set is undefined.")
    mx = _cell_masses_1d(mu[:, 0], sigma[:, 0], grid.edges)  # (n, G)
    my = _cell_masses_1d(mu[:, 1], sigma[:, 1], grid.edges)  # (n, G)
    q = my.T @ mx / len(mu)  # (G, G)
    return q, float(max(0.0, 1.0 - q.sum()))


def prior_cell_masses(grid: Grid = Grid()) -> tuple[np.ndarray, float]:
    """The prior N(0, I) as cell masses on the same grid, and its mass outside."""
    return cell_masses(np.zeros((1, 2)), np.ones((1, 2)), grid)


def aggregate_density(mu, sigma, grid: Grid = Grid()) -> np.ndarray:
    """q(z) on the grid's cells as a density (mass / cell area), shape (G, G) indexed [iy, ix]."""
    return cell_masses(mu, sigma, grid)[0] / grid.cell_area


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p||q) of two distributions on the same cells. It is never negative (Gibbs'
    inequality), but for q = p the sum of its rounded terms can be: -7e-17 on an AMD EPYC with
    AVX-512 (numpy sums in a different order there), which a model's record then refuses as a
    KL below 0. So a negative sum is 0."""
    m = p > 0
    return max(0.0, float(np.sum(p[m] * (np.log(p[m]) - np.log(np.maximum(q[m], 1e-300))))))


def aggregate_divergences(mu, sigma, grid: Grid = Grid()) -> dict:
    """KL(q||p) and JS(q, p) in nats between the aggregate posterior and the prior, on grid cells.

    The cell "outside the grid" is counted too, so both are proper distributions.
    """
    q_in, q_out = cell_masses(mu, sigma, grid)
    p_in, p_out = prior_cell_masses(grid)
    q = np.append(q_in.ravel(), q_out)
    p = np.append(p_in.ravel(), p_out)
    mid = (p + q) / 2
    return {"kl": _kl(q, p), "js": 0.5 * _kl(q, mid) + 0.5 * _kl(p, mid)}


def holes_map(mu, sigma, grid: Grid = Grid()) -> np.ndarray:
    """Boolean (G, G) [iy, ix]: cells inside the prior's 2-sigma disc where q < 0.1 * p."""
    q, _ = cell_masses(mu, sigma, grid)
    p, _ = prior_cell_masses(grid)
    return inside_disc(grid) & (q < HOLE_RATIO * p)


def inside_disc(grid: Grid = Grid(), radius: float = HOLE_RADIUS) -> np.ndarray:
    c = grid.centres
    return (c[None, :] ** 2 + c[:, None] ** 2) <= radius**2  # (G, G) [iy, ix]


def holes_fraction(mu, sigma, grid: Grid = Grid()) -> float:
    """Fraction of the cells inside the prior's 2-sigma disc that are holes (see `holes_map`)."""
    return float(holes_map(mu, sigma, grid).sum() / inside_disc(grid).sum())


def log_prior_density(z) -> np.ndarray:
    """log N(z; 0, I) for z of shape (..., 2)."""
    z = np.asarray(z, dtype=np.float64)
    return -0.5 * (z**2).sum(-1) - np.log(2 * np.pi)


def responsibilities(z, mu, sigma) -> np.ndarray:
    """(n,): N(z; mu_i, diag sigma_i^2) normalised over i; how much each posterior claims z.

    Zeros where no posterior has any density at z (all points, as for an AE).
    """
    mu, sigma = check_posteriors(mu, sigma)
    z = np.asarray(z, dtype=np.float64).reshape(2)
    if not np.isfinite(z).all():
        raise GeometryError("z must be two finite numbers.")
    keep = (sigma > 0).all(axis=1)
    logd = np.full(len(mu), -np.inf)
    s = sigma[keep]
    logd[keep] = (-0.5 * ((z - mu[keep]) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)).sum(1)
    if not np.isfinite(logd).any():
        return np.zeros(len(mu))
    w = np.exp(logd - logd.max())
    return w / w.sum()


def code_spread(mu) -> float:
    """Root-mean-square radius of the codes, sqrt(mean ||mu||^2): 1.41 for codes ~ N(0, I)."""
    mu = np.asarray(mu, dtype=np.float64)
    return float(np.sqrt((mu**2).sum(1).mean()))


def largest_gap(
    mu, limit: float | None = None, core: float = 0.75, size: int = 161
) -> tuple[np.ndarray, float]:
    """Centre and radius of the largest empty disc among the codes, searched on a grid.

    Only centres inside the codes' convex hull count, so the gap is a hole INSIDE the cloud of
    codes (a place the encoder "skips over"), not the empty space around it; with `limit`, only
    centres inside the plane shown, [-limit, limit]^2, count; and only within the radius (around
    the codes' median) that holds a `core` share of them, where a hole is a real gap in the cloud.
    """
    from scipy.spatial import Delaunay, cKDTree

    mu = np.asarray(mu, dtype=np.float64)
    check_posteriors(mu, np.zeros_like(mu))
    lo, hi = mu.min(0), mu.max(0)
    if limit is not None:
        lo, hi = np.maximum(lo, -limit), np.minimum(hi, limit)
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size))
    cand = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (size^2, 2)
    mid = np.median(mu, axis=0)
    reach = np.quantile(np.linalg.norm(mu - mid, axis=1), core)
    cand = cand[
        (Delaunay(mu).find_simplex(cand) >= 0) & (np.linalg.norm(cand - mid, axis=1) <= reach)
    ]
    dist, _ = cKDTree(mu).query(cand)
    best = int(np.argmax(dist))
    return cand[best], float(dist[best])


def plane_limit(mu, quantile: float = 0.99, floor: float = GRID_LIMIT, cap: float = 10.0) -> float:
    """A square half-width that shows `quantile` of the codes: at least the standard [-4, 4]."""
    reach = np.quantile(np.abs(np.asarray(mu)).max(1), quantile) if len(mu) else 0.0
    return float(min(cap, max(floor, np.ceil(reach + 0.5))))


def outside_view(mu, limit: float = GRID_LIMIT) -> dict[str, int]:
    """How many codes mu, of shape (n, 2), lie outside the square view [-limit, limit]^2.

    Returns {"n", "outside", "right", "left", "top", "bottom"}: the number of codes, those outside
    the square, and those beyond each side (z_1 > limit, z_1 < -limit, z_2 > limit,
    z_2 < -limit); a code beyond a corner counts on both its sides.
    """
    mu, _ = check_posteriors(mu, np.zeros_like(np.asarray(mu, dtype=np.float64)))
    beyond = {
        "right": mu[:, 0] > limit,
        "left": mu[:, 0] < -limit,
        "top": mu[:, 1] > limit,
        "bottom": mu[:, 1] < -limit,
    }
    outside = np.logical_or.reduce(list(beyond.values()))
    return {"n": len(mu), "outside": int(outside.sum())} | {
        side: int(m.sum()) for side, m in beyond.items()
    }
