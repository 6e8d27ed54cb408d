"""Generating with a VAE: sample the prior, lay a grid over the plane, walk a straight line.

A VAE is a generative model because its prior is known: draw z ~ N(0, I), then x = decoder(z)
(Kingma & Welling, 2014, section 3). Three ways of choosing the z to decode:

- prior samples: z ~ N(0, I), seeded;
- the manifold grid: G x G points, either uniform over [-a, a]^2 or inverse-CDF, z_d = Phi^-1(u_d)
  with u = (i + 1/2) / G, so that every cell of the grid holds the same prior mass 1/G^2
  (Kingma & Welling, 2014, figure 4);
- a linear path z(t) = (1 - t) A + t B for t in [0, 1];
- and the reparameterisation that training uses, z = mu + eps * sigma with eps ~ N(0, I): the
  draws of one posterior, which the decoder must all turn back into its x.

Numpy only for the z; `decoded_mosaic` is the one function that calls the decoder.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np
from scipy.special import ndtri

from vae_geom import geometry, i18n, probe, tiles
from vae_geom.geometry import GeometryError
from vae_geom.models import VAE, decode_images

SAMPLE_COUNTS = (16, 36, 64)  # perfect squares, so the prior samples tile a square mosaic
SAMPLES_DEFAULT = 36
MAX_SAMPLES = 1_000_000  # prior_samples refuses more: an accident, not a lesson
SEED_MAX = 2**32 - 1  # numpy's seed range
MAX_DRAWS = 1024  # reparameterize refuses more eps draws than this
DRAWS_SLIDER = (1, 64, 16)  # (min, max, default) K of the Reparameterisation page: 64 tiles fit
DRAW_SEED_MAX = 10_000  # eps seeds are interchangeable: a short range to try a few is enough
GRID_MIN, GRID_MAX, GRID_DEFAULT = 5, 25, 15  # G, points per axis of the manifold grid
GRID_PX, STRIP_PX = 640, 620  # the grid mosaic and the path strip are shown about this wide
SPACINGS = ("inverse-cdf", "uniform")
LIMIT_DEFAULT = 3.0  # a: the uniform grid spans [-a, a]^2 (3 sigma: 99.7% of each axis' mass)
LIMIT_SLIDER = (0.5, 4.0, LIMIT_DEFAULT, 0.5)  # (min, max, default, step) of a in the UI
STEPS_MIN, STEPS_MAX, STEPS_DEFAULT = 3, 25, 11  # decoded points on a linear path
DEFAULT_A, DEFAULT_B = (-2.0, -1.0), (2.0, 1.5)  # a path through the prior's bulk
DISC_RADIUS = 2.0  # the prior's 2-sigma circle: 86% of its mass lies inside
TILE_PX = 84  # a decoded tile is shown about this many screen pixels wide


def _check_int(name: str, value, lo: int, hi: int) -> int:
    """value as an int in [lo, hi]; a ValueError says the allowed range."""
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise ValueError(f"{name} must be a whole number; got {value!r}.")
    value = int(value)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {value}.")
    return value


def prior_samples(n: int, seed: int = 0) -> np.ndarray:
    """n draws of z ~ N(0, I), shape (n, 2); the same seed gives the same draws."""
    n = _check_int("The number of samples n", n, 1, MAX_SAMPLES)
    seed = _check_int("The seed", seed, 0, SEED_MAX)
    return geometry.prior_samples(n, seed)


def reparameterize(mu_i, sigma_i, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """K draws eps ~ N(0, I) and their images z = mu + eps * sigma in one posterior's ellipse.

    Returns (eps, z), each of shape (k, 2): a point of the unit circle's Gaussian, moved by mu and
    stretched by sigma (Kingma & Welling 2014, section 2.4).
    """
    if not 1 <= int(k) <= MAX_DRAWS:
        raise ValueError(f"k must be between 1 and {MAX_DRAWS} draws, got {k!r}.")
    eps = np.random.default_rng(seed).standard_normal((int(k), 2))
    return eps, np.asarray(mu_i, dtype=np.float64) + eps * np.asarray(sigma_i, dtype=np.float64)


def grid_axis(g: int, spacing: str = "inverse-cdf", limit: float = LIMIT_DEFAULT) -> np.ndarray:
    """The g values of one axis of the manifold grid, ascending, shape (g,).

    uniform: evenly spaced over [-limit, limit]. inverse-cdf: Phi^-1((i + 1/2) / g), the centres (in
    probability) of g slices of equal prior mass 1/g; `limit` is then not used.
    """
    g = _check_int("The grid size G", g, GRID_MIN, GRID_MAX)
    if spacing == "uniform":
        a = float(limit) if isinstance(limit, int | float | np.number) else float("nan")
        if not (np.isfinite(a) and 0 < a <= probe.Z_LIMIT):
            raise GeometryError(
                f"The grid's half-width a must lie in (0, {probe.Z_LIMIT:g}]; got {limit!r}."
            )
        return np.linspace(-a, a, g)
    if spacing == "inverse-cdf":
        return ndtri((np.arange(g) + 0.5) / g)  # z = Phi^-1(u), u evenly spaced in (0, 1)
    raise ValueError(f"spacing must be one of {SPACINGS}; got {spacing!r}.")


def manifold_grid(g: int, spacing: str = "inverse-cdf", limit: float = LIMIT_DEFAULT) -> np.ndarray:
    """The G x G grid's z, shape (g*g, 2), row-major as the mosaic reads: z2 descending by row
    (row 0 is the top of the plane) and z1 ascending along each row."""
    axis = grid_axis(g, spacing, limit)
    z1, z2 = np.meshgrid(axis, axis[::-1])  # (g, g) each; [row, col]
    return np.stack([z1.ravel(), z2.ravel()], axis=1)


def linear_path(a, b, steps: int = STEPS_DEFAULT) -> np.ndarray:
    """z(t) = (1 - t) A + t B at `steps` evenly spaced t in [0, 1], shape (steps, 2)."""
    a, b = np.array(probe.check_z(a)), np.array(probe.check_z(b))
    steps = _check_int("The number of steps", steps, STEPS_MIN, STEPS_MAX)
    t = np.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    return (1 - t) * a + t * b


def outside_disc(z, radius: float = DISC_RADIUS) -> np.ndarray:
    """Boolean (m,): does each z lie outside the prior's `radius`-sigma circle?"""
    return np.linalg.norm(np.asarray(z, dtype=np.float64), axis=1) > radius


