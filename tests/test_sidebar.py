"""The shared sidebar under AppTest: a link's bad values are echoed as text, never as Markdown;
a picked model that disappears is replaced with a notice, not silently."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.apptest import run_page
from tests.shown import unescape
from vae_geom import checkpoints, ladder

APP = str(Path(__file__).parents[1] / "app.py")
HOSTILE = {
    "dataset": "![](http://host/t.png)",  # the reader's browser would fetch the image
    "model": "[Log in again](//host)",  # a live link drawn inside the app
    "z": "![](http://host/t.png),<img src=x>",
}


def _sidebar_warnings(at) -> list[str]:
    return [w.value for w in at.sidebar.warning]


def _quoted(body: str) -> str:
    """The text between the notice's “ ” quotes."""
    return body.split("“", 1)[1].split("”", 1)[0]


@pytest.mark.parametrize("key", list(HOSTILE))
def test_a_link_value_is_shown_as_text_never_as_markdown(key):
    at = run_page(APP, query={key: HOSTILE[key]})
    (body,) = _sidebar_warnings(at)
    assert unescape(_quoted(body)) == HOSTILE[key][:39] + "…" * (len(HOSTILE[key]) > 40)
    for construct in ("![", "](", "://"):  # what Markdown would draw as an image or a link
        assert construct not in body, body
    assert not re.search(r"(?<!\\)<", body), body  # nor an HTML tag


@pytest.fixture
def user_model(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped digits β = 1 VAE as the user model "mine"."""
    monkeypatch.setenv("VAE_GEOM_USER_MODELS", str(tmp_path / "user_models"))
    folder = tmp_path / "user_models" / "digits"
    folder.mkdir(parents=True)
    for src, dst in zip(
        checkpoints.paths(ladder.stem("digits", "vae-kl-1")),
        checkpoints.paths(folder / "mine"),
        strict=True,
    ):
        shutil.copy(src, dst)
    return tmp_path / "user_models"


def test_a_deleted_user_model_is_replaced_with_a_notice(user_model):
    at = run_page(APP, dataset="digits", model="user:mine")
    assert not _sidebar_warnings(at)
    shutil.rmtree(user_model)  # the whole user_models/ folder, as a cleanup would
    at.run()
    assert not at.exception
    assert at.selectbox(key="sidebar.model").value == "vae-kl-1"
    (notice,) = _sidebar_warnings(at)
    assert (
        notice
        == "Your model “mine” is no longer available on this server: showing the β = 1 VAE instead."
    )
    at.run()  # it stays until another model is picked
    assert _sidebar_warnings(at) == [notice]
    at.selectbox(key="sidebar.model").set_value("ae").run()
    assert not _sidebar_warnings(at)


def test_a_user_model_of_the_dataset_left_behind_is_replaced_with_a_notice(user_model):
    at = run_page(APP, dataset="digits", model="user:mine")
    at.selectbox(key="sidebar.dataset").set_value("mnist").run()
    assert not at.exception
    assert at.selectbox(key="sidebar.model").value == "vae-kl-1"
    assert _sidebar_warnings(at) == [
        "Your model “mine” belongs to the digits dataset: showing the β = 1 VAE instead."
    ]
