"""vae_geom.zips: an untrusted archive is judged by its directory before anything inflates, and
every way it can fail, opening or unpacking a member, becomes the caller's error in its own words.

The archives are built here, small; the oracle for a declared size is the bytes the test wrote.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import typing
import zipfile

import pytest

from tests.peak import peak_mb
from vae_geom import uploads, user_models, zips
from vae_geom.checkpoints import CheckpointError
from vae_geom.uploads import UploadError
from vae_geom.zips import MB, Refusal, ZipLimits

KB = 1024
LIMITS = ZipLimits(max_members=2, max_unpacked_bytes=1 * MB, ratio_floor_bytes=64 * KB)


class Refused(Exception):
    """The test's own error type, made from what zips hands it: a Refusal, or a reason."""


def _zip(files: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytearray:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, payload in files.items():
            z.writestr(name, payload)
    return bytearray(buf.getvalue())


def _encrypted(data: bytearray) -> bytes:
    """The first member flagged as encrypted (zipfile cannot write encrypted archives)."""
    at = data.index(b"PK\x01\x02")  # its central directory entry; the flag bits at +8
    data[at + 8] |= 0x1
    return bytes(data)


# each way an archive is refused, small enough to build in milliseconds
ARCHIVES = {
    # a real bomb: 2 MB of zeros deflate to ~2 kB, and the directory declares all 2 MB
    "unpacked": bytes(_zip({"m.safetensors": bytes(2 * MB)}, zipfile.ZIP_DEFLATED)),
    "members": bytes(_zip({"m.json": b"{}", "m.safetensors": b"w", "notes.txt": b"hi"})),
    "encrypted": _encrypted(_zip({"m.safetensors": b"w" * 100, "m.json": b"{}"})),
    # bzip2 packs 512 kB of zeros ~10,000-fold, beyond what deflate can reach
    "ratio": bytes(_zip({"m.safetensors": bytes(512 * KB), "m.json": b"{}"}, zipfile.ZIP_BZIP2)),
    "unreadable": bytes(_zip({"m.json": b"{}" * 100}))[:150],  # cut before its directory
}


def _open(data: bytes) -> zipfile.ZipFile:
    return zips.open_archive(data, LIMITS, Refused)


def _refusal(data: bytes) -> Refusal:
    """What open_archive refused `data` for, checking it came as the caller's error type."""
    with pytest.raises(Refused) as e:
        _open(data)
    return e.value.args[0]


# ---------------------------------------------------------------------------------------------
# the upload cap


def test_the_upload_cap_is_one_number_of_streamlit_megabytes():
    """Both validators use it (Streamlit's own cap: tests/test_server_config.py)."""
    assert zips.MAX_UPLOAD_BYTES == zips.MAX_UPLOAD_MB * 2**20
    assert uploads.LIMITS.max_file_bytes == zips.MAX_UPLOAD_BYTES
    assert user_models.MAX_CHECKPOINT_BYTES == zips.MAX_UPLOAD_BYTES


# ---------------------------------------------------------------------------------------------
# open_archive: the directory, judged before anything inflates


def test_a_sound_archive_opens_and_its_members_read_back():
    files = {"m.json": b"{}", "m.safetensors": bytes(100 * KB)}  # 100 kB of zeros: under floor
    with _open(bytes(_zip(files, zipfile.ZIP_DEFLATED))) as zf:
        assert {m: zips.read_member(zf, m, Refused) for m in zf.namelist()} == files


def test_a_bomb_is_refused_by_its_declared_size(no_extraction):
    data = ARCHIVES["unpacked"]
    assert len(data) < 10 * KB  # the bomb is small: only the directory gives it away
    assert _refusal(data) == Refusal("unpacked", found=2 * MB, limit=1 * MB)


def test_the_declared_sizes_are_summed_over_members(no_extraction):
    data = bytes(_zip({"a": bytes(600 * KB), "b": bytes(600 * KB)}, zipfile.ZIP_DEFLATED))
    assert _refusal(data) == Refusal("unpacked", found=1200 * KB, limit=1 * MB)


def test_too_many_members(no_extraction):
    assert _refusal(ARCHIVES["members"]) == Refusal("members", found=3, limit=2)


def many_entries(n: int, declared: int | None = None) -> bytes:
    """A directory of n one-letter entries (47 bytes each, no member data: opening reads none),
    closed by zip64 end records (needed past 65,535 entries) that declare `declared` of them."""
    entry = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, *[0] * 7, 1, *[0] * 6) + b"a"
    directory = entry * n
    count = n if declared is None else declared
    end64 = struct.pack(
        "<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), 0
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, len(directory), 1)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1, 0)
    return directory + end64 + locator + end


