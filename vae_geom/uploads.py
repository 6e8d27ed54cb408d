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
from vae_geom.i18n import Text, TextError

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
THE_DATA, THE_LABELS = Text("uploads.the_data"), Text("uploads.the_labels")  # unnamed inputs
SHAPES = {"vectors": "(n, d)", "images": "(n, h, w)"}  # the shapes of samples, in a message
MIN_MAX = "(x - min) / (max - min)"  # the rescaling a message proposes
SAVEZ = "np.savez(f, x=x, y=y)"  # how a message shows to save samples and labels
EXPECTED = Text("uploads.expected")  # "expected .npz, .csv or .zip of PNGs"


class UploadError(TextError, ValueError):
    """An upload that cannot be used; the message says what is wrong and how to fix it, in either
    language (a Text of the uploads.* catalogue keys; str() is the English).

    `suggest_rescale` is True when only the value range is wrong: the UI may then offer to
    load the file again with `rescale=True`; `value_range` is the (min, max) found.
    """

    def __init__(
        self,
        message: str | Text,
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
        kind = kind or Text("uploads.no_extension")
        raise UploadError(Text("uploads.kind", where=name, kind=kind, expected=EXPECTED))
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


def check_samples(x: np.ndarray, rescale: bool = False, where: str | Text = THE_DATA) -> np.ndarray:
    """Validate samples of shape (n, ...) and return them as float32 of shape (n, d) in [0, 1].

    Values outside [0, 1] raise an UploadError with `suggest_rescale=True`, unless `rescale`,
    in which case they are min-max scaled: (x - min) / (max - min).
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise UploadError(Text("uploads.samples_type", where=where, dtype=str(x.dtype)))
    if x.ndim < 2:
        raise UploadError(Text("uploads.no_rows", where=where, shape=str(x.shape), **SHAPES))
    x = x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (n, d); -1 fails when n = 0
    _check_counts(x.shape, where)
    _check_finite(x, where)
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        raise UploadError(Text("uploads.constant", where=where, value=lo))
    if lo < 0 or hi > 1:
        if not rescale:
            raise UploadError(
                Text("uploads.range", where=where, lo=lo, hi=hi, formula=MIN_MAX),
                suggest_rescale=True,
                value_range=(lo, hi),
            )
        x = (x - lo) / (hi - lo)  # python floats keep float32 input float32
    return np.ascontiguousarray(np.clip(x, 0, 1), dtype=np.float32)


def check_labels(y: np.ndarray, n: int, where: str | Text = THE_LABELS) -> np.ndarray:
    """Validate labels for n samples: n integer values; returns int64 of shape (n,)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]  # a column vector, as np.savetxt or a one-column csv give it
    if y.ndim != 1:
        raise UploadError(Text("uploads.labels_shape", where=where, shape=str(y.shape)))
    if len(y) != n:
        raise UploadError(Text("uploads.labels_count", where=where, found=len(y), n=n))
    if y.dtype.kind not in "biuf":
        raise UploadError(Text("uploads.labels_type", where=where, dtype=str(y.dtype)))
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y)) | (np.abs(y) > 2**31)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise UploadError(
                Text(
                    "uploads.labels_whole",
                    where=where,
                    bad=int(bad.sum()),
                    position=first + 1,
                    value=float(y[first]),
                )
            )
    y = y.astype(np.int64)
    classes = len(np.unique(y))
    if classes > LIMITS.max_classes:
        raise UploadError(
            Text("uploads.classes", where=where, classes=classes, most=LIMITS.max_classes)
        )
    return y


def load_labels(name: str | None, data: bytes, n: int) -> np.ndarray:
    """A separate labels file (.csv one integer per row, .npy, or .npz) -> int64 of shape (n,)."""
    where = name or Text("uploads.the_labels_file")
    _check_file_size(where, data)
    kind = PurePosixPath(name).suffix.lower() if name else _sniff(data)
    if kind in (".csv", ".txt"):  # .txt: what np.savetxt users often name it
        y = _read_label_csv(data, where)
    elif kind == ".npy":
        y = _read_npy(data, where)
    elif kind == ".npz":
        y = _read_label_npz(data, where)
    else:
        kind = kind or Text("uploads.this_file")
        raise UploadError(Text("uploads.labels_kind", where=where, kind=kind))
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


def _check_file_size(where: str | Text, data: bytes) -> None:
    if len(data) == 0:
        raise UploadError(Text("uploads.empty", where=where))
    if len(data) > LIMITS.max_file_bytes:
        raise UploadError(
            Text(
                "uploads.too_big",
                where=where,
                mb=len(data) / MB,
                most=LIMITS.max_file_bytes / MB,
            )
        )


