"""Time to train the beta = 1 MNIST VAE to a fixed test ELBO: vae_geom.fit vs a plain loop.

The plain loop is the usual way (pytorch/examples vae/main.py): a DataLoader over a TensorDataset,
batch 128, shuffled, Adam at 1e-3. Both train the same network from the same initial weights and
check the test ELBO after each epoch (the check is not timed). A run "reaches" the target when its
test ELBO is within 1% of PLAIN_RECIPE_ELBO (the beta = 1 VAE shipped before issue 13).

    python -m bench.train_speed [--threads 2] [--max-epochs 150] [--repeats 3]

Runs alternate (ours, plain, plain, ours, ...) so neither side always runs on a warm machine;
the median of the repeats is reported.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from vae_geom import ladder
from vae_geom.data import load_dataset
from vae_geom.models import ModelConfig, make_model
from vae_geom.objectives import kl_divergence, recon_bernoulli
from vae_geom.training import TrainConfig, evaluate, fit


class Clock:
    """Training time only: the per-epoch ELBO check is excluded."""

    def __init__(self):
        self.start, self.paused = time.perf_counter(), 0.0

    def check(self, fn):
        t = time.perf_counter()
        out = fn()
        self.paused += time.perf_counter() - t
        return out

    def elapsed(self):
        return time.perf_counter() - self.start - self.paused


PLAIN_RECIPE_ELBO = -159.35  # nats: the beta = 1 VAE of the ladder before issue 13


def run_ours(ds, target, max_epochs):
    model = make_model(ModelConfig(ds.dim), seed=ladder.SEED)
    clock, reached = Clock(), {}

    def on_epoch(stats, m):
        elbo = clock.check(lambda: evaluate(m.eval(), ds.x_test)["elbo"])
        m.train()
        if elbo >= target * 1.01:  # ELBOs are negative: within 1% of the target
            reached.update(epoch=stats["epoch"], seconds=clock.elapsed(), elbo=elbo)
            return False
        return None

    fit(model, ds.x_train, TrainConfig(epochs=max_epochs, seed=ladder.SEED), on_epoch=on_epoch)
    return reached or {"epoch": None, "seconds": clock.elapsed(), "elbo": None}


def run_plain(ds, target, max_epochs):
    torch.manual_seed(ladder.SEED)
    model = make_model(ModelConfig(ds.dim), seed=ladder.SEED)
    loader = DataLoader(TensorDataset(torch.as_tensor(ds.x_train)), batch_size=128, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    clock = Clock()
    for epoch in range(1, max_epochs + 1):
        model.train()
        for (xb,) in loader:
            logits, mu, logvar = model(xb)
            loss = (recon_bernoulli(logits, xb) + kl_divergence(mu, logvar)).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        elbo = clock.check(lambda: evaluate(model.eval(), ds.x_test)["elbo"])
        if elbo >= target * 1.01:
            return {"epoch": epoch, "seconds": clock.elapsed(), "elbo": elbo}
    return {"epoch": None, "seconds": clock.elapsed(), "elbo": None}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-epochs", type=int, default=150)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ds = load_dataset("mnist")
    # The target is the test ELBO of the beta = 1 VAE trained by this recipe (no validation, no
    # input dropout, 80 epochs): the ladder shipped until issue 13. The shipped ladder now trains
    # with input dropout for 300 epochs (-146.3), which no plain loop reaches: that would make
    # this a comparison of recipes, not of training loops.
    target = PLAIN_RECIPE_ELBO
    ours_epochs = args.max_epochs
    runs = {"ours": [], "plain": []}
    for r in range(args.repeats):
        for side in ("ours", "plain") if r % 2 == 0 else ("plain", "ours"):
            if side == "ours":
                runs[side].append(run_ours(ds, target, ours_epochs))
            else:
                runs[side].append(run_plain(ds, target, args.max_epochs))
    summary = {side: median_run(rs) for side, rs in runs.items()}
    reached = all(s["epoch"] for s in summary.values())
    ratio = summary["ours"]["seconds"] / summary["plain"]["seconds"] if reached else None
    report = {
        "target_elbo": target,
        **summary,
        "ratio": ratio,
        "runs": runs,
        "threads": args.threads,
        "cpu": cpu_name(),
        "torch": torch.__version__,
    }
    print(json.dumps(report, indent=2))


def median_run(runs: list[dict]) -> dict:
    """The run with the median time, plus its seconds per epoch."""
    run = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    per_epoch = run["seconds"] / run["epoch"] if run["epoch"] else None
    return {**run, "seconds_per_epoch": per_epoch}


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


if __name__ == "__main__":
    main()
