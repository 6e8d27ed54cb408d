"""Checkpoints: NAME.safetensors (the weights) + NAME.json (everything needed to rebuild and judge).

Nothing is ever unpickled: safetensors holds raw tensors only, and the JSON is parsed as data
(at most MAX_JSON_BYTES, nested at most MAX_JSON_DEPTH deep). Any problem with a checkpoint raises
`CheckpointError`, whose message says what to do. Messages name a file relative to the app (or by
its name alone), never by its server path, and quote a value from the file only when it is a
number or a short plain word: a message is shown to everyone who picks a shared model.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import MISSING, fields
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from vae_geom import uploads
from vae_geom.i18n import Text, TextError
from vae_geom.models import KINDS, LOGVAR_RANGE, MAX_HIDDEN_LAYERS, MAX_WIDTH, VAE, ModelConfig

FORMAT_VERSION = 1
LATENT_DIM = 2  # the app draws every posterior as an ellipse in a plane
REQUIRED_KEYS = ("format_version", "name", "dataset", "model")
MAX_JSON_BYTES = 100_000  # a record is ~1.5 kB
MAX_JSON_DEPTH = 6  # objects and lists inside one another; a record nests 3 deep
APP_ROOT = Path(__file__).resolve().parents[1]
# The recorded test figures the pages show: name -> (low, high, may be null). kl and elbo are
# null for the AE (a point has no density); coverage_samples (M) is optional.
TEST_FIGURES = {
    "recon": (0.0, math.inf, False),
    "kl": (0.0, math.inf, True),
    "elbo": (-math.inf, 0.0, True),
    "coverage_1": (0.0, 1.0, False),
    "coverage_2": (0.0, 1.0, False),
    "aggregate_kl": (0.0, math.inf, False),
    "holes_fraction": (0.0, 1.0, False),
}


class CheckpointError(TextError):
    """A checkpoint that cannot be used; the message names the file and the fix, in either
    language (a Text of the checkpoints.* and user_models.* catalogue keys; str() is English)."""


def shown(path: str | Path) -> str:
    """How a message names a file: relative to the app (assets/models/mnist/ae.json), or by its
    name alone when it lives elsewhere (a user-models volume, a scratch folder)."""
    path = Path(path)
    try:
        return path.resolve().relative_to(APP_ROOT).as_posix()
    except ValueError:
        return path.name


_PLAIN = re.compile(r"[A-Za-z0-9_.-]{1,40}")  # quoted as is; anything else only described


def _quote(value: object) -> str | Text:
    """A value read from the file, for a message: numbers and short plain words as they are,
    anything else by its kind and size (so no text from the file reaches the page)."""
    if value is None or type(value) in (bool, int, float):
        text = repr(value)
        return text if len(text) <= 20 else Text("checkpoints.quote.number", n=len(text))
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and "www." not in value.lower()
        return repr(value) if plain else Text("checkpoints.quote.text", n=len(value))
    if isinstance(value, list):
        if len(value) <= MAX_HIDDEN_LAYERS and all(type(v) is int for v in value):
            return _quote_list(value)
        return Text("checkpoints.quote.list", n=len(value))
    if isinstance(value, dict):
        return Text("checkpoints.quote.object", n=len(value))
    return Text("checkpoints.quote.none")


def _quote_list(values: list[int]) -> str:
    return "[" + ", ".join(str(_quote(v)) for v in values) + "]"


def _reason(e: BaseException) -> str:
    """An exception's text, for a message: plain characters only, cut to 80."""
    text = re.sub(r"[^A-Za-z0-9 ,.:;()'=_-]", "", str(e)).replace("www.", "www ")
    return text if len(text) <= 80 else f"{text[:79]}…"


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
    """The checkpoint's JSON, validated: format version, required keys, the test figures."""
    _, config = paths(stem)
    meta = _read_json(config)
    where = shown(config)
    if not isinstance(meta, dict) or any(k not in meta for k in REQUIRED_KEYS):
        raise CheckpointError(Text("checkpoints.keys", where=where, keys=str(REQUIRED_KEYS)))
    version = meta["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:  # JSON true would pass as 1
        raise CheckpointError(
            Text(
                "checkpoints.version",
                where=where,
                found=_quote(version),
                version=FORMAT_VERSION,
                command="python -m vae_geom train-ladder",
            )
        )
    _check_test_figures(meta.get("test"), where)
    return meta


def _read_json(config: Path) -> object:
    """The file parsed as JSON data, within MAX_JSON_BYTES and MAX_JSON_DEPTH."""
    where = shown(config)
    try:
        size = config.stat().st_size if config.is_file() else None
    except OSError:
        size = None
    if size is None:
        raise CheckpointError(Text("checkpoints.missing", where=where))
    if size > MAX_JSON_BYTES:
        raise CheckpointError(
            Text("checkpoints.json_size", where=where, size=size, most=MAX_JSON_BYTES)
        )
    try:
        meta = json.loads(config.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # ValueError: 5,000 digits
        raise CheckpointError(Text("checkpoints.json", where=where, cause=_reason(e))) from e
    if _depth(meta) > MAX_JSON_DEPTH:
        raise CheckpointError(Text("checkpoints.json_depth", where=where, most=MAX_JSON_DEPTH))
    return meta


def _depth(obj: object) -> int:
    """How deep lists and objects nest in parsed JSON (a number is 0, [1] is 1), counted without
    recursion and no further than one level past MAX_JSON_DEPTH."""
    deepest, todo = 0, [(obj, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level := level + 1)
            if level <= MAX_JSON_DEPTH:
                todo += [(v, level) for v in (item.values() if isinstance(item, dict) else item)]
    return deepest


def _check_test_figures(test: object, where: str) -> None:
    """The recorded test figures every page may show must be there, numbers in their ranges."""
    retrain = Text("checkpoints.retrain_figures")
    if not isinstance(test, dict):
        raise CheckpointError(Text("checkpoints.no_figures", where=where, retrain=retrain))
    for key, (low, high, nullable) in TEST_FIGURES.items():
        v = test.get(key)
        if v is None and nullable and key in test:
            continue
        if not (_number(v) is not None and low <= v <= high):
            raise CheckpointError(
                Text(
                    "checkpoints.figure",
                    where=where,
                    key=key,
                    found=_quote(v) if key in test else Text("checkpoints.quote.missing"),
                    range=_range(low, high),
                    retrain=retrain,
                )
            )
    m = test.get("coverage_samples", 0)
    if not (type(m) is int and 0 <= m <= 10**9):
        raise CheckpointError(
            Text("checkpoints.coverage_samples", where=where, found=_quote(m), retrain=retrain)
        )


def _range(low: float, high: float) -> Text:
    if math.isinf(high):
        return Text("checkpoints.range.above", low=low)
    if math.isinf(low):
        return Text("checkpoints.range.below", high=high)
    return Text("checkpoints.range.between", low=low, high=high)


def _number(v: object) -> float | None:
    """v as a finite float, or None if it is not a finite JSON number (bool is not one)."""
    if type(v) not in (int, float):
        return None
    try:
        f = float(v)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return f if math.isfinite(f) else None


def load(stem: str | Path) -> tuple[VAE, dict]:
    """Rebuild the model from its JSON and fill it with the safetensors weights; eval mode."""
    meta = read_meta(stem)
    weights, config = paths(stem)
    model_config = _check_config(meta["model"], shown(config))
    if not weights.is_file():
        raise CheckpointError(Text("checkpoints.missing", where=shown(weights)))
    with torch.device("meta"):  # the shapes alone: nothing is allocated before the weights fit
        expected = VAE(model_config)
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(
            Text("checkpoints.weights", where=shown(weights), cause=_reason(e))
        ) from e
    _check_tensors(tensors, expected, shown(weights))
    model = VAE(model_config)
    model.load_state_dict(tensors)
    return model.eval(), meta


def _check_config(raw: object, where: str) -> ModelConfig:
    """The model config, or a refusal of one that cannot be built, would be absurdly large or
    slow, or whose latent space cannot be drawn as a plane; checked before anything is built."""
    bad = Text("checkpoints.config", where=where)
    if not isinstance(raw, dict):
        raise CheckpointError(Text("checkpoints.config.model", bad=bad, found=_quote(raw)))
    known = {f.name: f.default for f in fields(ModelConfig)}
    if unknown := [k for k in raw if k not in known]:
        raise CheckpointError(
            Text(
                "checkpoints.config.unknown",
                bad=bad,
                found=_quote(unknown[0]),
                keys=", ".join(known),
            )
        )
    c = {k: v for k, v in known.items() if v is not MISSING} | raw
    if "input_dim" not in c:
        raise CheckpointError(Text("checkpoints.config.no_input_dim", bad=bad))
    hidden = c["hidden"]
    if not (isinstance(hidden, list | tuple) and 1 <= len(hidden) <= MAX_HIDDEN_LAYERS):
        raise CheckpointError(
            Text("checkpoints.config.hidden", bad=bad, found=_quote(hidden), most=MAX_HIDDEN_LAYERS)
        )
    widths = [("input_dim", c["input_dim"], uploads.LIMITS.max_features)]
    widths += [("latent_dim", c["latent_dim"], MAX_WIDTH)]
    widths += [("hidden", h, MAX_WIDTH) for h in hidden]
    for name, v, most in widths:
        if not (type(v) is int and 0 < v <= most):  # type(): a bool is an int too
            shown_v = _quote(list(hidden)) if name == "hidden" else _quote(v)
            raise CheckpointError(
                Text("checkpoints.config.width", bad=bad, name=name, found=shown_v, most=most)
            )
    if c["kind"] not in KINDS:
        raise CheckpointError(
            Text("checkpoints.config.kind", bad=bad, found=_quote(c["kind"]), kinds=str(KINDS))
        )
    lo, hi = c["logvar_min"], c["logvar_max"]
    low, high = LOGVAR_RANGE
    if not (_number(lo) is not None and _number(hi) is not None and low <= lo < hi <= high):
        raise CheckpointError(
            Text(
                "checkpoints.config.logvar",
                bad=bad,
                lo_name="logvar_min",
                hi_name="logvar_max",
                lo=_quote(lo),
                hi=_quote(hi),
                low=low,
                high=high,
            )
        )
    if c["latent_dim"] != LATENT_DIM:
        raise CheckpointError(
            Text("checkpoints.latent", where=where, found=c["latent_dim"], dim=LATENT_DIM)
        )
    return ModelConfig(**c)


def _check_tensors(tensors: dict, model: VAE, where: str) -> None:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    if set(got) != set(expected):
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        raise CheckpointError(
            Text(
                "checkpoints.tensors",
                where=where,
                missing=_names(missing),
                extra=_names(extra),
            )
        )
    for k, shape in expected.items():
        if got[k] != shape:
            raise CheckpointError(
                Text(
                    "checkpoints.tensor_shape",
                    where=where,
                    key=k,
                    found=str(got[k]),
                    shape=str(shape),
                )
            )
        if tensors[k].dtype != torch.float32 or not torch.isfinite(tensors[k]).all():
            raise CheckpointError(Text("checkpoints.tensor_values", where=where, key=k))


def _names(keys: set[str]) -> str:
    """Tensor names for a message: the first three, each quoted as _quote does (in English: a
    tensor's name is the model's own word)."""
    first = ", ".join(str(_quote(k)) for k in sorted(keys)[:3])
    return f"[{first}{', …' if len(keys) > 3 else ''}]"
