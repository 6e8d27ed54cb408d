"""ui.train_live and the training slots (vae_geom.slots.TRAININGS), in AppTest: a finished run
gives its slot back, and a run stopped while it waits leaves the queue. (A closed tab handing
its slot on, and the queue's words, in a real browser: test_browser_train.py.)"""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from vae_geom.slots import TRAININGS


def _train_one_epoch() -> None:
    from vae_geom import ladder, ui

    ds = ui.dataset("digits")
    ui.train_live(ds, ladder.Spec.for_user("vae", "kl", 1.0), 1, 0, "digits")


def _settled(timeout_s: float = 10) -> bool:
    """Whether TRAININGS is empty again within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (TRAININGS.running, TRAININGS.waiting) == (0, 0):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def slots_held():
    """Every slot taken by this test, as if other sessions were training."""
    assert _settled(), "a slot was left taken before this test"
    held = [TRAININGS.join() for _ in range(TRAININGS.capacity)]
    yield held
    for ticket in held:
        ticket.release()


def test_a_finished_run_gives_its_slot_back():
    assert _settled()
    at = AppTest.from_function(_train_one_epoch, default_timeout=120).run()
    assert not at.exception
    assert "Done: 1 epochs" in at.get("progress")[0].proto.text  # st.progress's text
    assert (TRAININGS.running, TRAININGS.waiting) == (0, 0)


def test_a_run_stopped_while_it_waits_leaves_the_queue(slots_held):
    """Its wait polls the page, so a stop (a Stop click, a closed tab) raises in there and its
    `finally` gives the ticket back. (The queue's words are checked in test_browser_train.py:
    AppTest keeps no elements of a run it had to stop.)"""
    at = AppTest.from_function(_train_one_epoch, default_timeout=3)
    with pytest.raises(RuntimeError, match="timed out"):  # queued; AppTest then stops the script
        at.run()
    deadline = time.monotonic() + 5
    while TRAININGS.waiting and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (TRAININGS.running, TRAININGS.waiting) == (len(slots_held), 0)
