"""The bad-input corpus: every broken file or link the app must refuse with a clear message.

    PYTHONPATH=. python tests/bad_inputs/make_corpus.py [OUT_DIR]

writes each bad input into OUT_DIR (default: tests/bad_inputs/generated/, git-ignored), two good
inputs (to show the app still works afterwards) and `manifest.json`, which lists every case: its
files, its kind and the message fragment the UI must show. Kinds:
  checkpoint_zip   a model zip uploaded on "Train your own" (files: NAME.zip)
  checkpoint_pair  NAME.json + NAME.safetensors found in the user-models folder, then picked
  upload           a data file uploaded on "Train your own"
  query            a link to the Explorer with these query parameters (no files)
Everything is generated here, from seeds, in a few seconds: no binary is ever committed.
`cases()` gives the same list without writing anything (for test ids).
"""

from __future__ import annotations

import argparse
import io
import json
import pickle
import struct
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.lib import format as npy_format
from safetensors.torch import save as safetensors_bytes

from vae_geom import checkpoints, user_models
from vae_geom.models import ModelConfig, make_model
from vae_geom.uploads import LIMITS, MB

DEFAULT_OUT = Path(__file__).resolve().parent / "generated"
MANIFEST = "manifest.json"
MARKER = "UNPICKLED"  # created in the corpus folder if a pickle payload ever runs
DATASET = "digits"  # the small built-in dataset the checkpoints are made for
INPUT_DIM = 64  # its 8×8 pixels
GOOD = {"upload": "good-upload.npz", "checkpoint_zip": "good-model.zip"}
MILLION = 10**6  # "10⁶ rows": far beyond LIMITS.max_samples
LONG = 10_000  # characters in a "very long" query value


@dataclass(frozen=True)
class Case:
    """One bad input and what the UI must say about it."""

    name: str  # unique; the pytest id
    kind: str  # checkpoint_zip | checkpoint_pair | upload | query
    message: str  # a fragment of the error or warning the UI shows
    what: str  # what is wrong, in a few words
    files: tuple[str, ...] = ()  # in the corpus folder
    query: dict[str, str] = field(default_factory=dict)  # for kind "query"


# ---------------------------------------------------------------------------------------------
# the cases: name, what is wrong, the message fragment (contents are made further down)

# each of these is written both as a zip to upload and as a pair in the user-models folder
CHECKPOINT_VARIANTS = [
    ("corrupt-weights", "random bytes as the weights", "not a readable safetensors file"),
    ("truncated-weights", "the weights cut in half", "not a readable safetensors file"),
    ("wrong-version", "format_version 99", "format version 99"),
    ("wrong-shape", "weights of a narrower network", "has shape"),
    ("pickle-weights", "a pickle named .safetensors", "not a readable safetensors file"),
    ("json-not-a-dict", "the JSON is a list", "not a vae-geom config"),
    ("json-garbage", "the JSON does not parse", "not valid JSON"),
    ("nan-weights", "a NaN among the weights", "not finite"),
    ("empty-hidden", "the config has no hidden layers", "invalid model config"),
    ("negative-width", "the config's input_dim is negative", "invalid model config"),
    ("huge-widths", "the config asks for 10¹² parameters", "whole numbers from 1 to 1,024"),
    ("three-latents", "a 3-D latent space", "2-D latent planes only"),
    ("other-dataset", "a model of 28×28 images", "reads 784 pixels per image"),
]
ZIP_ONLY = [
    ("not-a-zip", "random bytes named .zip", "not a readable .zip"),
    ("one-file", "a zip with only the JSON", "exactly two files"),
    ("bomb", "a zip that unpacks beyond the limit", "unpacks to more than"),
    ("forged-size", "a member whose declared size is a lie", "damaged"),
    ("damaged-member", "flipped bytes inside the weights", "damaged"),
]
RENAMED = "good model.zip"  # a space, as a person might rename it ("x (1).zip" is accepted)

