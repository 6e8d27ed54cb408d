"""Followers rerun when their class changes, pushed from the server, not found at their next poll.

A follower used to learn of the teacher's Next from its own poll (a `run_every` fragment asking the
store for the class's revision every 0.5 s): on average a quarter of a second lost before its
catch-up run even started, up to half, and every follower's poll cost its process ~5 ms of script
run twice a second whether anything had changed or not (bench/class_load.py). Now the store tells
every process of each change (vae_geom.classroom.watch: in memory, or a Redis PUBLISH that every
process's listener hears), and `wake` reruns this process's followers of that class at once.

Streamlit has no public way to rerun another session, so this does what its own "run on save" does
(AppSession.request_rerun after a file change) with the session's last client state: a rerun of
the page the session is on, with no widget states, as `st.rerun()` asks for (its widgets keep
their values). Where the follower followed from inside a fragment (the Lesson's body:
ui/lesson.py), only that fragment reruns, as a click inside it would: the sidebar and the page
around it stay as they are, and the catch-up costs the process less (BENCHMARKS.md). A fragment
the session no longer holds (a full run dropped it) gives a full rerun. Only an idle session is
rerun; one that is drawing is tried again every RETRY_S, so
a rerun the browser asked for is never replaced by this one (Streamlit's fast reruns would stop it,
and the widget change it carried would be lost). A session no longer on the page it followed from,
or gone, is forgotten. The follower's slow poll (ui/classroom.py) catches what a push misses, and
hands it here (`catch_up`) rather than rerun the whole page.

A process's followers are pushed a few at a time (AHEAD), and not while the class's teacher is
drawing on this process (`teacher_drawing`): their catch-ups draw one at a time anyway
(ui/classroom.py, `turn`), and all of them pushed at once meant forty script threads starting and
reading the class store together, each handing the GIL around, while the teacher's own run, and
then the follower whose turn it was, drew among them. The teacher's Next took 300-1,160 ms to draw
on a process of 42 followers; pushed after it, 23-163 ms (BENCHMARKS.md, 2026-12-02 (4)).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from streamlit.runtime import Runtime
from streamlit.runtime.app_session import AppSessionState
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

from vae_geom import classroom
from vae_geom.ui import races

RETRY_S = 0.05  # a busy follower, or one waiting for room, is tried again this often
MAX_TRIES = 200  # ... for at most 10 s (as long as a follower waits for its turn: TURN_WAIT_S)
AHEAD = 3  # followers of this process pushed at once: one drawing, the next ones getting ready
AHEAD_S = 1.0  # a push whose catch-up has not ended (`done`) in this long no longer holds a place
# code -> {session id: (page, revision taken, fragment followed from or None)}
_followers: dict[str, dict[str, tuple[str, int, str | None]]] = {}
_pushed: dict[str, float] = {}  # session id -> when its catch-up was pushed (monotonic s)
_lock = threading.Lock()


def _nobody_drawing(code: str) -> bool:
    return False


# Whether the teacher of class `code` is drawing on this process: ui/classroom.py, which counts
# the teacher's runs, sets it.
teacher_drawing: Callable[[str], bool] = _nobody_drawing


def follow(code: str | None, revision: int = 0) -> None:
    """This session (in a script run) follows class `code` on the page it is on, from the
    fragment this is called in (if any), and has taken `revision`; None: it follows no class."""
    ctx = get_script_run_ctx()
    if ctx is None:  # not in a server's run (a unit test)
        return
    try:
        fragment = ThreadState.get().fragment_id
    except RuntimeError:  # Streamlit's own state not set up on this thread: a full rerun
        fragment = None
    with _lock:
        for sessions in _followers.values():
            sessions.pop(ctx.session_id, None)
        if code is not None:
            _followers.setdefault(code, {})[ctx.session_id] = (
                ctx.page_script_hash,
                revision,
                fragment,
            )
        for c in [c for c, sessions in _followers.items() if not sessions]:
            del _followers[c]
    if code is not None:
        classroom.watch(wake)


def wake(code: str, revision: int) -> None:
    """Class `code` moved to `revision` (classroom.CLOSED: it closed): rerun this process's
    followers of it that have not taken it. Called on the store's thread: it only schedules."""
    with _lock:  # a closed class's followers are told once, then forgotten
        targets = dict(
            _followers.pop(code, {}) if revision == classroom.CLOSED else _followers.get(code, {})
        )
    for session_id, (page, _, _) in targets.items():
        session = _session(session_id)
        if session is None:
            _forget(code, session_id)
            continue
        session._event_loop.call_soon_threadsafe(_rerun, session, code, page, revision, 0)


