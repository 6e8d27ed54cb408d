"""Classroom mode on the Lesson page (issue 16): the teacher leads, the class follows and answers.

The store is vae_geom.classroom (in memory, or Redis when VAE_GEOM_CLASS_REDIS names a server).
Here: who this session is in a class (nobody, a student, the teacher) and what it sees.

- The "Class" button beside the lesson's Next: join with a code, or open a class (teacher); the
  teacher finds there the students' link and the teacher link (?class=CODE&teacher=KEY, the key
  only there), and ends the class. A link's ?class= (and ?teacher=) is read on the session's
  first run.
- A student following the teacher is rerun by the server as soon as the class changes (a push:
  vae_geom/ui/push.py); the page's first lines (vae_geom/ui/lesson.py, `_follow`) take the
  teacher's step, rung and pinned z, once the teacher's own run on this process is drawn
  (`turn`). A small fragment also polls the class's revision, every FOLLOW_POLL_S (5 s) for a
  follower (it only catches a push that was lost) and every POLL_S for a joined student who
  explores (a reveal then shows the verdict): one tiny read (~3 µs in memory, ~70 µs of CPU
  with Redis) in a fragment run that costs Streamlit ~5 ms of server CPU
  (tests/test_classroom_browser.py); only when the revision moved does it rerun the page.
  "Follow the teacher" off: the student explores alone, and nothing a student does reaches the
  teacher's view.
- A joined student's predictions go to the class (`send`), under an anonymous id per browser
  and class (a hash of the link's random owner token and the code: the same after a reload or a
  reconnect to another process, so an answer counts once); the verdict waits until the teacher
  reveals the step (`held`).
- The teacher's screen: the code big, for the projector, and the class's answers live (a bar of
  the choices, a heat map of clicks), with "Reveal".
- A class that is gone (ended, expired, the class server restarted) or a server that cannot be
  reached is a message in the session's language, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from urllib.parse import urlencode

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from vae_geom import classroom, lesson
from vae_geom.figures import classroom as figures
from vae_geom.ui import lang, owner, push, races
from vae_geom.ui.lang import t
from vae_geom.ui.literal import literal


def _seconds(name: str, default: float) -> float:
    """A setting in seconds from the environment: `default` unless it is a number ≥ 0.1 (a typo
    must not stop the app, nor make every follower poll without pause)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if 0.1 <= value < float("inf") else default


KEY_CODE, KEY_KEY, KEY_SID = "class.code", "class.key", "class.sid"  # joined; teacher; anonymous id
KEY_SIDS = "class.sids"  # {code: the anonymous id this session answers that class with}
KEY_FOLLOW = "class.follow"  # the student's toggle
KEY_VIEW = "class.view"  # the class's view as last read: step, ..., revision, revealed
KEY_APPLIED = "class.applied"  # the teacher's view this student's lesson last took
KEY_ASKED = "class.asked"  # the revision a follower's poll last asked push to catch up with
KEY_PUBLISHED = "class.published"  # the view the teacher last published
KEY_NOTICE = "class.notice"  # (kind, text key, values): shown on the next run, then dropped
KEY_URL_READ, KEY_TYPED = "class.url_read", "class.typed"
KEY_TOUCHED = "class.touched"  # when the teacher's page last renewed the class (monotonic s)
POLL_S = 0.5  # a joined student who explores sees a reveal within this, plus one page run

# A follower is pushed each change (ui/push.py); its own poll only catches one that was lost (the
# tests set it high to see the push alone do the following). Each poll is a script run of the
# process: 40 followers polling every 2 s were 20 runs a second beside the catch-ups; every 5 s,
# the class's p95 fell from 1,061 to 922 ms (BENCHMARKS.md, 2026-12-02 (4)).
FOLLOW_POLL_S = _seconds("VAE_GEOM_FOLLOW_POLL_S", 5.0)
ANSWERS_S = 1.0  # the teacher's live answers refresh this often
TOUCH_S = 300.0  # a teacher's open page renews the class's TTL this often (classroom.touch)
URL_ECHO = 24  # characters of a bad link value quoted back
TURNS, TURN_WAIT_S = 1, 10.0  # followers of one process catching up at once; longest wait (turn)
TEACHER_WAIT_S = 2.0  # longest a follower waits for its teacher's run on this process (turn)
_turns = threading.BoundedSemaphore(TURNS)
_teaching: dict[str, int] = {}  # class code -> its teacher's Lesson runs now on this process
_teacher_done = threading.Condition()
races.install()  # before the first poll: a poll must not drop the run it follows
push.teacher_drawing = lambda c: c in _teaching  # the class's followers are pushed after it