# --- issue 12: records that pass the old checks yet broke pages; hostile JSON; Markdown in links
# each is written both as a zip to upload and as a pair in the user-models folder
RECORD_VARIANTS = [
    ("no-test-figures", "a record without its test figures", "has no test figures"),
    ("text-figures", "a test figure that is text", "coverage_1 is 'lots'"),
    ("absurd-logvar", "logvar in [-800, 700]: σ = e^350", "must be numbers from -30 to 10"),
    ("deep-layers", "10,000 hidden layers", "hidden is a list of 10,000 items"),
    ("wide-layers", "a hidden layer 4,096 wide", "layer widths must be whole numbers from 1 to"),
    ("huge-integer", "a 5,000-digit format_version", "not valid JSON"),
    ("deep-nesting", "objects nested 50 deep", "nests objects more than"),
    ("recursion-nesting", "lists nested 5,000 deep", "not valid JSON"),
    ("markdown-json", "an image in Markdown as format_version", "format version a text of 22"),
]
MARKDOWN_IMAGE = "![](http://host/t.png)"  # a reader's browser would fetch it
MARKDOWN_LINK = "[Log in again](//host)"  # a live link drawn inside the app
# A record's test figures, as training.test_metrics writes them (fixed numbers, so the corpus
# comes out byte for byte the same whatever torch's thread count)
TEST_FIGURES = {
    "recon": 30.0,
    "kl": 3.0,
    "elbo": -33.0,
    "coverage_1": 0.8,
    "coverage_2": 0.97,
    "aggregate_kl": 0.2,
    "aggregate_js": 0.05,
    "holes_fraction": 0.01,
    "code_spread": 1.4,
    "coverage_samples": 20_000,
}


def _record_variants(meta: dict, weights: bytes) -> dict[str, tuple[bytes, bytes]]:
    """(name -> (config JSON, weights)) for RECORD_VARIANTS; the good weights throughout."""

    def edited(**changes) -> bytes:
        return json.dumps({**meta, **changes}).encode()

    def with_model(**changes) -> bytes:
        return edited(model={**meta["model"], **changes})

    variants = {
        "no-test-figures": json.dumps({k: v for k, v in meta.items() if k != "test"}).encode(),
        "text-figures": edited(test={**meta["test"], "coverage_1": "lots"}),
        "absurd-logvar": with_model(logvar_min=-800.0, logvar_max=700.0),
        "deep-layers": with_model(hidden=[8] * 10_000),
        "wide-layers": with_model(hidden=[4096, 16]),
        "huge-integer": b'{"format_version": ' + b"9" * 5000 + b"}",
        "deep-nesting": edited(notes=json.loads("[" * 50 + "]" * 50)),
        "recursion-nesting": b"[" * 5000 + b"]" * 5000,
        "markdown-json": edited(format_version=MARKDOWN_IMAGE),
    }
    assert [v[0] for v in RECORD_VARIANTS] == list(variants), "keep the two lists in step"
    return {name: (config, weights) for name, config in variants.items()}


def _markdown_query_cases() -> list[Case]:
    """Links whose values are Markdown: the notice must show them as text."""
    return [
        Case(
            "markdown-dataset", "query", "is unknown", "an image", query={"dataset": MARKDOWN_IMAGE}
        ),
        Case("markdown-model", "query", "is unknown", "a link", query={"model": MARKDOWN_LINK}),
        Case("markdown-z", "query", "was ignored", "an image as z", query={"z": MARKDOWN_IMAGE}),
    ]


# --- end of issue 12's block

# --- issue 12, uploads held to memory budgets: each refused before its size is allocated
MANY_ENTRIES = 560_000  # directory entries in 26 MB: zipfile.ZipFile took 150 MB to parse them


def _memory_cases() -> list[Case]:
    values, members, d = LIMITS.max_values, LIMITS.max_zip_members, LIMITS.max_features
    return [
        Case("wide.npz", "upload", f"values; at most {values:,}", "20,000 × 4,096 bytes, 100 kB"),
        Case("wide-row.csv", "upload", f"{d + 1:,} values per sample", "a first row too wide"),
        Case("over-budget.csv", "upload", f"values; at most {values:,}", "16 M values, 32 MB"),
        Case(
            "many-entries.zip",
            "upload",
            f"holds {MANY_ENTRIES:,} files; at most {members:,}",
            f"{MANY_ENTRIES:,} empty directory entries",
        ),
        Case("ambiguous.npz", "upload", "not a NumPy array (.npy)", "x.npy and x (7.3 TiB)"),
        Case("duplicate.npz", "upload", "two arrays named 'x'", "x.npy twice, one of 7.3 TiB"),
    ]


