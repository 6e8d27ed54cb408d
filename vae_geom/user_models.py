"""Models a user trained or uploaded: saved beside the app, each owned by one student or shared.

A student's own models live in `user_models/private/KEY/DATASET/NAME.{safetensors,json}`, where KEY
is a hash of the private token in their link (`?me=...`, see `ui/owner.py`): only a session holding
that token lists or loads them. A model shared with the class (or trained by the command line)
lives in `user_models/DATASET/NAME.*`. (The folder is $VAE_GEOM_USER_MODELS if set; nothing shipped
in assets/ is ever written.) Picker names say which: "me:NAME" is the viewer's own, "user:NAME" the
class's, so neither can shadow a shipped model, and a link naming "me:NAME" opens the *viewer's*
model of that name, never another student's.

Saving is atomic and never overwrites: both files are written in a scratch folder beside the
models, then, holding the folder's lock, the name and the quotas are checked and the two files
renamed into place (weights first; a model is listed once its JSON is there). Readers take the
same lock shared (`reading`), so nobody sees half a pair or one model's weights with another's
JSON. An uploaded model zip is opened by `zips.open_archive` (at most MAX_CHECKPOINT_BYTES, the
upload cap, packed or unpacked) and refused in this module's words.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from safetensors import SafetensorError

from vae_geom import checkpoints, zips
from vae_geom.checkpoints import CheckpointError
from vae_geom.i18n import Text
from vae_geom.models import VAE

try:
    import fcntl
except ImportError:  # not POSIX: saves stay atomic per file, readers do not wait for writers
    fcntl = None

PREFIX = "user:"  # shared with the class (and the command line's models)
PRIVATE = "me:"  # the viewing student's own
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,47}")  # always fullmatch: "$" allows a "\n"
OWNER_RE = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16): 128 random bits
MAX_CHECKPOINT_BYTES = zips.MAX_UPLOAD_BYTES  # packed, and declared unpacked
# read at call time, so a test can swap in smaller limits; two members: NAME.json, .safetensors
ZIP_LIMITS = zips.ZipLimits(max_members=2, max_unpacked_bytes=MAX_CHECKPOINT_BYTES)
TWO_FILES = Text("user_models.two_files", files="NAME.json", weights="NAME.safetensors")

# Quotas. The largest model this app trains (a VAE on 4,096-value samples) has 8.5 MB of weights,
# an MNIST one 1.8 MB: a stored model may be twice the largest, which also bounds what the model
# cache in ui/loaders.py holds per entry.
MAX_MODEL_BYTES = 16 * zips.MB
# One student (one link's token): a lesson's experiments (the shipped ladder is 7 models) with
# room to spare, and about a dozen of the largest models.
MAX_OWNER_MODELS = 20
MAX_OWNER_BYTES = 100 * zips.MB
# Everyone together: a class of 40 at 25 models each, and 1 GB of disk (about 50 students' worth
# of MNIST-size models at the per-student count); beyond that, whoever runs the app clears it out.
MAX_TOTAL_MODELS = 1_000
MAX_TOTAL_BYTES = 1024 * zips.MB
LOCK = ".lock"  # in the user-models folder; hidden names are never models (they start a-z, 0-9)
SCRATCH = ".saving-"  # scratch folders of saves under way
SCRATCH_MAX_AGE_S = 3600  # a save takes seconds: an older scratch folder is a crashed save's


def root() -> Path:
    default = Path(__file__).resolve().parent.parent / "user_models"
    return Path(os.environ.get("VAE_GEOM_USER_MODELS", default))


def check_name(name: str) -> str:
    """A safe file name: letters, digits, '_', '-', '.'; at most 48 characters."""
    if not NAME_RE.fullmatch(name or "") or ".." in name:
        raise CheckpointError(Text("user_models.name", name=repr(name)))
    return name


def owner_key(token: str) -> str:
    """The folder name of a student's models: a hash, so the folder never reveals their link."""
    if not isinstance(token, str) or not OWNER_RE.fullmatch(token):
        raise CheckpointError(Text("user_models.key"))
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def name_from_file(filename: str) -> str:
    """The model name an uploaded zip stands for: "good-model.zip" and "good-model (1).zip" (how
    browsers name a second download of the same file) are both "good-model"."""
    return re.sub(r" \(\d+\)$", "", filename.removesuffix(".zip"))


def is_user_model(name: str) -> bool:
    return name.startswith((PREFIX, PRIVATE))


def _private(owner: str) -> Path:
    return root() / "private" / owner_key(owner)


def stem(dataset: str, name: str, owner: str | None = None) -> Path:
    """Where a picker name's files are: "me:NAME" among `owner`'s own, else the class's."""
    if name.startswith(PRIVATE):
        if owner is None:
            raise CheckpointError(Text("user_models.private", name=repr(name)))
        return _private(owner) / dataset / check_name(name.removeprefix(PRIVATE))
    return root() / dataset / check_name(name.removeprefix(PREFIX))


