"""A raw Streamlit websocket client that forges messages, as a hostile student could (issue 12).

Development tooling only, for tests/test_forged_messages.py and bench/load_sessions.py. It speaks
the browser's protocol with Streamlit's own protobufs: GET the page, open /_stcore/stream with the
subprotocol the frontend offers ("streamlit"), send a `rerun_script` BackMsg and read ForwardMsgs
until the run ends. The websocket needs no XSRF token, so anything the browser can send, a script
can forge: here the latent plane's trigger value (vae_geom/ui/plane.py, key "latent" on the
Explorer) carrying `n` click events in one message.

    async with Session(url) as s:
        await s.run()                          # the first run, as a page load
        wid = s.trigger_id("latent")
        await s.run({wid: forged_clicks(10_000)})
"""

from __future__ import annotations

import json
import os
import urllib.request

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# streamlit.components.v2 bidi_component names its trigger aggregator widget after the element id
# (as the browser sends it: captured from Chromium's websocket frames)
TRIGGER_ID = "$$STREAMLIT_INTERNAL_KEY_{element_id}__events"


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the live process `pid` has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def click_event(x: float = 0.5, y: float = -1.25, t: int = 0) -> dict:
    """One click as assets/plane/plane.js sends it (setTriggerValue("click", {x, y, chart, t}))."""
    return {"event": "click", "value": {"x": x, "y": y, "chart": "latent", "t": t}}


def forged_clicks(n: int, x: float = 0.5, y: float = -1.25) -> str:
    """A trigger value carrying `n` click events: the browser sends a list of one."""
    return json.dumps([click_event(x, y, t) for t in range(n)], separators=(",", ":"))


def clicks_within(chars: int) -> str:
    """As many minimal click events as fit in `chars` characters (the most callback calls)."""
    n = (chars - 1) // len('{"event":"click"},')
    return json.dumps([{"event": "click"}] * n, separators=(",", ":"))


def state_of_size(chars: int) -> str:
    """A component state (JSON object) of about `chars` characters, in many small keys."""
    n = chars // len('"k000000":0,')
    return json.dumps({f"k{i:06d}": 0 for i in range(n)}, separators=(",", ":"))


class Session:
    """One websocket session on a running server (`url`: http://host:port)."""

    def __init__(self, url: str, path: str = "/", open_timeout: float = 30):
        self.url, self.path, self.open_timeout = url, path, open_timeout
        self.ws = None
        self.elements: dict[str, ForwardMsg] = {}  # bidi component key -> its element's delta
        self.texts: list[str] = []  # every markdown / alert body seen so far
        self.exceptions: list[str] = []  # every exception element's type and message
        self.closed: int | None = None  # the close code, once the server closed the socket
        self.page_hash = ""  # the page's script hash, from new_session: later runs name it

    async def __aenter__(self) -> Session:
        urllib.request.urlopen(self.url + self.path, timeout=self.open_timeout).read()
        ws_url = "ws" + self.url.removeprefix("http") + "/_stcore/stream"
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,  # the server's first messages hold the whole figure
            open_timeout=self.open_timeout,
            origin=self.url,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def send(
        self,
        widgets: dict[str, str] | None = None,
        query: str = "",
        json_values: dict[str, str] | None = None,
        extra: list[WidgetState] = (),
    ) -> None:
        """A rerun_script BackMsg: `widgets` maps widget ids to JSON trigger values, `json_values`
        to JSON values (a component's state); `extra` widget states go as they are."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = self.page_hash
        states = msg.rerun_script.widget_states
        states.SetInParent()
        for wid, value in (widgets or {}).items():
            states.widgets.append(WidgetState(id=wid, json_trigger_value=value))
        for wid, value in (json_values or {}).items():
            states.widgets.append(WidgetState(id=wid, json_value=value))
        states.widgets.extend(extra)
        await self.ws.send(msg.SerializeToString())

    async def run(
        self,
        widgets: dict[str, str] | None = None,
        timeout: float = 120,
        json_values: dict[str, str] | None = None,
        extra: list[WidgetState] = (),
    ) -> str:
        """Send one rerun and read until the server says the run (or fragment run) ended; the
        ScriptFinishedStatus name, or "closed" if the server closed the socket."""
        await self.send(widgets, json_values=json_values, extra=extra)
        return await self.until_finished(timeout)

    async def until_finished(self, timeout: float = 120) -> str:
        import asyncio

        async def read() -> str:
            while True:
                try:
                    raw = await self.ws.recv()
                except websockets.ConnectionClosed as e:
                    self.closed = e.rcvd.code if e.rcvd else None
                    return "closed"
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._note(msg)
                if msg.WhichOneof("type") == "script_finished":
                    name = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                    if name != "FINISHED_EARLY_FOR_RERUN":
                        return name

        return await asyncio.wait_for(read(), timeout)

    def _note(self, msg: ForwardMsg) -> None:
        if msg.WhichOneof("type") == "new_session":
            self.page_hash = msg.new_session.page_script_hash
        elif msg.WhichOneof("type") == "navigation":  # st.navigation's page, as the browser sends
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        if msg.WhichOneof("type") != "delta" or not msg.delta.HasField("new_element"):
            return
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "bidi_component":
            self.elements[el.bidi_component.id] = msg
        elif kind == "markdown":
            self.texts.append(el.markdown.body)
        elif kind == "alert":
            self.texts.append(el.alert.body)
        elif kind == "exception":
            self.exceptions.append(f"{el.exception.type}: {el.exception.message}")

    def element_id(self, key: str) -> str:
        """The widget id of the bidi component with Streamlit key `key` (its state's id)."""
        ids = [wid for wid in self.elements if wid.endswith(f"-{key}")]
        if len(ids) != 1:
            raise LookupError(f"no single component with key {key!r} among {list(self.elements)}")
        return ids[0]

    def trigger_id(self, key: str) -> str:
        """The trigger aggregator widget id of the bidi component with Streamlit key `key`."""
        return TRIGGER_ID.format(element_id=self.element_id(key))