def _memory_contents() -> dict[str, bytes]:
    wide = np.zeros((LIMITS.max_samples, LIMITS.max_features), np.uint8)
    wide[::2, 0] = 1  # not constant: only its size is wrong
    buf = io.BytesIO()
    np.save(buf, np.linspace(0, 1, 60 * 16, dtype=np.float32).reshape(60, 16))
    sound = buf.getvalue()
    buf = io.BytesIO()  # a header that declares 2⁴⁰ × 2 float32 (8 TiB) and holds no data
    npy_format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (2**40, 2)}
    )
    huge = buf.getvalue()
    return {
        "wide.npz": _npz(x=wide),
        "wide-row.csv": _csv([["0.5"] * (LIMITS.max_features + 1)] * 2),
        "over-budget.csv": ("1," * 999 + "0\n").encode() * 16_000,
        "many-entries.zip": _many_entries(MANY_ENTRIES),
        "ambiguous.npz": _zip({"x.npy": sound, "x": huge}),
        "duplicate.npz": _zip_twice("x.npy", sound, huge),
    }


def _many_entries(n: int) -> bytes:
    """A zip directory of n one-letter entries (47 bytes each) and no member data, closed by
    zip64 end records (needed past 65,535 entries)."""
    entry = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, *[0] * 7, 1, *[0] * 6) + b"a"
    directory = entry * n
    size = len(directory)
    end64 = struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, size, 0)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, size, 1)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1, 0)
    return directory + end64 + locator + end


def _zip_twice(name: str, first: bytes, second: bytes) -> bytes:
    """Two members of one name, which np.savez never writes."""
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate: that is the point
        zf.writestr(_member(name), first)
        zf.writestr(_member(name), second)
    return buf.getvalue()


# --- end of issue 12's uploads block


def _upload_cases() -> list[Case]:
    n, lim = LIMITS.max_samples, LIMITS.max_unzipped_bytes / MB
    assert MILLION > n, "the million-row cases must exceed the row limit"
    return [
        Case("nan.npz", "upload", "5 NaN values", "NaN among the samples"),
        Case("inf.npz", "upload", "3 infinite values", "inf among the samples"),
        Case("nan.csv", "upload", "1 NaN value; replace", "one 'nan' cell"),
        Case("inf.csv", "upload", "infinite values", "'inf' and '-inf' cells"),
        Case("ragged.csv", "upload", "line 3: 2 values where the first row has 3", "ragged"),
        Case("zero-rows.csv", "upload", "no data rows", "a header and nothing else"),
        Case("zero-rows.npz", "upload", f"0 samples; at least {LIMITS.min_samples}", "(0, 16)"),
        Case("empty.csv", "upload", "is empty (0 bytes)", "a file of 0 bytes"),
        Case(
            "million-rows.csv",
            "upload",
            f"more than {n + 1:,} rows; at most {n:,} samples",  # read no further than that
            f"{MILLION:,} rows",
        ),
        Case("million-rows.npz", "upload", f"{MILLION:,} samples; at most {n:,}", "(10⁶, 1)"),
        Case("not-images.zip", "upload", "contains no .png or .jpg images", "text files"),
        Case("bomb.zip", "upload", f"at most {lim:g} MB are unpacked", "zeros beyond the limit"),
        Case("bomb.npz", "upload", f"at most {lim:g} MB are unpacked", "the bomb as .npz"),
        Case("forged-size.zip", "upload", "would unpack to 4,", "declares 4 GB, holds bytes"),
        Case("understated-size.zip", "upload", "cannot be unpacked", "declares less than it holds"),
        Case("utf16.csv", "upload", "it looks like UTF-16", "UTF-16 with a byte-order mark"),
        Case("utf16-no-bom.csv", "upload", "NUL characters", "UTF-16 without a byte-order mark"),
        Case("latin1.csv", "upload", "Latin-1", "Latin-1/Windows-1252 accents and quotes"),
        Case("garbage.csv", "upload", "binary data", "random bytes named .csv"),
        Case("pickle.npz", "upload", "pickled data", "an object array: a pickle payload"),
        Case("truncated.npz", "upload", "not a readable .npz file", "an .npz cut in half"),
        Case("table.xlsx", "upload", "cannot read .xlsx", "an unsupported file type"),
    ]


