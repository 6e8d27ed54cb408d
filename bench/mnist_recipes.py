"""Recipes for the beta = 1 MNIST VAE, from scratch: which one overfits its 4,000 digits least?

Each variant trains the ladder's network (784-256-128-2 and back) with `vae_geom.training.fit`
and reports the test ELBO (nats per image), the judge's agreement with decode(mu(x)) on the test
digits and the kNN accuracy of mu (both from `vae_geom.judge`, the classifier that never saw the
model), and the epoch early stopping kept. Issue 13's targets: agreement >= 0.75, kNN >= 0.72.

    python -m bench.mnist_recipes [--variant drop4 ...]

One thread, seed 0; ~5 min per variant on this machine when it runs alone.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from vae_geom import training
from vae_geom.data import load_dataset
from vae_geom.judge import fit_judge, judge_scores
from vae_geom.models import ModelConfig, make_model
from vae_geom.training import TrainConfig, evaluate, fit

# name: (TrainConfig fields, augmentation reach (px, degrees) or None)
VARIANTS = {
    "base": (dict(epochs=80), None),  # the ladder before issue 13: no validation, last epoch
    "early-stop": (dict(epochs=150, validation=0.1), None),
    "augment-2px-10deg": (dict(epochs=150, validation=0.1, augment=True), (2.0, 10.0)),
    "augment-1px-5deg": (dict(epochs=150, validation=0.1, augment=True), (1.0, 5.0)),
    "drop0.2": (dict(epochs=150, validation=0.1, input_dropout=0.2), None),
    "drop0.3": (dict(epochs=200, validation=0.1, input_dropout=0.3), None),
    "drop0.4": (dict(epochs=300, validation=0.1, input_dropout=0.4), None),
}


def run(name: str, ds, judge) -> dict:
    fields, reach = VARIANTS[name]
    if reach:
        training.MAX_SHIFT_PX, training.MAX_ROTATION_DEG = reach
    model = make_model(ModelConfig(ds.dim), 0)
    t0 = time.perf_counter()
    history = fit(model, ds.x_train, TrainConfig(**fields))
    scores = judge_scores(model, ds, judge)
    return {
        "variant": name,
        "elbo": round(evaluate(model, ds.x_test)["elbo"], 2),
        "agreement": scores["agreement"],
        "knn_mu": round(scores["knn_mu"], 3),
        "best_epoch": history.best_epoch,
        "epochs": fields["epochs"],
        "seconds": round(time.perf_counter() - t0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", choices=list(VARIANTS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    ds = load_dataset("mnist")
    judge = fit_judge(ds)
    for name in args.variant or VARIANTS:
        print(json.dumps(run(name, ds, judge)), flush=True)


if __name__ == "__main__":
    main()
