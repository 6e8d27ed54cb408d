"""A user's uploaded file -> a `Dataset`, or one `UploadError` that says what is wrong and the fix.

Accepted: `.npz` (array `x`, `images` or `X`, optional `y`/`labels`), `.csv` (one sample per row,
optional header, an optional `label` column) and `.zip` of PNG/JPEG images (labels from the
sub-folders). A separate labels file (`.csv`, `.npy`, `.npz`) may come alongside.

Untrusted bytes are handled defensively: nothing is ever unpickled (npz headers are read before
any array, object arrays are refused), zip archives are opened by `zips.open_archive`, which judges
them by their declared sizes before a single member is inflated, and nothing is written to disk.
Either a complete Dataset comes back or an UploadError is raised; nothing is half loaded. `LIMITS`
holds what an upload may be; its file cap is `zips.MAX_UPLOAD_BYTES`, the one all uploads share.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import NamedTuple

import numpy as np
from numpy.lib import format as npy_format

from vae_geom import zips
from vae_geom.data import SPLIT_SEED, TEST_FRACTION, Dataset, split_indices

MB = zips.MB  # Streamlit counts server.maxUploadSize in these megabytes


@dataclass(frozen=True)
class Limits:
    """What an upload may be; read at call time, so a test can swap in smaller limits."""

    max_file_bytes: int = zips.MAX_UPLOAD_BYTES  # = server.maxUploadSize, as for checkpoints
    min_samples: int = 50  # fewer cannot be split into train/test and trained on sensibly
    max_samples: int = 20_000  # training in the browser session stays interactive
    max_features: int = 64 * 64  # pixels (or values) per sample
    # n × d values in all, checked before anything that size is allocated: MNIST-sized (20,000
    # images of 28×28, 63 MB as float32). The two caps above alone let 20,000 × 4,096 through,
    # 312 MB as float32 from a 121 kB .npz of zeros; four such uploads took a server to 3 GB.
    max_values: int = 20_000 * 28 * 28
    max_classes: int = 100  # each class is one plotly trace in the latent figures
    # 20,000 images plus the __MACOSX/._ twin macOS Finder adds beside each of them
    max_zip_members: int = 40_000
    max_unzipped_bytes: int = 200 * MB  # zip-bomb guard: sum of the declared member sizes
    max_zip_ratio: int = zips.ZipLimits.max_ratio  # why this ratio and floor: see ZipLimits
    ratio_floor_bytes: int = zips.ZipLimits.ratio_floor_bytes

    @property
    def zip_limits(self) -> zips.ZipLimits:
        """What zips.open_archive checks an archive's directory against."""
        return zips.ZipLimits(
            max_members=self.max_zip_members,
            max_unpacked_bytes=self.max_unzipped_bytes,
            max_ratio=self.max_zip_ratio,
            ratio_floor_bytes=self.ratio_floor_bytes,
        )


LIMITS = Limits()
IMAGE_TYPES = (".png", ".jpg", ".jpeg")
X_KEYS = ("x", "images", "X")  # npz array names taken as the samples, in this order
Y_KEYS = ("y", "labels")  # npz array names taken as the labels
EXPECTED = "expected .npz, .csv or .zip of PNGs"


class UploadError(ValueError):
    """An upload that cannot be used; the message says what is wrong and how to fix it.

    `suggest_rescale` is True when only the value range is wrong: the UI may then offer to
    load the file again with `rescale=True`; `value_range` is the (min, max) found.
    """

    def __init__(
        self,
        message: str,
        *,
        suggest_rescale: bool = False,
        value_range: tuple[float, float] | None = None,
    ):
        super().__init__(message)
        self.suggest_rescale = suggest_rescale
        self.value_range = value_range


class _Raw(NamedTuple):
    """What a reader found: samples of shape (n, ...) and labels of shape (n,) or None."""

    x: np.ndarray
    y: np.ndarray | None
    label_name: str = "label"


# ---------------------------------------------------------------------------------------------
# public API