# --- who this session is ------------------------------------------------------------------------


def code() -> str | None:
    return st.session_state.get(KEY_CODE)


def is_teacher() -> bool:
    return code() is not None and st.session_state.get(KEY_KEY) is not None


def is_student() -> bool:
    return code() is not None and st.session_state.get(KEY_KEY) is None


def following() -> bool:
    return is_student() and bool(st.session_state.get(KEY_FOLLOW, True))


def _notice(kind: str, key: str, **values) -> None:
    st.session_state[KEY_NOTICE] = (kind, key, values)


def _leave() -> None:
    for key in (KEY_CODE, KEY_KEY, KEY_SID, KEY_VIEW, KEY_APPLIED, KEY_PUBLISHED, KEY_FOLLOW):
        st.session_state.pop(key, None)
    for param in ("class", "teacher"):
        if param in st.query_params:
            del st.query_params[param]


def _store(call, *args):
    """A store call; None after a gone class (the session leaves it) or an unreachable server,
    each with its notice."""
    try:
        return call(*args)
    except classroom.ClassGone:
        _leave()
        _notice("warning", "classroom.gone")
    except classroom.StoreUnavailable:
        _notice("warning", "classroom.unavailable")
    return None


def _join(raw: object, key: object = None) -> None:
    """Join the class `raw` (as typed or linked): as its teacher if `key` is its teacher key."""
    try:
        c = classroom.check_code(raw)
    except classroom.BadInput:
        _notice("warning", "classroom.bad_code", value=literal(str(raw), URL_ECHO),
                n=classroom.CODE_LENGTH)  # fmt: skip
        return
    if key is not None:
        ok = _store(classroom.teacher_ok, c, key)
        if ok is False:
            _notice("error", "classroom.bad_teacher", code=c)
        if not ok:
            return
    elif (v := _store(classroom.view, c)) is None:
        return
    _leave()
    state = st.session_state
    state[KEY_CODE] = c
    if key is not None:
        state[KEY_KEY] = key
    else:
        # one id per class and browser, from the link's owner token: leaving and rejoining, a
        # reload, or a reconnect to another process after one died (a new session) count once
        sid = state.setdefault(KEY_SIDS, {}).setdefault(
            c, classroom.session_id_for(owner.token(), c)
        )
        state[KEY_SID], state[KEY_FOLLOW], state[KEY_VIEW] = sid, True, v
    state.pop(KEY_NOTICE, None)


def _open() -> None:
    opened = _store(classroom.open_class)
    if opened is not None:
        _leave()
        st.session_state[KEY_CODE], st.session_state[KEY_KEY] = opened


def _close() -> None:
    c, key = code(), st.session_state.get(KEY_KEY)
    if c and key:
        _store(classroom.close, c, key)
    _leave()
    _notice("info", "classroom.ended", code=c or "")


def _join_typed() -> None:
    _join(st.session_state.get(KEY_TYPED, ""))
    st.session_state[KEY_TYPED] = ""


def _rejoin() -> None:
    """Follow turned back on: take the teacher's view at once."""
    st.session_state.pop(KEY_APPLIED, None)


def read_url_once() -> None:
    """A link's ?class=CODE (and the teacher's &teacher=KEY), on the session's first run."""
    if st.session_state.get(KEY_URL_READ):
        return
    st.session_state[KEY_URL_READ] = True
    qp = st.query_params
    if (c := qp.get("class")) is not None:
        _join(c, qp.get("teacher"))
        if code() is None:  # refused: the link's class no longer stands in the address
            _leave()


