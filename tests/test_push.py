"""vae_geom/ui/push.py: which rerun a follower is pushed (its fragment, or the whole page).

The browser tests (test_classroom_browser.py) show a pushed follower drawing the teacher's step;
these check what it is asked to run: the fragment it followed from, as a click inside it would,
and the whole page when it no longer holds that fragment or followed from no fragment at all.
The follower is registered by a real script run (AppTest); the session it is pushed to is a
stand-in holding what push reads of Streamlit's AppSession (its state, runner, last client state,
fragments), and records the run it is asked for.
"""

from __future__ import annotations

import pytest
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSessionState
from streamlit.testing.v1 import AppTest

from vae_geom import classroom
from vae_geom.ui import push

CODE = "PUSHME"


def _registered(in_fragment: bool) -> tuple[str, int, str | None]:
    """Run a page whose follower registers inside a fragment, or outside any; what push holds."""

    def page(in_fragment: bool) -> None:
        import streamlit as st

        from vae_geom.ui import push

        @st.fragment
        def body() -> None:
            push.follow("PUSHME", 3)

        if in_fragment:
            body()
        else:
            push.follow("PUSHME", 3)

    at = AppTest.from_function(page, args=(in_fragment,)).run()
    assert not at.exception
    (got,) = push._followers[CODE].values()
    return got


@pytest.fixture(autouse=True)
def _clean():
    push._followers.clear()
    push._pushed.clear()
    yield
    push._followers.clear()
    push._pushed.clear()


def test_a_follower_registers_the_fragment_it_follows_from():
    page, revision, fragment = _registered(in_fragment=True)
    assert revision == 3 and page
    assert isinstance(fragment, str) and fragment
    push._followers.clear()
    assert _registered(in_fragment=False)[2] is None


class _Loop:
    """The session's event loop: what push asks of it, kept to be run by hand."""

    def __init__(self):
        self.calls = []

    def call_later(self, delay, fn, *args) -> None:
        self.calls.append((delay, fn, args))

    def call_soon_threadsafe(self, fn, *args) -> None:
        self.calls.append((0, fn, args))


class _Session:
    """What push reads of an idle AppSession, and the run it creates."""

    def __init__(self, fragments: set[str], sid: str = "s1"):
        self.id = sid
        self._event_loop = _Loop()
        self._state = AppSessionState.APP_NOT_RUNNING
        self._scriptrunner = None
        self._client_state = ClientState(query_string="class=PUSHME", page_script_hash="page1")
        self._fragments = fragments
        self.runs = []

    def has_fragment(self, fragment_id: str) -> bool:
        return fragment_id in self._fragments

    def _create_scriptrunner(self, rerun) -> None:
        self.runs.append(rerun)


def _push(session: _Session, fragment: str | None, revision: int = 4):
    push._followers[CODE] = {session.id: ("page1", 3, fragment)}
    push._rerun(session, CODE, "page1", revision, 0)
    (run,) = session.runs
    return run


def test_a_pushed_follower_reruns_the_fragment_it_followed_from():
    run = _push(_Session({"frag-1"}), "frag-1")
    assert run.fragment_id == "frag-1"  # folded into the queue by the ScriptRunner, as a click's
    assert run.page_script_hash == "page1" and run.query_string == "class=PUSHME"
    assert run.widget_states is None  # as st.rerun(): its widgets keep their values


@pytest.mark.parametrize(
    ("held", "followed", "revision"),
    [
        (set(), "frag-1", 4),  # a full run dropped the fragment
        ({"frag-1"}, None, 4),  # it followed from no fragment
        ({"frag-1"}, "frag-1", classroom.CLOSED),  # the class closed: the page says so
    ],
)
def test_otherwise_the_whole_page_reruns(held, followed, revision):
    assert _push(_Session(held), followed, revision).fragment_id is None


def test_a_follower_that_took_the_revision_is_not_rerun():
    session = _Session({"frag-1"})
    push._followers[CODE] = {session.id: ("page1", 4, "frag-1")}
    push._rerun(session, CODE, "page1", 4, 0)
    assert session.runs == []


def _follower(sid: str) -> _Session:
    session = _Session({"frag-1"}, sid)
    push._followers.setdefault(CODE, {})[sid] = ("page1", 3, "frag-1")
    return session


def test_followers_wait_while_their_teacher_draws_on_this_process(monkeypatch):
    drawing = {CODE}
    monkeypatch.setattr(push, "teacher_drawing", lambda code: code in drawing)
    session = _follower("s1")
    push._rerun(session, CODE, "page1", 4, 0)
    assert session.runs == []  # not yet: tried again a moment later
    [(delay, fn, args)] = session._event_loop.calls
    assert delay == push.RETRY_S and fn is push._rerun and args[-1] == 1
    drawing.clear()  # the teacher's run is drawn
    fn(*args)
    assert [r.fragment_id for r in session.runs] == ["frag-1"]


def test_a_few_followers_are_pushed_at_once_the_next_when_one_is_drawn():
    sessions = [_follower(f"s{i}") for i in range(push.AHEAD + 2)]
    for session in sessions:
        push._rerun(session, CODE, "page1", 4, 0)
    assert [len(s.runs) for s in sessions] == [1] * push.AHEAD + [0, 0]
    waiting = sessions[push.AHEAD]
    [(_, fn, args)] = waiting._event_loop.calls
    fn(*args)
    assert waiting.runs == []  # still no room
    push.done(sessions[0].id)  # the first one's catch-up is drawn (classroom.turn)
    [*_, (_, fn, args)] = waiting._event_loop.calls
    fn(*args)
    assert len(waiting.runs) == 1


def test_a_push_whose_catch_up_never_ends_gives_up_its_place(monkeypatch):
    sessions = [_follower(f"s{i}") for i in range(push.AHEAD + 1)]
    for session in sessions[:-1]:
        push._rerun(session, CODE, "page1", 4, 0)
    clock = push.time.monotonic() + push.AHEAD_S + 0.1
    monkeypatch.setattr(push.time, "monotonic", lambda: clock)
    push._rerun(sessions[-1], CODE, "page1", 4, 0)
    assert len(sessions[-1].runs) == 1


def test_a_followers_poll_hands_its_catch_up_to_push(monkeypatch):
    session = _follower("s1")

    class Ctx:
        session_id = "s1"

    monkeypatch.setattr(push, "get_script_run_ctx", lambda: Ctx)
    monkeypatch.setattr(push, "_session", lambda sid: session if sid == "s1" else None)
    assert push.catch_up(CODE, 4)
    [(_, fn, args)] = session._event_loop.calls
    fn(*args)  # once the poll's run is over
    assert [r.fragment_id for r in session.runs] == ["frag-1"]  # the body, not the whole page
    Ctx.session_id = "s2"  # not a follower of this class here: the poll reruns the page itself
    assert not push.catch_up(CODE, 4)
