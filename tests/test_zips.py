"""vae_geom.zips: every way one member of a zip can fail to unpack becomes the caller's error."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from vae_geom import zips


class Refused(Exception):
    pass


def _zip(payload: bytes) -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("a.bin", payload)
    return bytearray(buf.getvalue())


def _read(data: bytes) -> bytes:
    return zips.read_member(zipfile.ZipFile(io.BytesIO(bytes(data))), "a.bin", Refused)


def test_a_sound_member_is_read():
    assert _read(_zip(b"hello" * 10)) == b"hello" * 10


def test_a_damaged_member_is_the_callers_error_with_the_cause_kept():
    data = _zip(b"hello" * 10)
    data[data.index(b"hello")] ^= 0xFF  # one flipped byte: the CRC no longer matches
    with pytest.raises(Refused, match="Bad CRC-32") as e:
        _read(data)
    assert isinstance(e.value.__cause__, zipfile.BadZipFile)


def test_an_unknown_compression_method_is_the_callers_error():
    data = _zip(b"hello" * 10)
    for header, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # local and central
        at = data.index(header) + offset
        data[at : at + 2] = struct.pack("<H", 99)  # no such method
    with pytest.raises(Refused) as e:
        _read(data)
    assert isinstance(e.value.__cause__, NotImplementedError)