def test_the_oracle_for_many_entries_is_a_zip():
    with zipfile.ZipFile(io.BytesIO(many_entries(70_000))) as zf:  # beyond 65,535: zip64
        assert len(zf.infolist()) == 70_000


def test_too_many_entries_are_counted_before_zipfile_parses_them():
    """The count comes from the raw end records: 560,000 entries (26 MB) cost zipfile 377 MB."""
    data = many_entries(560_000)
    assert len(data) < uploads.LIMITS.max_file_bytes
    with pytest.raises(UploadError, match="holds 560,000 files; at most 40,000 are read"):
        uploads.load_upload("many.zip", data)
    peak = peak_mb(
        "from tests.test_zips import many_entries; from vae_geom.uploads import load_upload",
        "many_entries(560_000)",
        "load_upload('many.zip', data)",
    )
    assert peak < 20, f"refusing 560,000 entries took {peak:.0f} MB"


@pytest.mark.parametrize("declared", [1, 0])
def test_a_directory_larger_than_its_declared_count_is_walked(declared, monkeypatch):
    """zipfile parses entries for as long as the declared directory size lasts, whatever the
    count says: the entries are counted through that size too, creating nothing."""
    monkeypatch.setattr(zipfile, "ZipFile", None)  # refused before zipfile is even called
    assert _refusal(many_entries(5, declared=declared)) == Refusal("members", found=3, limit=2)


def test_an_encrypted_member_is_named(no_extraction):
    assert _refusal(ARCHIVES["encrypted"]) == Refusal("encrypted", member="m.safetensors")


def test_a_ratio_beyond_deflate_is_refused(no_extraction):
    r = _refusal(ARCHIVES["ratio"])
    assert (r.problem, r.member, r.limit) == ("ratio", "m.safetensors", 1000)
    with zipfile.ZipFile(io.BytesIO(ARCHIVES["ratio"])) as zf:  # the oracle: the directory
        info = zf.getinfo("m.safetensors")
    assert r.found == info.file_size / info.compress_size > 1000


def test_small_members_may_compress_any_amount():
    """Below the floor a high ratio is harmless: the most it can unpack to is the floor."""
    data = bytes(_zip({"zeros": bytes(60 * KB)}, zipfile.ZIP_BZIP2))
    with _open(data) as zf:
        info = zf.getinfo("zeros")
        assert info.file_size / info.compress_size > LIMITS.max_ratio
        assert zips.read_member(zf, "zeros", Refused) == bytes(60 * KB)


@pytest.mark.parametrize(
    "data",
    [
        ARCHIVES["unreadable"],
        b"",
        b"PK\x03\x04" + bytes(100),  # a zip's first bytes and nothing of the rest
        b"not a zip at all",
    ],
    ids=["truncated", "empty", "local-header-only", "text"],
)
def test_a_damaged_archive_is_the_callers_error_with_the_cause_kept(data):
    with pytest.raises(Refused) as e:
        _open(data)
    r = e.value.args[0]
    assert r.problem == "unreadable" and isinstance(r.cause, zipfile.BadZipFile)
    assert e.value.__cause__ is r.cause


def test_a_refused_archive_is_closed(monkeypatch):
    """The archive open_archive opened is closed when it refuses it. Only archives opened during
    the call are watched: the garbage collector may close other tests' archives meanwhile."""
    opened, closed = [], []
    init, close = zipfile.ZipFile.__init__, zipfile.ZipFile.close

    def watched_init(self, *args, **kwargs):
        opened.append(self)
        init(self, *args, **kwargs)

    def watched_close(self):
        closed.append(self)
        close(self)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", watched_init)
    monkeypatch.setattr(zipfile.ZipFile, "close", watched_close)
    with pytest.raises(Refused) as e:  # e keeps the archive alive: no __del__ closes it for us
        _open(ARCHIVES["unpacked"])  # judged after opening (a count is judged before)
    assert len(opened) == 1, opened
    assert [z for z in closed if z is opened[0]] and opened[0].fp is None, e