def _write_url() -> None:
    if (c := code()) is not None:
        st.query_params["class"] = c
        if is_teacher():
            st.query_params["teacher"] = st.session_state[KEY_KEY]


# --- following ----------------------------------------------------------------------------------


def refresh() -> dict | None:
    """The class's view, read again only if its revision moved (one small read otherwise)."""
    c = code()
    if c is None:
        return None
    rev = _store(classroom.revision, c)
    view = st.session_state.get(KEY_VIEW)
    if rev is not None and (view is None or view["revision"] != rev):
        view = _store(classroom.view, c)
        if view is not None:
            st.session_state[KEY_VIEW] = view
    return st.session_state.get(KEY_VIEW) if code() else None


def to_follow() -> tuple[dict, dict | None] | None:
    """For a following student whose lesson has not taken the class's latest view: (that view,
    the one taken before, or None); the lesson applies it and calls `took`. None otherwise."""
    read_url_once()
    view = refresh()
    if view is None or not following():
        push.follow(None)
        return None
    before = st.session_state.get(KEY_APPLIED)
    taken = 0 if before is None else before["revision"]
    push.follow(code(), taken)  # what the lesson holds: `took` says so once it takes the view
    if taken == view["revision"]:
        return None
    return view, before


@contextlib.contextmanager
def turn(catching_up: bool, class_code: str | None = None, teacher: bool = False):
    """Followers of this process that catch up with the teacher draw the Lesson one at a time
    (TURNS at once). All at once, they shared the GIL and each finished when the last did, about
    N runs after the change, and the teacher's own run waited among them; in turns, the first is
    done after one run. A turn not had in TURN_WAIT_S is taken anyway.

    The teacher goes first: while the `teacher` of `class_code` draws on this process, that
    class's followers here wait (at most TEACHER_WAIT_S) before they take their turn, and their
    polls wait before they ask for the catch-up run at all (`_poll`). The teacher's screen is
    the one the class watches; it publishes the step as its run starts, so the followers'
    catch-up runs shared the GIL with it: the teacher's run took up to 1.2-1.7 s with 20-40
    followers on its process. With this wait and the followers pushed rather than polling
    (ui/push.py), the teacher's Next starts its run within 13 ms and the run takes 118-700 ms
    on the class benchmark (BENCHMARKS.md, 2026-12-02 (2))."""
    teaching = class_code if teacher else None
    if teaching:
        with _teacher_done:
            _teaching[teaching] = _teaching.get(teaching, 0) + 1
    elif catching_up:
        _after_teacher(class_code)
    held = catching_up and _turns.acquire(timeout=TURN_WAIT_S)
    try:
        yield
    finally:
        if held:
            _turns.release()
        if not teacher and (ctx := get_script_run_ctx()) is not None:
            push.done(ctx.session_id)  # drawn (or nothing to catch up): the next one is pushed
        if teaching:
            with _teacher_done:
                _teaching[teaching] -= 1
                if not _teaching[teaching]:
                    del _teaching[teaching]
                _teacher_done.notify_all()


def _after_teacher(class_code: str | None) -> None:
    """Until no run of this class's teacher is drawing on this process (TEACHER_WAIT_S at most)."""
    with _teacher_done:
        _teacher_done.wait_for(lambda: class_code not in _teaching, timeout=TEACHER_WAIT_S)


def took(view: dict) -> None:
    """The lesson took the class's `view`. Only now is it the revision push counts as taken: a
    run stopped before this (a rerun of the student's own) leaves the catch-up to the next push
    or poll, where counting it when it was read left the student behind for good."""
    st.session_state[KEY_APPLIED] = view
    push.follow(code(), view["revision"])


def explore() -> None:
    """A following student who moves on their own stops following (the toggle turns it back)."""
    if following():
        st.session_state[KEY_FOLLOW] = False


def teachers_z(z) -> bool:
    """Whether `z` is the teacher's pinned z this student took (not a prediction of theirs)."""
    applied = st.session_state.get(KEY_APPLIED) if is_student() else None
    return applied is not None and applied["z"] is not None and list(z) == applied["z"]