def list_models(dataset: str, owner: str | None = None) -> list[str]:
    """Picker names of the user models for a dataset: `owner`'s own ("me:NAME"), then the class's
    ("user:NAME"), each sorted."""
    own = _names(_private(owner) / dataset, PRIVATE) if owner is not None else []
    return own + _names(root() / dataset, PREFIX)


def _names(folder: Path, prefix: str) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(prefix + p.stem for p in folder.glob("*.json") if NAME_RE.fullmatch(p.stem))


@contextmanager
def _lock(exclusive: bool) -> Iterator[None]:
    """The user-models folder's one lock (fcntl.flock: threads and processes alike)."""
    fd = None
    if fcntl is not None:
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                fd = os.open(root() / LOCK, flags, 0o644)
                break
            except OSError:  # no folder yet, or read-only: then nothing is written there either
                continue
    if fd is None:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # and with it the lock


def reading() -> AbstractContextManager[None]:
    """Hold while reading a user model's two files: no save renames a pair in meanwhile."""
    return _lock(exclusive=False)


def weights_bytes(model: VAE) -> int:
    return sum(t.numel() * t.element_size() for t in model.state_dict().values())


def usage(owner: str | None = None) -> tuple[int, int]:
    """(models, bytes) stored: by everyone, or by one student (their own and those they shared)."""
    key = owner_key(owner) if owner is not None else None
    models = nbytes = 0
    for config in root().rglob("*.json"):
        rel = config.relative_to(root()).parts
        if any(part.startswith(".") for part in rel):  # saves under way
            continue
        if key is not None and rel[:2] != ("private", key) and not _shared_by(config, key):
            continue
        models += 1
        nbytes += sum(
            f.stat().st_size for f in checkpoints.paths(config.with_suffix("")) if f.is_file()
        )
    return models, nbytes


def _shared_by(config: Path, key: str) -> bool:
    if config.relative_to(root()).parts[0] == "private":
        return False
    try:
        return checkpoints.read_meta(config.with_suffix("")).get("owner") == key
    except CheckpointError:
        return False


def save(
    model: VAE, dataset: str, name: str, meta: dict, owner: str | None = None, share: bool = False
) -> Path:
    """Write the model in the ladder's format, atomically, never over another; returns its stem.

    `owner` is the student's token: their own model, unless `share`; then the class's. None (the
    command line, run by whoever runs the app) saves a class model outside the quotas.
    """
    shared = owner is None or share
    target = (root() if shared else _private(owner)) / dataset / check_name(name)
    size = weights_bytes(model)
    if size > MAX_MODEL_BYTES:
        raise CheckpointError(
            Text("user_models.too_big", mb=size / zips.MB, most=MAX_MODEL_BYTES / zips.MB)
        )
    record = {k: v for k, v in meta.items() if k != "owner"}
    record |= {"name": (PREFIX if shared else PRIVATE) + name, "dataset": dataset}
    if shared and owner is not None:
        record["owner"] = owner_key(owner)  # counts against its sharer's quota
    try:
        root().mkdir(parents=True, exist_ok=True)
        _sweep_scratch()
        with tempfile.TemporaryDirectory(dir=root(), prefix=SCRATCH) as tmp:
            scratch = Path(tmp) / name
            checkpoints.save(model, scratch, record)
            files = checkpoints.paths(scratch)
            for f in files:
                _fsync(f)
            with _lock(exclusive=True):
                _check_room(target, owner, shared, sum(f.stat().st_size for f in files))
                target.parent.mkdir(parents=True, exist_ok=True)
                for src, dst in zip(files, checkpoints.paths(target), strict=True):
                    os.replace(src, dst)  # weights, then the JSON that lists the model
    except (OSError, SafetensorError) as e:  # safetensors reports a full disk as its own error
        raise CheckpointError(_unwritable(e)) from e
    return target


def _sweep_scratch() -> None:
    """Remove the scratch folders of saves that crashed (a killed server): they are in no quota."""
    cutoff = time.time() - SCRATCH_MAX_AGE_S
    for folder in root().glob(SCRATCH + "*"):
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # gone meanwhile
            continue


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)  # on disk before it is renamed into place: a crash leaves old or new
    finally:
        os.close(fd)


def _check_room(target: Path, owner: str | None, shared: bool, nbytes: int) -> None:
    """Refuse a name in use (nothing is ever overwritten) or a save beyond a quota."""
    if checkpoints.paths(target)[1].exists():
        taken = "user_models.taken_shared" if shared else "user_models.taken"
        raise CheckpointError(Text(taken, name=target.name, dataset=target.parent.name))
    if owner is None:
        return
    _within("user_models.quota", usage(owner), nbytes, MAX_OWNER_MODELS, MAX_OWNER_BYTES)
    _within("user_models.full", usage(), nbytes, MAX_TOTAL_MODELS, MAX_TOTAL_BYTES)


