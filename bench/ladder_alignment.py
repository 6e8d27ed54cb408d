"""The aligned ladder against rungs trained from scratch: do the continued rungs keep their samples
in place, and do they lose anything for it?

For each dataset and each rung except the anchor (beta = 1, trained from scratch either way), this
trains the same network from scratch with the same recipe (the anchor's epochs, its lr, validation
and input dropout) and compares, with the shipped continued rung:

- the test ELBO (nats per image; the issue's target: continued no worse than scratch by 1%),
- the median move of a test sample's mu from the rung it continues from (codes scaled to RMS
  radius 1), shipped vs scratch.

    python -m bench.ladder_alignment [--dataset mnist ...] [--rung vae-kl-0.3 ...] [--out FILE]

One thread, fixed seeds: the numbers are reproducible. MNIST takes ~6 min on this machine,
Fashion-MNIST ~25 min.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from vae_geom import checkpoints, ladder
from vae_geom.data import DATASETS, load_dataset
from vae_geom.models import ModelConfig, make_model, posteriors
from vae_geom.training import evaluate, fit


def scratch_rung(ds, spec: ladder.Spec):
    """The rung trained from scratch with the anchor's recipe (its epochs, lr and extras)."""
    anchor = ladder.spec_by_name(ladder.ANCHOR).ladder_config(ladder.RECIPES[ds.name])
    config = spec.train_config(
        anchor.epochs,
        lr=anchor.lr,
        validation=anchor.validation,
        input_dropout=anchor.input_dropout,
        augment=anchor.augment,
    )
    model = make_model(ModelConfig(ds.dim, kind=spec.kind), config.seed)
    fit(model, ds.x_train, config)
    return model


def compare(name: str, rungs: list[str] | None = None) -> list[dict]:
    ds = load_dataset(name)
    shipped = {s.name: checkpoints.load(ladder.stem(name, s.name))[0] for s in ladder.SPECS}
    mu = {k: posteriors(m, ds.x_test)[0] for k, m in shipped.items()}
    rows = []
    for spec in ladder.SPECS:
        parent = ladder.PARENT.get(spec.name)
        if parent is None or (rungs and spec.name not in rungs):
            continue
        t0 = time.perf_counter()
        fresh = scratch_rung(ds, spec)
        row = {
            "dataset": name,
            "rung": spec.name,
            "from": parent,
            "move_continued": ladder.median_move(mu[parent], mu[spec.name]),
            "move_scratch": ladder.median_move(mu[parent], posteriors(fresh, ds.x_test)[0]),
            "scratch_seconds": round(time.perf_counter() - t0, 1),
        }
        if spec.kind == "vae":
            row["elbo_continued"] = evaluate(shipped[spec.name], ds.x_test)["elbo"]
            row["elbo_scratch"] = evaluate(fresh, ds.x_test)["elbo"]
        else:  # the AE has no ELBO: compare its reconstruction
            row["recon_continued"] = evaluate(shipped[spec.name], ds.x_test)["recon"]
            row["recon_scratch"] = evaluate(fresh, ds.x_test)["recon"]
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", choices=DATASETS)
    parser.add_argument("--rung", action="append", help="only these rungs (default: all)")
    parser.add_argument("--out", type=Path, default=Path("bench/ladder_alignment.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = [r for d in args.dataset or DATASETS for r in compare(d, args.rung)]
    args.out.write_text(
        json.dumps({"machine": platform.processor() or platform.machine(), "rows": rows}, indent=1)
    )


if __name__ == "__main__":
    main()