def load_upload(
    name: str,
    data: bytes,
    labels: bytes | None = None,
    labels_name: str | None = None,
    rescale: bool = False,
) -> Dataset:
    """Read an uploaded file into a split `Dataset` named "upload:<name>".

    x_* are float32 of shape (n, d) in [0, 1], y_* int64 of shape (n,) (zeros without labels).
    A separate `labels` file wins over labels found inside `data`. Raises `UploadError`.
    """
    _check_file_size(name, data)
    readers = {".npz": _read_npz, ".csv": _read_csv, ".zip": _read_zip}
    kind = PurePosixPath(name).suffix.lower()
    if kind not in readers:
        raise UploadError(
            f"{name}: cannot read {kind or 'files without an extension'}; {EXPECTED}."
        )
    raw = readers[kind](data, name)
    x = check_samples(raw.x, rescale=rescale, where=name)
    image_shape = _image_shape(raw.x.shape)
    if labels is not None:
        y, label_name = load_labels(labels_name, labels, n=len(x)), "label"
    elif raw.y is not None:
        y, label_name = check_labels(raw.y, len(x), where=name), raw.label_name
    else:
        y, label_name = np.zeros(len(x), np.int64), "label"
    train, test = _split(y)
    return Dataset(
        f"upload:{name}", x[train], y[train], x[test], y[test], image_shape, label_name=label_name
    )


def check_samples(x: np.ndarray, rescale: bool = False, where: str = "the data") -> np.ndarray:
    """Validate samples of shape (n, ...) and return them as float32 of shape (n, d) in [0, 1].

    Values outside [0, 1] raise an UploadError with `suggest_rescale=True`, unless `rescale`,
    in which case they are min-max scaled: (x - min) / (max - min).
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise UploadError(f"{where}: values have type {x.dtype}; numbers are needed.")
    if x.ndim < 2:
        raise UploadError(
            f"{where}: an array of shape {x.shape} has no rows; give one row per sample, "
            "of shape (n, d) or images of shape (n, h, w)."
        )
    x = x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (n, d); -1 fails when n = 0
    _check_counts(x.shape, where)
    _check_finite(x, where)
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        raise UploadError(f"{where}: every value is {lo:g}; the samples carry nothing to learn.")
    if lo < 0 or hi > 1:
        if not rescale:
            raise UploadError(
                f"{where}: values run from {lo:g} to {hi:g}, outside [0, 1]. Rescale them to "
                "[0, 1] (min-max: (x - min) / (max - min)), or divide by 255 yourself if they "
                "are 8-bit pixels, and upload again.",
                suggest_rescale=True,
                value_range=(lo, hi),
            )
        x = (x - lo) / (hi - lo)  # python floats keep float32 input float32
    return np.ascontiguousarray(np.clip(x, 0, 1), dtype=np.float32)


def check_labels(y: np.ndarray, n: int, where: str = "the labels") -> np.ndarray:
    """Validate labels for n samples: n integer values; returns int64 of shape (n,)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column vector, as np.savetxt or a one-column csv give it
    if y.ndim != 1:
        raise UploadError(f"{where}: labels of shape {y.shape}; give one integer per sample.")
    if len(y) != n:
        raise UploadError(
            f"{where}: {len(y):,} labels for {n:,} samples; give exactly one integer label "
            "per sample, in the same order as the samples."
        )
    if y.dtype.kind not in "biuf":
        raise UploadError(f"{where}: labels have type {y.dtype}; integers are needed.")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y)) | (np.abs(y) > 2**31)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise UploadError(
                f"{where}: {int(bad.sum()):,} labels are not integers (the first, at position "
                f"{first + 1}, is {float(y[first]):g}); labels must be whole numbers "
                "such as 0, 1, 2."
            )
    y = y.astype(np.int64)
    classes = len(np.unique(y))
    if classes > LIMITS.max_classes:
        raise UploadError(
            f"{where}: {classes:,} different labels; at most {LIMITS.max_classes} classes can be "
            "drawn. Labels name classes (such as digits), not measurements."
        )
    return y