def _within(key: str, used: tuple[int, int], nbytes: int, most: int, most_bytes: int) -> None:
    """Refuse one more model of `nbytes` where (models, bytes) `used` would pass a quota; the
    message (catalogue `key`) says what is used and the limits."""
    models, size = used
    if models + 1 > most or size + nbytes > most_bytes:
        raise CheckpointError(
            Text(key, models=models, mb=size / zips.MB, most=most, most_mb=most_bytes / zips.MB)
        )


def _unwritable(e: Exception) -> Text:
    """Why a save failed on disk, and what the student can still do."""
    code = getattr(e, "errno", None)
    if code is None and (m := re.search(r"os error (\d+)", str(e))):
        code = int(m.group(1))
    if code in (errno.ENOSPC, errno.EDQUOT):
        return Text("user_models.disk_full")
    return Text(
        "user_models.unwritable",
        cause=getattr(e, "strerror", None) or type(e).__name__,
        variable="VAE_GEOM_USER_MODELS",
    )


def model_zip(model: VAE, dataset: str, name: str, meta: dict) -> bytes:
    """The two checkpoint files in one zip, for download, built from the model in the session
    (never read back by name: that file could be someone else's); written in a scratch folder."""
    record = {k: v for k, v in meta.items() if k != "owner"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            s = Path(tmp) / check_name(name)
            checkpoints.save(model, s, {**record, "name": PREFIX + s.name, "dataset": dataset})
            return _zip(*checkpoints.paths(s))
    except (OSError, SafetensorError) as e:  # the server's scratch space is full too
        raise CheckpointError(
            Text("user_models.no_download", cause=str(getattr(e, "strerror", None) or e))
        ) from e


def _zip(weights: Path, config: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(weights, weights.name)
        z.write(config, config.name)
    return buf.getvalue()


def check_fits(model: VAE, dataset: str, input_dim: int) -> None:
    """A model can only encode a dataset of its own pixel count."""
    if model.config.input_dim != input_dim:
        raise CheckpointError(
            Text(
                "user_models.fits",
                pixels=model.config.input_dim,
                dataset=dataset,
                input_dim=input_dim,
            )
        )


def from_zip(
    data: bytes,
    dataset: str,
    name: str,
    input_dim: int,
    owner: str | None = None,
    share: bool = False,
) -> Path:
    """Validate an uploaded checkpoint zip (one .json + one .safetensors) and store it as `save`
    does (`owner`'s own unless `share`); returns its stem.

    Everything is checked in a scratch folder first (format, shapes, finite weights, that it was
    trained on `dataset`'s pixel count): nothing half-written is left behind on failure.
    """
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(Text("user_models.zip_size", most=MAX_CHECKPOINT_BYTES / zips.MB))
    with zips.open_archive(data, ZIP_LIMITS, lambda r: CheckpointError(_zip_refused(r))) as z:
        members = {Path(i.filename).suffix: i for i in z.infolist() if not i.is_dir()}
        if set(members) != {".json", ".safetensors"} or len(z.infolist()) != 2:
            raise CheckpointError(TWO_FILES)
        return _store(z, members, dataset, name, input_dim, owner, share)


def _store(
    z: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    dataset: str,
    name: str,
    input_dim: int,
    owner: str | None,
    share: bool,
) -> Path:
    """Unpack the two members into a scratch folder, load and check them there, then save."""
    check_name(name)
    with tempfile.TemporaryDirectory() as tmp:
        probe_stem = Path(tmp) / "upload"
        scratch = {f"{probe_stem}{suffix}": info.filename for suffix, info in members.items()}
        for path, member in scratch.items():
            Path(path).write_bytes(_unpack(z, member))
        try:
            model, meta = checkpoints.load(probe_stem)
        except CheckpointError as e:  # name the files in the zip, not the scratch copies
            message = e.text or str(e)
            for path, member in scratch.items():  # messages name a file by its name only
                message = message.replace(path, member).replace(Path(path).name, member)
            raise CheckpointError(message) from e
        check_fits(model, dataset, input_dim)
        meta = {k: v for k, v in meta.items() if k != "model"}
    return save(model, dataset, name, meta, owner, share)


def _zip_refused(r: zips.Refusal) -> Text:
    """Why zips.open_archive refused a model zip, and what to do about it."""
    match r.problem:
        case "unreadable":
            return Text(
                "user_models.zip.unreadable",
                cause=r.cause,
                files="NAME.json",
                weights="NAME.safetensors",
            )
        case "members":
            return TWO_FILES
        case "unpacked":
            return Text("user_models.zip.unpacked", most=r.limit / zips.MB)
        case "encrypted":
            return Text("user_models.zip.encrypted", member=r.member)
        case "ratio":
            return Text("user_models.zip.ratio", member=r.member, ratio=r.found, most=r.limit)


def _unpack(z: zipfile.ZipFile, member: str) -> bytes:
    return zips.read_member(
        z,
        member,
        lambda why: CheckpointError(Text("user_models.zip.member", member=member, why=why)),
    )