def _check_counts(shape: tuple[int, int], where: str | Text) -> None:
    n, d = shape
    if n < LIMITS.min_samples:
        raise UploadError(Text("uploads.few", where=where, n=n, least=LIMITS.min_samples))
    if n > LIMITS.max_samples:
        raise UploadError(Text("uploads.many", where=where, n=n, most=LIMITS.max_samples))
    if d == 0:
        raise UploadError(Text("uploads.no_features", where=where))
    _check_features(d, where)
    _check_budget(n, d, where)


def _check_features(d: int, where: str | Text) -> None:
    if d > LIMITS.max_features:
        raise UploadError(Text("uploads.features", where=where, d=d, most=LIMITS.max_features))


def _check_budget(n: int, d: int, where: str | Text, at_least: bool = False) -> None:
    """n samples of d values fit LIMITS.max_values; called before they are allocated."""
    if n * d > LIMITS.max_values:
        raise UploadError(
            Text(
                "uploads.budget",
                where=where,
                more=Text("uploads.at_least") if at_least else "",
                n=n,
                d=d,
                total=n * d,
                most=LIMITS.max_values,
            )
        )


def _check_finite(x: np.ndarray, where: str | Text) -> None:
    if x.dtype.kind != "f" or np.isfinite(x).all():
        return
    nan, inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
    found = "uploads.found_" + ("both" if nan and inf else "nan" if nan else "inf")
    noun = "uploads.value" if nan + inf == 1 else "uploads.values"
    raise UploadError(
        Text(
            "uploads.not_finite",
            where=where,
            found=Text(found, nan=nan, inf=inf),
            noun=Text(noun),
        )
    )


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


def _open_zip(data: bytes, where: str | Text, what: Text) -> zipfile.ZipFile:
    """The archive, its directory within LIMITS; `what` names it (".npz file", ".zip archive")."""
    return zips.open_archive(
        data, LIMITS.zip_limits, lambda refusal: UploadError(_zip_refused(refusal, where, what))
    )


def _zip_refused(r: zips.Refusal, where: str | Text, what: Text) -> Text:
    """Why zips.open_archive refused an upload, and what to do about it."""
    match r.problem:
        case "unreadable":
            return Text(
                "uploads.zip.unreadable", where=where, what=what, cause=r.cause, expected=EXPECTED
            )
        case "members":
            return Text("uploads.zip.members", where=where, found=r.found, most=r.limit)
        case "unpacked":
            return Text("uploads.zip.unpacked", where=where, mb=r.found / MB, most=r.limit / MB)
        case "encrypted":
            return Text("uploads.zip.encrypted", where=where, member=r.member)
        case "ratio":
            return Text(
                "uploads.zip.ratio", where=where, member=r.member, ratio=r.found, most=r.limit
            )


def _read_member(zf: zipfile.ZipFile, member: str, where: str | Text) -> bytes:
    return zips.read_member(
        zf,
        member,
        lambda why: UploadError(Text("uploads.zip.member", where=where, member=member, why=why)),
    )


# ---------------------------------------------------------------------------------------------
# .npz / .npy


def _check_npy_header(fp: io.BufferedIOBase, where: str | Text) -> None:
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
        raise UploadError(Text("uploads.npy.unreadable", where=where, cause=str(e))) from e
    if dtype.hasobject:
        raise UploadError(
            Text("uploads.npy.objects", where=where, example="np.savez(f, x=x.astype(np.float32))")
        )
    if dtype.kind not in "biuf":
        raise UploadError(Text("uploads.npy.type", where=where, dtype=str(dtype)))
    if len(shape) >= 2:  # samples (n, ...): a 1-D array is labels, or refused later as no rows
        _check_budget(shape[0], math.prod(shape[1:]), where)
    if math.prod(shape) * dtype.itemsize > LIMITS.max_unzipped_bytes:
        raise UploadError(
            Text(
                "uploads.npy.large",
                where=where,
                shape=str(shape),
                dtype=str(dtype),
                most=LIMITS.max_unzipped_bytes / MB,
            )
        )


def _read_npy(data: bytes, where: str | Text) -> np.ndarray:
    fp = io.BytesIO(data)
    _check_npy_header(fp, where)
    fp.seek(0)
    try:
        return np.load(fp, allow_pickle=False)
    except (ValueError, EOFError, OSError) as e:
        raise UploadError(Text("uploads.npy.read", where=where, cause=str(e))) from e


