"""AppTest of Train your own: a short run, its replay, saving (whose model, never over another,
within quotas), downloads of the session's own model, and checkpoint uploads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from tests import plane_data
from tests.shown import read
from vae_geom import user_models
from vae_geom.models import decode_images, posteriors

PAGE = str(Path(__file__).parents[1] / "pages" / "7_Train_your_own.py")


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    return tmp_path / "user_models"


def _trained(epochs=2) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    at.selectbox(key="sidebar.dataset").set_value("digits").run()
    at.number_input(key="train.epochs").set_value(epochs)
    at.button(key="train.go").click().run()
    assert not at.exception, at.exception
    return at


def test_a_short_run_drives_progress_and_replay():
    at = _trained(2)
    result = at.session_state["train.result"]
    rec = result["recorder"]
    assert [r["epoch"] for r in rec.rows] == [0, 1, 2]  # epoch 0: before training
    # the replay's plane carries every epoch's ellipses (the frames) and the last epoch's model
    p = plane_data.plane(at, "train.plane")
    np.testing.assert_array_equal(p["frame_epochs"], [0, 1, 2])
    mu_model, sigma_model = posteriors(result["model"], result["dataset"].x_test)
    np.testing.assert_allclose(p["frames_mu"][-1], mu_model, atol=1e-5)
    np.testing.assert_allclose(p["frames_sigma"][-1], sigma_model, atol=1e-5)
    np.testing.assert_allclose(p["mu"], mu_model, atol=1e-5)
    z = (0.3, -0.2)  # and it decodes with the trained decoder
    expected = decode_images(result["model"], [z])[0]
    # the weights travel rounded to 15 mantissa bits: within the 1e-3 of the model
    np.testing.assert_allclose(plane_data.decode(p.arrays, z)[0], expected, atol=1e-3)
    assert result["meta"]["epochs_run"] == 2
    # the replay moves: epoch 0 is not epoch 2
    assert not np.allclose(rec.mu[0], rec.mu[2])


APP = str(Path(PAGE).parents[1] / "app.py")


def _picker(query: dict | None = None) -> list[str]:
    """The Explorer's model picker for digits, opened by a link with `query`."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"dataset": "digits", **(query or {})})
    at.run()
    assert not at.exception, at.exception
    return at.selectbox(key="sidebar.model").options


def _save(at: AppTest, name: str, share: bool = False) -> AppTest:
    at.text_input(key="train.name").set_value(name)
    if share:
        at.checkbox(key="train.share").check()
    at.button(key="train.save").click().run()
    assert not at.exception, at.exception
    return at


def test_a_saved_model_is_its_students_own_and_their_link_finds_it_again(user_dir):
    at = _save(_trained(1), "mine")
    assert "Saved as “Yours: mine”" in read(at.success[-1].value)
    me = at.query_params["me"]
    assert user_models.OWNER_RE.fullmatch(me)  # the link carries the student's key
    assert "Yours: mine" in _picker({"me": me})  # a reload, or the same link next lesson
    assert "Yours: mine" not in _picker()  # anyone else: a fresh key, no model
    assert "Yours: mine" not in _picker({"me": "B" * 22})
    assert not (user_dir / "digits" / "mine.json").exists()  # not among the class's models


def test_a_link_naming_someone_elses_model_does_not_load_it(user_dir):
    at = _save(_trained(1), "mine")
    explorer = AppTest.from_file(APP, default_timeout=60)
    explorer.query_params.update({"dataset": "digits", "model": "me:mine"})
    explorer.run()
    assert not explorer.exception
    assert explorer.selectbox(key="sidebar.model").value == "vae-kl-1"  # the default instead
    assert any("unknown" in read(w.value) for w in explorer.warning)
    assert at.session_state["train.result"]["model"] is not None


def test_a_shared_model_is_in_every_pickers_list_and_never_overwritten(user_dir):
    at = _save(_trained(1), "ours", share=True)
    assert "Saved as “Shared: ours”" in read(at.success[-1].value)
    assert "Shared: ours" in _picker()  # any student's
    before = (user_dir / "digits" / "ours.safetensors").read_bytes()
    other = _save(_trained(2), "ours", share=True)  # another student, the same name
    assert "nothing was overwritten" in read(other.error[0].value)
    assert not other.success  # and no "Saved as"
    assert "train.dl_unsaved" in {b.key for b in other.get("download_button")}
    assert (user_dir / "digits" / "ours.safetensors").read_bytes() == before


def test_a_refused_save_leaves_no_stale_saved_as(user_dir):
    at = _save(_trained(1), "mine")
    assert at.success and "Saved as" in read(at.success[-1].value)
    at = _save(at, "mine")  # the same name again: refused
    assert "nothing was overwritten" in read(at.error[0].value)
    assert not [s for s in at.success if "Saved as" in read(s.value)]