def load_labels(name: str | None, data: bytes, n: int) -> np.ndarray:
    """A separate labels file (.csv one integer per row, .npy, or .npz) -> int64 of shape (n,)."""
    where = name or "the labels file"
    _check_file_size(where, data)
    kind = PurePosixPath(name).suffix.lower() if name else _sniff(data)
    if kind in (".csv", ".txt"):  # .txt: what np.savetxt users often name it
        y = _read_label_csv(data, where)
    elif kind == ".npy":
        y = _read_npy(data, where)
    elif kind == ".npz":
        y = _read_label_npz(data, where)
    else:
        raise UploadError(
            f"{where}: cannot read {kind or 'this file'}; labels must be a .csv (one integer "
            "per row), .npy or .npz."
        )
    return check_labels(y, n, where=where)


def describe(ds: Dataset) -> str:
    """One line for the UI, e.g. "1,000 samples of 28×28, 10 classes"."""
    y = np.concatenate([ds.y_train, ds.y_test])
    h, w = ds.image_shape
    k = len(np.unique(y))
    shape = f"vectors of {w:,} values" if h == 1 else f"{h}×{w}"
    return f"{len(y):,} samples of {shape}, {k} {'class' if k == 1 else 'classes'}"


# ---------------------------------------------------------------------------------------------
# checks shared by the readers


def _check_file_size(where: str, data: bytes) -> None:
    if len(data) == 0:
        raise UploadError(f"{where} is empty (0 bytes); upload the file again.")
    if len(data) > LIMITS.max_file_bytes:
        raise UploadError(
            f"{where} is {len(data) / MB:.1f} MB; uploads are limited to "
            f"{LIMITS.max_file_bytes / MB:g} MB. Upload fewer samples, or compress them (.npz)."
        )


def _check_counts(shape: tuple[int, int], where: str) -> None:
    n, d = shape
    if n < LIMITS.min_samples:
        raise UploadError(
            f"{where}: {n:,} samples; at least {LIMITS.min_samples} are needed to train and test."
        )
    if n > LIMITS.max_samples:
        raise UploadError(
            f"{where}: {n:,} samples; at most {LIMITS.max_samples:,} can be trained here. "
            "Upload a random subset."
        )
    if d == 0:
        raise UploadError(f"{where}: the samples have no values (0 features).")
    _check_features(d, where)
    _check_budget(n, d, where)


def _check_features(d: int, where: str) -> None:
    if d > LIMITS.max_features:
        raise UploadError(
            f"{where}: {d:,} values per sample; at most {LIMITS.max_features:,} (64×64 pixels). "
            "Downscale the images."
        )


def _check_budget(n: int, d: int, where: str, more: str = "") -> None:
    """n samples of d values fit LIMITS.max_values; called before they are allocated."""
    if n * d > LIMITS.max_values:
        raise UploadError(
            f"{where}: {more}{n:,} samples × {d:,} values = {n * d:,} values; at most "
            f"{LIMITS.max_values:,} (as many as 20,000 images of 28×28) are read here. Upload "
            "fewer samples or smaller images."
        )


def _check_finite(x: np.ndarray, where: str) -> None:
    if x.dtype.kind != "f" or np.isfinite(x).all():
        return
    nan, inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
    found = " and ".join(
        s for s in (f"{nan:,} NaN" if nan else "", f"{inf:,} infinite" if inf else "") if s
    )
    noun = "value" if nan + inf == 1 else "values"
    raise UploadError(f"{where}: {found} {noun}; replace or remove them (every value must be set).")


def _image_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """(h, w) for images of shape (n, h, w); for vectors (n, d), (s, s) if d = s² else (1, d)."""
    if len(shape) == 3:
        return int(shape[1]), int(shape[2])
    d = math.prod(shape[1:])
    s = math.isqrt(d)
    return (s, s) if s * s == d else (1, d)


def _split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split when every class can give a test sample, else a seeded 80/20 split."""
    _, counts = np.unique(y, return_counts=True)
    if counts.min() >= 2:
        train, test = split_indices(y)
        if len(train) and len(test):  # classes of 2 round to 0 test samples each
            return train, test
    perm = np.random.default_rng(SPLIT_SEED).permutation(len(y))
    n_test = int(round(len(y) * TEST_FRACTION))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def _sniff(data: bytes) -> str:
    """The extension a nameless file's content suggests."""
    if data.startswith(b"\x93NUMPY"):
        return ".npy"
    if data.startswith(b"PK"):
        return ".npz"
    return ".csv"


