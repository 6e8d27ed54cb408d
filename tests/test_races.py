"""vae_geom.ui.races: a fragment rerun that comes while a stopped run's output is still queued on
the event loop waits behind it (Streamlit would drop that output), on a real asyncio loop; and a
fragment run's start leaves a finished full run's unsent output in Streamlit's own queue."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.app_session import AppSession, AppSessionState
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

import vae_geom.ui  # noqa: F401 - installs the wrapper, as every page does
from vae_geom.ui import races


def _race(fragment_id: str, stopped: bool = True, finishes: bool = True) -> list:
    """The window: a run has ended on its thread (its runner stopped) and queued its output (an
    element, then its finish) on the event loop; a rerun request is handled before them. What
    happens, in order."""
    loop = asyncio.new_event_loop()
    happened: list = []
    runner = SimpleNamespace(
        _requests=SimpleNamespace(
            _state=ScriptRequestType.STOP if stopped else ScriptRequestType.CONTINUE
        )
    )
    session = SimpleNamespace(
        _scriptrunner=runner, _state=AppSessionState.APP_IS_RUNNING, _event_loop=loop
    )

    def finish() -> None:
        happened.append("finished")
        if finishes:
            session._state = AppSessionState.APP_NOT_RUNNING

    rerun = races.deferred(lambda s, cs: happened.append(("rerun", cs.fragment_id)))
    loop.call_soon(rerun, session, ClientState(fragment_id=fragment_id))  # the request, first
    loop.call_soon(happened.append, "element")  # the stopped run's output, queued before it
    loop.call_soon(finish)
    loop.call_later(0.05, loop.stop)
    loop.run_forever()
    loop.close()
    return happened


def test_a_fragment_rerun_waits_for_the_stopped_runs_output():
    assert _race("poll") == ["element", "finished", ("rerun", "poll")]


def test_a_full_rerun_and_a_running_runner_are_not_held():
    # a full rerun replaces the page: Streamlit's own order
    assert _race("") == [("rerun", ""), "element", "finished"]
    # a runner still running takes the request itself: nothing to wait for
    assert _race("poll", stopped=False) == [("rerun", "poll"), "element", "finished"]


def test_a_runner_that_stops_without_saying_so_is_not_waited_for_forever():
    happened = _race("poll", finishes=False)
    assert happened[:2] == ["element", "finished"] and happened[-1] == ("rerun", "poll")


def test_it_is_installed_once():
    assert AppSession.request_rerun.vae_geom_deferred
    wrapped = AppSession.request_rerun
    races.install()
    assert AppSession.request_rerun is wrapped


# -- the second race: a fragment run's start clearing a finished full run's unsent output ----------


def _delta(path: list[int], fragment: str = "") -> ForwardMsg:
    m = ForwardMsg()
    m.metadata.delta_path[:] = path
    m.delta.new_element.markdown.body = "x"
    m.delta.fragment_id = fragment
    return m


def _finished(status: str) -> ForwardMsg:
    m = ForwardMsg()
    m.script_finished = ForwardMsg.ScriptFinishedStatus.Value(status)
    return m


def _queued(*messages: ForwardMsg) -> SimpleNamespace:
    queue = ForwardMsgQueue()
    for m in messages:
        queue.enqueue(m)
    return SimpleNamespace(_browser_queue=queue)


def _left(session) -> list:
    return [
        list(m.metadata.delta_path) if m.HasField("delta") else m.WhichOneof("type")
        for m in session._browser_queue._queue
    ]


def _full_run_then(*after: ForwardMsg) -> SimpleNamespace:
    """A full run's whole output, unsent: the poll fragment's container at [0, 1] between the
    page's rows; then `after`."""
    return _queued(
        _delta([0, 0]), _delta([0, 1], "poll"), _delta([0, 2]),
        _finished("FINISHED_SUCCESSFULLY"), *after,
    )  # fmt: skip


def test_a_fragment_run_start_keeps_the_finished_full_runs_output():
    session = _full_run_then()
    AppSession._clear_queue(session, ["poll"])  # the poll's next run starts
    assert _left(session) == [[0, 0], [0, 1], [0, 2], "script_finished"]


def test_streamlits_own_clear_drops_it():
    # the race this works around, in the Streamlit installed: if this fails, Streamlit keeps the
    # finished run's output itself and races.keeping_finished can go
    session = _full_run_then()
    AppSession._clear_queue.__wrapped__(session, ["poll"])
    assert [0, 1] not in _left(session)


def test_what_follows_the_finished_run_is_cleared_as_before():
    # an interrupted run of the poll after the full run: its container is stale, cleared as
    # Streamlit does; the page's other messages stay
    session = _full_run_then(_delta([0, 1], "poll"), _finished("FINISHED_EARLY_FOR_RERUN"))
    AppSession._clear_queue(session, ["poll"])
    assert _left(session) == [[0, 0], [0, 1], [0, 2], "script_finished", "script_finished"]
    # a full run's start clears every element queued, finished or not (it draws them all again)
    session = _full_run_then()
    AppSession._clear_queue(session, None)
    assert _left(session) == ["script_finished"]


def _body_run_then(*after: ForwardMsg) -> SimpleNamespace:
    """A run of the Lesson's body (a fragment) whose output is unsent: its rows, the teacher's
    live answers (a fragment inside it) at [0, 1, 1]; then `after`."""
    return _queued(
        _delta([0, 1, 0], "body"), _delta([0, 1, 1], "answers"), _delta([0, 1, 2], "body"),
        _finished("FINISHED_FRAGMENT_RUN_SUCCESSFULLY"), *after,
    )  # fmt: skip


def test_a_fragment_run_start_keeps_a_finished_fragment_runs_output():
    session = _body_run_then()
    AppSession._clear_queue(session, ["answers"])  # the live answers' timer, during the flush
    assert _left(session) == [[0, 1, 0], [0, 1, 1], [0, 1, 2], "script_finished"]
    (finished,) = [m for m in session._browser_queue._queue if m.HasField("script_finished")]
    assert finished.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    # Streamlit's own: the answers' rows dropped, the body's run said to have ended early
    session = _body_run_then()
    AppSession._clear_queue.__wrapped__(session, ["answers"])
    assert [0, 1, 1] not in _left(session)
    (finished,) = [m for m in session._browser_queue._queue if m.HasField("script_finished")]
    assert finished.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN


def test_an_unfinished_fragment_run_is_cleared_as_before():
    session = _queued(_delta([0, 1, 0], "body"), _delta([0, 1, 1], "answers"))
    AppSession._clear_queue(session, ["answers"])
    assert _left(session) == [[0, 1, 0]]


def test_the_queue_wrapper_is_installed_once():
    assert AppSession._clear_queue.vae_geom_keeping
    wrapped = AppSession._clear_queue
    races.install()
    assert AppSession._clear_queue is wrapped