def revealed(step_id: str) -> bool:
    """Whether the teacher of this session's class has revealed the step."""
    view = st.session_state.get(KEY_VIEW) if code() else None
    return view is not None and step_id in view["revealed"]


def held(step_id: str) -> bool:
    """A joined student's verdict on a step waits until the teacher reveals it."""
    return is_student() and not revealed(step_id)


def publish(view: dict) -> None:
    """The teacher's lesson view becomes the class's, when it changed."""
    if not is_teacher() or st.session_state.get(KEY_PUBLISHED) == view:
        return
    if _store(classroom.publish, code(), st.session_state[KEY_KEY], view) is not None:
        st.session_state[KEY_PUBLISHED] = view


def send(step_id: str, value) -> None:
    """A joined student's answer to the class (the last one before the reveal counts)."""
    if not is_student():
        return
    try:
        _store(classroom.answer, code(), st.session_state[KEY_SID], step_id, value)
    except classroom.AnswersClosed:  # revealed meanwhile: the verdict shows, nothing is counted
        refresh()
    except classroom.BadInput:  # a full question: the answer stays this session's own
        _notice("warning", "classroom.full")


@st.fragment(run_every=FOLLOW_POLL_S)
def _poll_following() -> None:
    _poll()


@st.fragment(run_every=POLL_S)
def _poll_exploring() -> None:
    _poll()


def _poll() -> None:
    """Has the class moved? One revision read; the page reruns only if a follower must take a
    new view, or the steps revealed changed (a verdict to show)."""
    c = code()
    if c is None:
        return
    try:
        rev = classroom.revision(c)
    except classroom.ClassGone:
        _leave()
        _notice("warning", "classroom.gone")
        st.rerun()
    except classroom.StoreUnavailable:
        st.caption(t("classroom.unavailable"))
        return
    seen, applied = st.session_state.get(KEY_VIEW), st.session_state.get(KEY_APPLIED)
    if following() and (applied is None or applied["revision"] != rev):  # what the lesson took
        # first as push's catch-up of the body, in its place; should that not come by the next
        # poll, the whole page (a student once stayed behind for good: BENCHMARKS.md)
        if st.session_state.get(KEY_ASKED) != rev and push.catch_up(c, rev):
            st.session_state[KEY_ASKED] = rev
            return
        _after_teacher(c)  # the teacher's run on this process first (turn)
        st.rerun()
    if seen is not None and seen["revision"] == rev:
        return
    view = _store(classroom.view, c)
    if view is not None:
        st.session_state[KEY_VIEW] = view
        if seen is None or view["revealed"] != seen["revealed"]:
            st.rerun()


# --- what is drawn ------------------------------------------------------------------------------


def notices() -> None:
    if (n := st.session_state.pop(KEY_NOTICE, None)) is not None:
        kind, key, values = n
        getattr(st, kind)(t(key, **values), icon=":material/groups:")


def banner(n: int) -> None:
    """Above the lesson: the teacher's code, big for the projector; a student's follow toggle."""
    _write_url()
    notices()
    if is_teacher():
        st.html(
            "<div style='display:flex;gap:1.2rem;align-items:baseline;line-height:1'>"
            f"<span style='font-size:1.3rem'>{t('classroom.code_label')}</span>"
            f"<span style='font-size:2.8rem;font-weight:700;letter-spacing:0.3rem;"
            f"font-family:monospace'>{code()}</span></div>"
        )  # the code is CODE_ALPHABET's letters and digits only
    elif is_student():
        view = st.session_state.get(KEY_VIEW) or {}
        cols = st.columns([3, 7], vertical_alignment="center")
        cols[0].toggle(t("classroom.follow"), key=KEY_FOLLOW, on_change=_rejoin,
                       help=t("classroom.follow_help"))  # fmt: skip
        if following():
            cols[1].caption(t("classroom.following", code=code()))
        else:
            cols[1].caption(t("classroom.exploring", code=code(), n=view.get("step", n)))
    if is_student():
        (_poll_following if following() else _poll_exploring)()