def _query_cases() -> list[Case]:
    def q(name: str, message: str, what: str, **query: str) -> Case:
        return Case(name, "query", message, what, query=query)

    return [
        q("unknown-dataset", "dataset “cifar10” is unknown", "no such dataset", dataset="cifar10"),
        q("unknown-model", "model “vae-kl-42” is unknown", "no such model", model="vae-kl-42"),
        q("path-model", "is unknown", "a path as the model", model="user:../../etc/passwd"),
        q("z-text", "z must be two numbers", "z is not numeric", z="abc,1"),
        q("z-huge", "outside the plane shown", "z = 1e308", z="1e308,1e308"),
        q("z-overflow", "finite", "1e999 parses as inf", z="1e999,0"),
        q("z-inf", "finite", "z = -inf", z="-inf,0"),
        q("z-nan", "finite", "z = nan", z="nan,nan"),
        q("z-three", "z must be two numbers", "three components", z="1,2,3"),
        q("z-empty", "z must be two numbers", "empty z", z=""),
        q("long-dataset", "is unknown", f"{LONG:,} characters", dataset="x" * LONG),
        q("long-model", "is unknown", f"{LONG:,} characters", model="m" * LONG),
        q("long-z", "z must be two numbers", f"{LONG:,} characters", z="1," * (LONG // 2)),
    ]


def cases() -> list[Case]:
    """Every case, without writing anything."""
    ckpt = []
    for name, what, message in CHECKPOINT_VARIANTS + RECORD_VARIANTS:
        ckpt.append(
            Case(f"ckpt-{name}.zip", "checkpoint_zip", message, what, (f"ckpt-{name}.zip",))
        )
        pair = (f"ckpt-{name}.json", f"ckpt-{name}.safetensors")
        ckpt.append(Case(f"ckpt-{name}", "checkpoint_pair", message, what, pair))
    for name, what, message in ZIP_ONLY:
        ckpt.append(
            Case(f"ckpt-{name}.zip", "checkpoint_zip", message, what, (f"ckpt-{name}.zip",))
        )
    ckpt.append(Case(RENAMED, "checkpoint_zip", "cannot be a model name", "a space", (RENAMED,)))
    uploads = [
        Case(c.name, c.kind, c.message, c.what, files=(c.name,))
        for c in _upload_cases() + _memory_cases()
    ]
    return ckpt + uploads + _query_cases() + _markdown_query_cases()


# ---------------------------------------------------------------------------------------------
# builders


class _WritesMarker:
    """Unpickling this creates the marker file (it calls open(marker, "w")): proof it ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def _member(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so the same corpus comes out byte for byte every time."""
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in files.items():
            zf.writestr(_member(name), content)
    return buf.getvalue()


def _zeros_zip(name: str, size: int, extra: dict[str, bytes] | None = None) -> bytes:
    """A member of `size` zero bytes, deflated (~1,000-fold) as it streams: a real zip bomb."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for other, content in (extra or {}).items():
            zf.writestr(_member(other), content)
        with zf.open(_member(name), "w", force_zip64=True) as f:
            chunk = bytes(16 * MB)
            for _ in range(size // len(chunk) + 1):
                f.write(chunk)
    return buf.getvalue()


def _forge_size(data: bytes, size: int) -> bytes:
    """Rewrite the one member's declared uncompressed size, in its local and central headers."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.index(signature)
        out[at + offset : at + offset + 4] = size.to_bytes(4, "little")
    return bytes(out)


def _flip_member_bytes(data: bytes, member: str) -> bytes:
    """Invert 64 bytes in the middle of a member's compressed data (the directory stays valid)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(member)
    out = bytearray(data)
    local = info.header_offset
    name_len, extra_len = (
        int.from_bytes(out[local + k : local + k + 2], "little") for k in (26, 28)
    )
    middle = local + 30 + name_len + extra_len + info.compress_size // 2
    out[middle : middle + 64] = bytes(b ^ 0xFF for b in out[middle : middle + 64])
    return bytes(out)


def _npz(**arrays: np.ndarray) -> bytes:
    """What np.savez_compressed writes, with _zip's fixed dates."""
    members = {}
    for key, array in arrays.items():
        buf = io.BytesIO()
        np.save(buf, array)  # allow_pickle: the object array of the pickle case is pickled
        members[f"{key}.npy"] = buf.getvalue()
    return _zip(members)


def _csv(rows: list[list[str]]) -> bytes:
    return "".join(",".join(r) + "\n" for r in rows).encode()


def _upload_contents(rng: np.random.Generator, marker: Path) -> dict[str, bytes]:
    n = LIMITS.min_samples + 10
    x = rng.random((n, 16)).astype(np.float32)  # (n, 16): 4×4 "images" in [0, 1]
    nan, inf = x.copy(), x.copy()
    nan.flat[rng.choice(nan.size, 5, replace=False)] = np.nan
    inf.flat[rng.choice(inf.size, 3, replace=False)] = [np.inf, -np.inf, np.inf]
    rows = [[f"{v:.3f}" for v in r] for r in x[:, :3]]
    latin1 = "“température”,poids,âge\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    utf16 = "".join(",".join(r) + "\n" for r in rows)
    return {
        "nan.npz": _npz(x=nan),
        "inf.npz": _npz(x=inf),
        "nan.csv": _csv([*rows[:10], ["0.5", "nan", "0.25"], *rows[10:]]),
        "inf.csv": _csv([*rows[:10], ["inf", "-inf", "0.25"], *rows[10:]]),
        "ragged.csv": _csv([*rows[:2], ["0.5", "0.25"], *rows[2:]]),
        "zero-rows.csv": b"a,b,c\n",
        "zero-rows.npz": _npz(x=np.zeros((0, 16), np.float32)),
        "empty.csv": b"",
        "million-rows.csv": b"0.5\n" * MILLION,  # 4 MB, refused at row max_samples + 2
        "million-rows.npz": _npz(x=np.zeros((MILLION, 1), np.uint8)),
        "not-images.zip": _zip({"readme.txt": b"hello", "data/values.csv": _csv(rows)}),
        "bomb.zip": _zeros_zip("zeros.png", LIMITS.max_unzipped_bytes + 1),
        "bomb.npz": _zeros_zip("x.npy", LIMITS.max_unzipped_bytes + 1),
        "forged-size.zip": _forge_size(_zip({"a.png": b"\x89PNG tiny"}), 0xFFFF_FFF0),
        "understated-size.zip": _forge_size(_zip({"zeros.png": bytes(100_000)}), 1000),
        "utf16.csv": utf16.encode("utf-16"),  # with a byte-order mark
        "utf16-no-bom.csv": utf16.encode("utf-16-le"),
        "latin1.csv": latin1.encode("cp1252"),
        "garbage.csv": rng.bytes(4096),
        "pickle.npz": _npz(x=np.array([_WritesMarker(marker)] * n, dtype=object)),
        "truncated.npz": (full := _npz(x=x))[: len(full) // 2],
        "table.xlsx": b"PK\x03\x04 not really a spreadsheet",
        GOOD["upload"]: _npz(x=x, y=np.arange(n) % 3),
    }


def _checkpoint_variants(
    rng: np.random.Generator, marker: Path, scratch: Path
) -> tuple[dict[str, tuple[bytes, bytes]], tuple[bytes, bytes]]:
    """(name -> (config JSON, weights)) for CHECKPOINT_VARIANTS, and the good pair."""
    good_model = make_model(ModelConfig(INPUT_DIM, hidden=(32, 16)), seed=0)
    good_meta = {"name": "good", "dataset": DATASET, "test": TEST_FIGURES}
    checkpoints.save(good_model, scratch / "good", good_meta)
    weights_path, config_path = checkpoints.paths(scratch / "good")
    weights, config = weights_path.read_bytes(), config_path.read_bytes()
    meta = json.loads(config)

    def with_model(**changes) -> bytes:
        return json.dumps({**meta, "model": {**meta["model"], **changes}}).encode()

    def weights_of(**changes) -> bytes:
        model = make_model(ModelConfig(**{**meta["model"], **changes}), seed=0)
        return safetensors_bytes({k: v.contiguous() for k, v in model.state_dict().items()})

    big = make_model(ModelConfig(28 * 28, hidden=(32, 16)), seed=0)
    checkpoints.save(
        big, scratch / "big", {"name": "big", "dataset": "mnist", "test": TEST_FIGURES}
    )
    big_weights, big_config = (p.read_bytes() for p in checkpoints.paths(scratch / "big"))
    nan = {k: v.clone() for k, v in good_model.state_dict().items()}
    nan["to_mu.bias"][0] = float("nan")
    variants = {
        "corrupt-weights": (config, rng.bytes(4096)),
        "truncated-weights": (config, weights[: len(weights) // 2]),
        "wrong-version": (json.dumps({**meta, "format_version": 99}).encode(), weights),
        "wrong-shape": (config, weights_of(hidden=(16, 8))),
        "pickle-weights": (config, pickle.dumps(_WritesMarker(marker))),
        "json-not-a-dict": (b"[1, 2]", weights),
        "json-garbage": (b"{not json", weights),
        "nan-weights": (config, safetensors_bytes(nan)),
        "empty-hidden": (with_model(hidden=[]), weights),
        "negative-width": (with_model(input_dim=-INPUT_DIM), weights),
        "huge-widths": (with_model(hidden=[MILLION, MILLION]), weights),
        "three-latents": (with_model(latent_dim=3), weights_of(latent_dim=3)),
        "other-dataset": (big_config, big_weights),
    }
    assert [v[0] for v in CHECKPOINT_VARIANTS] == list(variants), "keep the two lists in step"
    return variants | _record_variants(meta, weights), (config, weights)


def _checkpoint_contents(rng: np.random.Generator, marker: Path, scratch: Path) -> dict[str, bytes]:
    variants, (config, weights) = _checkpoint_variants(rng, marker, scratch)
    out: dict[str, bytes] = {}
    for name, (c, w) in variants.items():
        stem = f"ckpt-{name}"
        out[f"{stem}.json"], out[f"{stem}.safetensors"] = c, w
        out[f"{stem}.zip"] = _zip({f"{stem}.json": c, f"{stem}.safetensors": w})
    good_zip = _zip({"good-model.json": config, "good-model.safetensors": weights})
    limit = user_models.MAX_CHECKPOINT_BYTES
    out |= {
        "ckpt-not-a-zip.zip": rng.bytes(4096),
        "ckpt-one-file.zip": _zip({"m.json": config}),
        "ckpt-bomb.zip": _zeros_zip("m.safetensors", limit + 1, extra={"m.json": config}),
        # the weights declare 1,000 bytes: the checks pass, unpacking then finds a bad CRC
        "ckpt-forged-size.zip": _forge_size(
            _zip({"m.safetensors": weights, "m.json": config}), 1000
        ),
        "ckpt-damaged-member.zip": _flip_member_bytes(good_zip, "good-model.safetensors"),
        RENAMED: good_zip,
        GOOD["checkpoint_zip"]: good_zip,
    }
    return out


def build(out_dir: str | Path = DEFAULT_OUT) -> list[Case]:
    """Write every case's files, the good inputs and manifest.json into out_dir; the cases."""
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    rng = np.random.default_rng(0)
    scratch = out / ".scratch"
    scratch.mkdir(exist_ok=True)
    with torch.random.fork_rng(devices=[]):
        contents = _upload_contents(rng, marker) | _checkpoint_contents(rng, marker, scratch)
    contents |= _memory_contents()
    for p in scratch.iterdir():
        p.unlink()
    scratch.rmdir()
    every = cases()
    named = {f for c in every for f in c.files} | set(GOOD.values())
    assert named == set(contents), f"files without a case: {set(contents) ^ named}"
    for name, data in contents.items():
        (out / name).write_bytes(data)
    manifest = {
        "dataset": DATASET,
        "marker": MARKER,
        "good": GOOD,
        "cases": [asdict(c) for c in every],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return every


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=DEFAULT_OUT, type=Path)
    args = parser.parse_args(argv)
    every = build(args.out_dir)
    print(f"{len(every)} cases in {args.out_dir}")


if __name__ == "__main__":
    main()
