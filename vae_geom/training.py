"""Training: `fit(model, x, config, on_epoch=...)`, and the record of a trained model.

Fast on 2 CPU cores because the whole dataset is one preloaded tensor: each batch is an index
into it (no DataLoader, no per-sample collation). `fit` never prints: it reports each epoch to
`on_epoch(stats, model)`, which may return False to stop early.

`train_one` trains a fresh model and returns it with its record (the JSON saved beside the
weights): `model_record` is the one function that builds that record, also for a run that the
Train-your-own page's Stop interrupted; `test_metrics` are the test-set figures in it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from vae_geom import __version__, geometry
from vae_geom.data import Dataset
from vae_geom.models import VAE, ModelConfig, make_model, posteriors
from vae_geom.objectives import REGULARISERS, kl_divergence, recon_bernoulli, regulariser


@dataclass(frozen=True)
class TrainConfig:
    regulariser: str = "kl"  # "kl", "simple" or "none" (the AE uses "none")
    beta: float = 1.0  # weight of the regulariser: loss = recon + beta * reg
    epochs: int = 100  # passes over the training set
    batch_size: int = 128  # samples per gradient step
    lr: float = 2e-3  # Adam's step size at the start; decays to lr/20 by a cosine schedule
    seed: int = 0  # weights, shuffling and eps all come from this seed

    def __post_init__(self):
        if self.regulariser not in REGULARISERS:
            raise ValueError(f"regulariser must be one of {REGULARISERS}, got {self.regulariser!r}")
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ValueError(f"beta must be a finite number >= 0, got {self.beta!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")

    def to_dict(self) -> dict:
        return asdict(self)


# Train your own: bounds of the page's widgets, i.e. what one session may ask of a shared classroom
# server. The command line, on the user's own machine, takes any epochs, beta and seed.
USER_EPOCHS_DEFAULT = 20  # a first run that ends while one watches: ~20 s on MNIST with the replay
USER_EPOCHS_MAX = 200  # ~3-4 min on MNIST (1 s per epoch with the replay): long enough to overfit
USER_BETA_MAX = 10.0  # past the ladder's beta = 3: far enough to see every posterior collapse
USER_SEED_MAX = 10_000  # seeds are interchangeable: a cap keeps the default model name short


@dataclass
class History:
    """Per-epoch training means: recon and reg are per-sample nats, loss = recon + beta * reg."""

    epochs: list[dict] = field(default_factory=list)
    stopped_early: bool = False

    def column(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs]


EpochCallback = Callable[[dict, VAE], "bool | None"]


def fit(
    model: VAE,
    x: np.ndarray,
    config: TrainConfig,
    on_epoch: EpochCallback | None = None,
) -> History:
    """Train `model` in place on x of shape (n, D) in [0, 1]; returns the History."""
    gen = torch.Generator().manual_seed(config.seed)
    data = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))  # (N, D)
    n = len(data)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = config.epochs * math.ceil(n / config.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=config.lr / 20)
    history = History()
    model.train()
    for epoch in range(1, config.epochs + 1):
        sums = torch.zeros(2, dtype=torch.float64)  # recon, reg
        for idx in torch.randperm(n, generator=gen).split(config.batch_size):
            xb = data[idx]  # (B, D)
            logits, mu, logvar = model(xb, generator=gen)
            recon = recon_bernoulli(logits, xb)  # (B,)
            reg = regulariser(config.regulariser, mu, logvar)  # (B,)
            loss = (recon + config.beta * reg).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            sums += torch.stack([recon.sum(), reg.sum()]).detach().double()
        recon_m, reg_m = (sums / n).tolist()
        stats = {
            "epoch": epoch,
            "recon": recon_m,
            "reg": reg_m,
            "loss": recon_m + config.beta * reg_m,
        }
        history.epochs.append(stats)
        if on_epoch is not None and on_epoch(stats, model) is False:
            history.stopped_early = True
            break
    model.eval()
    return history


EVAL_SEED = 12345  # the one eps draw behind every recorded test-set ELBO


@torch.inference_mode()
def evaluate(model: VAE, x: np.ndarray, seed: int = EVAL_SEED) -> dict:
    """Test-set means per sample: recon (nats), KL (nats), ELBO = -(recon + KL).

    One z ~ q(z|x) per sample from a fixed seed, so the figures are exactly reproducible.
    For the AE, z = mu, and KL and ELBO are undefined (None): a point has no density.
    """
    data = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))
    gen = torch.Generator().manual_seed(seed)
    logits, mu, logvar = model(data, generator=gen)
    recon = recon_bernoulli(logits, data).mean().item()
    if model.is_ae:
        return {"recon": recon, "kl": None, "elbo": None}
    kl = kl_divergence(mu, logvar).mean().item()
    return {"recon": recon, "kl": kl, "elbo": -(recon + kl)}


def geometry_metrics(mu: np.ndarray, sigma: np.ndarray) -> dict:
    """The coverage figures the app shows for a set of posteriors (defined in `geometry`)."""
    div = geometry.aggregate_divergences(mu, sigma)
    return {
        "coverage_1": geometry.coverage_k(mu, sigma, 1.0),
        "coverage_2": geometry.coverage_k(mu, sigma, 2.0),
        "aggregate_kl": div["kl"],
        "aggregate_js": div["js"],
        "holes_fraction": geometry.holes_fraction(mu, sigma),
        "code_spread": geometry.code_spread(mu),
        "coverage_samples": geometry.COVERAGE_SAMPLES,
    }


def test_metrics(model: VAE, ds: Dataset) -> dict:
    """Everything recorded about a trained model on the test split."""
    mu, sigma = posteriors(model, ds.x_test)
    return {**evaluate(model, ds.x_test), **geometry_metrics(mu, sigma)}


def model_record(
    model: VAE, ds: Dataset, name: str, config: TrainConfig, epochs: list[dict], seconds: float
) -> dict:
    """The JSON record saved beside a trained model's weights.

    `epochs` are fit's per-epoch stats and `seconds` the time they took: all a caller has to keep
    to build the record of a run that was interrupted (the page's Stop) the way train_one does.
    """
    return {
        "name": name,
        "dataset": ds.name,
        "kind": model.config.kind,
        "train": config.to_dict(),  # regulariser, beta, planned epochs, batch, lr, seed
        "train_seconds": round(seconds, 1),
        "epochs_run": len(epochs),  # fewer than planned when the user stopped it
        "final_train": epochs[-1] if epochs else None,  # None: stopped before one epoch ended
        "test": test_metrics(model, ds),
        "code_version": __version__,
    }


def train_one(
    ds: Dataset,
    kind: str,
    config: TrainConfig,
    name: str,
    on_epoch: EpochCallback | None = None,
    model: VAE | None = None,
) -> tuple[VAE, dict]:
    """Train a fresh `kind` model ("ae" or "vae"; or the fresh `model` given) on ds's training
    split; returns it and its record, named `name`."""
    if model is None:
        model = make_model(ModelConfig(ds.dim, kind=kind), config.seed)
    t0 = time.perf_counter()
    history = fit(model, ds.x_train, config, on_epoch=on_epoch)
    seconds = time.perf_counter() - t0
    return model, model_record(model, ds, name, config, history.epochs, seconds)