def _npz_arrays(zf: zipfile.ZipFile, where: str | Text) -> dict[str, str]:
    """Array name -> member name (the member without .npy), as np.savez writes them.

    Anything else is refused rather than guessed at: a member without .npy, or two members with
    one name (np.load maps "x" to a member "x" or "x.npy", whichever it finds).
    """
    arrays: dict[str, str] = {}
    for member in zf.namelist():
        if not member.endswith(".npy"):
            raise UploadError(
                Text("uploads.npz.member", where=where, member=repr(member[:60]), example=SAVEZ)
            )
        key = member[:-4]
        if key in arrays:
            raise UploadError(
                Text("uploads.npz.twice", where=where, key=repr(key[:60]), example=SAVEZ)
            )
        arrays[key] = member
    return arrays


def _load_npz_array(zf: zipfile.ZipFile, member: str, key: str, where: str | Text) -> np.ndarray:
    """The array in `member`, whose header is checked first; the one member read is that one."""
    with zf.open(member) as fp:
        _check_npy_header(fp, Text("uploads.where_array", where=where, key=repr(key)))
    try:
        with zf.open(member) as fp:
            return npy_format.read_array(fp, allow_pickle=False)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as e:
        raise UploadError(
            Text("uploads.npz.array", where=where, key=repr(key), cause=str(e))
        ) from e


def _pick(keys: list[str], preferred: tuple[str, ...], exclude: tuple[str, ...]) -> str | None:
    """The first preferred name present, else the only name not excluded, else None."""
    for k in preferred:
        if k in keys:
            return k
    rest = [k for k in keys if k not in exclude]
    return rest[0] if len(rest) == 1 else None


def _read_npz(data: bytes, name: str) -> _Raw:
    with _open_zip(data, name, Text("uploads.what.npz")) as zf:
        arrays = _npz_arrays(zf, name)
        keys = sorted(arrays)
        if not keys:
            raise UploadError(Text("uploads.npz.empty", where=name, example="np.savez(f, x=x)"))
        x_key = _pick(keys, X_KEYS, exclude=Y_KEYS)
        if x_key is None:
            raise UploadError(
                Text("uploads.npz.no_x", where=name, keys=", ".join(keys), example=SAVEZ)
            )
        x = _load_npz_array(zf, arrays[x_key], x_key, name)
        y_key = next((k for k in Y_KEYS if k in keys), None)
        y = None if y_key is None else _load_npz_array(zf, arrays[y_key], y_key, name)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]  # (n, h, w, 1): channels-last greyscale
    if x.ndim > 3:
        raise UploadError(
            Text(
                "uploads.npz.shape",
                where=name,
                key=repr(x_key),
                shape=str(x.shape),
                example="x.mean(axis=-1)",
                **SHAPES,
            )
        )
    return _Raw(x, y)


def _read_label_npz(data: bytes, where: str | Text) -> np.ndarray:
    with _open_zip(data, where, Text("uploads.what.npz")) as zf:
        arrays = _npz_arrays(zf, where)
        keys = sorted(arrays)
        key = _pick(keys, Y_KEYS, exclude=())
        if key is None:
            found = ", ".join(keys) or Text("uploads.none")
            raise UploadError(
                Text("uploads.npz.no_y", where=where, keys=found, example="np.savez(f, y=y)")
            )
        return _load_npz_array(zf, arrays[key], key, where)


# ---------------------------------------------------------------------------------------------
# .csv


def _decode_text(data: bytes, where: str | Text) -> str:
    try:
        text = data.decode("utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as e:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            guess = "uploads.guess.utf16"
        elif _is_8bit_text(data):
            guess = "uploads.guess.latin1"
        else:
            guess = "uploads.guess.binary"
        raise UploadError(
            Text(
                "uploads.csv.not_utf8",
                where=where,
                guess=Text(guess),
                byte=f"{e.object[e.start]:#04x}",
                position=e.start,
            )
        ) from e
    if "\x00" in text:  # UTF-16 without a BOM decodes as UTF-8 with a NUL after every letter
        raise UploadError(Text("uploads.csv.nul", where=where))
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


def _csv_rows(text: str, where: str | Text, max_rows: int) -> Iterator[tuple[int, list[str]]]:
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
                    Text("uploads.csv.rows", where=where, rows=max_rows, most=LIMITS.max_samples)
                )
            yield reader.line_num, cells
    except csv.Error as e:
        raise UploadError(
            Text("uploads.csv.invalid", where=where, line=reader.line_num, cause=str(e))
        ) from e


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
    rows: Iterable[tuple[int, list[str]]], names: list[str], where: str | Text, most: int
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
            _check_budget(n + 1, d, where, at_least=True)
        if len(cells) != width:
            raise UploadError(
                Text("uploads.csv.ragged", where=where, line=line, found=len(cells), width=width)
            )
        try:
            values[n] = np.asarray(cells, dtype=np.float64)
        except ValueError:
            _raise_bad_cell(cells, names, line, where)
        n += 1
    return values[:n]


