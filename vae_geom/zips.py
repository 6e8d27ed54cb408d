"""The one reader of untrusted zip archives, and the size cap every upload shares.

Both zip inputs (a model downloaded from the app, `user_models`; a dataset, `uploads`, whose .npz
files are zips too) open archives with `open_archive`, which judges the directory before a single
member is inflated, and read members with `read_member`. Every way either can fail becomes one
error of the caller's type, in the caller's words: `open_archive` hands the caller a `Refusal`
(what is wrong, with the numbers), `read_member` the reason a member cannot be unpacked.

`MAX_UPLOAD_MB` is the largest file a user may upload, a dataset or a model alike; Streamlit's
`server.maxUploadSize` in .streamlit/config.toml must equal it (tests/test_server_config.py).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NamedTuple

MB = 1024 * 1024  # Streamlit counts server.maxUploadSize in these megabytes
MAX_UPLOAD_MB = 50  # = server.maxUploadSize: the largest dataset or checkpoint a user may upload
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * MB

# Opening: BadZipFile for a missing or malformed directory; OSError, ValueError and EOFError for
# truncated archives and offsets out of range; LargeZipFile (raised only when writing, today) too
UNOPENABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError)
# Reading: RuntimeError for encrypted members and (as NotImplementedError) unknown compression
# methods; the others for damaged headers or data, truncated archives, failed decompression
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError)


@dataclass(frozen=True)
class ZipLimits:
    """What an archive's directory may declare; judged before any member is inflated."""

    max_members: int
    max_unpacked_bytes: int  # zip-bomb guard: the sum of the declared member sizes
    # deflate cannot beat ~1032:1, so a larger ratio means bzip2/lzma bombs or forged headers
    max_ratio: int = 1000
    ratio_floor_bytes: int = 1 * MB  # members smaller than this can never be a bomb


Problem = Literal["unreadable", "members", "unpacked", "encrypted", "ratio"]


class Refusal(NamedTuple):
    """Why `open_archive` refused an archive, for the caller to put in its own words.

    unreadable: not a zip, or truncated (`cause` says how); members: `found` files, more than
    `limit`; unpacked: `found` bytes declared in all, more than `limit`; encrypted: `member`
    needs a password; ratio: `member` claims to expand `found`-fold, more than `limit`.
    """

    problem: Problem
    found: float = 0
    limit: float = 0
    member: str = ""
    cause: Exception | None = None


def open_archive(
    data: bytes, limits: ZipLimits, error: Callable[[Refusal], Exception]
) -> zipfile.ZipFile:
    """The archive in `data`, opened, its directory within `limits`; else raise error(refusal).

    Nothing is inflated here. The caller closes the archive (use it in a `with`). The member count
    is checked from the raw bytes first: zipfile.ZipFile builds an object per directory entry as
    it opens (about 700 bytes each: a 26 MB archive of 560,000 entries took 377 MB).
    """
    entries = _count_entries(data, stop=limits.max_members + 1)
    if entries > limits.max_members:
        raise error(Refusal("members", entries, limits.max_members))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except UNOPENABLE as e:
        raise error(Refusal("unreadable", cause=e)) from e
    refusal = _check_directory(zf.infolist(), limits)
    if refusal is not None:
        zf.close()
        raise error(refusal)
    return zf


# The records that close a zip (APPNOTE.TXT 4.3.12-16), as zipfile reads them
CENTRAL, CENTRAL_SIZE = b"PK\x01\x02", 46  # one directory entry, without its three names
END, END_SIZE = b"PK\x05\x06", 22  # end of central directory: count at +10, size at +12
LOCATOR, LOCATOR_SIZE = b"PK\x06\x07", 20  # zip64 locator, just before END
END64, END64_SIZE = b"PK\x06\x06", 56  # zip64 end record, just before LOCATOR: count at +32


def _count_entries(data: bytes, stop: int) -> int:
    """How many entries zipfile would parse from the directory, counted up to `stop`, creating
    nothing: the declared count, or the entries walked through the declared directory size
    (zipfile trusts the size, not the count), whichever is larger. 0 where zipfile will refuse
    the archive itself (no end record), so that it names the damage."""
    at = _find_end(data)
    if at < 0:
        return 0
    declared, size = struct.unpack_from("<HI", data, at + 10)
    directory_end = at
    locator = at - LOCATOR_SIZE
    if locator >= END64_SIZE and data[locator : locator + 4] == LOCATOR:
        record = locator - END64_SIZE  # zipfile reads it here, whatever the locator says
        if data[record : record + 4] == END64:
            declared, size = struct.unpack_from("<QQ", data, record + 32)
            directory_end = record
    if declared >= stop:
        return declared
    count, pos, end = 0, directory_end - size, directory_end
    while pos < end and count < stop and pos >= 0 and data[pos : pos + 4] == CENTRAL:
        if pos + CENTRAL_SIZE > len(data):
            break
        names = struct.unpack_from("<3H", data, pos + 28)  # file name, extra field, comment
        pos += CENTRAL_SIZE + sum(names)
        count += 1
    return max(count, declared)


def _find_end(data: bytes) -> int:
    """Where the end-of-central-directory record starts, found as zipfile finds it; -1 if none."""
    if data[-END_SIZE : -END_SIZE + 4] == END and data[-2:] == b"\0\0":  # no archive comment
        return len(data) - END_SIZE
    at = data.rfind(END, max(0, len(data) - END_SIZE - 0xFFFF))  # a comment is at most 64 kB
    return at if 0 <= at <= len(data) - END_SIZE else -1


def _check_directory(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> Refusal | None:
    """The first way the declared sizes, count or flags break `limits`, or None if none do."""
    if len(infos) > limits.max_members:
        return Refusal("members", len(infos), limits.max_members)
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        return Refusal("unpacked", total, limits.max_unpacked_bytes)
    for i in infos:
        if i.flag_bits & 0x1:  # bit 0 of the general purpose flags: encrypted
            return Refusal("encrypted", member=i.filename)
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            return Refusal("ratio", ratio, limits.max_ratio, member=i.filename)
    return None


def read_member(zf: zipfile.ZipFile, member: str, error: Callable[[str], Exception]) -> bytes:
    """The member's bytes; if it cannot be unpacked, raise error(why) from the cause."""
    try:
        return zf.read(member)
    except UNREADABLE as e:
        raise error(str(e)) from e
