"""Replay of training: every sample's (mu, sigma) after each epoch, and coverage per epoch.

A `Recorder` is an `on_epoch` callback for `training.fit`: it encodes a fixed subset of samples
after each epoch, so the ellipses can be replayed from their starting tangle to their final layout.
It stores float32 snapshots of at most `max_samples` samples: 2,000 samples x 50 epochs = 1.6 MB.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from vae_geom import geometry
from vae_geom.models import VAE, posteriors

REPLAY_COVERAGE_SAMPLES = 4_000  # M for the per-epoch coverage: a trend, not the shipped figure


@dataclass
class Recorder:
    """Call it after each epoch (fit's on_epoch). `stop` makes fit end after the current epoch."""

    x: np.ndarray  # (n, D): the samples whose ellipses are replayed
    epochs: int  # planned epochs, for the ETA
    report: Callable[[dict], None] | None = None  # e.g. a progress-bar updater; gets each row
    stop: bool = False
    mu: list[np.ndarray] = field(default_factory=list)  # per epoch: (n, 2)
    sigma: list[np.ndarray] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # per epoch: stats + coverage_1 + eta_s
    started: float = field(default_factory=time.perf_counter)

    def record_start(self, model: VAE) -> None:
        """Snapshot the untrained model as epoch 0: the starting tangle."""
        self._snapshot(model, {"epoch": 0, "recon": np.nan, "reg": np.nan, "loss": np.nan})

    def __call__(self, stats: dict, model: VAE) -> bool:
        row = self._snapshot(model, stats)
        elapsed = time.perf_counter() - self.started
        row["elapsed_s"] = elapsed
        row["eta_s"] = elapsed / stats["epoch"] * (self.epochs - stats["epoch"])
        if self.report is not None:
            self.report(row)
        return not self.stop

    def _snapshot(self, model: VAE, stats: dict) -> dict:
        was_training = model.training
        model.eval()
        mu, sigma = posteriors(model, self.x)
        model.train(was_training)
        cov = geometry.coverage_k(mu, sigma, 1.0, m=REPLAY_COVERAGE_SAMPLES)
        self.mu.append(mu.astype(np.float32))
        self.sigma.append(sigma.astype(np.float32))
        row = {**stats, "coverage_1": cov}
        self.rows.append(row)
        return row

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.mu) + sum(a.nbytes for a in self.sigma)


def subset(n: int, max_samples: int = 2_000, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most `max_samples` of n samples, the same for a seed."""
    if n <= max_samples:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_samples, replace=False))
