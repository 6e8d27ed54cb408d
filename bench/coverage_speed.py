"""coverage_k's cost: the old brute force (M = 20,000 draws, every draw against every ellipse)
beside the sieved `geometry.covered` (M = 200,000 draws), on typical VAE posteriors.

Posteriors as a trained 2-D VAE gives them: mu ~ N(0, 1.5^2), sigma ~ U(0.05, 0.6), per axis
("typical", at each of `--sizes`); then two harder sets of 20,000, where the raster of cells
wholly inside one ellipse decides less: "collapsed" (mu ~ N(0, 0.05^2), sigma ~ U(0.95, 1): every
ellipse nearly the prior's circle, half the draws outside them all at k = 1) and "tiny"
(sigma ~ U(0.005, 0.05): ellipses smaller than the raster's cells). Each figure is the median wall
time of `--repeats` calls (the brute force's of `--brute-repeats`).

    PYTHONPATH=. .venv/bin/python -m bench.coverage_speed [--repeats 5] [--brute-repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from vae_geom import geometry

OLD_SAMPLES = 20_000  # M before issue 13


def median_seconds(fn, repeats: int) -> tuple[float, float]:
    """(median seconds, the value fn returned)."""
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000, 20_000])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--brute-repeats", type=int, default=3)
    args = p.parse_args()
    old_z = geometry.prior_samples(OLD_SAMPLES)
    geometry.coverage_k(np.zeros((1, 2)), np.ones((1, 2)))  # scipy's import, outside the timing
    print(
        f"{'posteriors':>10} {'n':>6} {'k':>3} {'brute M=20k (s)':>16} {'new M=200k (s)':>15} "
        f"{'ratio':>6}  coverage"
    )
    sets = [("typical", n, 1.5, 0.05, 0.6) for n in args.sizes]
    sets += [("collapsed", 20_000, 0.05, 0.95, 1.0), ("tiny", 20_000, 1.5, 0.005, 0.05)]
    for name, n, spread, low, high in sets:
        rng = np.random.default_rng(n)
        mu, sigma = rng.normal(0, spread, (n, 2)), rng.uniform(low, high, (n, 2))
        for k in (1.0, 2.0):
            old_s, old = median_seconds(
                lambda: float(geometry.covered_brute(old_z, mu, sigma, k).mean()),  # noqa: B023
                args.brute_repeats,
            )
            new_s, new = median_seconds(
                lambda: geometry.coverage_k(mu, sigma, k),  # noqa: B023
                args.repeats,
            )
            print(
                f"{name:>10} {n:>6} {k:>3g} {old_s:>16.3f} {new_s:>15.3f} {old_s / new_s:>6.0f}x"
                f"  {old:.4f} (old) / {new:.4f} (new)",
                flush=True,
            )


if __name__ == "__main__":
    main()
