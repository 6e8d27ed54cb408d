"""Forged websocket messages (issue 12): one student can neither slow nor break the server.

The websocket needs no XSRF token, so a script can send what no browser would: here the latent
plane's "click" trigger value (vae_geom/ui/plane.py, key "latent" on the Explorer) carrying
thousands of click events in one message. Streamlit runs the click callback once per event; before
the fix each call re-read all of them, and one message of 10,000 events cost 10-23 s of server CPU.
The AppTests below send such messages through the same door (SessionState.on_script_will_rerun,
tests/plane_data.click) and count the reads; the browser-marked tests drive a real `streamlit run`
through Streamlit's own websocket protocol (tests/forge.py) and measure the server's CPU time.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from tests import plane_data
from tests.apptest import run_page
from tests.devserver import streamlit_server
from tests.forge import Session, click_event, clicks_within, cpu_s, forged_clicks, state_of_size
from vae_geom.geometry import GeometryError
from vae_geom.ui import decoded, inbound

PLANE = "latent"  # app.py: ui.latent_plane("latent", ..., z_key="explorer.z"): its click trigger
APP = "app.py"
READOUT = re.compile(r"\*\*z = \(([+-]\d+\.\d+), ([+-]\d+\.\d+)\)\*\*")
# Server CPU for one forged message, whatever it holds: a rerun of the Explorer costs ~0.1-0.3 s
# on the 2-core machine; before the fix 10,000 events cost 10-23 s.
CPU_CAP_S = 1.5


# --- the bound itself, without a server -------------------------------------------------------


def states(*values: str) -> WidgetStates:
    out = WidgetStates()
    for i, v in enumerate(values):
        out.widgets.append(WidgetState(id=f"w{i}", json_trigger_value=v))
    out.widgets.append(WidgetState(id="slider", double_value=0.5))
    return out


def test_a_trigger_value_of_one_click_passes_as_sent():
    sent = states(json.dumps([click_event()]))
    assert inbound.bounded(sent) is sent
    assert inbound.bounded(None) is None


def test_a_trigger_value_of_thousands_of_clicks_is_dropped_and_the_rest_kept():
    sent = states(json.dumps([click_event()]), forged_clicks(1_000))
    kept = inbound.bounded(sent)
    assert [w.id for w in kept.widgets] == ["w0", "slider"]
    assert len(forged_clicks(10)) < inbound.MAX_TRIGGER_BYTES  # a few batched clicks still pass


def test_a_big_value_of_any_widget_is_dropped():
    sent = states(json.dumps([click_event()]))
    sent.widgets.append(WidgetState(id="state", json_value=state_of_size(100_000)))
    sent.widgets.append(WidgetState(id="name", string_value="x" * 100_000))
    assert [w.id for w in inbound.bounded(sent).widgets] == ["w0", "slider"]


def test_a_message_naming_more_widgets_than_any_page_has_is_ignored():
    sent = WidgetStates()
    for i in range(inbound.MAX_WIDGETS + 1):
        sent.widgets.append(WidgetState(id=f"made-up-{i}", bool_value=True))
    assert len(inbound.bounded(sent).widgets) == 0
    del sent.widgets[-1]
    assert inbound.bounded(sent) is sent


def test_install_wraps_streamlit_once():
    from streamlit.runtime.state.session_state import SessionState

    inbound.install()
    wrapped = SessionState.on_script_will_rerun
    inbound.install()
    assert SessionState.on_script_will_rerun is wrapped
    assert wrapped.vae_geom_bounded


@pytest.mark.parametrize(
    "event, z",
    [({"x": 0.5, "y": -1.25, "chart": "latent", "t": 1}, (0.5, -1.25)), ({"x": 1, "y": 0}, (1, 0))],
)
def test_a_click_event_gives_its_z(event, z):
    assert decoded._click_z(event) == z


@pytest.mark.parametrize(
    "event",
    [
        "x" * 100_000,
        {"x": "1", "y": 2},
        {"x": True, "y": 0.0},
        {"x": [0.1] * 10_000, "y": 0.0},
        {"y": 1.0},
        None,
        {"x": 1e6, "y": 0.0},  # outside the plane
        {"x": float("nan"), "y": 0.0},
    ],
)
def test_a_bad_click_event_is_refused_with_a_short_message(event):
    with pytest.raises(GeometryError) as e:
        decoded._click_z(event)
    assert len(str(e.value)) < 120


def test_the_excerpt_of_a_bad_value_is_short_and_literal_markdown():
    shown = decoded._excerpt("![x](http://host/t.png) **bold** " + "a" * 10_000)
    assert len(shown.replace("\\", "").replace("\u2060", "")) <= decoded.CLICK_ECHO_MAX
    assert "](" not in shown and "**" not in shown  # every punctuation mark is escaped
    assert "\\!\\[x\\]\\(http" in shown  # ui/literal.py: shown as typed
    assert "\n" not in decoded._excerpt("line\nbreak")


# --- the Explorer's plane, in process (AppTest): what one message makes the server read --------


@pytest.fixture
def explorer(monkeypatch):
    """The Explorer after a first run, and every click event its callback reads (decoded._click_z
    is where one event's x and y are read)."""
    import pathlib

    at = run_page(str(pathlib.Path(__file__).parents[1] / APP))
    reads = []
    read_one = decoded._click_z
    monkeypatch.setattr(decoded, "_click_z", lambda event: reads.append(event) or read_one(event))
    return at, reads


def _zs(n: int) -> list[dict]:
    return [click_event(i / 10, -i / 10, t=i) for i in range(1, n + 1)]


def test_one_message_of_batched_clicks_reads_only_the_latest(explorer):
    at, reads = explorer
    events = _zs(12)
    assert len(json.dumps(events)) < inbound.MAX_TRIGGER_BYTES  # under the bound: applied
    plane_data.click(at, 0, 0, events=events)
    assert not at.exception
    assert len(reads) == 1  # 12 callback calls, one read (issue 12): not one per event
    assert at.session_state["explorer.z"] == (1.2, -1.2)  # the latest click counts
    assert "**z = (+1.20, -1.20)**" in "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize(
    "trigger",
    [forged_clicks(1_000), clicks_within(inbound.MAX_TRIGGER_BYTES + 500)],
    ids=["1,000 clicks", "minimal events just over the bound"],
)
def test_a_message_over_the_bound_is_dropped_unread(explorer, trigger):
    at, reads = explorer
    plane_data.click(at, 0, 0, events=json.loads(trigger))
    assert not at.exception and not at.error
    assert reads == [] and at.session_state.get("explorer.z") is None  # nothing read, no pin
    plane_data.click(at, 0.5, -1.25)  # the session goes on: the next real click pins z
    assert at.session_state["explorer.z"] == (0.5, -1.25) and len(reads) == 1