# ---------------------------------------------------------------------------------------------
# zip archives (also the container of .npz): judged by their directory before anything inflates


def _open_zip(data: bytes, where: str, what: str) -> zipfile.ZipFile:
    """The archive, its directory within LIMITS; `what` names it (".npz file", ".zip archive")."""
    return zips.open_archive(
        data, LIMITS.zip_limits, lambda refusal: UploadError(_zip_refused(refusal, where, what))
    )


def _zip_refused(r: zips.Refusal, where: str, what: str) -> str:
    """Why zips.open_archive refused an upload, and what to do about it."""
    match r.problem:
        case "unreadable":
            return (
                f"{where} is not a readable {what} ({r.cause}); it may be truncated or of "
                f"another type: {EXPECTED}."
            )
        case "members":
            return f"{where} holds {r.found:,} files; at most {r.limit:,} are read."
        case "unpacked":
            return (
                f"{where} would unpack to {r.found / MB:,.0f} MB; at most {r.limit / MB:g} MB "
                "are unpacked. Upload fewer or smaller samples (uint8 or float32 rather than "
                "float64)."
            )
        case "encrypted":
            return f"{where}: {r.member} is encrypted; zip it without a password."
        case "ratio":
            return (
                f"{where}: {r.member} claims to expand {r.found:,.0f}-fold (more than "
                f"{r.limit:,}); that is a zip bomb or a damaged archive, not data."
            )


def _read_member(zf: zipfile.ZipFile, member: str, where: str) -> bytes:
    return zips.read_member(
        zf,
        member,
        lambda why: UploadError(
            f"{where}: {member} cannot be unpacked ({why}); the archive may be damaged: "
            "create it again."
        ),
    )


# ---------------------------------------------------------------------------------------------
# .npz / .npy


def _check_npy_header(fp: io.BufferedIOBase, where: str) -> None:
    """Read a .npy header (never its data) and refuse pickled objects and oversized arrays."""
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = npy_format.read_array_header_2_0(fp)
        else:  # 3.0 only exists for structured dtypes with unicode field names
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, EOFError, OSError, SyntaxError) as e:
        raise UploadError(
            f"{where} is not a readable NumPy array ({e}); save it with np.save or np.savez."
        ) from e
    if dtype.hasobject:
        raise UploadError(
            f"{where} holds Python objects (pickled data), which are never loaded for safety. "
            "Save plain numbers, e.g. np.savez(f, x=x.astype(np.float32))."
        )
    if dtype.kind not in "biuf":
        raise UploadError(f"{where} holds values of type {dtype}; numbers are needed.")
    if len(shape) >= 2:  # samples (n, ...): a 1-D array is labels, or refused later as no rows
        _check_budget(shape[0], math.prod(shape[1:]), where)
    if math.prod(shape) * dtype.itemsize > LIMITS.max_unzipped_bytes:
        raise UploadError(
            f"{where} declares an array of shape {shape} ({dtype}), larger than "
            f"{LIMITS.max_unzipped_bytes / MB:g} MB; upload fewer samples."
        )


def _read_npy(data: bytes, where: str) -> np.ndarray:
    fp = io.BytesIO(data)
    _check_npy_header(fp, where)
    fp.seek(0)
    try:
        return np.load(fp, allow_pickle=False)
    except (ValueError, EOFError, OSError) as e:
        raise UploadError(f"{where} is not a readable .npy file ({e}); save it again.") from e


def _npz_arrays(zf: zipfile.ZipFile, where: str) -> dict[str, str]:
    """Array name -> member name (the member without .npy), as np.savez writes them.

    Anything else is refused rather than guessed at: a member without .npy, or two members with
    one name (np.load maps "x" to a member "x" or "x.npy", whichever it finds).
    """
    arrays: dict[str, str] = {}
    for member in zf.namelist():
        if not member.endswith(".npy"):
            raise UploadError(
                f"{where} holds {member[:60]!r}, which is not a NumPy array (.npy); save the "
                "arrays with np.savez(f, x=x, y=y) and nothing else in the file."
            )
        key = member[:-4]
        if key in arrays:
            raise UploadError(
                f"{where} holds two arrays named {key[:60]!r}; save it again with "
                "np.savez(f, x=x, y=y)."
            )
        arrays[key] = member
    return arrays


