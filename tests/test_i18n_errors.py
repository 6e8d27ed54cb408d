"""Issue 15: a bad upload, a bad model zip, a broken model on disk, a broken judge and a bad z
in a link are refused in the session's language.

The core's errors (vae_geom.uploads, vae_geom.checkpoints, vae_geom.user_models, vae_geom.judge,
vae_geom.probe) carry their message as a catalogue key and values (vae_geom.i18n.Text); the pages
say it with vae_geom.i18n.said in the session's language. Every case of the bad-input corpus
(tests/bad_inputs/make_corpus.py) that reaches a page through a file or a link's z, and a broken
judge file, is fed to the real page under AppTest in Chinese: the page shows the core's own error
said in Chinese, and no English sentence (file names, Python's own words for a cause, quoted
values and symbols aside); in English, the same page shows the same English as before (the
error's str(), which tests/test_bad_inputs.py and the CLI read).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import test_bad_inputs
from tests.bad_inputs import make_corpus
from tests.shown import read
from tests.test_i18n import LATIN_OK
from vae_geom import checkpoints, i18n, judge, probe, uploads, user_models
from vae_geom.data import load_dataset
from vae_geom.ui import lang
from vae_geom.ui.literal import literal

ROOT = Path(__file__).parents[1]
EXPLORER = str(ROOT / "app.py")
POINTS = str(ROOT / "pages" / "1_Points_vs_ellipses.py")
TRAIN = str(ROOT / "pages" / "7_Train_your_own.py")
CJK = re.compile(r"[\u4e00-\u9fff]")
# what a Chinese message may quote in Latin letters: Python's or a library's own words for a
# cause, inside （…）; a file's name; what a link held
CAUSE = re.compile(r"（[^（）\u4e00-\u9fff]*）|“[^”]*”")  # and a link's value, in “…”
FILE = re.compile(r"[\w.\- ()]+\.(npz|npy|csv|zip|xlsx|json|safetensors|png|jpg)\b")


BROWSER = {"lang": "zh"}  # the language of the page last drawn


@pytest.fixture(autouse=True)
def browser_language(monkeypatch):
    """AppTest calls a radio's format_func again before the next run, outside the session, to
    find the option shown (tests/test_i18n_pages_c.py): there the language is the page's last."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    in_run = lang.current
    BROWSER["lang"] = "zh"
    monkeypatch.setattr(
        lang, "current", lambda: in_run() if get_script_run_ctx() else BROWSER["lang"]
    )


# the bad-input corpus built once per module, and a fresh user-models folder per test: the same
# fixtures as tests/test_bad_inputs.py's
corpus, user_dir = test_bad_inputs.corpus, test_bad_inputs.user_dir


def _names(kind: str) -> list[str]:
    return [c.name for c in make_corpus.cases() if c.kind == kind]


def _shown(at: AppTest) -> list[str]:
    assert not at.exception, at.exception
    return [read(e.value) for e in [*at.error, *at.warning, *at.info]]


def _values(text: i18n.Text) -> list[str]:
    """The texts a message quotes: its values that are not catalogue texts (a file's or a
    tensor's name, a value from the file, a cause in Python's words, a line of code), at any
    depth."""
    out = []
    for value in text.values.values():
        out += _values(value) if isinstance(value, i18n.Text) else [str(value)]
    return out


def _english_words(message: str, text: i18n.Text) -> list[str]:
    """The Latin words of a Chinese message that are neither symbols nor names, nor quoted."""
    for quoted in sorted(_values(text), key=len, reverse=True):
        message = message.replace(quoted, " ")
    plain = FILE.sub(" ", CAUSE.sub(" ", message))
    words = re.findall(r"[A-Za-z][A-Za-z\-\.']*", plain)
    return [w for w in words if not LATIN_OK.match(w.rstrip("."))]


def _check(at: AppTest, error: Exception) -> None:
    """The page shows `error` in Chinese; switched to English, as before (its str())."""
    _check_chinese(at, error)
    at.radio(key="lang").set_value("en").run()
    BROWSER["lang"] = "en"
    _check_english(at, error)


def _check_chinese(at: AppTest, error: Exception, cut: int | None = None) -> None:
    """The page shows `error` said in Chinese (cut to `cut` characters, as the page cuts it), and
    no English sentence around it."""
    zh = read(literal(i18n.said(error, "zh"), cut))
    assert zh != read(literal(str(error), cut)) and CJK.search(zh)
    [message] = [m for m in _shown(at) if zh in m]  # the core's error, said in Chinese
    stray = _english_words(message, error.text)
    assert len(stray) <= 2, (message, stray)


