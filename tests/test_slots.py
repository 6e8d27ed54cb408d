"""vae_geom.slots: never more than `capacity` at once, first come first served, every way a
ticket ends gives its slot back. The oracle for the threaded tests is a counter each worker
updates under a lock while it holds its slot, and the order in which workers started."""

from __future__ import annotations

import os
import threading
import time

import pytest

from vae_geom import slots
from vae_geom.slots import Slots


def test_tickets_beyond_the_capacity_wait_in_order():
    s = Slots(2)
    a, b, c, d = (s.join() for _ in range(4))
    assert [t.wait(timeout=0) for t in (a, b, c, d)] == [True, True, False, False]
    assert [t.position() for t in (a, b, c, d)] == [0, 0, 1, 2]
    assert (s.running, s.waiting) == (2, 2)


def test_a_freed_slot_goes_to_the_head_of_the_queue_not_to_a_newcomer():
    s = Slots(1)
    a, b, c = s.join(), s.join(), s.join()
    a.release()
    late = s.join()
    assert [t.state for t in (a, b, c, late)] == ["done", "running", "waiting", "waiting"]
    assert (c.position(), late.position()) == (1, 2)


def test_leaving_the_queue_moves_those_behind_up_and_never_runs():
    """A session that dies while it waits releases its ticket: it must not take a slot later."""
    s = Slots(1)
    a, b, c = s.join(), s.join(), s.join()
    b.release()
    assert (b.state, c.position()) == ("done", 1)
    a.release()
    assert (b.state, c.state, s.running, s.waiting) == ("done", "running", 1, 0)


def test_release_is_idempotent_and_a_with_releases_on_error():
    s = Slots(1)
    a = s.join()
    a.release()
    a.release()
    assert s.running == 0
    with pytest.raises(KeyboardInterrupt), s.join() as t:
        assert t.wait(0)
        raise KeyboardInterrupt  # what Streamlit's StopException is to the script: not an Error
    assert (t.state, s.running) == ("done", 0)


def test_a_waiter_wakes_when_a_slot_frees():
    s = Slots(1)
    a, b = s.join(), s.join()
    threading.Timer(0.05, a.release).start()
    start = time.monotonic()
    assert b.wait(timeout=5)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("capacity", [1, 2, 3])
def test_threads_never_exceed_the_capacity_and_start_in_the_order_they_joined(capacity):
    s = Slots(capacity)
    lock = threading.Lock()
    now, most, started = [0], [0], []

    def work(i: int, ticket: slots.Ticket) -> None:
        with ticket:
            while not ticket.wait(timeout=0.01):
                pass
            with lock:
                started.append(i)
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.02)
            with lock:
                now[0] -= 1

    tickets = [s.join() for _ in range(10)]  # joined in this order
    workers = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(tickets)]
    for w in reversed(workers):  # threads started in the opposite order change nothing
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert most[0] == capacity
    # FIFO: slots are granted in joining order; threads woken together may log in either order
    assert sorted(started) == list(range(10))
    assert all(abs(started.index(i) - i) < capacity for i in range(10)), started
    assert (s.running, s.waiting) == (0, 0)


def test_the_capacity_comes_from_the_environment_else_the_cores():
    assert slots.max_trainings({}) == (os.cpu_count() or 1)
    assert slots.max_trainings({slots.ENV: " 3 "}) == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(ValueError, match="VAE_GEOM_MAX_TRAININGS must be a whole number"):
            slots.max_trainings({slots.ENV: bad})
    with pytest.raises(ValueError, match="at least 1"):
        Slots(0)
