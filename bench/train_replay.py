"""Train-your-own cost: epoch time with and without the replay recorder, and replay memory.

The recorder snapshots (mu, sigma) of 5,000 MNIST samples after every epoch and estimates
coverage_1 (M = 4,000); this measures what that adds to each epoch and how much memory 50 epochs of
snapshots take.

    PYTHONPATH=. .venv/bin/python -m bench.train_replay [--epochs 50] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import torch

from vae_geom import replay
from vae_geom.data import load_dataset
from vae_geom.models import ModelConfig, make_model
from vae_geom.training import TrainConfig, fit


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--threads", type=int, default=1, help="1: as one app session trains")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ds = load_dataset("mnist")
    x_all = ds.samples("all")[0]  # the 5,000 samples whose ellipses are replayed
    config = TrainConfig(epochs=args.epochs)

    t0 = time.perf_counter()
    fit(make_model(ModelConfig(ds.dim), 0), ds.x_train, config)
    plain = (time.perf_counter() - t0) / args.epochs

    before = rss_mb()
    rec = replay.Recorder(x_all, args.epochs)
    model = make_model(ModelConfig(ds.dim), 0)
    t0 = time.perf_counter()
    rec.record_start(model)
    fit(model, ds.x_train, config, on_epoch=rec)
    recorded = (time.perf_counter() - t0) / args.epochs
    print(
        json.dumps(
            {
                "epochs": args.epochs,
                "replayed_samples": len(x_all),
                "threads": args.threads,
                "epoch_s_without_replay": round(plain, 3),
                "epoch_s_with_replay": round(recorded, 3),
                "replay_overhead_s_per_epoch": round(recorded - plain, 3),
                "replay_snapshots_mb": round(rec.nbytes / 2**20, 2),
                "peak_rss_growth_mb": round(rss_mb() - before, 1),
                "final_coverage_1": round(float(np.asarray(rec.rows[-1]["coverage_1"])), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
