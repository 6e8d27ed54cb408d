"""Faults while the app runs: checkpoints deleted, replaced by garbage or by another model while
cached, a user-model folder that cannot be written, and assets that must never be written.

The app must report each fault in the page, keep working, and recover when the file is back.
These run the real pages in-process (AppTest) on a temporary copy of the digits models
(`ladder.MODELS_DIR` is where every page looks for the shipped ladder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from tests import plane_data
from tests.apptest import run_page
from tests.shown import read
from vae_geom import checkpoints, ladder
from vae_geom.data import load_dataset
from vae_geom.models import posteriors

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
KL_PAGE = str(ROOT / "pages" / "2_KL_and_coverage.py")
DIGITS = {"dataset": "digits"}


@pytest.fixture
def models(tmp_path, monkeypatch) -> Path:
    """A private copy of the shipped digits ladder that the pages read instead of assets/."""
    root = tmp_path / "models"
    shutil.copytree(ladder.MODELS_DIR / "digits", root / "digits")
    monkeypatch.setattr(ladder, "MODELS_DIR", root)
    yield root
    st.cache_resource.clear()
    st.cache_data.clear()


def _warnings(at) -> list[str]:
    return [read(w.value) for w in plane_data.page_warnings(at)]


def _plane_bytes(at) -> bytes:
    """The latent plane's payload, as the page holds it: changes when the model behind it
    changes."""
    return plane_data.payload_bytes(at, "latent")


def _drawn(at) -> bool:
    return bool(plane_data.components(at, "latent"))


def test_garbage_over_a_cached_checkpoint_is_reported_and_the_page_keeps_working(models):
    at = run_page(APP, query=DIGITS)
    assert _drawn(at) and not _warnings(at)
    before = _plane_bytes(at)
    weights = checkpoints.paths(models / "digits" / "vae-kl-1")[0]
    good = weights.read_bytes()
    weights.write_bytes(b"\x00 not a checkpoint " * 50)

    at.session_state["explorer.z"] = (0.4, -0.2)  # and the user clicks the plane
    at.session_state["explorer.server_check"] = True  # and has the server decode it
    at.run()
    assert not at.exception
    warning = next(w for w in _warnings(at) if "changed on disk" in w)
    assert "not a readable safetensors file" in warning and "loaded earlier" in warning
    assert _plane_bytes(at) == before, "the plane is still drawn from the copy in memory"
    assert [i.caption for i in at.get("image")[0].proto.imgs][0] == "decoder(z)"

    weights.write_bytes(good)  # restored: the warning goes, the same model is back
    at.run()
    assert not at.exception and not _warnings(at)


def test_a_checkpoint_deleted_while_running_is_reported_then_recovered(models):
    at = run_page(APP, query=DIGITS)
    before = _plane_bytes(at)
    stem = models / "digits" / "vae-kl-1"
    saved = {p: p.read_bytes() for p in checkpoints.paths(stem)}
    for p in saved:
        p.unlink()
    at.run()
    assert not at.exception
    assert any("is missing: restore it" in w for w in _warnings(at))
    assert _plane_bytes(at) == before
    for p, data in saved.items():
        p.write_bytes(data)
    at.run()
    assert not at.exception and not _warnings(at) and _plane_bytes(at) == before


def test_a_checkpoint_replaced_by_another_model_is_read_again_not_served_stale(models):
    """The cache follows the file: a retrained model written over the old one shows at once."""
    at = run_page(APP, query=DIGITS)
    before = _plane_bytes(at)
    src, dst = models / "digits" / "vae-kl-3", models / "digits" / "vae-kl-1"
    for a, b in zip(checkpoints.paths(src), checkpoints.paths(dst), strict=True):
        shutil.copyfile(a, b)
    at.run()
    assert not at.exception and not _warnings(at)
    assert _plane_bytes(at) != before
    # the plane is the new model's: its posteriors, encoded here from the file copied in
    model, _ = checkpoints.load(src)
    mu, sigma = posteriors(model, load_dataset("digits").x_test)
    plane = plane_data.plane(at)
    np.testing.assert_allclose(plane["mu"], mu, rtol=0, atol=1e-5)
    np.testing.assert_allclose(plane["sigma"], sigma, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(
        plane["W0"], plane_data.sent(model.decoder[0].weight.detach().numpy())
    )
    coverage = {m.label: m.value for m in at.metric}["coverage₁"]
    assert coverage == f"{checkpoints.read_meta(src)['test']['coverage_1']:.1%}"


def test_an_unreadable_model_never_loaded_stops_only_that_view(models):
    (models / "digits" / "vae-kl-0.3.json").write_text("{ not json")
    at = run_page(APP, query=DIGITS)
    at.selectbox(key="sidebar.model").set_value("vae-kl-0.3").run()
    assert not at.exception
    shown = read(at.error[0].value)
    assert "cannot be loaded" in shown and "not valid JSON" in shown
    assert not _drawn(at)
    at.selectbox(key="sidebar.model").set_value("vae-kl-1").run()  # the app goes on working
    assert not at.exception and not at.error and _drawn(at)


def test_the_kl_page_reports_a_broken_rung_instead_of_a_traceback(models):
    (models / "digits" / "vae-kl-0.1.json").write_text('{"format_version": 99}')
    at = run_page(KL_PAGE, query=DIGITS)
    assert not at.exception
    shown = read(at.error[0].value)
    assert "cannot be loaded" in shown and "vae-kl-0.1.json" in shown


def _train_and_save(name: str, share: bool = False):
    """Train your own: one epoch on digits, then Save under `name`; no exception."""
    at = run_page(str(ROOT / "pages" / "7_Train_your_own.py"), dataset="digits", timeout=180)
    at.number_input(key="train.epochs").set_value(1)
    at.button(key="train.go").click().run()
    at.text_input(key="train.name").set_value(name).run()
    if share:
        at.checkbox(key="train.share").check()
    at.button(key="train.save").click().run()
    assert not at.exception
    return at


def test_saving_into_a_folder_that_cannot_be_written_says_so(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the user-models folder should be")
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(blocker))
    at = _train_and_save("mine")
    assert any("could not be saved" in read(e.value) for e in at.error), [e.value for e in at.error]
    assert at.session_state["train.result"]["model"] is not None  # the trained model is kept
    assert "train.dl_unsaved" in {b.key for b in at.get("download_button")}


@pytest.mark.parametrize("where", ["weights", "json"])
def test_a_full_disk_says_so_offers_the_download_and_leaves_nothing(tmp_path, monkeypatch, where):
    """The disk fills while the model is written (its weights, or its JSON after the weights):
    the page says the disk is full, offers the model as a download, and no file is left behind
    (a 0-byte JSON used to appear in everyone's picker)."""
    import errno

    from safetensors import SafetensorError

    user_dir = tmp_path / "user_models"
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(user_dir))
    save_file, write_text = checkpoints.save_file, Path.write_text

    def full_weights(tensors, filename, metadata=None):
        if str(filename).startswith(str(user_dir)):
            Path(filename).write_bytes(b"")  # as a real full disk leaves it: an empty file
            raise SafetensorError("I/O error: No space left on device (os error 28)")
        return save_file(tensors, filename, metadata=metadata)

    def full_json(self, *args, **kwargs):
        if str(self).startswith(str(user_dir)):
            write_text(self, "")
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    if where == "weights":
        monkeypatch.setattr(checkpoints, "save_file", full_weights)
    else:
        monkeypatch.setattr(Path, "write_text", full_json)
    at = _train_and_save("mine")
    assert any("disk is full" in read(e.value) for e in at.error), [e.value for e in at.error]
    assert "train.dl_unsaved" in {b.key for b in at.get("download_button")}
    assert not at.success
    left = [p for p in user_dir.rglob("*") if p.is_file() and p.name != ".lock"]
    assert left == []
    assert not [o for o in at.selectbox(key="sidebar.model").options if ":" in o]


