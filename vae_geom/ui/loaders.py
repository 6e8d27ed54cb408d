"""Cached loaders of datasets, models and posteriors, and the guards that stop a page cleanly.

Models are cached once per server process and shared by every session, so they are used read-only
in eval mode. The model cache holds at most MODEL_CACHE_BYTES of weights (least recently used
first out); each entry is the last checkpoint of its file that loaded, so when the file changes
it is read again, and when it can no longer be read that copy keeps serving, with a warning.
Encoded arrays are cached with `st.cache_data`, keyed by the checkpoint's path and file version,
so a checkpoint replaced on disk is read and encoded anew.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from vae_geom import checkpoints, ladder, user_models, zips
from vae_geom.data import Dataset, load_dataset
from vae_geom.models import VAE, posteriors
from vae_geom.ui.lang import said, t
from vae_geom.ui.literal import literal
from vae_geom.ui.owner import token
from vae_geom.ui.sidebar import model_label

torch.set_num_threads(1)  # many sessions share 2 cores: one thread each avoids oversubscription


WARM_MAX = 4096  # keys remembered by spinner_once; past it, the next lookups spin once more
_warm: set[Hashable] = set()


@contextlib.contextmanager
def spinner_once(key: Hashable, text: str) -> Iterator[None]:
    """st.spinner(text) around the first computation of `key` in this process, nothing around
    the cache hits after it. Every st.spinner starts a timer thread (it shows itself after half
    a second), hit or not, and a class's followers each looked up the dataset and posteriors
    several times a run: four thread starts a run, each a wait for the GIL on a busy process
    (bench/class_load.py). A value the cache has since dropped is computed again unannounced:
    those are the fast ones (an encoding, well under the half second)."""
    if key in _warm:
        yield
        return
    with st.spinner(text):
        yield
    if len(_warm) >= WARM_MAX:
        _warm.clear()
    _warm.add(key)


def dataset(name: str) -> Dataset:
    """The dataset, loaded once per process (a spinner in the session's language meanwhile)."""
    with spinner_once(("dataset", name), t("loaders.dataset")):
        return _dataset(name)


@st.cache_resource(show_spinner=False)
def _dataset(name: str) -> Dataset:
    return load_dataset(name)


def _stem(dataset_name: str, model_name: str) -> Path:
    if model_name.startswith(user_models.PRIVATE):  # this session's own, never another's
        return user_models.stem(dataset_name, model_name, token())
    if model_name.startswith(user_models.PREFIX):
        return user_models.stem(dataset_name, model_name)
    return ladder.stem(dataset_name, model_name)


def _file_version(stem: Path) -> tuple:
    """(mtime, size) of both files, so a checkpoint replaced on disk is read again, not served
    stale from the cache; None for a missing file (its load then says what is missing)."""
    version = []
    for f in checkpoints.paths(stem):
        try:
            info = f.stat()
            version.append((info.st_mtime_ns, info.st_size))
        except OSError:
            version.append(None)
    return tuple(version)


# The shipped ladder is 28 MB of weights (21 models); a user model has at most
# user_models.MAX_MODEL_BYTES (16 MB), a typical one 0.4-1.8 MB: this holds the ladder and
# dozens of user models, and never more than this however many models a class saves and opens.
MODEL_CACHE_BYTES = 256 * zips.MB
# stem -> (file version, model, record, bytes), least recently used first
_MODELS: OrderedDict[str, tuple[tuple, VAE, dict, int]] = OrderedDict()
_MODELS_LOCK = threading.Lock()  # sessions run in threads of one process


def _cached(key: str) -> tuple[tuple, VAE, dict, int] | None:
    with _MODELS_LOCK:
        if (entry := _MODELS.get(key)) is not None:
            _MODELS.move_to_end(key)
        return entry


def _remember(key: str, version: tuple, m: VAE, meta: dict) -> None:
    """Keep this model, and drop the least recently used until the cache fits its budget."""
    with _MODELS_LOCK:
        _MODELS[key] = (version, m, meta, user_models.weights_bytes(m))
        _MODELS.move_to_end(key)
        while len(_MODELS) > 1 and cached_bytes() > MODEL_CACHE_BYTES:
            _MODELS.popitem(last=False)


def cached_bytes() -> int:
    """The weights the model cache holds now."""
    return sum(entry[3] for entry in list(_MODELS.values()))


def _current(dataset_name: str, model_name: str) -> tuple[VAE, dict, tuple, str | None]:
    """(model, record, file version, problem): problem is None, or why the file on disk cannot
    be used while an earlier good copy is served instead. Raises CheckpointError with no copy."""
    stem = _stem(dataset_name, model_name)
    good = _cached(str(stem))
    user = user_models.is_user_model(model_name)
    with user_models.reading() if user else nullcontext():  # a pair being saved: after its save
        version = _file_version(stem)
        if good is not None and good[0] == version:
            return good[1], good[2], version, None
        try:
            with st.spinner(t("loaders.model")):
                m, meta = checkpoints.load(stem)
            # e.g. a 784-pixel model copied into user_models/digits: it loads, cannot encode
            user_models.check_fits(m, dataset_name, dataset(dataset_name).dim)
        except checkpoints.CheckpointError as e:
            if good is None:
                raise
            return good[1], good[2], good[0], said(e)
    _remember(str(stem), version, m, meta)
    return m, meta, version, None


def model_and_version(dataset_name: str, model_name: str) -> tuple[VAE, str, tuple]:
    """(model, checkpoint path, file version): what a cache of things derived from it keys on."""
    m, _, version, _ = _current(dataset_name, model_name)
    return m, str(_stem(dataset_name, model_name)), version


@st.cache_resource(show_spinner=False)
def samples(dataset_name: str, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a split (test, "train" or "all"); shared read-only by every session."""
    return dataset(dataset_name).samples(split)


def sample_posteriors(
    dataset_name: str, model_name: str, split: str = "test"
) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of every sample of the split (test by default), each of shape (n, 2).

    data.TRAIN gives the training split's: the posteriors the decoder was trained on, against
    which holes and the samples that claim a z are judged, whatever split a page draws."""
    m, _, version, _ = _current(dataset_name, model_name)
    key = (dataset_name, str(_stem(dataset_name, model_name)), split, version)
    with spinner_once(("encode", *key), t("loaders.encode")):
        return _encode(*key, m)


# An entry is (mu, sigma) of one split: two (n, 2) float32 arrays, 80 kB for MNIST's 5,000
# samples (all; train 64 kB, test 16 kB); 256 of them stay under 21 MB however many user models
# are opened.
@st.cache_data(show_spinner=False, max_entries=256)  # the caller's spinner, in its language
def _encode(
    dataset_name: str, stem: str, split: str, version: tuple, _m: VAE
) -> tuple[np.ndarray, np.ndarray]:
    # keyed by the checkpoint's path (two students' "me:x" are two files) and file version: a
    # model replaced on disk is encoded anew
    return posteriors(_m, samples(dataset_name, split)[0])


def load_or_stop(dataset_name: str, model_name: str) -> tuple[VAE, dict]:
    """The cached model, or a clear message and a stopped page if its checkpoint is unusable."""
    try:
        m, meta, _, problem = _current(dataset_name, model_name)
    except checkpoints.CheckpointError as e:
        st.error(t("loaders.unloadable", why=literal(said(e), None)))
        st.stop()
    if problem:
        st.warning(
            t(
                "loaders.stale",
                model=literal(model_label(model_name), None),
                why=literal(problem, None),
            ),
            icon=":material/history:",
        )
    return m, meta


def ladder_or_stop(dataset_name: str) -> list[dict]:
    """The KL ladder's rows (beta and test figures) from the models in use, as load_or_stop."""
    rows = []
    for spec in ladder.SPECS:
        if spec.regulariser == "kl":
            _, meta = load_or_stop(dataset_name, spec.name)
            rows.append({"name": spec.name, "beta": spec.beta, **meta["test"]})
    return rows
