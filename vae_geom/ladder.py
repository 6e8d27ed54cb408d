"""The shipped ladder of models, per dataset: an AE, VAEs with KL at five betas, one simple-reg VAE.

`train_ladder()` retrains every model, deterministically (fixed seeds, one thread), and writes
NAME.safetensors + NAME.json to assets/models/DATASET/. The JSON carries the test-set figures the
app shows, so the app never recomputes them at start-up. Training one model and building its
record is `training.train_one`'s job; a `Spec` also describes a user's own model.

The ladder is one model walked through beta, not seven unrelated ones: the VAE with beta = 1 (the
ELBO itself) is trained from scratch, and every other rung continues from its neighbour's weights
(`PARENT`) with the same data order, so a sample keeps its place from rung to rung and the
KL page can morph between them. The AE continues from the VAE with the noise and the regulariser
switched off. Each run holds out a validation part of the training split and keeps its best epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vae_geom import checkpoints, geometry
from vae_geom.data import DATASETS, load_dataset
from vae_geom.judge import (
    Judge,
    JudgeError,
    fit_judge,
    judge_scores,
    judge_stem,
    load_judge,
    save_judge,
)
from vae_geom.models import KINDS, VAE, ModelConfig, make_model, posteriors
from vae_geom.training import TrainConfig, train_one

MODELS_DIR = Path(__file__).resolve().parent.parent / "assets" / "models"
KL_BETAS = (0.0, 0.1, 0.3, 1.0, 3.0)  # beta = 0 keeps the noise but drops the KL: "KL off"
SEED = 0
ANCHOR = "vae-kl-1"  # trained from scratch; every other rung descends from it
# rung -> the rung whose weights it starts from: the KL rungs step down beta one neighbour at a
# time; beta = 3, the simple regulariser and the AE each branch off beta = 1.
PARENT = {
    "vae-kl-0.3": ANCHOR,
    "vae-kl-0.1": "vae-kl-0.3",
    "vae-kl-0": "vae-kl-0.1",
    "vae-kl-3": ANCHOR,
    "vae-simple-1": ANCHOR,
    "ae": ANCHOR,
}
VALIDATION = 0.1  # of the training split, held out for early stopping


@dataclass(frozen=True)
class Recipe:
    """How one dataset's ladder is trained. Epochs are upper bounds: the best validation epoch
    is kept. A continuation starts from trained weights, so it needs fewer and gentler steps."""

    epochs: int  # the anchor, from scratch
    continue_epochs: int  # each other rung, from its parent
    continue_lr: float = 1e-3
    input_dropout: float = 0.0  # see TrainConfig: a denoising encoder overfits less
    augment: bool = False


RECIPES = {
    # MNIST's 4,000 training digits overfit: input dropout 0.4 lifts beta = 1's test ELBO from
    # -158.4 to -146.3 nats and its codes' kNN accuracy from 0.68 to 0.76 (BENCHMARKS.md)
    "mnist": Recipe(epochs=300, continue_epochs=60, input_dropout=0.4),
    "digits": Recipe(epochs=300, continue_epochs=120),
    "shapes": Recipe(epochs=200, continue_epochs=80),
    "fashion": Recipe(epochs=150, continue_epochs=40, input_dropout=0.4),
}


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

    def train_config(self, epochs: int, seed: int = SEED, **recipe) -> TrainConfig:
        """How to train this model: its objective, for `epochs` passes, from `seed`; `recipe`
        sets TrainConfig's other fields (lr, validation, augment)."""
        return TrainConfig(
            regulariser=self.regulariser, beta=self.beta, epochs=epochs, seed=seed, **recipe
        )

    def ladder_config(self, recipe: Recipe, epochs: int | None = None) -> TrainConfig:
        """How this rung of the shipped ladder is trained (`epochs` overrides, for quick checks)."""
        extra = {
            "validation": VALIDATION,
            "augment": recipe.augment,
            "input_dropout": recipe.input_dropout,
        }
        if self.name == ANCHOR:
            return self.train_config(epochs or recipe.epochs, **extra)
        return self.train_config(epochs or recipe.continue_epochs, lr=recipe.continue_lr, **extra)

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


