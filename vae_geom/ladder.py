"""The shipped ladder of models, per dataset: an AE, VAEs with KL at five betas, one simple-reg VAE.

`train_ladder()` retrains every model from scratch, deterministically (fixed seeds, one thread),
and writes NAME.safetensors + NAME.json to assets/models/DATASET/. The JSON carries the test-set
figures the app shows, so the app never recomputes them at start-up. Training one model and
building its record is `training.train_one`'s job; a `Spec` also describes a user's own model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from vae_geom import checkpoints
from vae_geom.data import DATASETS, load_dataset
from vae_geom.models import KINDS
from vae_geom.training import TrainConfig, train_one

MODELS_DIR = Path(__file__).resolve().parent.parent / "assets" / "models"
KL_BETAS = (0.0, 0.1, 0.3, 1.0, 3.0)  # beta = 0 keeps the noise but drops the KL: "KL off"
EPOCHS = {"mnist": 80, "digits": 300, "shapes": 200}  # where each test ELBO stops improving
SEED = 0


@dataclass(frozen=True)
class Spec:
    """One rung of the ladder, or a model a user asks for (`Spec.for_user`)."""

    kind: str  # "ae" or "vae"
    regulariser: str  # "none", "kl" or "simple"
    beta: float

    @classmethod
    def for_user(
        cls, kind: str, regulariser: str | None = None, beta: float = TrainConfig.beta
    ) -> Spec:
        """The spec of a user's model (Train your own, `python -m vae_geom train`).

        An AE has no regulariser, so it gets "none" and beta = 0 whatever was chosen: a beta that
        weights nothing would be a false claim in its record. A VAE's regulariser defaults to
        TrainConfig's (the KL). TrainConfig checks the regulariser and beta when it is built.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if kind == "ae":
            return cls("ae", "none", 0.0)
        return cls(kind, regulariser or TrainConfig.regulariser, float(beta))

    def train_config(self, epochs: int, seed: int = SEED) -> TrainConfig:
        """How to train this model: its objective, for `epochs` passes, from `seed`."""
        return TrainConfig(regulariser=self.regulariser, beta=self.beta, epochs=epochs, seed=seed)

    @property
    def name(self) -> str:
        if self.kind == "ae":
            return "ae"
        return f"vae-{self.regulariser}-{self.beta:g}"

    @property
    def label(self) -> str:
        """How the model picker names it."""
        if self.kind == "ae":
            return "AE (points, no regulariser)"
        if self.beta == 0:
            return "VAE, KL off (β = 0)"
        reg = "KL" if self.regulariser == "kl" else "simple ‖μ‖² + ‖σ−1‖²"
        return f"VAE, {reg}, β = {self.beta:g}"


SPECS: tuple[Spec, ...] = (
    Spec("ae", "none", 0.0),
    *(Spec("vae", "kl", b) for b in KL_BETAS),
    Spec("vae", "simple", 1.0),
)


def spec_by_name(name: str) -> Spec:
    for s in SPECS:
        if s.name == name:
            return s
    raise KeyError(f"No model named {name!r} in the ladder: {[s.name for s in SPECS]}")


def stem(dataset: str, name: str, root: Path | None = None) -> Path:
    """Checkpoint stem of a rung; `root` defaults to the shipped assets/models."""
    return Path(root or MODELS_DIR) / dataset / name


def train_ladder(
    datasets=DATASETS,
    root: Path | None = None,
    epochs: int | None = None,
    report: Callable[[str], None] | None = None,
) -> list[Path]:
    """Retrain every rung for every dataset and write the checkpoints; returns the stems written."""
    torch.set_num_threads(1)  # one thread: the same floating-point sums on every machine
    written = []
    for name in datasets:
        ds = load_dataset(name)
        for spec in SPECS:
            config = spec.train_config(epochs or EPOCHS[name])
            model, meta = train_one(ds, spec.kind, config, spec.name)
            checkpoints.save(model, stem(name, spec.name, root), meta)
            written.append(stem(name, spec.name, root))
            if report:
                t = meta["test"]
                report(
                    f"{name}/{spec.name}: {meta['train_seconds']} s, ELBO {t['elbo']}, "
                    f"coverage_1 {t['coverage_1']:.3f}"
                )
    return written


def kl_ladder_table(dataset: str, root: Path | None = None) -> list[dict]:
    """One row per KL rung (beta ascending) from the shipped JSONs: beta and the test figures."""
    rows = []
    for spec in SPECS:
        if spec.regulariser != "kl":
            continue
        meta = checkpoints.read_meta(stem(dataset, spec.name, root))
        rows.append({"name": spec.name, "beta": spec.beta, **meta["test"]})
    return rows
