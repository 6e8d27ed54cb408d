"""vae_geom.ui.races: a fragment rerun that comes while a stopped run's output is still queued on
the event loop waits behind it (Streamlit would drop that output), on a real asyncio loop."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession, AppSessionState
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