def training_order() -> list[Spec]:
    """The rungs, each after the rung it continues from (the anchor first)."""
    order = [spec_by_name(ANCHOR)]
    while len(order) < len(SPECS):
        names = {s.name for s in order}
        order += [s for s in SPECS if s.name not in names and PARENT[s.name] in names]
    return order


def median_move(mu_a: np.ndarray, mu_b: np.ndarray) -> float:
    """How far the same samples' codes move between two models: the median distance between
    mu_a[i] and mu_b[i], after scaling each model's codes to RMS radius 1 (a model that merely
    spreads its codes wider has not moved them; a random rotation of a disc gives about 1.4)."""

    def unit(mu):
        mu = np.asarray(mu, dtype=np.float64)
        return mu / max(geometry.code_spread(mu), 1e-12)

    return float(np.median(np.linalg.norm(unit(mu_a) - unit(mu_b), axis=1)))


def train_rung(ds, spec: Spec, config: TrainConfig, parent: VAE | None) -> tuple[VAE, dict]:
    """Train one rung: from scratch, or from a copy of `parent`'s weights (an AE takes the
    VAE's encoder mean and decoder; its sigma is switched off by its kind)."""
    model = make_model(ModelConfig(ds.dim, kind=spec.kind), config.seed)
    if parent is not None:
        model.load_state_dict(parent.state_dict())
    return train_one(ds, spec.kind, config, spec.name, model=model)


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
        judge = _judge(ds, root)
        trained: dict[str, VAE] = {}
        codes: dict[str, np.ndarray] = {}  # each rung's test mu, encoded once
        for spec in training_order():
            parent_name = PARENT.get(spec.name)
            parent = trained.get(parent_name) if parent_name else None
            model, meta = train_rung(ds, spec, spec.ladder_config(RECIPES[name], epochs), parent)
            trained[spec.name] = model
            codes[spec.name] = posteriors(model, ds.x_test)[0]
            meta["continued_from"] = parent_name
            if parent is not None:
                meta["median_move_from_parent"] = median_move(codes[parent_name], codes[spec.name])
            meta["judge"] = judge_scores(model, ds, judge)
            checkpoints.save(model, stem(name, spec.name, root), meta)
            written.append(stem(name, spec.name, root))
            if report:
                t = meta["test"]
                report(
                    f"{name}/{spec.name}: {meta['train_seconds']} s, best epoch "
                    f"{(meta['best_epoch'] or {}).get('epoch')}, ELBO {t['elbo']}, "
                    f"coverage_1 {t['coverage_1']:.3f}, "
                    f"move {meta.get('median_move_from_parent')}, judge {meta['judge']}"
                )
    return written


def _judge(ds, root: Path | None) -> Judge:
    """The dataset's judge, fitted and saved first if it is not there yet (it depends only on
    the data, so the shipped one is reused)."""
    where = judge_stem(ds.name, root)
    try:
        return load_judge(where)
    except JudgeError:
        judge = fit_judge(ds)
        save_judge(judge, where, {"dataset": ds.name})
        return judge


def largest_kl_move(dataset: str, root: Path | None = None) -> float | None:
    """The largest median move of a sample's mu between a KL rung and the rung it continued
    from, as recorded when the ladder was trained; None if a record lacks it."""
    moves = [
        checkpoints.read_meta(stem(dataset, s.name, root)).get("median_move_from_parent")
        for s in SPECS
        if s.regulariser == "kl" and s.name != ANCHOR
    ]
    return None if None in moves else max(moves)


def kl_ladder_table(dataset: str, root: Path | None = None) -> list[dict]:
    """One row per KL rung (beta ascending) from the shipped JSONs: beta and the test figures."""
    rows = []
    for spec in SPECS:
        if spec.regulariser != "kl":
            continue
        meta = checkpoints.read_meta(stem(dataset, spec.name, root))
        rows.append({"name": spec.name, "beta": spec.beta, **meta["test"]})
    return rows