def test_the_model_cache_stays_within_its_byte_budget(tmp_path, monkeypatch, digits):
    """Ten user models opened one after another (the last-good copies included) keep at most
    MODEL_CACHE_BYTES of weights in memory, least recently used out; the newest still falls back
    to its last good copy when its file goes bad."""
    from vae_geom import training, user_models
    from vae_geom.models import ModelConfig, make_model
    from vae_geom.ui import loaders

    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    models = [make_model(ModelConfig(64, hidden=(256, 128)), seed) for seed in range(10)]
    meta = {"test": training.test_metrics(models[0], digits)}
    size = user_models.weights_bytes(models[0])
    monkeypatch.setattr(loaders, "MODEL_CACHE_BYTES", 3 * size)
    for i, m in enumerate(models):
        user_models.save(m, "digits", f"m{i}", meta)
        served, *_ = loaders._current("digits", f"user:m{i}")
        assert loaders.cached_bytes() <= 3 * size
    weights = checkpoints.paths(user_models.stem("digits", "user:m9"))[0]
    weights.write_bytes(b"garbage")
    served, _, _, problem = loaders._current("digits", "user:m9")
    assert problem and served is not None
    assert loaders.cached_bytes() <= 3 * size


# --- nothing shipped is ever written --------------------------------------------------------
# The CI machine runs as root, for whom chmod cannot make assets/ read-only, so the guard is
# Python's audit hook: every open-for-writing, delete, rename or mkdir under assets/ is recorded
# while the pages run. A second, independent check hashes assets/ before and after.

