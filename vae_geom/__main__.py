"""Command line: `python -m vae_geom train-ladder [--dataset mnist ...]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vae_geom.data import DATASETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vae_geom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ladder = sub.add_parser("train-ladder", help="retrain every shipped model from scratch")
    ladder.add_argument(
        "--dataset",
        action="append",
        choices=DATASETS,
        help="only this dataset (repeatable); default: all",
    )
    ladder.add_argument(
        "--out", type=Path, default=None, help="write here instead of the shipped assets/models"
    )
    ladder.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override every model's epochs (for a quick check; the shipped "
        "ladder uses the per-dataset defaults)",
    )
    args = parser.parse_args(argv)
    if args.command == "train-ladder":
        from vae_geom.ladder import train_ladder

        train_ladder(
            args.dataset or DATASETS,
            root=args.out,
            epochs=args.epochs,
            report=lambda line: print(line, flush=True),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
