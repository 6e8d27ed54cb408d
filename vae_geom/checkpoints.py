"""Checkpoints: NAME.safetensors (the weights) + NAME.json (everything needed to rebuild and judge).

Nothing is ever unpickled: safetensors holds raw tensors only, and the JSON is parsed as data.
Any problem with a checkpoint raises `CheckpointError`, whose message says what to do.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from vae_geom.models import VAE, ModelConfig

FORMAT_VERSION = 1
LATENT_DIM = 2  # the app draws every posterior as an ellipse in a plane
REQUIRED_KEYS = ("format_version", "name", "dataset", "model")


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message names the file and the fix."""


def paths(stem: str | Path) -> tuple[Path, Path]:
    """(weights, config) paths for a checkpoint stem such as assets/models/mnist/vae-kl-1."""
    # appended, not with_suffix: "vae-kl-0.1" must not become "vae-kl-0.json"
    stem = Path(stem)
    return stem.parent / f"{stem.name}.safetensors", stem.parent / f"{stem.name}.json"


def save(model: VAE, stem: str | Path, meta: dict) -> None:
    """Write the weights and a JSON of `meta` plus the model config and format version."""
    weights, config = paths(stem)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, str(weights), metadata={"format_version": str(FORMAT_VERSION)})
    record = {"format_version": FORMAT_VERSION, **meta, "model": model.config.to_dict()}
    config.write_text(json.dumps(_finite_or_null(record), indent=2) + "\n")


def _finite_or_null(obj):
    """JSON has no inf/NaN: write them as null (e.g. the AE's undefined KL)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_null(v) for v in obj]
    return obj


def read_meta(stem: str | Path) -> dict:
    """The checkpoint's JSON, validated: format version and required keys."""
    _, config = paths(stem)
    if not config.is_file():
        raise CheckpointError(f"{config} is missing: restore it, or retrain the model.")
    try:
        meta = json.loads(config.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{config} is not valid JSON ({e}): restore or retrain it.") from e
    if not isinstance(meta, dict) or any(k not in meta for k in REQUIRED_KEYS):
        raise CheckpointError(
            f"{config} lacks one of {REQUIRED_KEYS}: it is not a vae-geom config."
        )
    version = meta["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:  # JSON true would pass as 1
        raise CheckpointError(
            f"{config} has format version {version!r}; this vae-geom reads version "
            f"{FORMAT_VERSION}. Retrain it with this version: on the Train your own page, or "
            "for the shipped ladder with python -m vae_geom train-ladder."
        )
    return meta


def load(stem: str | Path) -> tuple[VAE, dict]:
    """Rebuild the model from its JSON and fill it with the safetensors weights; eval mode."""
    meta = read_meta(stem)
    weights, config = paths(stem)
    try:
        model_config = ModelConfig(**meta["model"])
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{config} has an invalid model config: {e}") from e
    if not weights.is_file():
        raise CheckpointError(f"{weights} is missing: restore it, or retrain the model.")
    _check_config(model_config, config)
    with torch.device("meta"):  # the shapes alone: nothing is allocated before the weights fit
        expected = VAE(model_config)
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(
            f"{weights} is not a readable safetensors file ({e}); it may be truncated: "
            "restore it, or retrain the model."
        ) from e
    _check_tensors(tensors, expected, weights)
    model = VAE(model_config)
    model.load_state_dict(tensors)
    return model.eval(), meta


def _check_config(config: ModelConfig, where: Path) -> None:
    """Refuse a config that cannot be built, or whose latent space cannot be drawn as a plane."""
    widths = [("input_dim", config.input_dim), ("latent_dim", config.latent_dim)]
    widths += [("hidden", h) for h in config.hidden] or [("hidden", [])]
    for name, v in widths:
        if not (type(v) is int and v > 0):  # type(): a bool is an int too
            raise CheckpointError(
                f"{where} has an invalid model config: {name} is {v!r:.40}; layer widths must "
                "be positive whole numbers, with at least one hidden layer."
            )
    lo, hi = config.logvar_min, config.logvar_max
    if not all(type(v) in (int, float) and math.isfinite(v) for v in (lo, hi)) or lo >= hi:
        raise CheckpointError(
            f"{where} has an invalid model config: logvar_min {lo!r:.20} and logvar_max "
            f"{hi!r:.20} must be finite numbers, the first below the second."
        )
    if config.latent_dim != LATENT_DIM:
        raise CheckpointError(
            f"{where} describes a {config.latent_dim}-D latent space; vae-geom draws "
            f"{LATENT_DIM}-D latent planes only: retrain the model with latent_dim = {LATENT_DIM}."
        )


def _check_tensors(tensors: dict, model: VAE, where: Path) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    if set(got) != set(expected):
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        raise CheckpointError(
            f"{where} does not match its config (missing {sorted(missing)}, "
            f"unexpected {sorted(extra)}): the two files belong to different models."
        )
    for k, shape in expected.items():
        if got[k] != shape:
            raise CheckpointError(
                f"{where}: tensor {k} has shape {got[k]}, its config expects {shape}: "
                "the weights and the JSON belong to different models."
            )
        if tensors[k].dtype != torch.float32 or not torch.isfinite(tensors[k]).all():
            raise CheckpointError(f"{where}: tensor {k} is not finite float32: retrain the model.")
