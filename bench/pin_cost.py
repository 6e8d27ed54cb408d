"""What one pin costs the server: the Explorer's pin against the smallest Streamlit interaction,
side by side (issue 14's "server CPU per pinned click ≤ 5 ms").

Two `streamlit run` servers on loopback: app.py, and bench/minimal_fragment_app.py (a button in
a fragment, nothing else). One protocol session on each (tests/forge.py: the browser's websocket
messages, no browser). On the Explorer it pins z: the plane's trigger value with one click, as
assets/plane/plane.js sends it (the callback stores z and reruns the `decoder` fragment); on the
minimal app it presses the button, from inside its fragment. Each is timed from the message sent
to the fragment run's first element and to its `script_finished`; the two servers take turns,
`--pins` at a time, for `--rounds` rounds. Pins are `--gap` s apart: a session's clicks pass a
token bucket (vae_geom/ui/inbound.py), and a student does not pin four times a second for long.
Server CPU per pin is /proc's utime + stime over a round, minus the same server's idle CPU over
as long (measured after the pins): finer than a browser benchmark's 10-ms ticks over 20 clicks.

    PYTHONPATH=. .venv/bin/python -m bench.pin_cost --pins 40 --rounds 4

Prints a table and one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.plane_hover import stats
from tests.devserver import streamlit_server
from tests.forge import Session, cpu_s

MINIMAL = "bench/minimal_fragment_app.py"


def click(i: int) -> str:
    """One click at a z that differs each time (so the readout changes)."""
    value = {"x": round(0.3 + 0.001 * i, 4), "y": -0.5, "chart": "latent", "t": i}
    return json.dumps([{"event": "click", "value": value}])


async def pin(s: Session, send, i: int) -> tuple[float | None, float]:
    """One pin, `send(i)` (a click on the Explorer's plane, or the minimal app's press): ms to
    the fragment's first element (None if it drew none), ms to its script_finished."""
    t0 = time.perf_counter()
    await send(i)
    first = None
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(s.ws.recv(), 60))
        kind = msg.WhichOneof("type")
        if kind == "delta" and first is None:
            first = (time.perf_counter() - t0) * 1000
        if kind == "script_finished":
            name = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if name != "FINISHED_EARLY_FOR_RERUN":
                return first, (time.perf_counter() - t0) * 1000


async def press(s: Session, button: str, fragment: str) -> None:
    """The minimal app's button pressed, as the browser sends it from inside its fragment."""
    msg = BackMsg()
    msg.rerun_script.page_script_hash = s.page_hash
    msg.rerun_script.fragment_id = fragment
    msg.rerun_script.widget_states.widgets.append(WidgetState(id=button, trigger_value=True))
    await s.ws.send(msg.SerializeToString())


async def minimal_button(s: Session) -> tuple[str, str]:
    """The minimal app's first run: its button's widget id and fragment id."""
    msg = BackMsg()
    msg.rerun_script.widget_states.SetInParent()
    await s.ws.send(msg.SerializeToString())
    found = None
    while True:
        fwd = ForwardMsg()
        fwd.ParseFromString(await asyncio.wait_for(s.ws.recv(), 60))
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            s.page_hash = fwd.new_session.page_script_hash
        elif kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "button":
            found = (fwd.delta.new_element.button.id, fwd.delta.fragment_id)
        elif kind == "script_finished" and found:
            return found


async def opened(name: str, url) -> tuple[Session, object]:
    """A session on server `name` after its page's first run, and how it pins there."""
    s = Session(url, "/")
    await s.__aenter__()
    if name == "minimal":
        button, fragment = await minimal_button(s)
        return s, lambda i: press(s, button, fragment)
    await s.run()
    wid = s.trigger_id("latent")
    return s, lambda i: s.send({wid: click(i)})


async def measure(servers: dict, pins: int, rounds: int, gap: float) -> dict:
    sessions = {}
    for name, url in servers.items():
        s, send = await opened(name, url)
        sessions[name] = s, send
        for i in range(10):  # warm: the fragment and the decoder's first pins
            await pin(s, send, i)
            await asyncio.sleep(gap)
    out = {name: {"first": [], "finished": [], "cpu_wall": []} for name in servers}
    n = 100
    for _ in range(rounds):
        for name, url in servers.items():
            s, send = sessions[name]
            c0, t0 = cpu_s(url.pid), time.perf_counter()
            for _ in range(pins):
                first, finished = await pin(s, send, n)
                n += 1
                out[name]["first"].append(first)
                out[name]["finished"].append(finished)
                await asyncio.sleep(gap)
            out[name]["cpu_wall"].append((cpu_s(url.pid) - c0, time.perf_counter() - t0))
    for name, url in servers.items():  # the idle server over as long as one round took
        c0, t0 = cpu_s(url.pid), time.perf_counter()
        await asyncio.sleep(max(3.0, pins * gap))
        idle_per_s = (cpu_s(url.pid) - c0) / (time.perf_counter() - t0)
        out[name]["cpu_ms"] = [
            (cpu - idle_per_s * wall) / pins * 1000 for cpu, wall in out[name]["cpu_wall"]
        ]
        out[name]["idle_ms_per_s"] = idle_per_s * 1000
        await sessions[name][0].__aexit__(None, None, None)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pins", type=int, default=40, help="pins per server per round")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--gap", type=float, default=0.3, help="seconds between a session's pins")
    a = p.parse_args()
    with streamlit_server("app.py") as app, streamlit_server(MINIMAL) as minimal:
        servers = {"explorer": app, "minimal": minimal}
        out = asyncio.run(measure(servers, a.pins, a.rounds, a.gap))
    result = {
        name: {
            "to_first_element_ms": stats(r["first"]),
            "to_finished_ms": stats(r["finished"]),
            "cpu_ms_per_pin": [round(c, 2) for c in r["cpu_ms"]],
            "cpu_ms_per_pin_median": round(statistics.median(r["cpu_ms"]), 2),
            "idle_ms_per_s": round(r["idle_ms_per_s"], 2),
        }
        for name, r in out.items()
    }
    ratio = result["explorer"]["cpu_ms_per_pin_median"] / result["minimal"]["cpu_ms_per_pin_median"]
    print(f"{'server':10s} {'→ first element p50/p95':>26s} {'→ finished p50/p95':>22s} CPU/pin")
    for name, r in result.items():
        f, d = r["to_first_element_ms"], r["to_finished_ms"]
        print(
            f"{name:10s} {f['p50']:>14.1f} / {f['p95']:<9.1f} {d['p50']:>10.1f} / {d['p95']:<9.1f}"
            f" {r['cpu_ms_per_pin_median']:.2f} ms (rounds {r['cpu_ms_per_pin']})"
        )
    print(f"server CPU per pin, the Explorer's / the minimal interaction's: {ratio:.2f}×")
    print(json.dumps({"args": vars(a), "result": result, "cpu_ratio": round(ratio, 2)}))


if __name__ == "__main__":
    main()