def _load_npz_array(zf: zipfile.ZipFile, member: str, key: str, where: str) -> np.ndarray:
    """The array in `member`, whose header is checked first; the one member read is that one."""
    with zf.open(member) as fp:
        _check_npy_header(fp, f"{where}: array {key!r}")
    try:
        with zf.open(member) as fp:
            return npy_format.read_array(fp, allow_pickle=False)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as e:
        raise UploadError(f"{where}: array {key!r} cannot be read ({e}); save it again.") from e


def _pick(keys: list[str], preferred: tuple[str, ...], exclude: tuple[str, ...]) -> str | None:
    """The first preferred name present, else the only name not excluded, else None."""
    for k in preferred:
        if k in keys:
            return k
    rest = [k for k in keys if k not in exclude]
    return rest[0] if len(rest) == 1 else None


def _read_npz(data: bytes, name: str) -> _Raw:
    with _open_zip(data, name, ".npz file") as zf:
        arrays = _npz_arrays(zf, name)
        keys = sorted(arrays)
        if not keys:
            raise UploadError(f"{name} holds no arrays; save one with np.savez(f, x=x).")
        x_key = _pick(keys, X_KEYS, exclude=Y_KEYS)
        if x_key is None:
            raise UploadError(
                f"{name} holds arrays {', '.join(keys)}; name the samples x, e.g. "
                "np.savez(f, x=x, y=y)."
            )
        x = _load_npz_array(zf, arrays[x_key], x_key, name)
        y_key = next((k for k in Y_KEYS if k in keys), None)
        y = None if y_key is None else _load_npz_array(zf, arrays[y_key], y_key, name)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]  # (n, h, w, 1): channels-last greyscale
    if x.ndim > 3:
        raise UploadError(
            f"{name}: array {x_key!r} has shape {x.shape}; give greyscale images (n, h, w) or "
            "vectors (n, d), e.g. x.mean(axis=-1) for colour images."
        )
    return _Raw(x, y)


def _read_label_npz(data: bytes, where: str) -> np.ndarray:
    with _open_zip(data, where, ".npz file") as zf:
        arrays = _npz_arrays(zf, where)
        keys = sorted(arrays)
        key = _pick(keys, Y_KEYS, exclude=())
        if key is None:
            raise UploadError(
                f"{where} holds arrays {', '.join(keys) or 'none'}; save the labels as y, e.g. "
                "np.savez(f, y=y)."
            )
        return _load_npz_array(zf, arrays[key], key, where)


# ---------------------------------------------------------------------------------------------
# .csv


