"""Training slots: at most `capacity` trainings run at once; the others wait their turn, first
come first served, and can tell where they stand in the queue.

Training is CPU-bound with one torch thread each, so runs beyond the number of cores only slow
every run (a class pressing Train at once would otherwise share two cores twenty ways). One
process-wide `TRAININGS` holds the slots of every session; its capacity is
$VAE_GEOM_MAX_TRAININGS, else os.cpu_count().

A freed slot goes straight to the ticket at the head of the queue, so a newcomer never overtakes
anyone. No Streamlit here: the page polls `Ticket.wait` with a timeout, redraws the queue position
between polls, and releases its ticket in a `finally` (a Stop or a closed tab raises in the script
at its next redraw), so a slot is never kept by a run that has ended.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Mapping
from typing import Literal

ENV = "VAE_GEOM_MAX_TRAININGS"

State = Literal["waiting", "running", "done"]


class Slots:
    """At most `capacity` tickets run at once; the others wait in the order they joined."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self._changed = threading.Condition()
        self._queue: deque[Ticket] = deque()
        self._running = 0

    @property
    def running(self) -> int:
        """How many tickets hold a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """How many tickets wait for one."""
        return len(self._queue)

    def join(self) -> Ticket:
        """A ticket at the back of the queue; it holds a slot once `wait` returns True. Release
        it (or use it in a `with`) whatever happens."""
        ticket = Ticket(self)
        with self._changed:
            self._queue.append(ticket)
            self._grant()
        return ticket

    def _grant(self) -> None:
        """Free slots go to the head of the queue (the condition's lock is held)."""
        while self._queue and self._running < self.capacity:
            self._queue.popleft().state = "running"
            self._running += 1
        self._changed.notify_all()


class Ticket:
    """One place in a `Slots` queue: waiting, then running, then done."""

    def __init__(self, slots: Slots):
        self.slots = slots
        self.state: State = "waiting"

    def position(self) -> int:
        """1 for the head of the queue, 2 behind it, ...; 0 once it runs (or is done)."""
        with self.slots._changed:
            if self.state != "waiting":
                return 0
            return self.slots._queue.index(self) + 1

    def wait(self, timeout: float | None = None) -> bool:
        """Until this ticket holds a slot (True) or `timeout` seconds pass (False)."""
        with self.slots._changed:
            self.slots._changed.wait_for(lambda: self.state != "waiting", timeout)
            return self.state == "running"

    def release(self) -> None:
        """Give the slot back, or leave the queue; a second call does nothing."""
        slots = self.slots
        with slots._changed:
            if self.state == "running":
                slots._running -= 1
            elif self.state == "waiting":
                slots._queue.remove(self)
            self.state = "done"
            slots._grant()

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def max_trainings(env: Mapping[str, str] = os.environ) -> int:
    """$VAE_GEOM_MAX_TRAININGS, else the number of cores."""
    raw = env.get(ENV, "").strip()
    if not raw:
        return os.cpu_count() or 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{ENV} must be a whole number of trainings, at least 1, not {raw!r}")
    return int(raw)


TRAININGS = Slots(max_trainings())  # every session's trainings, in this server process