def in_hole(z, mu, sigma, k: float = 2.0) -> np.ndarray:
    """Boolean (m,): is each z outside every posterior's k-sigma ellipse (a hole)?

    Pass the posteriors (mu, sigma) of the TRAINING split: the decoder was trained only on z drawn
    from them, so outside all of them it is guessing (a test sample's ellipse taught it nothing).
    For an AE (sigma = 0) every z is in a hole: points cover nothing.
    """
    return ~geometry.covered(z, mu, sigma, k)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of consecutive True values in a boolean mask."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def describe(mask: np.ndarray, what: str, lang: str = i18n.DEFAULT) -> str:
    """'3 of 11 steps (t = 0.00–0.10, 1.00) <what>' for a boolean mask over evenly spaced t."""
    if not mask.any():
        return i18n.t("generate.path.none", lang, n=len(mask), what=what)
    t = np.linspace(0.0, 1.0, len(mask))
    spans = [f"{t[i]:.2f}" if i == j else f"{t[i]:.2f}–{t[j]:.2f}" for i, j in runs(mask)]
    spans = i18n.t("generate.path.span_sep", lang).join(spans)
    return i18n.t(
        "generate.path.some", lang, k=int(mask.sum()), n=len(mask), spans=spans, what=what
    )


def path_summary(outside: np.ndarray, hole: np.ndarray, lang: str = i18n.DEFAULT) -> str:
    """One sentence, in `lang`, on where a path leaves the prior's 2-sigma circle and where it is
    in a hole (`hole` from in_hole against the training split's posteriors)."""
    why = i18n.t("generate.path.why", lang) if hole.any() else ""
    outside = describe(outside, i18n.t("generate.path.outside", lang), lang)
    hole = describe(hole, i18n.t("generate.path.hole", lang), lang)
    return i18n.t("generate.path.summary", lang, outside=outside, hole=hole) + why


def assign_click(state: MutableMapping, prefix: str = "generate") -> None:
    """Alternate clicks between the path's ends: a new click sets A, the next B, then A again.

    The click listener keeps only the latest click, under f"{prefix}.click"; the last one used is
    remembered under ".seen", so a rerun without a click changes nothing. The ends are stored
    under ".a" and ".b", and ".next" says which end the next click sets.
    """
    click = state.get(f"{prefix}.click")
    if click is None or click == state.get(f"{prefix}.seen"):
        return
    end = state.get(f"{prefix}.next", "a")
    state[f"{prefix}.seen"] = state[f"{prefix}.{end}"] = click
    state[f"{prefix}.next"] = "b" if end == "a" else "a"


def decoded_mosaic(
    model: VAE, z, image_shape: tuple[int, int], cols: int, tile_px: int = TILE_PX
) -> np.ndarray:
    """decoder(z) for z of shape (n, 2) tiled `cols` wide (tiles.mosaic), then scaled up by a whole
    factor so each tile is about tile_px pixels wide: crisp pixels, no browser blur."""
    mosaic = tiles.mosaic(decode_images(model, z), image_shape, cols)  # (rows*(h+1)+1, ...)
    f = max(1, tile_px // max(image_shape))
    return tiles.upscale(mosaic, f * max(mosaic.shape))