_WRITES: list[str] | None = None  # set while the guard is on; audit hooks cannot be removed
_ASSETS = str(ROOT / "assets")
_WRITE_EVENTS = {"os.remove", "os.rename", "os.replace", "os.mkdir", "os.rmdir", "os.truncate"}


def _audit(event: str, args: tuple) -> None:
    if _WRITES is None or not args:
        return
    path = args[0]
    if not isinstance(path, str | bytes | os.PathLike):
        return
    path = os.path.abspath(os.fsdecode(path))
    if not path.startswith(_ASSETS):
        return
    if event == "open":
        mode, flags = args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC)
        )
        if writing:
            _WRITES.append(f"open {path} {mode!r}")
    elif event in _WRITE_EVENTS:
        _WRITES.append(f"{event} {path}")


sys.addaudithook(_audit)


def _hash_tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_the_audit_guard_sees_a_write_under_assets():
    """The oracle below must be able to fail: a write under assets/ is caught (then undone)."""
    global _WRITES
    probe = ROOT / "assets" / ".audit-probe"
    _WRITES = []
    try:
        probe.write_text("x")
        probe.unlink()
        assert any("open" in w and ".audit-probe" in w for w in _WRITES)
        assert any(w.startswith("os.remove") for w in _WRITES)
    finally:
        _WRITES = None
        probe.unlink(missing_ok=True)


def _run_every_section(at) -> None:
    """Open each tab of a page's lazy sections (ui.sections: only the open one runs)."""
    labels = [t.label for t in at.tabs]
    for key in [k for k in at.session_state.keys() if k.endswith(".section")]:
        for label in labels[1:]:
            at.session_state[key] = label
            at.run()
            assert not at.exception, (key, label, at.exception)


def test_every_page_training_and_saving_never_write_under_assets(tmp_path, monkeypatch):
    global _WRITES
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    before = _hash_tree(ROOT / "assets")
    _WRITES = []
    try:
        for page in [APP, *sorted(str(p) for p in (ROOT / "pages").glob("[0-6]_*.py"))]:
            _run_every_section(run_page(page, dataset="digits"))
        _train_and_save("audit", share=True)
        assert (tmp_path / "user_models" / "digits" / "audit.safetensors").is_file()
        writes = list(_WRITES)
    finally:
        _WRITES = None
    assert writes == []
    assert _hash_tree(ROOT / "assets") == before