def _check_english(at: AppTest, error: Exception, cut: int | None = None) -> None:
    """The page shows `error` as before: its English str(), and no Chinese."""
    [message] = [m for m in _shown(at) if read(literal(str(error), cut)) in m]
    assert not CJK.search(message), message


def _train_page(query: dict | None = None, state: dict | None = None) -> AppTest:
    at = AppTest.from_file(TRAIN, default_timeout=60)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.query_params.update({"lang": "zh", **(query or {})})
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("name", _names("upload"))
def test_a_bad_upload_is_refused_in_chinese(corpus, name):
    folder, _ = corpus
    data = (folder / name).read_bytes()
    with pytest.raises(uploads.UploadError) as refused:
        uploads.load_upload(name, data)
    at = _train_page(state={"train.source": "upload"})
    at.file_uploader(key="train.upload").set_value((name, data, "")).run()
    _check(at, refused.value)


@pytest.mark.parametrize("name", _names("checkpoint_zip"))
def test_a_bad_model_zip_is_refused_in_chinese(corpus, name, tmp_path, monkeypatch):
    folder, manifest = corpus
    data = (folder / name).read_bytes()
    dim = load_dataset(manifest["dataset"]).dim
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "oracle"))
    with pytest.raises(checkpoints.CheckpointError) as refused:
        user_models.from_zip(data, manifest["dataset"], user_models.name_from_file(name), dim)
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    at = _train_page(query={"dataset": manifest["dataset"]})
    at.file_uploader(key="train.ckpt").set_value((name, data, "")).run()
    _check(at, refused.value)


@pytest.mark.parametrize("name", _names("checkpoint_pair"))
def test_a_broken_model_on_disk_is_refused_in_chinese(corpus, name, user_dir):
    folder, manifest = corpus
    stored = user_dir / manifest["dataset"]
    stored.mkdir(parents=True)
    for suffix in (".json", ".safetensors"):
        shutil.copy(folder / f"{name}{suffix}", stored / f"{name}{suffix}")
    with pytest.raises(checkpoints.CheckpointError) as refused:
        model, _ = checkpoints.load(stored / name)
        user_models.check_fits(model, manifest["dataset"], load_dataset(manifest["dataset"]).dim)
    at = AppTest.from_file(EXPLORER, default_timeout=60)
    at.query_params.update({"lang": "zh", "dataset": manifest["dataset"]})
    at.run()
    at.selectbox(key="sidebar.model").set_value(f"user:{name}").run()
    assert any(m.startswith(i18n.t("loaders.unloadable", "zh", why="")[:6]) for m in _shown(at))
    _check(at, refused.value)


@pytest.mark.parametrize("broken", ["json", "tau", "no-weights"])
def test_a_broken_judge_is_explained_in_chinese(broken, tmp_path, monkeypatch):
    """The Points page goes on without its judge and says why, in the session's language."""
    shipped = judge.paths(judge.judge_stem("digits"))
    weights, record = judge.paths(tmp_path / "judge")
    meta = json.loads(shipped[1].read_text())
    record.write_text({"json": "{not json", "tau": json.dumps(meta | {"tau": 1.5})}.get(broken, ""))
    if broken == "no-weights":
        record.write_text(shipped[1].read_text())
    else:
        weights.write_bytes(shipped[0].read_bytes())
    with pytest.raises(judge.JudgeError) as refused:
        judge.load_judge(tmp_path / "judge")
    monkeypatch.setattr(judge, "judge_stem", lambda dataset, root=None: tmp_path / "judge")
    at = AppTest.from_file(POINTS, default_timeout=60)
    at.query_params.update({"lang": "zh", "dataset": "digits"})
    at.run()
    _check(at, refused.value)


Z_CASES = [c.name for c in make_corpus.cases() if c.kind == "query" and set(c.query) == {"z"}]


@pytest.mark.parametrize("name", Z_CASES)
def test_a_bad_z_in_a_link_is_ignored_in_chinese(name):
    (case,) = [c for c in make_corpus.cases() if c.name == name]
    with pytest.raises(probe.ZError) as refused:
        probe.check_z(case.query["z"].split(","))
    at = AppTest.from_file(EXPLORER, default_timeout=60)
    at.query_params.update({"lang": "zh", "dataset": "digits", **case.query})
    at.run()
    # a link's notice is shown by the run that reads the link, and cuts its reason to 120
    # characters: the English one is the same link opened in English
    _check_chinese(at, refused.value, cut=120)
    at = AppTest.from_file(EXPLORER, default_timeout=60)
    at.query_params.update({"lang": "en", "dataset": "digits", **case.query})
    at.run()
    _check_english(at, refused.value, cut=120)