def panel() -> None:
    """The Class button beside the lesson's Next: join, open, the links, leave or end."""
    label = t("classroom.header") if code() is None else code()
    with st.popover(label, icon=":material/groups:", use_container_width=True):
        if is_teacher():
            st.markdown(t("classroom.teaching", code=code()))
            base = _base_url()
            st.caption(t("classroom.student_link"))
            st.code(f"{base}?{urlencode({'class': code(), 'lang': lang.current()})}", language=None)
            st.caption(t("classroom.teacher_link"))
            q = {"class": code(), "teacher": st.session_state[KEY_KEY], "lang": lang.current()}
            st.code(f"{base}?{urlencode(q)}", language=None)
            st.button(t("classroom.close"), key="class.close", on_click=_close,
                      icon=":material/logout:")  # fmt: skip
        elif is_student():
            st.markdown(t("classroom.joined", code=code()))
            st.button(t("classroom.leave"), key="class.leave", on_click=_leave,
                      icon=":material/logout:")  # fmt: skip
        else:
            st.text_input(t("classroom.code_input"), key=KEY_TYPED, max_chars=4 * 6,
                          placeholder="ABC234", help=t("classroom.code_help"))  # fmt: skip
            st.button(t("classroom.join"), key="class.join", on_click=_join_typed,
                      icon=":material/login:")  # fmt: skip
            st.button(t("classroom.open"), key="class.open", on_click=_open,
                      help=t("classroom.open_help"), icon=":material/co_present:")  # fmt: skip


def _base_url() -> str:
    """The Lesson's own address without its query (a relative one when it cannot be read)."""
    try:
        url = st.context.url or ""
    except Exception:  # no browser (AppTest)
        url = ""
    return url.split("?", 1)[0] or "./Lesson"


def held_note(step: lesson.Step, answer: str, z) -> None:
    """A student's answer is in; the verdict waits for the teacher."""
    if step.kind == "click" and z is not None:
        given = t("classroom.z", x=z[0], y=z[1])
    else:
        given = t(f"lesson.{step.id}.choice.{answer}")
    st.info(t("classroom.held", answer=given), icon=":material/hourglass_top:")


def answers_panel(step: lesson.Step, truth: str | None) -> None:
    """The teacher's live view of the class's answers to `step` (`truth`: its right choice, once
    revealed)."""
    if is_teacher():
        _answers(step.id, truth, lang.current())


@st.fragment(run_every=ANSWERS_S)
def _answers(step_id: str, truth: str | None, code_lang: str) -> None:
    """How many answered and Reveal, then the choices (every one, so the projector shows them)
    with their counts, or the clicks."""
    step = classroom.check_step(step_id)
    c = code()
    if c is None:
        return
    tally = _store(classroom.answers, c, step_id)
    if tally is None:
        st.rerun()
    if time.monotonic() - st.session_state.get(KEY_TOUCHED, -TOUCH_S) >= TOUCH_S:
        if _store(classroom.touch, c, st.session_state[KEY_KEY]) is None:  # the teacher is here
            st.rerun()
        st.session_state[KEY_TOUCHED] = time.monotonic()
    count, act = st.columns([3, 2], vertical_alignment="center")
    count.markdown(f"**{t('classroom.answers_title', n=tally.n)}**")
    if revealed(step_id):
        act.caption(t("classroom.revealed"))
    elif act.button(t("classroom.reveal"), key="class.reveal", type="primary",
                    icon=":material/visibility:"):  # fmt: skip
        if _store(classroom.reveal, c, st.session_state[KEY_KEY], step_id) is not None:
            refresh()
        st.rerun()
    if step.kind == "click":
        st.plotly_chart(figures.clicks_map(np.array(tally.clicks), code_lang, height=190),
                        key="class.clicks", config={"displayModeBar": False})  # fmt: skip
    else:
        labels = [t(f"lesson.{step_id}.choice.{ch}") for ch in step.choices]
        right = step.choices.index(truth) if truth in step.choices else None
        st.plotly_chart(
            figures.choices_bar(
                labels, [tally.choices[ch] for ch in step.choices], right, code_lang
            ),
            key="class.choices",
            config={"displayModeBar": False},
        )