def test_a_student_who_saved_too_many_is_told_the_limit(user_dir, monkeypatch):
    monkeypatch.setattr(user_models, "MAX_OWNER_MODELS", 1)
    at = _save(_save(_trained(1), "one"), "two")
    assert "at most 1 models" in read(at.error[0].value)
    assert "train.dl_unsaved" in {b.key for b in at.get("download_button")}


def _zip_served(at: AppTest, key: str, media) -> bytes:
    (button,) = [
        b for b in at.get("download_button") if b.proto.id.endswith(key) or key in b.proto.id
    ]
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    for storage in reversed(media.storages):
        try:
            return storage.get_file(file_id).content
        except Exception:  # not in this storage
            continue
    raise KeyError(key)


def _weights_in(zipped: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".safetensors")]
        return z.read(name)


def test_models_of_two_students_uploads_stay_apart_and_each_downloads_their_own(user_dir, media):
    """Alice and Bob train on their own private uploads and save under the same default name:
    both are kept, and Alice's download is Alice's model, never Bob's."""
    rng = np.random.default_rng(0)
    runs = {}
    for student in ("alice", "bob"):
        data = _npz(rng.random((120, 6, 6)).astype(np.float32), rng.integers(0, 3, 120))
        at = _upload(data, f"{student}.npz")
        at.number_input(key="train.epochs").set_value(1)
        at.number_input(key="train.seed").set_value(len(runs))
        at.button(key="train.go").click().run()
        at.text_input(key="train.name").set_value("model")
        at.button(key="train.save").click().run()
        assert not at.exception and "Saved as “Yours: model”" in read(at.success[-1].value)
        assert at.checkbox(key="train.share").disabled  # an upload's model is never shared
        runs[student] = at
    assert not (user_dir / "uploads").exists()  # no shared "uploads" folder
    alice = runs["alice"]
    served = _weights_in(_zip_served(alice, "train.dl", media))
    model = alice.session_state["train.result"]["model"]
    from safetensors.torch import load

    for k, v in load(served).items():
        assert torch.equal(v, model.state_dict()[k])
    bob_model = runs["bob"].session_state["train.result"]["model"]
    assert not all(torch.equal(v, bob_model.state_dict()[k]) for k, v in load(served).items())


def test_a_model_zip_with_a_name_in_use_does_not_replace_it(user_dir, media):
    at = _save(_trained(1), "mine")
    zipped = _zip_served(at, "train.dl", media)
    at.file_uploader(key="train.ckpt").upload("mine.zip", zipped).run()
    assert not at.exception and "nothing was overwritten" in read(at.error[-1].value)
    at.file_uploader(key="train.ckpt").upload("copy.zip", zipped).run()
    assert "“Yours: copy” is now in" in read(at.success[-1].value)
    at.run()  # a rerun with the file still in the uploader does not store it again
    assert not at.error and "“Yours: copy” is now in" in read(at.success[-1].value)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip", "Upload a .zip"),
        (None, "exactly two files"),
    ],
)
def test_a_bad_checkpoint_upload_says_what_is_wrong(content, message):
    if content is None:  # a zip with one stray file
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("model.json", "{}")
        content = buf.getvalue()
    with pytest.raises(user_models.CheckpointError, match=message):
        user_models.from_zip(content, "digits", "x", 64)


@pytest.mark.parametrize(
    "filename, name",
    [
        ("good-model.zip", "good-model"),
        ("good-model (1).zip", "good-model"),  # a browser's second download of the same file
        ("good-model (12).zip", "good-model"),
        ("good (1) model.zip", "good (1) model"),  # only the suffix: the rest is checked as typed
    ],
)
def test_the_model_name_of_an_uploaded_zip(filename, name):
    assert user_models.name_from_file(filename) == name


def _npz(x, y=None) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=x, **({} if y is None else {"y": y}))
    return buf.getvalue()


def _upload(data: bytes, name: str, rescale: bool = False) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    at.radio(key="train.source").set_value("upload").run()
    if rescale:
        at.checkbox(key="train.rescale").check().run()
    at.file_uploader(key="train.upload").upload(name, data).run()
    assert not at.exception, at.exception
    return at