def catch_up(code: str, revision: int) -> bool:
    """This session (in a script run: its follow poll) found class `code` at `revision`, which its
    lesson has not taken: push it as `wake` would, once this run is over. False if it is not a
    follower of `code` here (the caller reruns the page itself)."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    with _lock:
        got = _followers.get(code, {}).get(ctx.session_id)
    session = _session(ctx.session_id) if got is not None else None
    if session is None:
        return False
    session._event_loop.call_soon_threadsafe(_rerun, session, code, got[0], revision, 0)
    return True


def done(session_id: str) -> None:
    """A run of the session's Lesson body ended, a catch-up or not (ui/classroom.py, `turn`):
    its place among the AHEAD pushed goes to the next."""
    with _lock:
        _pushed.pop(session_id, None)


def _room(session_id: str) -> bool:
    """Whether the session may be pushed now: fewer than AHEAD pushed and not yet drawn."""
    now = time.monotonic()
    with _lock:
        for sid in [sid for sid, t in _pushed.items() if now - t > AHEAD_S]:
            del _pushed[sid]
        return session_id in _pushed or len(_pushed) < AHEAD


def _session(session_id: str):
    try:
        info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    except RuntimeError:  # no runtime in this process
        return None
    return None if info is None else info.session


def _forget(code: str, session_id: str) -> None:
    with _lock:
        sessions = _followers.get(code, {})
        sessions.pop(session_id, None)
        if not sessions:
            _followers.pop(code, None)


def _taken(code: str, session_id: str) -> tuple[int, str | None] | None:
    """The revision of `code` the session's last run took and the fragment it followed from;
    None if it no longer follows it."""
    with _lock:
        got = _followers.get(code, {}).get(session_id)
    return None if got is None else got[1:]


def _rerun(session, code: str, page: str, revision: int, tries: int) -> None:
    """On the session's event loop: its rerun of `page` (of the fragment it follows from, if it
    still holds it), once it is idle, unless a run of its own has taken `revision` meanwhile. A
    closed class's followers (already forgotten) rerun the whole page."""
    if session._state == AppSessionState.SHUTDOWN_REQUESTED:
        return
    fragment = None
    if revision != classroom.CLOSED:
        got = _taken(code, session.id)
        if got is None or got[0] >= revision:
            return
        fragment = got[1]
    busy = session._state == AppSessionState.APP_IS_RUNNING or races.output_pending(session)
    if busy or (revision != classroom.CLOSED and (teacher_drawing(code) or not _room(session.id))):
        if tries < MAX_TRIES:
            session._event_loop.call_later(
                RETRY_S, _rerun, session, code, page, revision, tries + 1
            )
        return
    client = session._client_state  # as the session's last run ended
    if client.page_script_hash != page:  # the student went to another page
        _forget(code, session.id)
        return
    rerun = RerunData(
        query_string=client.query_string,
        page_script_hash=page,
        fragment_id=fragment if fragment and session.has_fragment(fragment) else None,
        context_info=client.context_info if client.HasField("context_info") else None,
    )
    with _lock:
        _pushed[session.id] = time.monotonic()
    runner = session._scriptrunner
    if runner is not None and runner.request_rerun(rerun):
        return
    session._create_scriptrunner(rerun)