def _decode_text(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as e:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            guess = "it looks like UTF-16"
        elif _is_8bit_text(data):
            guess = "it looks like Latin-1 or Windows-1252 text, as Excel's plain CSV saves it"
        else:
            guess = "binary data?"
        raise UploadError(
            f"{where} is not UTF-8 text ({guess}: byte {e.object[e.start]:#04x} at position "
            f"{e.start}); save it as 'CSV UTF-8' or plain text of numbers separated by commas."
        ) from e
    if "\x00" in text:  # UTF-16 without a BOM decodes as UTF-8 with a NUL after every letter
        raise UploadError(
            f"{where} contains NUL characters: it is binary or UTF-16 text, not a CSV. "
            "Save it as 'CSV UTF-8'."
        )
    return text


_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r") + b"\x7f"


def _is_8bit_text(data: bytes, sample: int = 1 << 16) -> bool:
    """Text in a one-byte encoding: (almost) no control characters, unlike binary data."""
    head = data[:sample]
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls * 100 <= len(head)


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time, as io.StringIO(text) gives them, without its copy."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def _csv_rows(text: str, where: str, max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of the non-blank rows, one at a time, so that a file that is refused
    is refused as it is read (holding every row's cells as strings took 1.5 GB for 50 MB); stops
    as soon as there are too many."""
    reader = csv.reader(_lines(text))
    count = 0
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank lines, such as trailing ones, are not samples
            count += 1
            if count > max_rows:
                raise UploadError(
                    f"{where} has more than {max_rows:,} rows; at most "
                    f"{LIMITS.max_samples:,} samples can be trained here. Upload a random subset."
                )
            yield reader.line_num, cells
    except csv.Error as e:
        raise UploadError(f"{where} is not a valid CSV (line {reader.line_num}: {e}).") from e


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_header(cells: list[str]) -> bool:
    """A row of names, or the 0, 1, 2, ... that pandas writes for unnamed columns."""
    pandas_names = len(cells) >= 3 and [c.strip() for c in cells] == [
        str(i) for i in range(len(cells))
    ]
    return pandas_names or not all(_is_number(c) for c in cells)


def _parse_rows(
    rows: Iterable[tuple[int, list[str]]], names: list[str], where: str, most: int
) -> np.ndarray:
    """Cells -> float64 of shape (n, width), n <= `most` (an upper bound: the lines in the file);
    the first ragged row or non-number is named. The samples' values (a label column aside) are
    held to LIMITS.max_values as they are read, so the array is never larger than that."""
    width = len(names)
    d = max(width - any(n.lower() == "label" for n in names), 1)  # a label is not a value
    _check_features(d, where)  # from the first row alone, before any row is parsed
    fit = LIMITS.max_values // d  # rows of d values within the budget
    values = np.empty((min(most, LIMITS.max_samples + 1, fit), width), np.float64)
    n = 0
    for line, cells in rows:
        if n == len(values):  # only the budget can run out: the others bound the rows
            _check_budget(n + 1, d, where, more="at least ")
        if len(cells) != width:
            raise UploadError(
                f"{where}, line {line}: {len(cells)} values where the first row has {width}; "
                "every row needs the same number of values."
            )
        try:
            values[n] = np.asarray(cells, dtype=np.float64)
        except ValueError:
            _raise_bad_cell(cells, names, line, where)
        n += 1
    return values[:n]


def _raise_bad_cell(cells: list[str], names: list[str], line: int, where: str) -> None:
    for j, cell in enumerate(cells):
        if _is_number(cell):
            continue
        column = f"column {j + 1}" + (f" ({names[j]!r})" if names[j] else "")
        if not cell.strip():
            raise UploadError(f"{where}, line {line}, {column} is empty; fill in every value.")
        hint = " Separate values with commas." if (";" in cell or "\t" in cell) else ""
        raise UploadError(
            f"{where}, line {line}, {column}: {cell[:40]!r} is not a number; the CSV must "
            f"hold numbers only (one optional header row of names).{hint}"
        )


def _read_csv(data: bytes, name: str) -> _Raw:
    text = _decode_text(data, name)
    rows = _csv_rows(text, name, max_rows=LIMITS.max_samples + 1)  # + a header
    first = next(rows, None)
    if first is not None and _is_header(first[1]):
        names = [c.strip() for c in first[1]]
        first = next(rows, None)
    elif first is not None:
        names = [""] * len(first[1])
    if first is None:
        raise UploadError(f"{name} has no data rows; put one sample per row.")
    most = text.count("\n") + 1  # no more rows than lines
    values = _parse_rows(itertools.chain([first], rows), names, name, most)
    is_label = [n.lower() == "label" for n in names]
    if not any(is_label):
        return _Raw(values, None)
    j = is_label.index(True)
    return _Raw(np.delete(values, j, axis=1), values[:, j])


def _read_label_csv(data: bytes, where: str) -> np.ndarray:
    text = _decode_text(data, where)
    rows = _csv_rows(text, where, max_rows=LIMITS.max_samples + 1)
    first = next(rows, None)
    if first is not None and not all(_is_number(c) for c in first[1]):
        first = None  # a header such as "label"
    return _parse_rows(_one_per_row(first, rows, where), [""], where, text.count("\n") + 1)


def _one_per_row(
    first: tuple[int, list[str]] | None, rows: Iterator[tuple[int, list[str]]], where: str
) -> Iterator[tuple[int, list[str]]]:
    """The rows of a labels file, each checked to hold one value as it is read."""
    for line, cells in itertools.chain([first] if first else [], rows):
        filled = [c for c in cells if c.strip()]
        if len(filled) != 1:
            raise UploadError(
                f"{where}, line {line}: {len(filled)} values; a labels file has one integer "
                "per row."
            )
        yield line, filled


# ---------------------------------------------------------------------------------------------
# .zip of images


def _natural_key(path: str) -> tuple:
    """img2 before img10, folder 3 before folder 10, as a file browser shows them."""
    parts = re.split(r"(\d+)", path.lower())
    return ([int(p) if p.isdigit() else p for p in parts], path)


def _image_members(zf: zipfile.ZipFile, name: str) -> list[str]:
    """Image files in natural order, leaving out folders, __MACOSX/ and hidden files."""
    images, others = [], []
    for info in zf.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or any(p == "__MACOSX" or p.startswith(".") for p in parts):
            continue
        is_image = PurePosixPath(info.filename).suffix.lower() in IMAGE_TYPES
        (images if is_image else others).append(info.filename)
    if not images:
        found = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "") or "nothing"
        raise UploadError(
            f"{name} contains no .png or .jpg images (found: {found}); {EXPECTED}, or .npz "
            "for NumPy arrays."
        )
    if len(images) > LIMITS.max_samples:
        raise UploadError(
            f"{name} holds {len(images):,} images; at most {LIMITS.max_samples:,} can be "
            "trained here. Upload a random subset."
        )
    return sorted(images, key=_natural_key)


def _grey(raw: bytes, member: str, where: str, size: tuple[int, int] | None) -> np.ndarray:
    """One PNG/JPEG -> float32 of shape (h, w) in [0, 1]; its size is checked before decoding."""
    from PIL import Image  # only zip uploads need Pillow

    # UnidentifiedImageError is an OSError; truncated files raise OSError or ValueError on load
    broken = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
    try:
        img = Image.open(io.BytesIO(raw), formats=("PNG", "JPEG"))  # no other decoders
    except broken as e:
        raise _unreadable(member, where, e) from e
    _check_image_size(img.size, member, where, size)  # from the header: nothing decoded yet
    try:
        if img.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit grey: "L" would clip at 255
            return np.clip(np.asarray(img, np.float32) / 65535, 0, 1)
        return np.asarray(img.convert("L"), np.float32) / 255
    except broken as e:
        raise _unreadable(member, where, e) from e


def _unreadable(member: str, where: str, e: Exception) -> UploadError:
    return UploadError(
        f"{where}: {member} is not a readable PNG or JPEG image ({e}); export it again."
    )


def _check_image_size(
    wh: tuple[int, int], member: str, where: str, size: tuple[int, int] | None
) -> None:
    w, h = wh
    if w * h > LIMITS.max_features:
        raise UploadError(
            f"{where}: {member} is {w}×{h} = {w * h:,} pixels; at most "
            f"{LIMITS.max_features:,} (64×64). Downscale the images."
        )
    if size is not None and (h, w) != size:
        raise UploadError(
            f"{where}: {member} is {w}×{h} but the first image is {size[1]}×{size[0]}; "
            "all images must have the same size."
        )


def _folder_labels(members: list[str]) -> np.ndarray | None:
    """Labels from the sub-folders (0, 1, ... in natural folder order), or None for one folder."""
    folders = [str(PurePosixPath(m).parent) for m in members]
    order = sorted(set(folders), key=_natural_key)
    if len(order) < 2:
        return None
    index = {f: k for k, f in enumerate(order)}
    return np.array([index[f] for f in folders], np.int64)


def _read_zip(data: bytes, name: str) -> _Raw:
    with _open_zip(data, name, ".zip archive") as zf:
        members = _image_members(zf, name)
        first = _grey(_read_member(zf, members[0], name), members[0], name, None)
        _check_budget(len(members), first.size, name)
        x = np.empty((len(members), *first.shape), np.float32)  # (n, h, w)
        x[0] = first
        for i, m in enumerate(members[1:], start=1):
            x[i] = _grey(_read_member(zf, m, name), m, name, first.shape)
    y = _folder_labels(members)
    return _Raw(x, y, "label" if y is None else "folder")
