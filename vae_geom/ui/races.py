"""Two races in Streamlit that left followers of a class half-drawn, each closed here: a fragment
rerun that arrives while a finished run's output is still on its way is held back until that
output is out, and a fragment run's start no longer clears a finished full run's unsent output.

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

A second race, in the browser queue itself. When a fragment run starts, Streamlit clears the
session's unsent messages of that fragment (`AppSession._clear_queue`; they would be those of an
earlier, interrupted run of it). But the queue may still hold the whole output of the full run
that just finished, fragment containers included: a `run_every` request that came during the full
run is run right after it by the same runner, before the loop has flushed. The full run's
container for the fragment is then dropped while its "finished" is kept; the browser, which
compacts its element list after a full run, moves the next element (the Lesson's progress row)
into the fragment's slot, and the fragment's next run overwrites it (bench/class_load.py's
Chromium followers lost the row with Prev / Next in most steps). Streamlit already keeps a
finished full run's "finished" from a fragment's clear (forward_msg_queue's
_update_script_finished_message); `install` keeps the rest of that run's output too: what is
queued up to the last FINISHED_SUCCESSFULLY is left alone, and only what follows is cleared.

The same holds for a finished fragment run. The Lesson's body is a fragment (a follower's
catch-up and a click on Next rerun it alone), with `run_every` fragments inside it (the
teacher's live answers every second, a follower's poll); a timer's run that starts before the
body's output is flushed cleared the body's queued elements of that timer's fragment and turned
the body's FINISHED_FRAGMENT_RUN_SUCCESSFULLY into FINISHED_EARLY_FOR_RERUN (Streamlit keeps only a
full run's "finished"): a run that had drawn the whole step was reported as cut short, and the
class benchmark's teacher (bench/stclient.py), waiting for its Next's run to finish, never saw it
finish (once in 3 to 27 clicks on Next in a test loop). So a finished fragment run's output is
kept too.
"""

from __future__ import annotations

import functools

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
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


FINISHED = (
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
)


def finished_prefix(messages: list[ForwardMsg]) -> int:
    """How many of the queued `messages` belong to runs (full or of fragments) that finished (up
    to and including the last such "finished"), 0 if none did."""
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.WhichOneof("type") == "script_finished" and m.script_finished in FINISHED:
            return i + 1
    return 0


def keeping_finished(clear):
    """`clear` (AppSession._clear_queue) leaving a finished run's output alone when a fragment
    run starts."""

    @functools.wraps(clear)
    def _clear_queue(self, fragment_ids_this_run=None) -> None:
        queue = self._browser_queue
        done = finished_prefix(queue._queue) if fragment_ids_this_run else 0
        if not done:
            return clear(self, fragment_ids_this_run)
        head, queue._queue = queue._queue[:done], queue._queue[done:]
        try:
            clear(self, fragment_ids_this_run)
        finally:
            queue._queue = head + queue._queue
        return None

    _clear_queue.vae_geom_keeping = True
    return _clear_queue


def install() -> None:
    """Wrap AppSession.request_rerun and AppSession._clear_queue (once per process)."""
    if not getattr(AppSession.request_rerun, "vae_geom_deferred", False):
        AppSession.request_rerun = deferred(AppSession.request_rerun)
    if not getattr(AppSession._clear_queue, "vae_geom_keeping", False):
        AppSession._clear_queue = keeping_finished(AppSession._clear_queue)