def _raise_bad_cell(cells: list[str], names: list[str], line: int, where: str | Text) -> None:
    for j, cell in enumerate(cells):
        if _is_number(cell):
            continue
        if names[j]:
            column = Text("uploads.csv.column_named", n=j + 1, name=repr(names[j]))
        else:
            column = Text("uploads.csv.column", n=j + 1)
        if not cell.strip():
            raise UploadError(Text("uploads.csv.empty_cell", where=where, line=line, column=column))
        hint = Text("uploads.csv.commas") if (";" in cell or "\t" in cell) else ""
        raise UploadError(
            Text(
                "uploads.csv.not_number",
                where=where,
                line=line,
                column=column,
                cell=repr(cell[:40]),
                hint=hint,
            )
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
        raise UploadError(Text("uploads.csv.no_rows", where=name))
    most = text.count("\n") + 1  # no more rows than lines
    values = _parse_rows(itertools.chain([first], rows), names, name, most)
    is_label = [n.lower() == "label" for n in names]
    if not any(is_label):
        return _Raw(values, None)
    j = is_label.index(True)
    return _Raw(np.delete(values, j, axis=1), values[:, j])


def _read_label_csv(data: bytes, where: str | Text) -> np.ndarray:
    text = _decode_text(data, where)
    rows = _csv_rows(text, where, max_rows=LIMITS.max_samples + 1)
    first = next(rows, None)
    if first is not None and not all(_is_number(c) for c in first[1]):
        first = None  # a header such as "label"
    return _parse_rows(_one_per_row(first, rows, where), [""], where, text.count("\n") + 1)


def _one_per_row(
    first: tuple[int, list[str]] | None,
    rows: Iterator[tuple[int, list[str]]],
    where: str | Text,
) -> Iterator[tuple[int, list[str]]]:
    """The rows of a labels file, each checked to hold one value as it is read."""
    for line, cells in itertools.chain([first] if first else [], rows):
        filled = [c for c in cells if c.strip()]
        if len(filled) != 1:
            raise UploadError(
                Text("uploads.labels_per_row", where=where, line=line, found=len(filled))
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
        found = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise UploadError(
            Text(
                "uploads.zip.no_images",
                where=name,
                found=found or Text("uploads.nothing"),
                expected=EXPECTED,
            )
        )
    if len(images) > LIMITS.max_samples:
        raise UploadError(
            Text("uploads.zip.many_images", where=name, n=len(images), most=LIMITS.max_samples)
        )
    return sorted(images, key=_natural_key)


def _grey(raw: bytes, member: str, where: str | Text, size: tuple[int, int] | None) -> np.ndarray:
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


def _unreadable(member: str, where: str | Text, e: Exception) -> UploadError:
    return UploadError(Text("uploads.image.unreadable", where=where, member=member, cause=str(e)))


def _check_image_size(
    wh: tuple[int, int], member: str, where: str | Text, size: tuple[int, int] | None
) -> None:
    w, h = wh
    if w * h > LIMITS.max_features:
        raise UploadError(
            Text(
                "uploads.image.large",
                where=where,
                member=member,
                w=w,
                h=h,
                pixels=w * h,
                most=LIMITS.max_features,
            )
        )
    if size is not None and (h, w) != size:
        raise UploadError(
            Text(
                "uploads.image.size",
                where=where,
                member=member,
                w=w,
                h=h,
                w0=size[1],
                h0=size[0],
            )
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
    with _open_zip(data, name, Text("uploads.what.zip")) as zf:
        members = _image_members(zf, name)
        first = _grey(_read_member(zf, members[0], name), members[0], name, None)
        _check_budget(len(members), first.size, name)
        x = np.empty((len(members), *first.shape), np.float32)  # (n, h, w)
        x[0] = first
        for i, m in enumerate(members[1:], start=1):
            x[i] = _grey(_read_member(zf, m, name), m, name, first.shape)
    y = _folder_labels(members)
    return _Raw(x, y, "label" if y is None else "folder")
