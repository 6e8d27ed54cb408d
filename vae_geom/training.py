"""Training: `fit(model, x, config, on_epoch=...)`, and the record of a trained model.

Fast on 2 CPU cores because the whole dataset is one preloaded tensor: each batch is an index
into it (no DataLoader, no per-sample collation). `fit` never prints: it reports each epoch to
`on_epoch(stats, model)`, which may return False to stop early.

`train_one` trains a fresh model and returns it with its record (the JSON saved beside the
weights): `model_record` is the one function that builds that record, also for a run that the
Train-your-own page's Stop interrupted; `test_metrics` are the test-set figures in it.
"""

from __future__ import annotations

import copy
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
    # Early stopping: hold out this fraction of the training split (a fixed draw from `seed`) and
    # keep the weights of the epoch with the lowest validation loss. 0 trains on everything and
    # keeps the last epoch, as a student's run on the Train-your-own page does.
    validation: float = 0.0
    # Small random shifts (up to 2 px) and rotations (up to 10 degrees) of every 28x28 training
    # image, drawn afresh each batch: the same digit seen slightly differently, so the model
    # cannot memorise 4,000 images. Off for 8x8 digits and for the bars, whose angle is a factor.
    augment: bool = False
    # Input dropout: the encoder sees each training image with this fraction of its pixels zeroed
    # (the rest scaled up to keep the mean), the decoder must still rebuild the whole image. A
    # denoising encoder cannot lean on single pixels of 4,000 digits: on MNIST it lifted the test
    # ELBO by 7 nats (BENCHMARKS.md). 0 for a student's run.
    input_dropout: float = 0.0

    def __post_init__(self):
        if self.regulariser not in REGULARISERS:
            raise ValueError(f"regulariser must be one of {REGULARISERS}, got {self.regulariser!r}")
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ValueError(f"beta must be a finite number >= 0, got {self.beta!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be at least 1")
        if not 0 <= self.input_dropout < 1:
            raise ValueError(f"input_dropout must be in [0, 1), got {self.input_dropout!r}")
        if not 0 <= self.validation < 0.5:
            raise ValueError(f"validation must be a fraction in [0, 0.5), got {self.validation!r}")

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
    best_epoch: int | None = None  # the epoch whose weights were kept (early stopping), else None

    def column(self, key: str) -> list[float]:
        return [e[key] for e in self.epochs]


EpochCallback = Callable[[dict, VAE], "bool | None"]


EVAL_SEED = 12345  # the one eps draw behind every recorded test-set ELBO and validation loss


def validation_split(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) of a fixed random hold-out of `fraction` of n samples."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


MAX_SHIFT_PX = 2.0  # augmentation: what a digit written a little off-centre or tilted looks like
MAX_ROTATION_DEG = 10.0


def augment_batch(xb: torch.Tensor, side: int, gen: torch.Generator) -> torch.Tensor:
    """Each image of xb (B, side*side) shifted and rotated by its own small random amount."""
    b = len(xb)
    angle = (torch.rand(b, generator=gen) * 2 - 1) * math.radians(MAX_ROTATION_DEG)
    shift = (torch.rand(b, 2, generator=gen) * 2 - 1) * (2 * MAX_SHIFT_PX / side)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )  # (B, 2, 3): where each output pixel samples the input, in [-1, 1] coordinates
    grid = torch.nn.functional.affine_grid(theta, (b, 1, side, side), align_corners=False)
    img = xb.reshape(b, 1, side, side)
    out = torch.nn.functional.grid_sample(img, grid, align_corners=False, padding_mode="zeros")
    return out.reshape(b, -1).clamp(0, 1)


def _loss_terms(
    model: VAE, xb: torch.Tensor, config: TrainConfig, gen: torch.Generator, seen=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(recon, reg) per sample of xb, shapes (B,) and (B,); the encoder reads `seen` (xb with
    input dropout) when given, the decoder always answers for xb itself."""
    mu, logvar = model.encode(xb if seen is None else seen)
    logits = model.decode(model.reparameterize(mu, logvar, gen))
    return recon_bernoulli(logits, xb), regulariser(config.regulariser, mu, logvar)


def _drop_pixels(xb: torch.Tensor, p: float, gen: torch.Generator) -> torch.Tensor:
    keep = torch.rand(xb.shape, generator=gen) >= p
    return xb * keep / (1 - p)


@torch.inference_mode()
def _validation_loss(model: VAE, xv: torch.Tensor, config: TrainConfig) -> float:
    """The training objective on held-out data, with one fixed eps draw (comparable per epoch)."""
    model.eval()
    recon, reg = _loss_terms(model, xv, config, torch.Generator().manual_seed(EVAL_SEED))
    model.train()
    return (recon + config.beta * reg).mean().item()


def fit(
    model: VAE,
    x: np.ndarray,
    config: TrainConfig,
    on_epoch: EpochCallback | None = None,
) -> History:
    """Train `model` in place on x of shape (n, D) in [0, 1]; returns the History.

    With `config.validation` > 0, a fixed part of x is held out and the weights of the epoch with
    the lowest validation loss are the ones left in `model` (History.best_epoch says which).
    """
    gen = torch.Generator().manual_seed(config.seed)
    data = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32))  # (N, D)
    held_out = None
    if config.validation > 0:
        tr, va = validation_split(len(data), config.validation, config.seed)
        data, held_out = data[torch.as_tensor(tr)], data[torch.as_tensor(va)]
    side = math.isqrt(data.shape[1])
    if config.augment and side * side != data.shape[1]:
        raise ValueError("augment needs square images")
    n = len(data)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps = config.epochs * math.ceil(n / config.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=config.lr / 20)
    history = History()
    best = (math.inf, None)  # (validation loss, weights)
    model.train()
    for epoch in range(1, config.epochs + 1):
        sums = torch.zeros(2, dtype=torch.float64)  # recon, reg
        for idx in torch.randperm(n, generator=gen).split(config.batch_size):
            xb = data[idx]  # (B, D)
            if config.augment:
                xb = augment_batch(xb, side, gen)
            seen = _drop_pixels(xb, config.input_dropout, gen) if config.input_dropout else None
            recon, reg = _loss_terms(model, xb, config, gen, seen)
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
        if held_out is not None:
            stats["val_loss"] = _validation_loss(model, held_out, config)
            if stats["val_loss"] < best[0]:
                best = (stats["val_loss"], copy.deepcopy(model.state_dict()))
                history.best_epoch = epoch
        history.epochs.append(stats)
        if on_epoch is not None and on_epoch(stats, model) is False:
            history.stopped_early = True
            break
    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    return history


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
    model: VAE,
    ds: Dataset,
    name: str,
    config: TrainConfig,
    epochs: list[dict],
    seconds: float,
    best_epoch: int | None = None,
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
        # early stopping: the epoch whose weights these are (its stats), None without validation
        "best_epoch": epochs[best_epoch - 1] if best_epoch else None,
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
    """Train a fresh `kind` model ("ae" or "vae"), or go on training the `model` given, on ds's
    training split; returns it and its record, named `name`."""
    if model is None:
        model = make_model(ModelConfig(ds.dim, kind=kind), config.seed)
    t0 = time.perf_counter()
    history = fit(model, ds.x_train, config, on_epoch=on_epoch)
    seconds = time.perf_counter() - t0
    record = model_record(model, ds, name, config, history.epochs, seconds, history.best_epoch)
    return model, record
