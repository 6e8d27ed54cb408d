"""A copy of the shipped digits ladder whose beta = 3 VAE is a synthetic collapsed model.

No shipped rung need have collapsed, so the tests of collapse detection build one: the shipped
vae-kl-3 with to_mu and to_logvar zeroed (weights and biases), so mu = 0 and sigma = 1 for every x
and q(z|x) = p(z) exactly. Its record is built by the project's own code (training.model_record,
ladder.median_move, judge.judge_scores), so its test figures (KL 0, codes' spread 0, coverage
about the prior's 1-sigma mass, 39%) are computed, not typed. Every other file of the shipped
digits folder (the other rungs, the judge) is copied as it is.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from vae_geom import checkpoints, judge, ladder, training
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

DATASET, RUNG = "digits", "vae-kl-3"
SHIPPED = Path(ladder.__file__).resolve().parent.parent / "assets" / "models"  # never patched


def build(root: Path) -> Path:
    """Write the ladder under root/digits; returns root (to stand in for ladder.MODELS_DIR)."""
    shutil.copytree(SHIPPED / DATASET, root / DATASET)
    model, shipped = checkpoints.load(ladder.stem(DATASET, RUNG, SHIPPED))
    with torch.no_grad():
        for layer in (model.to_mu, model.to_logvar):
            layer.weight.zero_()
            layer.bias.zero_()
    ds = load_dataset(DATASET)
    config = training.TrainConfig(**shipped["train"])
    meta = training.model_record(model, ds, RUNG, config, epochs=[], seconds=0.0)
    parent_name = shipped["continued_from"]
    parent, _ = checkpoints.load(ladder.stem(DATASET, parent_name, root))
    meta["continued_from"] = parent_name
    meta["median_move_from_parent"] = ladder.median_move(
        posteriors(parent, ds.x_test)[0], posteriors(model, ds.x_test)[0]
    )
    meta["judge"] = judge.judge_scores(model, ds, judge.load_judge(judge.judge_stem(DATASET, root)))
    checkpoints.save(model, ladder.stem(DATASET, RUNG, root), meta)
    return root
