"""A fragment rerun that arrives while a finished run's output is still on its way is held back
until that output is out (a race in Streamlit that left followers of a class half-drawn).

A run's elements, and its "finished" message, travel from the script's thread to the session's
event loop as queued callbacks. Streamlit's `AppSession.request_rerun` hands a rerun to the
current ScriptRunner if it can take it; a runner whose script has ended cannot, so a new one is
made, and every callback the old one still has queued is then dropped as coming from a
"non-current ScriptRunner" (streamlit/runtime/app_session.py; Streamlit guards only fragments that
no longer exist, streamlit#9921). A full rerun replaces the page anyway; a fragment rerun does
not, so the end of the run before it is lost: its last elements, and its "finished", without which
the browser never sets its `run_every` timers again. The Lesson's followers ask for a fragment
rerun twice a second (ui/classroom.py's poll), so on a busy server they hit this window often
(bench/class_load.py: 345 messages and the finish of 18 full runs dropped in 2 minutes, 45
followers).

`install` wraps `AppSession.request_rerun`: a fragment rerun that comes while the session still
counts a run as running (its SCRIPT_STOPPED not yet handled on the event loop) but that run's
runner has stopped is scheduled again with `call_soon`, behind the callbacks already queued, which
include that stopped run's output. One step back is enough (they are all queued before the runner
stops); MAX_DEFERRALS bounds it should a runner stop without saying so.
"""

from __future__ import annotations

import functools

from streamlit.runtime.app_session import AppSession, AppSessionState
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType

MAX_DEFERRALS = 20


def output_pending(session) -> bool:
    """True while `session` has a stopped ScriptRunner whose run the event loop has not yet seen
    finish: its output is still queued there."""
    runner = session._scriptrunner
    return (
        runner is not None
        and session._state == AppSessionState.APP_IS_RUNNING
        and runner._requests._state == ScriptRequestType.STOP
    )


def deferred(rerun):
    """`rerun` (AppSession.request_rerun) holding back fragment reruns while output is pending."""

    @functools.wraps(rerun)
    def request_rerun(self, client_state, _deferrals: int = 0) -> None:
        fragment = client_state is not None and bool(client_state.fragment_id)
        if fragment and _deferrals < MAX_DEFERRALS and output_pending(self):
            self._event_loop.call_soon(request_rerun, self, client_state, _deferrals + 1)
            return None
        return rerun(self, client_state)

    request_rerun.vae_geom_deferred = True
    return request_rerun


def install() -> None:
    """Wrap AppSession.request_rerun (once per process)."""
    if not getattr(AppSession.request_rerun, "vae_geom_deferred", False):
        AppSession.request_rerun = deferred(AppSession.request_rerun)
