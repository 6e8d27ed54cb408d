"""loaders.spinner_once: a spinner around the first computation of a key, none around the hits.

Every st.spinner starts a timer thread, shown or not; a class's followers looked the dataset and the
posteriors up four times a run, each a thread started (ui/loaders.py)."""

from __future__ import annotations

import threading

from streamlit.testing.v1 import AppTest

from vae_geom.ui import loaders


def _page() -> None:
    from vae_geom.ui import loaders

    loaders.dataset("digits")
    loaders.sample_posteriors("digits", "vae-kl-1")


def _timers_started(monkeypatch) -> list[int]:
    """The timer threads each AppTest run of _page starts (st.spinner's are the only ones)."""
    started = []
    real = threading.Timer.start

    def start(self):
        started.append(1)
        real(self)

    loaders.model_and_version("digits", "vae-kl-1")  # its first load spins too: not measured here
    monkeypatch.setattr(loaders, "_warm", set())
    monkeypatch.setattr(threading.Timer, "start", start)
    at = AppTest.from_function(_page)
    counts = []
    for _ in range(3):
        started.clear()
        at.run()
        assert not at.exception
        counts.append(len(started))
    return counts


def test_only_the_first_lookup_spins(monkeypatch):
    first, *then = _timers_started(monkeypatch)
    assert first == 2  # the dataset's and the encoding's, in the session's language
    assert then == [0, 0]


def test_forgotten_keys_spin_again(monkeypatch):
    monkeypatch.setattr(loaders, "WARM_MAX", 1)  # each key pushes the other out
    assert _timers_started(monkeypatch) == [2, 2, 2]