def test_a_trigger_on_the_state_mount_pins_nothing(explorer):
    """Only the payload's mount (key "latent") has a click callback; its state mount has none."""
    at, reads = explorer
    plane_data.click(at, 0.5, -1.25, key=f"{PLANE}.state")
    assert not at.exception and reads == []
    assert at.session_state.get("explorer.z") is None


# --- a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def run(coro):
    return asyncio.run(coro)


async def open_explorer(url) -> tuple[Session, str]:
    s = Session(url)
    await s.__aenter__()
    assert await s.run() == "FINISHED_SUCCESSFULLY"
    return s, s.trigger_id(PLANE)


def shown_z(s: Session) -> tuple[float, float] | None:
    found = [m for t in s.texts if (m := READOUT.search(t))]
    return (float(found[-1][1]), float(found[-1][2])) if found else None


async def forged_cost(url, n: int) -> tuple[float, str, Session]:
    """Server CPU seconds spent on one message carrying n click events, its outcome, the session."""
    s, wid = await open_explorer(url)
    await asyncio.sleep(0.5)  # the first run's tail (media, caches) is not the message's cost
    c0 = cpu_s(url.pid)
    status = await s.run({wid: forged_clicks(n, 0.5, -1.25)}, timeout=60)
    await asyncio.sleep(0.3)
    await s.__aexit__()
    return cpu_s(url.pid) - c0, status, s


@pytest.mark.browser
def test_one_message_of_10000_clicks_costs_the_server_about_one_rerun(server):
    """Before the fix: 10,000 events cost 23 s of server CPU here (1,000: 0.3 s), N squared."""
    run(forged_cost(server, 1))  # a first click loads what every later click uses: not measured
    cost = {n: run(forged_cost(server, n)) for n in (1_000, 10_000)}
    print({n: f"{cpu:.2f} s server CPU" for n, (cpu, _, _) in cost.items()})
    for n, (cpu, status, s) in cost.items():
        assert status != "closed" and not s.exceptions, (n, status, s.exceptions)
        assert cpu < CPU_CAP_S, f"{n:,} events cost {cpu:.2f} s of server CPU"
    small, big = cost[1_000][0], cost[10_000][0]
    assert big < 3 * small + 0.3, f"not bounded: 1,000 events {small:.2f} s, 10,000 {big:.2f} s"


@pytest.mark.browser
def test_a_message_over_one_megabyte_closes_only_its_own_socket(server):
    async def go():
        s, wid = await open_explorer(server)
        status = await s.run({wid: forged_clicks(60_000)}, timeout=30)  # ~4.5 MB
        assert status == "closed" and s.closed == 1009  # Message Too Big, never parsed
        other, _ = await open_explorer(server)  # the server serves everyone else
        await other.__aexit__()

    run(go())