# ---------------------------------------------------------------------------------------------
# read_member: one member that cannot be unpacked


def _one(payload: bytes) -> bytearray:
    return _zip({"a.bin": payload})


def _read(data: bytes) -> bytes:
    return zips.read_member(zipfile.ZipFile(io.BytesIO(bytes(data))), "a.bin", Refused)


def test_a_sound_member_is_read():
    assert _read(_one(b"hello" * 10)) == b"hello" * 10


def test_a_damaged_member_is_the_callers_error_with_the_cause_kept():
    data = _one(b"hello" * 10)
    data[data.index(b"hello")] ^= 0xFF  # one flipped byte: the CRC no longer matches
    with pytest.raises(Refused, match="Bad CRC-32") as e:
        _read(data)
    assert isinstance(e.value.__cause__, zipfile.BadZipFile)


def test_an_unknown_compression_method_is_the_callers_error():
    data = _one(b"hello" * 10)
    for header, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # local and central
        at = data.index(header) + offset
        data[at : at + 2] = struct.pack("<H", 99)  # no such method
    with pytest.raises(Refused) as e:
        _read(data)
    assert isinstance(e.value.__cause__, NotImplementedError)


# ---------------------------------------------------------------------------------------------
# the two callers: each refusal reaches the user as the caller's error, in the caller's words

UPLOAD_WORDS = {
    "unpacked": r"^d\.zip would unpack to 2 MB; at most 1 MB are unpacked\. Upload fewer",
    "members": r"^d\.zip holds 3 files; at most 2 are read\.$",
    "encrypted": r"^d\.zip: m\.safetensors is encrypted; zip it without a password\.$",
    "ratio": r"^d\.zip: m\.safetensors claims to expand [\d,]+-fold \(more than 1,000\); that is "
    r"a zip bomb",
    "unreadable": r"^d\.zip is not a readable \.zip archive \(.+\); it may be truncated",
}
CHECKPOINT_WORDS = {
    "unpacked": r"^The zip unpacks to more than 1 MB: not a vae-geom model\.$",
    "members": r"^The zip must hold exactly two files: NAME\.json and NAME\.safetensors\.$",
    "encrypted": r"^m\.safetensors in the zip is encrypted: .*download button",
    "ratio": r"^m\.safetensors in the zip claims to expand [\d,]+-fold .*not a vae-geom model",
    "unreadable": r"^This is not a readable \.zip archive \(.+\)\. Upload a \.zip holding NAME",
}


@pytest.fixture
def small_limits(monkeypatch, tmp_path):
    """Both callers judge archives by LIMITS above; user models go to a scratch folder."""
    monkeypatch.setattr(
        uploads,
        "LIMITS",
        dataclasses.replace(
            uploads.LIMITS,
            max_zip_members=LIMITS.max_members,
            max_unzipped_bytes=LIMITS.max_unpacked_bytes,
            max_zip_ratio=LIMITS.max_ratio,
            ratio_floor_bytes=LIMITS.ratio_floor_bytes,
        ),
    )
    monkeypatch.setattr(user_models, "ZIP_LIMITS", LIMITS)
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    return tmp_path / "user_models"


def test_every_refusal_has_words_in_both_callers():
    problems = set(typing.get_args(zips.Problem))
    assert set(UPLOAD_WORDS) == set(CHECKPOINT_WORDS) == set(ARCHIVES) == problems


@pytest.mark.parametrize("problem", ARCHIVES)
def test_an_upload_refusal_is_an_upload_error(problem, small_limits, no_extraction):
    with pytest.raises(UploadError, match=UPLOAD_WORDS[problem]):
        uploads.load_upload("d.zip", ARCHIVES[problem])


@pytest.mark.parametrize("problem", ARCHIVES)
def test_a_checkpoint_refusal_is_a_checkpoint_error(problem, small_limits, no_extraction):
    with pytest.raises(CheckpointError, match=CHECKPOINT_WORDS[problem]):
        user_models.from_zip(ARCHIVES[problem], "digits", "x", 64)
    assert not small_limits.exists()  # nothing stored, not even a folder
