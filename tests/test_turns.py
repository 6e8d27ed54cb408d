"""vae_geom.ui.classroom.turn: followers of one process catching up with the teacher draw the
Lesson one at a time; anyone else (the teacher, a student exploring) never waits; a turn that does
not come in TURN_WAIT_S is taken anyway. Real threads, as Streamlit runs one per session."""

from __future__ import annotations

import threading
import time

from vae_geom.ui import classroom


def _draw(catching_up: bool, log: list, name: str, hold_s: float = 0.2) -> threading.Thread:
    def run() -> None:
        with classroom.turn(catching_up):
            log.append((name, "in", time.monotonic()))
            time.sleep(hold_s)
            log.append((name, "out", time.monotonic()))

    th = threading.Thread(target=run)
    th.start()
    return th


def _inside_at_once(log: list) -> int:
    most = now = 0
    for _, what, _ in sorted(log, key=lambda e: e[2]):
        now += 1 if what == "in" else -1
        most = max(most, now)
    return most


def test_followers_catching_up_take_turns():
    log: list = []
    threads = [_draw(True, log, f"f{i}") for i in range(4)]
    for th in threads:
        th.join(10)
    assert _inside_at_once(log) == classroom.TURNS == 1
    assert len(log) == 8


def test_the_teacher_and_explorers_never_wait():
    log: list = []
    follower = _draw(True, log, "follower", hold_s=0.5)
    time.sleep(0.05)  # the follower has its turn
    t0 = time.monotonic()
    other = _draw(False, log, "teacher", hold_s=0.0)
    other.join(10)
    assert time.monotonic() - t0 < 0.4  # not behind the follower's 0.5 s
    follower.join(10)


def test_a_turn_that_does_not_come_is_taken(monkeypatch):
    monkeypatch.setattr(classroom, "TURN_WAIT_S", 0.1)
    log: list = []
    first = _draw(True, log, "stuck", hold_s=1.0)
    time.sleep(0.05)
    t0 = time.monotonic()
    second = _draw(True, log, "next", hold_s=0.0)
    second.join(10)
    assert time.monotonic() - t0 < 0.8  # it waited ~0.1 s, not the stuck run's 1 s
    first.join(10)
    # the stuck run's turn is still released once, and nothing is over-released
    assert classroom._turns.acquire(timeout=1)
    classroom._turns.release()


def _teach(code: str, log: list, hold_s: float) -> threading.Thread:
    def run() -> None:
        with classroom.turn(False, code, teacher=True):
            log.append(("teacher", "in", time.monotonic()))
            time.sleep(hold_s)
            log.append(("teacher", "out", time.monotonic()))

    th = threading.Thread(target=run)
    th.start()
    return th


def _follow(code: str, log: list, name: str) -> threading.Thread:
    def run() -> None:
        with classroom.turn(True, code):
            log.append((name, "in", time.monotonic()))

    th = threading.Thread(target=run)
    th.start()
    return th


def _when(log: list, name: str, what: str) -> float:
    return next(t for n, w, t in log if n == name and w == what)


def test_followers_draw_after_their_teachers_run():
    log: list = []
    teacher = _teach("ABCD", log, hold_s=0.3)
    time.sleep(0.05)  # the teacher's run has started (and published the step)
    followers = [_follow("ABCD", log, f"f{i}") for i in range(3)]
    for th in [teacher, *followers]:
        th.join(10)
    done = _when(log, "teacher", "out")
    assert all(_when(log, f"f{i}", "in") >= done for i in range(3))
    assert not classroom._teaching  # nothing left counted


def test_another_class_and_a_teacher_alone_do_not_wait():
    log: list = []
    teacher = _teach("ABCD", log, hold_s=0.5)
    time.sleep(0.05)
    other = _follow("WXYZ", log, "other")  # a follower of another class on the same process
    other.join(10)
    assert _when(log, "other", "in") < _when(log, "teacher", "in") + 0.3
    teacher.join(10)
    t0 = time.monotonic()
    second = _teach("ABCD", log, hold_s=0.0)  # the teacher never waits for anyone
    second.join(10)
    assert time.monotonic() - t0 < 0.3


def test_a_teachers_run_that_does_not_end_holds_followers_only_so_long(monkeypatch):
    monkeypatch.setattr(classroom, "TEACHER_WAIT_S", 0.1)
    log: list = []
    teacher = _teach("ABCD", log, hold_s=1.0)
    time.sleep(0.05)
    t0 = time.monotonic()
    follower = _follow("ABCD", log, "f")
    follower.join(10)
    assert _when(log, "f", "in") - t0 < 0.6  # ~0.1 s, not the teacher's 1 s
    teacher.join(10)
    assert not classroom._teaching


def test_a_poll_asks_for_its_catch_up_only_after_the_teachers_run():
    """classroom._poll calls _after_teacher before st.rerun(): the follower's whole run, sidebar
    included, comes after the teacher's."""
    log: list = []
    teacher = _teach("ABCD", log, hold_s=0.3)
    time.sleep(0.05)
    classroom._after_teacher("ABCD")
    log.append(("poll", "rerun", time.monotonic()))
    classroom._after_teacher("WXYZ")  # another class's poll: no wait
    log.append(("other", "rerun", time.monotonic()))
    teacher.join(10)
    assert _when(log, "poll", "rerun") >= _when(log, "teacher", "out")
    assert _when(log, "other", "rerun") - _when(log, "poll", "rerun") < 0.1
