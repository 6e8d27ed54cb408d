"""User models on disk: names, ownership, atomic saves that never overwrite, quotas, a full disk."""

from __future__ import annotations

import errno
import threading

import pytest
import torch
from safetensors import SafetensorError

from vae_geom import checkpoints, training, user_models
from vae_geom.checkpoints import CheckpointError
from vae_geom.models import ModelConfig, make_model

ALICE, BOB = "A" * 22, "B" * 22  # tokens as secrets.token_urlsafe(16) makes them


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    return tmp_path / "user_models"


def _model(seed: int):
    return make_model(ModelConfig(64, hidden=(8,)), seed)


@pytest.fixture(scope="module")
def meta(digits) -> dict:
    """A record the checkpoint reader accepts (its test figures are of one untrained model)."""
    return {"test": training.test_metrics(_model(0), digits)}


def _files(root) -> list[str]:
    """Every file left in the folder, its lock aside."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", ["mine\n", "mine\r", "\nmine", "a..b", ".hidden", "x" * 49, ""])
def test_a_name_with_a_newline_or_a_path_trick_is_refused(name):
    with pytest.raises(CheckpointError, match="cannot be a model name"):
        user_models.check_name(name)


def test_a_private_model_is_listed_and_found_for_its_owner_only(meta, user_dir):
    user_models.save(_model(0), "digits", "mine", meta, owner=ALICE)
    assert user_models.list_models("digits", ALICE) == ["me:mine"]
    assert user_models.list_models("digits", BOB) == []
    assert user_models.list_models("digits") == []  # nor for the command line / no session
    # a link naming "me:mine" resolves among the VIEWER's own models, never Alice's
    assert user_models.stem("digits", "me:mine", BOB) != user_models.stem(
        "digits", "me:mine", ALICE
    )
    with pytest.raises(CheckpointError, match="only their link"):
        user_models.stem("digits", "me:mine")
    assert ALICE not in str(user_models.stem("digits", "me:mine", ALICE))  # a hash, not the key
    _, meta = checkpoints.load(user_models.stem("digits", "me:mine", ALICE))
    assert meta["name"] == "me:mine" and "owner" not in meta


def test_a_shared_model_is_listed_for_everyone_and_counts_for_its_sharer(meta, user_dir):
    user_models.save(_model(0), "digits", "ours", meta, owner=ALICE, share=True)
    assert (user_dir / "digits" / "ours.json").is_file()
    for owner in (ALICE, BOB, None):
        assert user_models.list_models("digits", owner) == ["user:ours"]
    assert user_models.usage(ALICE)[0] == 1 and user_models.usage(BOB)[0] == 0


@pytest.mark.parametrize("owner, share", [(ALICE, False), (ALICE, True), (None, False)])
def test_saving_never_overwrites_a_model(meta, user_dir, owner, share):
    first = user_models.save(
        _model(0), "digits", "m", {**meta, "who": "first"}, owner=owner, share=share
    )
    before = {p: p.read_bytes() for p in checkpoints.paths(first)}
    with pytest.raises(CheckpointError, match="nothing was overwritten"):
        user_models.save(
            _model(1), "digits", "m", {**meta, "who": "second"}, owner=owner, share=share
        )
    assert {p: p.read_bytes() for p in checkpoints.paths(first)} == before


def test_simultaneous_saves_of_one_name_leave_one_whole_model(meta, user_dir):
    """60 sessions save 60 different models under one name at once: one wins, all the others are
    told, and the pair on disk is the winner's weights with the winner's JSON."""
    models = [_model(seed) for seed in range(60)]
    outcome: dict[int, str] = {}
    start = threading.Barrier(len(models))

    def save(seed: int) -> None:
        start.wait()
        try:
            user_models.save(models[seed], "digits", "same", {**meta, "seed": seed}, share=True)
            outcome[seed] = "saved"
        except CheckpointError as e:
            outcome[seed] = str(e)

    threads = [threading.Thread(target=save, args=(s,)) for s in range(len(models))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (winner,) = [s for s, o in outcome.items() if o == "saved"]
    assert all("already has a model named “same”" in o for s, o in outcome.items() if s != winner)
    model, meta = checkpoints.load(user_dir / "digits" / "same")
    assert meta["seed"] == winner
    for k, v in models[winner].state_dict().items():
        torch.testing.assert_close(model.state_dict()[k], v, rtol=0, atol=0)
    assert _files(user_dir) == [".lock", "digits/same.json", "digits/same.safetensors"]


def test_a_reader_never_sees_half_a_pair(meta, user_dir, monkeypatch):
    """Hold a save between its two renames: a reader (as the app's loader reads) waits for it,
    then finds the whole model."""
    replace, half, go = user_models.os.replace, threading.Event(), threading.Event()

    def slow_replace(src, dst):
        replace(src, dst)
        if str(dst).endswith(".safetensors"):  # the weights are in place, the JSON is not
            half.set()
            go.wait(10)

    monkeypatch.setattr(user_models.os, "replace", slow_replace)
    writer = threading.Thread(
        target=user_models.save, args=(_model(0), "digits", "m", meta), kwargs={"share": True}
    )
    writer.start()
    assert half.wait(10)
    seen = []

    def read() -> None:
        with user_models.reading():
            seen.append(checkpoints.load(user_dir / "digits" / "m")[1]["name"])

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and not seen  # waiting for the save, not reading half of it
    go.set()
    writer.join()
    reader.join(10)
    assert seen == ["user:m"]


@pytest.mark.parametrize(
    "fault",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        # what safetensors raises when the disk fills under its writer (seen on a full tmpfs)
        SafetensorError(
            "Error while serializing: I/O error: No space left on device (os error 28)"
        ),
    ],
)
def test_a_full_disk_is_named_and_leaves_nothing_behind(meta, user_dir, monkeypatch, fault):
    save = checkpoints.save

    def fill_up(model, stem, record):
        save(model, stem, record)  # part of it written...
        raise fault  # ...then the disk is full

    monkeypatch.setattr(checkpoints, "save", fill_up)
    with pytest.raises(CheckpointError, match="disk is full.*download it below"):
        user_models.save(_model(0), "digits", "m", meta, owner=ALICE)
    assert _files(user_dir) in ([], [".lock"])
    assert user_models.list_models("digits", ALICE) == []


def test_a_student_has_a_quota_of_models_and_bytes(meta, user_dir, monkeypatch):
    monkeypatch.setattr(user_models, "MAX_OWNER_MODELS", 3)
    for i in range(2):
        user_models.save(_model(i), "digits", f"m{i}", meta, owner=ALICE)
    user_models.save(_model(2), "digits", "m2", meta, owner=ALICE, share=True)  # counts too
    with pytest.raises(CheckpointError, match="at most 3 models") as e:
        user_models.save(_model(3), "digits", "m3", meta, owner=ALICE)
    assert "You have 3 saved models" in str(e.value)
    user_models.save(_model(3), "digits", "m3", meta, owner=BOB)  # Bob has his own quota

    used = user_models.usage(BOB)[1]
    monkeypatch.setattr(user_models, "MAX_OWNER_BYTES", used * 3 // 2)
    with pytest.raises(CheckpointError, match="MB"):
        user_models.save(_model(4), "digits", "m4", meta, owner=BOB)


def test_the_class_has_a_quota_too(meta, user_dir, monkeypatch):
    monkeypatch.setattr(user_models, "MAX_TOTAL_MODELS", 2)
    user_models.save(_model(0), "digits", "a", meta, owner=ALICE)
    user_models.save(_model(1), "digits", "b", meta, owner=BOB, share=True)
    with pytest.raises(CheckpointError, match="at most 2 models.*in all"):
        user_models.save(_model(2), "digits", "c", meta, owner="C" * 22)
    user_models.save(_model(2), "digits", "c", meta)  # the command line: whoever runs the app


def test_a_model_larger_than_the_cap_is_refused(meta, monkeypatch):
    monkeypatch.setattr(user_models, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(CheckpointError, match="at most"):
        user_models.save(_model(0), "digits", "big", meta, owner=ALICE)


def test_the_largest_model_the_app_trains_fits_the_cap():
    from vae_geom.uploads import LIMITS

    with torch.device("meta"):
        largest = make_model(ModelConfig(LIMITS.max_features), 0)
    assert user_models.weights_bytes(largest) <= user_models.MAX_MODEL_BYTES


def test_a_crashed_saves_scratch_folder_is_swept_a_running_ones_kept(user_dir, meta):
    import os
    import time

    crashed, running = user_dir / ".saving-crashed", user_dir / ".saving-running"
    for folder in (crashed, running):
        folder.mkdir(parents=True)
        (folder / "m.safetensors").write_bytes(b"half")
    old = time.time() - user_models.SCRATCH_MAX_AGE_S - 60
    os.utime(crashed, (old, old))
    user_models.save(_model(0), "digits", "m", meta, owner=ALICE)
    assert not crashed.exists() and running.exists()
