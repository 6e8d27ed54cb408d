"""The bad-input corpus (tests/bad_inputs/make_corpus.py) fed to the real pages under AppTest.

Every case must (a) show its clear message in an error or warning, (b) raise nothing (no traceback
reaches the page), and (c) leave the session working: the same AppTest then takes a good input.
AppTest in Streamlit 1.67 uploads files itself (`FileUploader.set_value`), so uploads go through
the pages' real st.file_uploader widgets.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests import plane_data
from tests.bad_inputs import make_corpus
from tests.shown import read
from vae_geom.data import DATASETS

ROOT = Path(__file__).parents[1]
EXPLORER = str(ROOT / "app.py")
TRAIN = str(ROOT / "pages" / "7_Train_your_own.py")
SCRIPT = ROOT / "tests" / "bad_inputs" / "make_corpus.py"
MAX_MESSAGE = 500  # characters: longer than this is a wall of text, not a clear message
SCRATCH = os.path.join(tempfile.gettempdir(), "tmp")  # tempfile's own folders: /tmp/tmpXXXX
MARKDOWN = ("![", "](", "://")  # an image, a link, an autolink: what no message may draw


# Known failures, outside this change's reach: strict, so that the fix shows up as a pass
KNOWN: dict[str, str] = {}  # case name -> why it still fails (run as a strict xfail)


def _names(kind: str) -> list:
    return [
        pytest.param(c.name, marks=pytest.mark.xfail(strict=True, reason=KNOWN[c.name]))
        if c.name in KNOWN
        else c.name
        for c in make_corpus.cases()
        if c.kind == kind
    ]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    """The corpus built once for this module, outside the repo; (folder, its manifest)."""
    out = tmp_path_factory.mktemp("bad_inputs")
    make_corpus.build(out)
    return out, json.loads((out / make_corpus.MANIFEST).read_text())


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    return tmp_path / "user_models"


@pytest.fixture(autouse=True)
def no_pickle_ran(corpus):
    """Whatever a test feeds the app, the pickle payloads never run (see the control test)."""
    marker = corpus[0] / corpus[1]["marker"]
    assert not marker.exists()
    yield
    assert not marker.exists(), "a pickle payload was unpickled"


def _case(manifest: dict, name: str) -> dict:
    (case,) = [c for c in manifest["cases"] if c["name"] == name]
    return case


def _refused(at: AppTest, case: dict) -> str:
    """The one clear message the case must produce; no exception reached the page."""
    assert not at.exception, at.exception
    shown = [e.value for e in at.error] + [w.value for w in at.warning]
    hits = [m for m in shown if case["message"] in read(m)]  # as the reader sees it
    assert hits, f"{case['message']!r} not in {shown}"
    assert len(hits[0]) <= MAX_MESSAGE, f"{len(hits[0]):,} characters: {hits[0][:300]}"
    assert not any(c in hits[0] for c in MARKDOWN), hits[0]  # the body Streamlit renders
    return read(hits[0])  # as the reader sees it


def _upload(at: AppTest, key: str, folder: Path, name: str) -> AppTest:
    at.file_uploader(key=key).set_value((name, (folder / name).read_bytes(), "")).run()
    return at


def _keys(elements) -> set[str]:
    return {e.key for e in elements}


@pytest.mark.parametrize("name", _names("upload"))
def test_a_bad_upload_is_refused_then_a_good_one_trains(corpus, name):
    folder, manifest = corpus
    at = AppTest.from_file(TRAIN, default_timeout=60)
    at.session_state["train.source"] = "upload"
    at.run()
    message = _refused(_upload(at, "train.upload", folder, name), _case(manifest, name))
    assert f"{name}: {name}" not in message  # the file is named once
    assert "train.go" not in _keys(at.button)  # nothing half loaded: no training controls

    _upload(at, "train.upload", folder, manifest["good"]["upload"])
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "samples of 4×4, 3 classes" in read(at.success[0].value)
    assert "train.go" in _keys(at.button)


@pytest.mark.parametrize("name", _names("checkpoint_zip"))
def test_a_bad_model_zip_is_refused_then_a_good_one_is_stored(corpus, name, user_dir):
    folder, manifest = corpus
    at = AppTest.from_file(TRAIN, default_timeout=60)
    at.session_state["sidebar.dataset"] = manifest["dataset"]
    at.run()
    message = _refused(_upload(at, "train.ckpt", folder, name), _case(manifest, name))
    assert SCRATCH not in message  # a scratch folder's path means nothing to the user
    written = [f for f in user_dir.rglob("*") if f.suffix in (".json", ".safetensors")]
    assert not written  # nothing half written, among the shared models or the private ones

    _upload(at, "train.ckpt", folder, manifest["good"]["checkpoint_zip"])
    assert not at.exception and "“Yours: good-model” is now in" in read(at.success[-1].value)
    at.run()
    assert "Yours: good-model" in at.selectbox(key="sidebar.model").options


def test_a_second_download_of_a_model_zip_is_stored_under_its_name(corpus, tmp_path, user_dir):
    """Browsers save a second download of good-model.zip as "good-model (1).zip"."""
    folder, manifest = corpus
    (tmp_path / "good-model (1).zip").write_bytes(
        (folder / manifest["good"]["checkpoint_zip"]).read_bytes()
    )
    at = AppTest.from_file(TRAIN, default_timeout=60)
    at.session_state["sidebar.dataset"] = manifest["dataset"]
    at.run()
    _upload(at, "train.ckpt", tmp_path, "good-model (1).zip")
    assert not at.exception and "“Yours: good-model” is now in" in read(at.success[-1].value)
    # stored as the student's own (user_models/private/KEY/DATASET/), under the zip's name
    stored = list(user_dir.rglob("good-model.safetensors"))
    assert [f.parent.name for f in stored] == [manifest["dataset"]]


def _pick_shared_model(corpus, case: dict, user_dir: Path, page: str, query=None) -> AppTest:
    """Put the case's files in the class's shared models folder, open `page` (with `query`) and
    pick that model in the sidebar, as a student would."""
    folder, manifest = corpus
    stored = user_dir / manifest["dataset"]
    stored.mkdir(parents=True)
    for f in case["files"]:
        shutil.copy(folder / f, stored / f)
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["sidebar.dataset"] = manifest["dataset"]
    at.query_params.update(query or {})
    at.run()
    at.selectbox(key="sidebar.model").set_value(f"user:{case['name']}").run()
    return at


@pytest.mark.parametrize("name", _names("checkpoint_pair"))
def test_a_bad_model_on_disk_is_refused_then_another_model_works(corpus, name, user_dir):
    _, manifest = corpus
    case = _case(manifest, name)
    at = _pick_shared_model(corpus, case, user_dir, EXPLORER)
    message = _refused(at, case)
    assert message.startswith("This model cannot be loaded.")
    assert not at.get("bidi_component")  # the page stopped before drawing with a broken model

    at.selectbox(key="sidebar.model").set_value("vae-kl-1").run()
    assert not at.exception and not at.error
    plane = plane_data.plane(at)
    assert plane.meta["order"] == f"{manifest['dataset']}/test" and not plane.meta["is_ae"]


# The records that passed the old checks and then raised on the pages that draw the picked model
RECORD_CASES = ["ckpt-no-test-figures", "ckpt-text-figures", "ckpt-absurd-logvar"]
PICKED_MODEL_PAGES = [  # (page, the query that opens its part drawing the picked model)
    ("app.py", {}),
    ("pages/2_KL_and_coverage.py", {"kl.section": "Aggregate posterior vs prior"}),
    ("pages/3_Reparameterisation.py", {}),
    ("pages/5_Code_space_shapes.py", {"shapes.section": "One model, measured"}),
    ("pages/6_Generate_and_interpolate.py", {}),
]


@pytest.mark.parametrize("page, query", PICKED_MODEL_PAGES)
@pytest.mark.parametrize("name", RECORD_CASES)
def test_every_page_refuses_a_model_whose_record_would_break_it(
    corpus, name, page, query, user_dir
):
    case = _case(corpus[1], name)
    at = _pick_shared_model(corpus, case, user_dir, str(ROOT / page), query)
    assert _refused(at, case).startswith("This model cannot be loaded.")


@pytest.mark.parametrize("name", _names("query"))
def test_a_bad_link_falls_back_with_a_notice_then_the_explorer_works(corpus, name):
    _, manifest = corpus
    case = _case(manifest, name)
    at = AppTest.from_file(EXPLORER, default_timeout=60)
    at.query_params.update({"dataset": manifest["dataset"], **case["query"]})
    at.run()
    _refused(at, case)
    if set(case["query"]) == {"z"}:
        assert "z" not in at.query_params  # a bad z leaves the address bar too
    assert at.selectbox(key="sidebar.dataset").value in DATASETS
    plane = plane_data.plane(at)  # the page is drawn with what could be used
    assert plane.meta["order"].split("/")[0] == at.selectbox(key="sidebar.dataset").value
    if set(case["query"]) == {"z"}:
        assert plane.state["z"] is None  # no bad z is marked on it either

    at.selectbox(key="sidebar.dataset").set_value(manifest["dataset"])
    at.selectbox(key="sidebar.model").set_value("vae-kl-1")
    at.run()
    plane_data.click(at, 0.5, -0.5)  # a click on the plane, as its script sends one
    assert not at.exception and not at.error
    assert any("z = (+0.50, -0.50)" in read(m.value) for m in at.markdown)
    assert at.query_params["dataset"] == manifest["dataset"]


def test_the_pickle_payloads_are_real(corpus):
    """The control for no_pickle_ran: unpickling the corpus's payloads does create the marker."""
    folder, manifest = corpus
    marker = folder / manifest["marker"]
    try:
        pickle.loads((folder / "ckpt-pickle-weights.safetensors").read_bytes()).close()
        assert marker.exists()
        marker.unlink()
        with np.load(folder / "pickle.npz", allow_pickle=True) as npz:
            for handle in npz["x"]:
                handle.close()
        assert marker.exists()
    finally:
        marker.unlink(missing_ok=True)


def test_the_script_writes_the_manifest_and_every_file(corpus, tmp_path):
    out = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
    )
    manifest = json.loads((out / make_corpus.MANIFEST).read_text())
    cases = make_corpus.cases()
    assert [c["name"] for c in manifest["cases"]] == [c.name for c in cases]
    assert {c["kind"] for c in manifest["cases"]} == {
        "checkpoint_zip",
        "checkpoint_pair",
        "upload",
        "query",
    }
    files = {f for c in manifest["cases"] for f in c["files"]} | set(manifest["good"].values())
    assert {p.name for p in out.iterdir()} == files | {make_corpus.MANIFEST}
    # the same bytes every time, except the pickles, which carry their marker's absolute path
    folder, _ = corpus
    pickles = {f for c in cases if "pickle" in c.name for f in c.files}
    for f in sorted(files - pickles):
        assert (out / f).read_bytes() == (folder / f).read_bytes(), f