@pytest.mark.browser
def test_normal_clicks_still_decode_each_in_a_fragment_run(server):
    async def go():
        s, wid = await open_explorer(server)
        for z in [(0.5, -1.25), (-2.0, 1.5)]:
            status = await s.run({wid: json.dumps([click_event(*z, t=int(time.time()))])})
            assert status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"  # the figure is not re-sent
            assert shown_z(s) == z
        # a few batched clicks (under the bound): the latest one counts, still a fragment run
        clicks = [click_event(0.1 * i, -0.1 * i, t=i) for i in range(1, 6)]
        assert await s.run({wid: json.dumps(clicks)}) == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"
        assert shown_z(s) == (0.5, -0.5)
        assert not s.exceptions
        await s.__aexit__()

    run(go())


def test_a_refused_click_says_so_at_once_and_only_once(explorer):
    at, _ = explorer
    bad = {"x": "oops", "y": 0, "chart": PLANE, "t": 1}
    plane_data.click(at, 0, 0, events=[{"event": "click", "value": bad}])
    assert not at.exception and at.session_state.get("explorer.z") is None
    refused = [w.value for w in at.warning if w.value.startswith("That click could not be read")]
    plane_data.click(at, 0.5, -1.25, t=2)  # then a good click: its panel, no stale warning
    assert at.session_state["explorer.z"] == (0.5, -1.25)
    stale = [w.value for w in at.warning if w.value.startswith("That click could not be read")]
    assert (len(refused), stale) == (1, [])


@pytest.mark.browser
def test_a_forged_click_is_refused_quietly_and_echoed_short(server):
    async def go():
        s, wid = await open_explorer(server)
        bad = [
            {"event": "click", "value": {"x": "![x](http://host/t.png)" + "a" * 1500, "y": 0}}
        ]  # under the bound
        await s.run({wid: json.dumps(bad)})
        warning = [t for t in s.texts if t.startswith("That click could not be read")]
        assert warning and len(warning[-1]) < 160, warning
        assert "](" not in warning[-1]  # Markdown shows it literally: no image is fetched
        await s.__aexit__()

    run(go())


@pytest.mark.browser
def test_a_forged_click_after_a_pin_is_refused_and_echoed_short(server):
    async def go():
        s, wid = await open_explorer(server)
        await s.run({wid: json.dumps([click_event(0.5, -1.25, t=1)])})
        bad = [
            {"event": "click", "value": {"x": "![x](http://host/t.png)" + "a" * 1500, "y": 0}}
        ]  # under the bound
        await s.run({wid: json.dumps(bad)})
        warning = [t for t in s.texts if t.startswith("That click could not be read")]
        assert warning and len(warning[-1]) < 160, warning
        assert "](" not in warning[-1]  # Markdown shows it literally: no image is fetched
        assert shown_z(s) == (0.5, -1.25)  # the pinned z stays
        assert not s.exceptions, s.exceptions
        await s.__aexit__()

    run(go())


@pytest.mark.browser
def test_a_click_without_the_components_state_does_nothing(server):
    async def go():
        s, wid = await open_explorer(server)
        # a click trigger without the component's state (the page hash of a first visit): the
        # callback used to raise KeyError; now nothing happens
        s.page_hash = ""
        await s.run({wid: json.dumps([click_event()])})
        assert not s.exceptions, s.exceptions
        await s.__aexit__()

    run(go())
    assert not [line for line in server.log if "Traceback" in line or "KeyError" in line]


def test_a_session_interacts_at_most_rate_times_a_second_after_its_burst():
    slept = []
    waits = [inbound.wait_for_turn("s1", now=100.0, sleep=slept.append) for _ in range(10)]
    assert waits[: inbound.BURST] == [0.0] * inbound.BURST  # a student's clicks: never delayed
    gaps = [b - a for a, b in zip(waits[inbound.BURST :], waits[inbound.BURST + 1 :], strict=False)]
    assert all(abs(g - 1 / inbound.RATE) < 1e-9 for g in gaps)  # then one every 1/RATE s
    assert inbound.wait_for_turn("s2", now=100.0, sleep=slept.append) == 0.0  # per session
    # after a pause the budget is back
    assert inbound.wait_for_turn("s1", now=200.0, sleep=slept.append) == 0.0


def test_a_clients_clear_cache_message_clears_nothing():
    """Streamlit clears every session's caches when any client asks; a student must not."""
    import streamlit as st
    from streamlit.runtime.app_session import AppSession

    calls = []

    @st.cache_data
    def cached(x: int) -> int:
        calls.append(x)
        return x

    inbound.install()
    cached(1)
    AppSession._handle_clear_cache_request(None)  # what a clear_cache BackMsg runs
    cached(1)
    assert calls == [1]


@pytest.mark.browser
def test_a_forged_clear_cache_is_refused_and_logged(server):
    from streamlit.proto.BackMsg_pb2 import BackMsg

    async def go():
        s, _ = await open_explorer(server)
        msg = BackMsg()
        msg.clear_cache = True
        await s.ws.send(msg.SerializeToString())
        assert await s.run() == "FINISHED_SUCCESSFULLY"  # the socket still serves its student
        await s.__aexit__()

    run(go())
    assert any("Refused a client's clear_cache" in line for line in server.log)