def test_good_upload_trains_like_a_built_in_dataset():
    rng = np.random.default_rng(0)
    at = _upload(
        _npz(rng.random((120, 6, 6)).astype(np.float32), rng.integers(0, 3, 120)), "mine.npz"
    )
    assert "120 samples of 6×6, 3 classes" in read(at.success[0].value)
    at.number_input(key="train.epochs").set_value(1)
    at.button(key="train.go").click().run()
    assert not at.exception
    assert at.session_state["train.result"]["store"] == "uploads"


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"hello", "notes.txt", "expected"),
        (_npz(np.full((60, 4), np.nan)), "nan.npz", "NaN"),
        (_npz(np.zeros((10, 4)) + 0.5), "few.npz", "50"),
        (b"1,2,3\n4,5\n", "ragged.csv", "line 2"),
    ],
)
def test_each_bad_upload_gets_its_message_and_no_training_controls(data, name, message):
    at = _upload(data, name)
    assert at.error and message in read(at.error[0].value), [e.value for e in at.error]
    assert not at.button  # nothing half-loaded: the page stops before the training controls


def test_values_outside_0_1_offer_rescaling_and_it_works():
    x = np.random.default_rng(1).random((80, 16)) * 255
    at = _upload(_npz(x), "raw.npz")
    assert "rescale" in read(at.info[0].value).lower()
    at = _upload(_npz(x), "raw.npz", rescale=True)
    assert at.success and "80 samples" in read(at.success[0].value)


def test_a_stopped_run_saves_the_whole_record(user_dir, monkeypatch):
    """Stop interrupts the script inside training (Streamlit raises in the epoch callback), so the
    page never gets train_one's record: the one it saves must still say how the model was trained.
    """
    import streamlit as st

    from vae_geom import checkpoints, replay, training
    from vae_geom.data import load_dataset

    recorder_call = replay.Recorder.__call__

    def stop_after_epoch_2(self, stats, model):
        go_on = recorder_call(self, stats, model)
        if stats["epoch"] == 2:
            st.stop()  # as the Stop button does: the script ends inside train_one
        return go_on

    monkeypatch.setattr(replay.Recorder, "__call__", stop_after_epoch_2)
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    at.selectbox(key="sidebar.dataset").set_value("digits").run()
    at.selectbox(key="train.reg").set_value("simple")
    at.number_input(key="train.beta").set_value(0.3)
    at.number_input(key="train.seed").set_value(7)
    at.number_input(key="train.epochs").set_value(10)
    at.button(key="train.go").click().run()
    assert not at.exception, at.exception
    assert at.session_state["train.result"]["meta"] is None  # train_one never returned
    at.run()  # the rerun a Stop click starts: the page shows what was kept
    assert "stopped after epoch 2" in read(at.warning[0].value)
    assert at.text_input(key="train.name").value == "vae-simple-0.3-s7-e2"
    at.text_input(key="train.name").set_value("stopped").run()
    at.button(key="train.save").click().run()
    assert not at.exception, at.exception

    me = at.session_state["owner.token"]
    model, meta = checkpoints.load(user_models.stem("digits", "me:stopped", me))
    assert set(meta) == {
        *("format_version", "model", "name", "dataset", "kind", "train", "train_seconds"),
        *("epochs_run", "final_train", "best_epoch", "test", "code_version"),
    }
    assert meta["best_epoch"] is None  # a student's run holds nothing out: its last epoch stays
    chosen = training.TrainConfig(regulariser="simple", beta=0.3, epochs=10, seed=7)
    assert meta["train"] == chosen.to_dict()  # beta, seed, regulariser; the planned epochs
    assert (meta["name"], meta["dataset"], meta["kind"]) == ("me:stopped", "digits", "vae")
    assert meta["epochs_run"] == 2 and meta["final_train"]["epoch"] == 2
    assert set(meta["final_train"]) == {"epoch", "recon", "reg", "loss"}  # fit's own stats
    assert meta["train_seconds"] >= 0 and meta["code_version"]
    assert meta["test"] == training.test_metrics(model, load_dataset("digits"))  # of these weights


def test_the_controls_read_their_choices_and_defaults_from_the_core():
    from vae_geom import training
    from vae_geom.models import KINDS, ModelConfig
    from vae_geom.objectives import REGULARISERS

    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    kind, reg = at.selectbox(key="train.kind"), at.selectbox(key="train.reg")
    assert len(kind.options) == len(KINDS) and kind.value == ModelConfig.kind
    assert len(reg.options) == len(REGULARISERS) and reg.value == training.TrainConfig.regulariser
    epochs, beta, seed = (at.number_input(key=f"train.{k}") for k in ("epochs", "beta", "seed"))
    assert (epochs.value, epochs.max) == (training.USER_EPOCHS_DEFAULT, training.USER_EPOCHS_MAX)
    assert (beta.value, beta.max) == (training.TrainConfig.beta, training.USER_BETA_MAX)
    assert (seed.value, seed.max) == (training.TrainConfig.seed, training.USER_SEED_MAX)
