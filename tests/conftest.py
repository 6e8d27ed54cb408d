"""Shared fixtures: small, fast, session-scoped."""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_geom import data
from vae_geom.models import ModelConfig, make_model
from vae_geom.training import TrainConfig, fit

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits() -> data.Dataset:
    return data.load_dataset("digits")


@pytest.fixture(scope="session")
def tiny_vae(digits):
    """A VAE trained for a few epochs on the 8x8 digits: enough to have structure."""
    model = make_model(ModelConfig(digits.dim, hidden=(64, 32)), seed=0)
    history = fit(model, digits.x_train, TrainConfig(epochs=15, seed=0))
    return model, history


@pytest.fixture(scope="session")
def collapsed_ladder(tmp_path_factory) -> Path:
    """A models folder holding the shipped digits ladder with a synthetic collapsed vae-kl-3
    (tests/collapsed_ladder.py)."""
    from tests import collapsed_ladder as build

    return build.build(tmp_path_factory.mktemp("models"))


def _clear_app_caches() -> None:
    """The per-process caches that remember a shipped rung by dataset or path."""
    import streamlit as st

    importlib.import_module("vae_geom.ui.sidebar")._collapsed_rung.cache_clear()
    st.cache_data.clear()  # e.g. the ladder animation, cached per dataset name


@pytest.fixture
def on_collapsed_ladder(collapsed_ladder, monkeypatch) -> Path:
    """The app reads its shipped models (and judges) from `collapsed_ladder`: AppTest runs a page
    in this process, so the patched module attributes apply to it."""
    from vae_geom import judge, ladder

    _clear_app_caches()
    monkeypatch.setattr(ladder, "MODELS_DIR", collapsed_ladder)
    monkeypatch.setattr(judge, "MODELS_DIR", collapsed_ladder)
    yield collapsed_ladder
    monkeypatch.undo()
    _clear_app_caches()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


class MediaRecorder:
    """Keeps the media storages AppTest creates, so a test can read back the PNGs it served."""

    def __init__(self):
        self.storages = []

    def png(self, url: str) -> np.ndarray:
        import io

        from PIL import Image

        file_id = url.rsplit("/", 1)[-1].split(".")[0]
        for storage in reversed(self.storages):
            try:
                content = storage.get_file(file_id).content
            except Exception:  # not in this storage
                continue
            return np.asarray(Image.open(io.BytesIO(content)), dtype=np.float32) / 255
        raise KeyError(url)


@pytest.fixture
def media(monkeypatch) -> MediaRecorder:
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    rec = MediaRecorder()

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            rec.storages.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", Recording)
    return rec


@pytest.fixture
def no_extraction(monkeypatch):
    """Reading any member fails the test: refusals must come from the directory alone."""
    original = zipfile.ZipFile.open

    def refuse_reads(self, name, mode="r", *args, **kwargs):
        if mode == "r":
            raise AssertionError(f"zip member {name} was opened for reading")
        return original(self, name, mode, *args, **kwargs)  # building the test's archives

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse_reads)
