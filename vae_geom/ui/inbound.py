"""What one websocket message may make the server do: the bound Streamlit itself lacks (issue 12).

The browser sends a click on the latent plane as a `st.components.v2` trigger value: a JSON list
of events, one click (~110 characters) per message. Streamlit (1.67) runs the component's callback
once per event in that list (`SessionState._dispatch_trigger_callbacks`), and the websocket needs
no XSRF token, so a script can send one message of 30,000 click events (1.5 MB). Each callback
call read the component's state through a presenter that walks the whole list again, so the
server's work grew with N²: 10,000 events took 10-23 s of server CPU.

`server.maxWidgetStateSize` (.streamlit/config.toml) bounds a whole message to 1 MB, which still
holds ~55,000 minimal events, or a 1 MB component state, or 30,000 made-up widgets. So every
client's widget states pass `bounded` before Streamlit sees them; the browser never sends more
than a few KB, so nothing it sends is touched:

- a JSON trigger value over MAX_TRIGGER_BYTES, or any other widget value over MAX_VALUE_BYTES,
  is dropped (by its size alone: nothing is parsed), the rest of the message applies as sent;
- a message naming more than MAX_WIDGETS widgets (no page has a tenth of that) is not the
  browser's: all its widget states are ignored.

Bounded messages still come as fast as a script sends them: one socket sending the heaviest the
moment the last was answered (~11 a second) took two clicking students' p95 from 400 to 860 ms. So
a session's interactions also pass `wait_for_turn`, a token bucket: BURST at once, then RATE a
second; a faster session's own script thread sleeps (holding no lock and not the GIL) while the
messages it sends meanwhile merge into one rerun, as Streamlit merges any that queue.

`install` puts both in front of `SessionState.on_script_will_rerun`, the one door through which a
message's widget states reach callbacks (fresh ones; replayed triggers were bounded when they
came in). It also refuses the `clear_cache` message: Streamlit clears st.cache_data and
st.cache_resource for every session when any client asks (the developer menu's "Clear cache",
hidden here by client.toolbarMode, but one forged message away), so one student could make the
whole class reload its models and data over and over. The server's own code can still clear them.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from streamlit import config
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.app_session import AppSession
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.session_state import SessionState

# A click event is ~110 bytes and the browser sends one per message; 2,048 leaves room for a
# few batched events and long chart keys, and bounds a forged list at ~110 minimal events.
MAX_TRIGGER_BYTES = 2_048
MAX_VALUE_BYTES = 16_384  # the largest value the browser sends is a few hundred bytes
MAX_WIDGETS = 256  # the app's busiest page has ~20 widgets
# A student clicks at most 2-3 times a second (a click and its answer take >= 0.3 s in a browser);
# the first BURST interactions of a session are never delayed.
RATE = 4.0  # interactions a second, per session
BURST = 4
_IDLE_S = 60  # a session this long without interacting is forgotten (its bucket is full again)

_LOGGER = logging.getLogger(__name__)


def oversized(widget: WidgetState) -> bool:
    """A widget value over its bound (its serialized size only: nothing is parsed)."""
    trigger = widget.WhichOneof("value") == "json_trigger_value"
    return widget.ByteSize() > (MAX_TRIGGER_BYTES if trigger else MAX_VALUE_BYTES)


def bounded(states: WidgetStates | None) -> WidgetStates | None:
    """`states` without its oversized values, or with none if it names too many widgets (the same
    object when nothing is dropped)."""
    if states is None:
        return None
    n = len(states.widgets)
    keep = [w for w in states.widgets if not oversized(w)] if n <= MAX_WIDGETS else []
    if len(keep) == n:
        return states
    _LOGGER.warning(
        "Ignored %d of %d widget values in one message: over the bounds", n - len(keep), n
    )
    out = WidgetStates()
    out.widgets.extend(keep)
    return out


_buckets: dict[str, tuple[float, float]] = {}  # session id -> (tokens, when)
_lock = threading.Lock()


def wait_for_turn(session_id: str, now: float | None = None, sleep=time.sleep) -> float:
    """Sleep until this session may interact again; the seconds slept (0 within its budget)."""
    now = time.monotonic() if now is None else now
    with _lock:
        tokens, when = _buckets.get(session_id, (BURST, now))
        tokens = min(BURST, tokens + (now - when) * RATE)
        wait = max(0.0, (1 - tokens) / RATE)
        _buckets[session_id] = (tokens + wait * RATE - 1, now + wait)
        if len(_buckets) > 1024:  # forget idle sessions: the table stays small
            for sid in [k for k, (_, t) in _buckets.items() if now - t > _IDLE_S]:
                del _buckets[sid]
    if wait:
        sleep(wait)
    return wait


def install() -> None:
    """Bound every client's widget states, and how often a session interacts, before Streamlit
    runs a callback (once per process)."""
    original = SessionState.on_script_will_rerun
    if getattr(original, "vae_geom_bounded", False):
        return

    @functools.wraps(original)
    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        ctx = get_script_run_ctx()
        # AppTest (global.appTest) reruns as fast as a test asks, and has no websocket to bound
        if fresh_widget_states is not None and ctx and not config.get_option("global.appTest"):
            wait_for_turn(ctx.session_id)
        return original(self, bounded(fresh_widget_states), *args, **kwargs)

    on_script_will_rerun.vae_geom_bounded = True
    SessionState.on_script_will_rerun = on_script_will_rerun
    AppSession._handle_clear_cache_request = refuse_clear_cache


def refuse_clear_cache(session: AppSession) -> None:
    """A client's clear_cache message: logged, and nothing cleared (the caches are everyone's)."""
    _LOGGER.warning("Refused a client's clear_cache message: the caches are shared by all sessions")
