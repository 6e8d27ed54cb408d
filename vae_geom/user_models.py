"""Models a user trained or uploaded: saved beside the app, listed in the shared model picker.

They live in `user_models/DATASET/NAME.{safetensors,json}` (or $VAE_GEOM_USER_MODELS), in the same
format as the shipped ladder; nothing shipped in assets/ is ever written. Their picker names start
with "user:" so they can never shadow a shipped model. An uploaded model zip is opened by
`zips.open_archive` (at most MAX_CHECKPOINT_BYTES, the upload cap, packed or unpacked) and refused
in this module's words.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from vae_geom import checkpoints, zips
from vae_geom.checkpoints import CheckpointError
from vae_geom.models import VAE

PREFIX = "user:"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
MAX_CHECKPOINT_BYTES = zips.MAX_UPLOAD_BYTES  # packed, and declared unpacked
# read at call time, so a test can swap in smaller limits; two members: NAME.json, .safetensors
ZIP_LIMITS = zips.ZipLimits(max_members=2, max_unpacked_bytes=MAX_CHECKPOINT_BYTES)
TWO_FILES = "The zip must hold exactly two files: NAME.json and NAME.safetensors."


def root() -> Path:
    default = Path(__file__).resolve().parent.parent / "user_models"
    return Path(os.environ.get("VAE_GEOM_USER_MODELS", default))


def check_name(name: str) -> str:
    """A safe file name: letters, digits, '_', '-', '.'; at most 48 characters."""
    if not NAME_RE.match(name or "") or ".." in name:
        raise CheckpointError(
            f"{name!r} cannot be a model name: use 1-48 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit."
        )
    return name


def name_from_file(filename: str) -> str:
    """The model name an uploaded zip stands for: "good-model.zip" and "good-model (1).zip" (how
    browsers name a second download of the same file) are both "good-model"."""
    return re.sub(r" \(\d+\)$", "", filename.removesuffix(".zip"))


def stem(dataset: str, name: str) -> Path:
    return root() / dataset / check_name(name.removeprefix(PREFIX))


def list_models(dataset: str) -> list[str]:
    """Picker names ("user:NAME") of the user models for a dataset, sorted."""
    folder = root() / dataset
    if not folder.is_dir():
        return []
    return sorted(PREFIX + p.stem for p in folder.glob("*.json") if NAME_RE.match(p.stem))


def save(model: VAE, dataset: str, name: str, meta: dict) -> Path:
    """Write the model in the ladder's format; returns its stem."""
    s = stem(dataset, name)
    try:
        checkpoints.save(model, s, {**meta, "name": PREFIX + s.name, "dataset": dataset})
    except OSError as e:  # read-only or full disk, a file where the folder should be
        raise CheckpointError(
            f"The model could not be saved in {s.parent} ({e.strerror or e}). The trained model "
            "is still in this session: download it below, or ask whoever runs the app to make "
            "that folder writable (or to set VAE_GEOM_USER_MODELS)."
        ) from e
    return s


def to_zip(dataset: str, name: str) -> bytes:
    """The two checkpoint files in one zip, for download."""
    return _zip(*checkpoints.paths(stem(dataset, name)))


def model_zip(model: VAE, dataset: str, name: str, meta: dict) -> bytes:
    """The same zip for a model that is not saved (its folder may be read-only): written in a
    scratch folder first."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        s = Path(tmp) / check_name(name)
        checkpoints.save(model, s, {**meta, "name": PREFIX + s.name, "dataset": dataset})
        return _zip(*checkpoints.paths(s))


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
            f"This model reads {model.config.input_dim} pixels per image, the {dataset} "
            f"dataset has {input_dim}: pick the dataset it was trained on."
        )


def from_zip(data: bytes, dataset: str, name: str, input_dim: int) -> Path:
    """Validate an uploaded checkpoint zip (one .json + one .safetensors) and store it.

    Everything is checked in a scratch folder first (format, shapes, finite weights, that it was
    trained on `dataset`'s pixel count): nothing half-written is left behind on failure.
    """
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"The checkpoint is larger than {MAX_CHECKPOINT_BYTES / zips.MB:g} MB: "
            "not a vae-geom model."
        )
    with zips.open_archive(data, ZIP_LIMITS, lambda r: CheckpointError(_zip_refused(r))) as z:
        members = {Path(i.filename).suffix: i for i in z.infolist() if not i.is_dir()}
        if set(members) != {".json", ".safetensors"} or len(z.infolist()) != 2:
            raise CheckpointError(TWO_FILES)
        return _store(z, members, dataset, name, input_dim)


def _store(
    z: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], dataset: str, name: str, input_dim: int
) -> Path:
    """Unpack the two members into a scratch folder, load and check them there, then save."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        probe_stem = Path(tmp) / "upload"
        scratch = {f"{probe_stem}{suffix}": info.filename for suffix, info in members.items()}
        for path, member in scratch.items():
            Path(path).write_bytes(_unpack(z, member))
        try:
            model, meta = checkpoints.load(probe_stem)
        except CheckpointError as e:  # name the files in the zip, not the scratch copies
            message = str(e)
            for path, member in scratch.items():
                message = message.replace(path, member)
            raise CheckpointError(message) from e
        check_fits(model, dataset, input_dim)
        save(model, dataset, name, {k: v for k, v in meta.items() if k != "model"})
    return stem(dataset, name)


def _zip_refused(r: zips.Refusal) -> str:
    """Why zips.open_archive refused a model zip, and what to do about it."""
    match r.problem:
        case "unreadable":
            return (
                f"This is not a readable .zip archive ({r.cause}). Upload a .zip holding "
                "NAME.json and NAME.safetensors, as this page's download button saves it."
            )
        case "members":
            return TWO_FILES
        case "unpacked":
            return f"The zip unpacks to more than {r.limit / zips.MB:g} MB: not a vae-geom model."
        case "encrypted":
            return (
                f"{r.member} in the zip is encrypted: upload the zip without a password, as "
                "this page's download button saves it."
            )
        case "ratio":
            return (
                f"{r.member} in the zip claims to expand {r.found:,.0f}-fold (more than "
                f"{r.limit:,}): a zip bomb or a damaged archive, not a vae-geom model."
            )


def _unpack(z: zipfile.ZipFile, member: str) -> bytes:
    return zips.read_member(
        z,
        member,
        lambda why: CheckpointError(
            f"{member} in the zip cannot be unpacked ({why}): the archive is damaged. "
            "Download the model again."
        ),
    )
