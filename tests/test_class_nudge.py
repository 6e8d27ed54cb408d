"""Nudges (vae_geom/ui/classroom.py `_nudge`): when the teacher moves, the server tells each
student's browser to run its poll now, instead of waiting for the poll's own timer (POLL_S).

A real `streamlit run` server (the class in its memory), the teacher and two students as protocol
tabs (bench/stclient.py, whose timers follow `auto_rerun` messages as the frontend's do). What is
checked is the protocol, not a speed: after the teacher's Next, each student is sent an
`auto_rerun` for its poll fragment with the NUDGE_S interval, the student's poll runs on it, the
page follows the teacher's step, and the timer is set back to POLL_S. A student who left the class
is not nudged.
"""

from __future__ import annotations

import asyncio

from bench.stclient import Tab, trigger
from tests.devserver import streamlit_server
from vae_geom import i18n, lesson
from vae_geom.ui import classroom as class_ui

WAIT_S = 60  # generous: a loaded CI machine; the benchmark measures the speed


class Recorder:
    """Every auto_rerun message a tab receives: (fragment, interval), in order."""

    def __init__(self, tab: Tab):
        self.auto: list[tuple[str, float]] = []
        handle = tab._handle

        def recording(msg) -> None:
            if msg.WhichOneof("type") == "auto_rerun":
                self.auto.append((msg.auto_rerun.fragment_id, round(msg.auto_rerun.interval, 3)))
            handle(msg)

        tab._handle = recording


def _title(n: int) -> str:
    return i18n.t(f"lesson.{lesson.step(n).id}.title", "en", n=n)


async def _until(cond, what: str) -> None:
    for _ in range(int(WAIT_S / 0.05)):
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {WAIT_S} s: {what}")


async def _class(url: str) -> None:
    teacher = Tab(url, "/Lesson")
    await teacher.connect()
    await teacher.until_finished(WAIT_S)
    await teacher.rerun([trigger(teacher.widget_id("class.open", "button"))])
    await teacher.until_finished(WAIT_S)
    code = dict(p.split("=", 1) for p in teacher.query.split("&") if "=" in p)["class"]

    students = [Tab(url, f"/Lesson?class={code}") for _ in range(2)]
    records = [Recorder(s) for s in students]
    for s in students:
        await s.connect()
        await s.until_finished(WAIT_S)
    # the poll fragment registered itself with its normal timer
    for r in records:
        await _until(lambda r=r: (r.auto[-1:] or [("", 0)])[0][1] == class_ui.POLL_S, "poll timer")
    poll = records[0].auto[-1][0]
    # one student leaves the class: it is not nudged any more
    leaver, stayer = students
    await leaver.rerun([trigger(leaver.widget_id("class.leave", "button"))])
    await leaver.until_finished(WAIT_S)
    before = [len(r.auto) for r in records]

    await teacher.rerun([trigger(teacher.widget_id("lesson.next", "button"))])
    await teacher.until_finished(WAIT_S)
    await _until(lambda: any(t.startswith(_title(2)) for t in stayer.texts()), "student on step 2")
    nudged = records[1].auto[before[1] :]
    assert nudged[0] == (records[1].auto[before[1] - 1][0], class_ui.NUDGE_S), nudged
    # its poll ran on the nudge and the timer went back to normal
    await _until(lambda: records[1].auto[-1][1] == class_ui.POLL_S, "timer back to POLL_S")
    assert all(i in (class_ui.NUDGE_S, class_ui.POLL_S) for _, i in nudged)
    # the student who left was not nudged (it may still register its timer on its own runs)
    assert all(i != class_ui.NUDGE_S for _, i in records[0].auto[before[0] :])
    assert poll
    for tab in (*students, teacher):
        await tab.close()


def test_a_teachers_move_nudges_the_students_polls():
    with streamlit_server() as url:
        asyncio.run(_class(url))
