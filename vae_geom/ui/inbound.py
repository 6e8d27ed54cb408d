"""What one websocket message may make the server do: the bound Streamlit itself lacks (issue 12).

The browser sends a click on the latent plane as a `st.components.v2` trigger value: a JSON list
of events, one click (~110 characters) per message. Streamlit (1.67) runs the component's callback
once per event in that list (`SessionState._dispatch_trigger_callbacks`), and the websocket needs
no XSRF token, so a script can send one message of 30,000 click events (1.5 MB). Each callback
call read the component's state through a presenter that walks the whole list again, so the
server's work grew with N²: 10,000 events took 10-23 s of server CPU.

`server.maxWidgetStateSize` (.streamlit/config.toml) bounds a whole message to 1 MB, which still
holds ~55,000 minimal events. So every client's widget states pass `bounded` before Streamlit
sees them: a JSON trigger value longer than MAX_TRIGGER_CHARS is dropped (logged, never parsed),
the rest of the message applies as sent. `install` puts it in front of
`SessionState.on_script_will_rerun`, the one door through which a message's widget states reach
callbacks (fresh ones; replayed triggers were bounded when they came in).
"""

from __future__ import annotations

import functools
import logging

from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from streamlit.runtime.state.session_state import SessionState

# A click event is ~110 characters and the browser sends one per message; 2,048 leaves room for
# a few batched events and long chart keys, and bounds a forged list at ~110 minimal events.
MAX_TRIGGER_CHARS = 2_048

_LOGGER = logging.getLogger(__name__)


def oversized(widget: WidgetState) -> bool:
    """A JSON trigger value longer than MAX_TRIGGER_CHARS (its length only: nothing is parsed)."""
    return (
        widget.WhichOneof("value") == "json_trigger_value"
        and len(widget.json_trigger_value) > MAX_TRIGGER_CHARS
    )


def bounded(states: WidgetStates | None) -> WidgetStates | None:
    """`states` without its oversized trigger values (the same object when it has none)."""
    if states is None:
        return None
    keep = [w for w in states.widgets if not oversized(w)]
    if len(keep) == len(states.widgets):
        return states
    _LOGGER.warning(
        "Dropped %d trigger value(s) over %d characters from one message",
        len(states.widgets) - len(keep),
        MAX_TRIGGER_CHARS,
    )
    out = WidgetStates()
    out.widgets.extend(keep)
    return out


def install() -> None:
    """Bound every client's widget states before Streamlit runs a callback (once per process)."""
    original = SessionState.on_script_will_rerun
    if getattr(original, "vae_geom_bounded", False):
        return

    @functools.wraps(original)
    def on_script_will_rerun(self, fresh_widget_states, *args, **kwargs):
        return original(self, bounded(fresh_widget_states), *args, **kwargs)

    on_script_will_rerun.vae_geom_bounded = True
    SessionState.on_script_will_rerun = on_script_will_rerun
