"""Command line.

python -m vae_geom train-ladder [--dataset mnist ...]     retrain the shipped ladder
python -m vae_geom train --dataset digits --beta 1 ...   train one model into user_models/
python -m vae_geom fit-judges [--dataset mnist ...]      refit the judges of decoded images
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vae_geom.data import DATASETS
from vae_geom.models import KINDS, ModelConfig
from vae_geom.objectives import REGULARISERS
from vae_geom.training import TrainConfig


def _shipped_options(command: argparse.ArgumentParser) -> None:
    """--dataset and --out of the commands that write the shipped assets."""
    command.add_argument(
        "--dataset",
        action="append",
        choices=DATASETS,
        help="only this dataset (repeatable); default: all",
    )
    command.add_argument(
        "--out", type=Path, default=None, help="write here instead of the shipped assets/models"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vae_geom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ladder = sub.add_parser("train-ladder", help="retrain every shipped model")
    _shipped_options(ladder)
    ladder.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="override every model's epochs (for a quick check; the shipped "
        "ladder uses the per-dataset defaults)",
    )
    judges = sub.add_parser(
        "fit-judges", help="fit and save each dataset's judge (a pixel classifier of decodes)"
    )
    _shipped_options(judges)
    train = sub.add_parser("train", help="train one model and save it to the user models folder")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--dataset", choices=DATASETS, help="a built-in dataset")
    source.add_argument("--data", type=Path, help="your own .npz, .csv or .zip of PNGs")
    train.add_argument("--labels", type=Path, help="optional labels file for --data")
    train.add_argument("--rescale", action="store_true", help="min-max scale --data to [0, 1]")
    train.add_argument("--kind", choices=KINDS, default=ModelConfig.kind)
    train.add_argument(
        "--regulariser",
        choices=REGULARISERS,
        default=None,
        help=f"default: {TrainConfig.regulariser} for a VAE; an AE has none",
    )
    train.add_argument(
        "--beta", type=float, default=TrainConfig.beta, help="ignored for an AE (recorded as 0)"
    )
    train.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    train.add_argument("--seed", type=int, default=TrainConfig.seed)
    train.add_argument("--name", default=None, help="model name (default: from the options)")
    args = parser.parse_args(argv)
    if args.command == "train":
        return train_command(args)
    if args.command == "fit-judges":
        return fit_judges_command(args)
    if args.command == "train-ladder":
        from vae_geom.ladder import train_ladder

        train_ladder(
            args.dataset or DATASETS,
            root=args.out,
            epochs=args.epochs,
            report=lambda line: print(line, flush=True),
        )
    return 0


def train_command(args) -> int:
    """Train, print one line per epoch, save to the user models folder."""
    from vae_geom import user_models
    from vae_geom.checkpoints import CheckpointError
    from vae_geom.data import load_dataset
    from vae_geom.ladder import Spec
    from vae_geom.training import train_one

    try:
        if args.data:
            from vae_geom.uploads import load_upload  # UploadError is a ValueError

            labels = args.labels.read_bytes() if args.labels else None
            ds = load_upload(
                args.data.name,
                args.data.read_bytes(),
                labels,
                args.labels.name if args.labels else None,
                rescale=args.rescale,
            )
            store = "uploads"
        else:
            ds, store = load_dataset(args.dataset), args.dataset
        spec = Spec.for_user(args.kind, args.regulariser, args.beta)
        name = user_models.check_name(args.name or f"{spec.name}-s{args.seed}-e{args.epochs}")
        config = spec.train_config(args.epochs, args.seed)
        model, meta = train_one(ds, spec.kind, config, spec.name, on_epoch=_print_epoch)
        where = user_models.save(model, store, name, meta)
    except (CheckpointError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    t = meta["test"]
    print(
        f"saved {where}.safetensors (+ .json): test recon {t['recon']:.2f}, "
        f"ELBO {t['elbo']}, coverage_1 {t['coverage_1']:.3f}"
    )
    return 0


def fit_judges_command(args) -> int:
    """Fit each dataset's judge on its training pixels and save it beside its models."""
    from vae_geom.data import load_dataset
    from vae_geom.judge import fit_judge, judge_stem, save_judge

    for name in args.dataset or DATASETS:
        judge = fit_judge(load_dataset(name))
        stem = judge_stem(name, args.out)
        save_judge(judge, stem, {"dataset": name})
        print(
            f"{name}: judge saved to {stem}.safetensors (+ .json): accuracy on real test images "
            f"{judge.accuracy:.3f}, tau {judge.tau:.3f}",
            flush=True,
        )
    return 0


def _print_epoch(stats: dict, model) -> None:
    print(f"epoch {stats['epoch']}: recon {stats['recon']:.2f}  reg {stats['reg']:.3f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
