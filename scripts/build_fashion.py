"""Build assets/data/fashion.npz from Debian's Fashion-MNIST: python scripts/build_fashion.py.

Reads the official idx files that Debian's package `dataset-fashion-mnist` installs under
/usr/share/datasets/fashion-mnist/ (Zalando Research, MIT licence; no network) and keeps
2,000 training images per class, drawn with a fixed seed from the official training set, and
500 test images per class from the official test set (t10k), in the files' own order.

The npz holds uint8 arrays x_train (20,000 x 784), y_train, x_test (5,000 x 784), y_test, and
i_train, i_test: each kept row's index in its idx file. Running this twice gives identical
arrays; an existing npz holding them already is left untouched, so a rebuild changes no bytes.
Only the standard library and numpy: the idx format is parsed here.
"""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import numpy as np

SOURCE = Path("/usr/share/datasets/fashion-mnist")
OUT = Path(__file__).resolve().parent.parent / "assets" / "data" / "fashion.npz"
SEED = 0
CLASSES = 10
PER_CLASS = {"train": 2_000, "t10k": 500}
IDX_UBYTE = 0x08  # the idx type code of unsigned bytes


def read_idx(path: Path) -> np.ndarray:
    """An idx file (gzipped) as a uint8 array of the shape its header gives."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != IDX_UBYTE or ndim not in (1, 3):
        raise ValueError(f"{path}: not an idx file of unsigned bytes (magic {raw[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    body = raw[4 + 4 * ndim :]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{path}: {len(body):,} bytes of data, the header says shape {shape}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def read_split(split: str, source: Path = SOURCE) -> tuple[np.ndarray, np.ndarray]:
    """The official images, flattened to (n, 784) uint8, and labels (n,) uint8 of one split
    ("train" or "t10k")."""
    x = read_idx(source / f"{split}-images-idx3-ubyte.gz")
    y = read_idx(source / f"{split}-labels-idx1-ubyte.gz")
    if x.shape[0] != y.shape[0] or x.shape[1:] != (28, 28) or y.max() >= CLASSES:
        raise ValueError(f"{split}: images {x.shape} and labels {y.shape} do not match")
    return x.reshape(len(x), -1), y


def pick(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """per_class indices of each class, drawn without replacement, returned sorted."""
    chosen = [
        rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(CLASSES)
    ]
    return np.sort(np.concatenate(chosen))


def build(source: Path = SOURCE, seed: int = SEED) -> dict[str, np.ndarray]:
    """The arrays of fashion.npz, the same on every run and machine."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, name in (("train", "train"), ("t10k", "test")):
        x, y = read_split(split, source)
        i = pick(y, PER_CLASS[split], rng)
        arrays |= {f"x_{name}": x[i], f"y_{name}": y[i], f"i_{name}": i.astype(np.int32)}
    return arrays


def same_arrays(path: Path, arrays: dict[str, np.ndarray]) -> bool:
    if not path.is_file():
        return False
    with np.load(path, allow_pickle=False) as f:
        return set(f.files) == set(arrays) and all(
            f[k].dtype == v.dtype and np.array_equal(f[k], v) for k, v in arrays.items()
        )


def main(out: Path = OUT) -> int:
    missing = [
        f"{s}-{k}-ubyte.gz"
        for s in PER_CLASS
        for k in ("images-idx3", "labels-idx1")
        if not (SOURCE / f"{s}-{k}-ubyte.gz").is_file()
    ]
    if missing:
        print(
            f"Fashion-MNIST's idx files are missing from {SOURCE} ({', '.join(missing)}).\n"
            "Install Debian's package: sudo apt-get install dataset-fashion-mnist",
            file=sys.stderr,
        )
        return 1
    arrays = build()
    if same_arrays(out, arrays):
        print(f"{out} already holds these arrays: left unchanged.")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    counts = {k: len(v) for k, v in arrays.items() if k.startswith("x_")}
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
