"""A browser tab in Streamlit's own protocol, without a browser: the simulated students of
bench/class_load.py (issue 16).

It does what Streamlit's frontend does (frontend/app/src/App.tsx,
connection/WebsocketConnection.tsx, lib/src/WidgetStateManager.ts), with Streamlit's protobufs:
- GET the page (which sets the proxy's sticky-session cookie), then open `/_stcore/stream` with
  that cookie and the subprotocols `streamlit, <auth placeholder>[, <last session id>]`; after a
  reconnect the last session id asks the server to resume the session (a server that never had
  it starts a new one, as Streamlit's reconnecting browser gets);
- send a `rerun_script` BackMsg with the page's query string, its page name (the URL path: the
  page's script hash is not known before the first run) or, once known, its script hash, every
  widget's current state (triggers only in the rerun they fire in), the hashes of the cacheable
  messages it holds, and context info (locale, URL);
- read ForwardMsgs: `ref_hash` messages are served from its cache of cacheable ones, elements are
  kept by their delta path, `auto_rerun` starts a timer that reruns that fragment with
  `is_auto_rerun` (a polling `st.fragment(run_every=...)` runs from the browser's timer), a new
  full run or `stop_auto_rerun` stops them, `page_info_changed` updates the query string.

Every message, widget and element is watched through `on_delta` (a callback per new element), so
a benchmark can time the moment a tab is shown something. Development tooling only.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

UPSTREAM = "X-Vaegeom-Upstream"  # the test config's header naming the app process that answered
ROUTE = "vaegeom_route"  # the proxy's sticky-session cookie (deploy/nginx/vae-geom.conf)
AUTH_PLACEHOLDER = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends when it has no host token


def last_upstream(header: str | None) -> str | None:
    """The process that finally answered: nginx lists every one it tried ("a:1, b:2")."""
    return header.split(",")[-1].strip() if header else None


@dataclass
class Run:
    """One script run (or fragment run) as the tab saw it."""

    fragment: str  # "" for a full run
    started: float  # when its new_session arrived (monotonic)
    finished: float | None = None
    status: str = ""


@dataclass
class Tab:
    """One tab of `page` (a path with its query, e.g. "/Lesson?step=3") on the server `base`."""

    base: str  # http://host:port of the proxy (or of one app process)
    page: str
    locale: str = "en-US"
    open_timeout: float = 30
    cookies: dict[str, str] = field(default_factory=dict)
    # the client's own address (Linux answers on all of 127.0.0.0/8): the proxy limits open
    # connections per client address, and a class comes from many
    source: str | None = None
    on_delta: Callable[[Tab, ForwardMsg, Element], None] | None = None
    on_run: Callable[[Tab, Run], None] | None = None

    def __post_init__(self) -> None:
        u = urllib.parse.urlsplit(self.page)
        self.path, self.query = u.path, u.query
        self.ws = None
        self.session_id = ""
        self.page_hash = ""
        self.upstreams: list[tuple[str, str]] = []  # (what, the process that answered it)
        self.cache: dict[str, ForwardMsg] = {}  # cacheable message hash -> message
        self.elements: dict[tuple, Element] = {}  # delta path -> the element shown there
        self._drawn_in: dict[tuple, int] = {}  # delta path -> the run (index) that drew it
        self._fragment: dict[tuple, str] = {}  # delta path -> the fragment that drew it ("": none)
        self.widgets: dict[str, WidgetState] = {}  # widget id -> its current state
        self.runs: list[Run] = []
        self.exceptions: list[str] = []
        self.closed_code: int | None = None
        self.reconnects = 0
        self._auto: dict[str, asyncio.Task] = {}
        self._reader: asyncio.Task | None = None
        self._finished = asyncio.Event()
        self._asked: tuple[float, str] = (0.0, "")  # when the last rerun was asked, its fragment
        self.bytes_in = 0
        self.trace: list[tuple] = []  # the last 40 lifecycle messages (when, type, fragment)

    # -- HTTP, as the browser: the page (sets the sticky cookie), media ----------------------------

    def get(self, path: str) -> tuple[int, dict, bytes]:
        """A GET with this tab's cookies (blocking; small requests only); records the process."""
        u = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(
            u.hostname,
            u.port,
            timeout=self.open_timeout,
            source_address=(self.source, 0) if self.source else None,
        )
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            r = conn.getresponse()
            body = r.read()
            for raw in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = raw.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if up := last_upstream(r.headers.get(UPSTREAM)):
                self.upstreams.append((path.split("?", 1)[0], up))
            return r.status, dict(r.headers), body
        finally:
            conn.close()

    # -- the websocket ---------------------------------------------------------------------------

    async def connect(self, load_page: bool = True) -> None:
        """Open the page (first time) and its websocket, and ask for the first run."""
        if load_page:
            status, _, _ = await asyncio.to_thread(self.get, self.path + "?" + self.query)
            if status != 200:
                raise ConnectionError(f"GET {self.page}: {status}")
        await self._open_socket()
        await self.rerun()

    async def _open_socket(self) -> None:
        ws_url = "ws" + self.base.removeprefix("http") + "/_stcore/stream"
        tokens = [AUTH_PLACEHOLDER] + ([self.session_id] if self.session_id else [])
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit", *tokens],
            max_size=None,
            open_timeout=self.open_timeout,
            origin=self.base,
            additional_headers={"Cookie": cookie} if cookie else {},
            ping_interval=None,  # the server pings; a bench loop must not time out on its own
            compression=None,
            **({"local_addr": (self.source, 0)} if self.source else {}),
        )
        if up := last_upstream(self.ws.response.headers.get(UPSTREAM)):
            self.upstreams.append(("/_stcore/stream", up))
        self.closed_code = None
        self._reader = asyncio.create_task(self._read())

    async def reconnect(self, attempts: int = 60, gap: float = 0.25) -> None:
        """As the frontend does after its socket closed: try again until the proxy (or another
        process) answers; then rerun the page with the same query and widget states."""
        self._stop_auto()
        for i in range(attempts):
            try:
                await self._open_socket()
                break
            except (OSError, websockets.InvalidStatus, websockets.InvalidHandshake, TimeoutError):
                if i == attempts - 1:
                    raise
                await asyncio.sleep(gap)
        self.reconnects += 1
        self.page_hash_before_reconnect = self.page_hash
        await self.rerun()

    async def close(self) -> None:
        self._stop_auto()
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.closed_code is None and not self._reader.done()

    # -- sending ---------------------------------------------------------------------------------

    async def rerun(
        self, triggers: list[WidgetState] = (), fragment: str = "", auto: bool = False
    ) -> None:
        """A rerun_script BackMsg with every widget's state, `triggers` firing in this one."""
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        if self.page_hash:
            cs.page_script_hash = self.page_hash
        else:  # the first run of a page opened by its URL: the frontend names it by its path
            cs.page_name = self.path.strip("/")
        cs.fragment_id = fragment
        cs.is_auto_rerun = auto
        states = cs.widget_states
        states.SetInParent()
        fired = {t.id for t in triggers}
        states.widgets.extend(s for wid, s in self.widgets.items() if wid not in fired)
        states.widgets.extend(triggers)
        cs.cached_message_hashes.extend(self.cache)
        cs.context_info.locale = self.locale
        cs.context_info.timezone = "UTC"
        cs.context_info.url = self.base + self.path + ("?" + self.query if self.query else "")
        if not auto:
            self._asked = (time.monotonic(), fragment)
        self.trace.append((round(time.monotonic(), 2), "SENT", fragment[:6]))
        await self.ws.send(msg.SerializeToString())

    def set_widget(self, state: WidgetState) -> None:
        """A widget's new value, sent with every rerun from now on (as the browser keeps it)."""
        self.widgets[state.id] = state

    async def until_finished(self, timeout: float = 60) -> Run | None:
        """Wait for the end of the run this tab last asked for (a full run, or a run of the
        fragment it named, which the server may run together with others queued meanwhile, such as
        a timer's), not a run of other fragments only; None if the socket closed first."""
        sent, fragment = self._asked

        def done() -> Run | None:
            for run in reversed(self.runs):
                if run.started < sent:
                    return None
                ran = run.fragment.split(",") if run.fragment else []
                if run.finished is not None and (not ran or fragment in ran):
                    return run
            return None

        async def wait() -> Run | None:
            while (run := done()) is None:
                if self.closed_code is not None:
                    return None
                self._finished.clear()
                await self._finished.wait()
            return run

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"run not finished in {timeout} s; trace {self.trace[-12:]}"
            ) from None

    # -- reading ---------------------------------------------------------------------------------

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.bytes_in += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            rcvd = getattr(self.ws, "close_code", None)
            self.closed_code = rcvd if rcvd is not None else 1006
            self._stop_auto()
            self._finished.set()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind in ("new_session", "script_finished", "auto_rerun", "stop_auto_rerun"):
            frag = ",".join(msg.metadata.run.fragment_ids)[:6]
            self.trace.append((round(time.monotonic(), 2), kind, frag))
            del self.trace[:-40]
        if msg.HasField("ref_hash"):  # a message this tab said it holds
            cached = self.cache[msg.ref_hash]
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)  # where it goes this time
            msg = full
        elif msg.metadata.cacheable:
            self.cache[msg.hash] = msg
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            ns = msg.new_session
            self.session_id = ns.initialize.session_id or self.session_id
            self.page_hash = ns.page_script_hash or self.page_hash
            frags = list(msg.metadata.run.fragment_ids)  # none: a full run
            if not frags:  # a full run: the page is drawn again, its timers start again
                self._stop_auto()
            self.runs.append(Run(",".join(frags), time.monotonic()))
        elif kind == "delta":
            d = msg.delta
            if d.HasField("new_element"):
                el = d.new_element
                path = tuple(msg.metadata.delta_path)
                self.elements[path] = el
                self._drawn_in[path] = len(self.runs) - 1
                self._fragment[path] = d.fragment_id
                if el.WhichOneof("type") == "exception":
                    self.exceptions.append(f"{el.exception.type}: {el.exception.message}")
                if self.on_delta:
                    self.on_delta(self, msg, el)
        elif kind == "auto_rerun":
            self._start_auto(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                if task := self._auto.pop(fid, None):
                    task.cancel()
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash or self.page_hash
        elif kind == "script_finished":
            name = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if name != "FINISHED_EARLY_FOR_RERUN" and self.runs:
                run = self.runs[-1]
                run.finished, run.status = time.monotonic(), name
                if not run.fragment:  # what a full run did not draw is gone from the page
                    last = len(self.runs) - 1
                    for path in [p for p, i in self._drawn_in.items() if i < last]:
                        del self.elements[path], self._drawn_in[path], self._fragment[path]
                if self.on_run:
                    self.on_run(self, run)
                self._finished.set()

    def _start_auto(self, fragment: str, interval: float) -> None:
        """As the frontend's handleAutoRerun: a timer per fragment, set again when the interval
        changes (a server's nudge: ui/classroom.py), left alone when it is the same."""
        old = self._auto.get(fragment)
        if old is not None:
            if old.interval == interval:
                return
            old.cancel()

        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                if self.connected:
                    await self.rerun(fragment=fragment, auto=True)

        task = asyncio.create_task(tick())
        task.interval = interval
        self._auto[fragment] = task

    def _stop_auto(self) -> None:
        for task in self._auto.values():
            task.cancel()
        self._auto.clear()

    # -- what the tab shows ----------------------------------------------------------------------

    def widget_id(self, key: str, kind: str | None = None) -> str:
        """The id of the widget with Streamlit key `key` among the elements shown."""
        ids = []
        for el in self.elements.values():
            t = el.WhichOneof("type")
            if kind and t != kind:
                continue
            wid = getattr(getattr(el, t), "id", "") if t else ""
            if isinstance(wid, str) and wid.endswith(f"-{key}"):
                ids.append(wid)
        if len(set(ids)) != 1:
            raise LookupError(f"no single widget with key {key!r} ({ids})")
        return ids[0]

    def fragment_of(self, widget_id: str) -> str:
        """The fragment the widget was drawn in ("" for none): the browser names it in the rerun
        that an interaction with the widget asks for, and only that fragment reruns."""
        for path, el in self.elements.items():
            t = el.WhichOneof("type")
            if t and getattr(getattr(el, t), "id", None) == widget_id:
                return self._fragment[path]
        raise LookupError(f"no widget {widget_id!r} shown")

    async def click(self, widget_id: str) -> None:
        """A click on button `widget_id`, as the browser sends it (scoped to its fragment)."""
        await self.rerun([trigger(widget_id)], fragment=self.fragment_of(widget_id))

    def element(self, key: str, kind: str) -> Element:
        wid = self.widget_id(key, kind)
        return next(e for e in self.elements.values() if getattr(getattr(e, kind), "id", "") == wid)

    def latest(self, kind: str) -> Element | None:
        """The element of this type drawn last (a run in progress may still show stale ones)."""
        found = [(self._drawn_in[p], el) for p, el in self.elements.items()
                 if el.WhichOneof("type") == kind]  # fmt: skip
        return max(found, key=lambda f: f[0])[1] if found else None

    def texts(self) -> list[str]:
        out = []
        for el in self.elements.values():
            t = el.WhichOneof("type")
            if t in ("markdown", "alert"):
                out.append(getattr(el, t).body)
            elif t == "heading":
                out.append(el.heading.body)
            elif t == "progress":
                out.append(el.progress.text)
        return out

    def upstream(self) -> str | None:
        return self.upstreams[-1][1] if self.upstreams else None


def trigger(wid: str) -> WidgetState:
    """A button press (st.button's trigger)."""
    return WidgetState(id=wid, trigger_value=True)


def choice(radio: Element, index: int) -> WidgetState:
    """A radio's choice: the browser sends the option's label as shown (Streamlit >= 1.50)."""
    return WidgetState(id=radio.radio.id, string_value=radio.radio.options[index])
