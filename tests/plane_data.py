"""The latent plane as a page sends it (vae_geom/ui/plane.py), read back out of an AppTest.

The plane is one `st.components.v2` component mounted twice: key K carries the payload's bytes
(vae_geom.payload.plane_payload), key f"{K}.state" carries a small JSON ({"plane", "z", "k", ...}).
`unpack` reads the bytes with struct, json, zlib and numpy alone, from the layout payload.py's
docstring describes, never through payload.py, so a test compares what the browser would receive
with an oracle computed here (torch's encoder, the dataset's arrays).

AppTest cannot click a canvas; `click` sends what the plane's script sends on a click: one
"click" event {x, y, chart, t} in the component's trigger value, through the same door a
websocket message takes (SessionState.on_script_will_rerun, bounded by vae_geom.ui.inbound).
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests.forge import TRIGGER_ID, click_event
from vae_geom.ui import plane as ui_plane

FORMAT = "vae-geom-payload/1"
DTYPES = {"float16": "<f2", "float32": "<f4", "uint8": "u1", "int16": "<i2"}
ALIGN = 8


@dataclass
class Plane:
    """One plane as sent: the payload's header and meta, its arrays, and the state mount's JSON."""

    header: dict
    arrays: dict[str, np.ndarray]
    state: dict
    nbytes: int

    @property
    def meta(self) -> dict:
        return self.header["meta"]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]


def unpack(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and every array of a payload (uint32 LE header length, JSON header padded with
    spaces, then 8-aligned little-endian arrays; "deflate" arrays are zlib bytes of "nbytes",
    their values split into byte planes if "shuffle" says so)."""
    (n,) = struct.unpack_from("<I", blob, 0)
    header = json.loads(blob[4 : 4 + n].decode("utf-8"))
    assert header["format"] == FORMAT, header.get("format")
    arrays: dict[str, np.ndarray] = {}
    end = 4 + n
    for entry in sorted(header["arrays"], key=lambda e: e["offset"]):
        offset = entry["offset"]
        assert offset % ALIGN == 0 and offset >= end, (entry, end)  # aligned, never overlapping
        dtype = np.dtype(DTYPES[entry.get("dtype", header["dtype"])])
        shape = [int(s) for s in entry["shape"]]
        size = int(np.prod(shape)) * dtype.itemsize
        if entry.get("encoding") == "deflate":
            raw = zlib.decompress(blob[offset : offset + entry["nbytes"]])
            assert len(raw) == size, (entry["name"], len(raw), size)
            if width := entry.get("shuffle"):  # `width` byte planes: byte b of value i at b*n + i
                assert width == dtype.itemsize, entry
                raw = np.frombuffer(raw, np.uint8).reshape(width, -1).T.tobytes()
            end = offset + entry["nbytes"]
        else:
            assert entry.get("encoding") is None, entry
            raw = blob[offset : offset + size]
            end = offset + size
        assert end <= len(blob), (entry["name"], end, len(blob))
        arrays[entry["name"]] = np.frombuffer(raw, dtype).reshape(shape)
    return header, arrays


def components(at: AppTest, key: str) -> list:
    """Every mount of the plane component whose Streamlit key is `key` in the last run."""
    return [e for e in at.get("bidi_component") if e.key == key]


def component(at: AppTest, key: str):
    found = components(at, key)
    keys = [e.key for e in at.get("bidi_component")]
    assert len(found) == 1, f"{len(found)} components with key {key!r} among {keys}"
    return found[0]


def _header(blob: bytes) -> dict:
    (n,) = struct.unpack_from("<I", blob, 0)
    return json.loads(blob[4 : 4 + n])


_whole: dict[str, bytes] = {}  # payload id -> the bytes a run sent whole, as a browser keeps them


def _recording(to_send):
    """vae_geom.ui.plane._to_send, remembering each payload it sends whole (AppTest keeps the
    last run's messages only, and later runs send the stub)."""

    def wrapped(key: str, blob: bytes) -> bytes:
        out = to_send(key, blob)
        if out is blob:
            _whole[_header(blob)["meta"]["id"]] = blob
            while len(_whole) > 64:
                del _whole[next(iter(_whole))]
        return out

    wrapped.recording = True
    return wrapped


if not getattr(ui_plane._to_send, "recording", False):
    ui_plane._to_send = _recording(ui_plane._to_send)


def payload_bytes(at: AppTest, key: str = "latent") -> bytes:
    """The payload the page holds for plane `key` after the last run: the bytes it was sent, or,
    where it was sent a stub (vae_geom/ui/plane.py), the bytes an earlier run of the page sent
    whole, as plane.js keeps them."""
    data = component(at, key).proto
    assert data.component_name == "vae_geom.plane" and data.WhichOneof("data") == "bytes"
    blob = data.bytes
    head = _header(blob)
    if not head.get("stub"):
        return blob
    assert not head["arrays"] and len(blob) < 8_192, "a stub carries the header alone"
    assert head["meta"]["id"] in _whole, f"a stub of a payload never sent whole: {head['meta']}"
    return _whole[head["meta"]["id"]]


def plane(at: AppTest, key: str = "latent") -> Plane:
    """The plane `key` as the page holds it after the last run: its payload's bytes, unpacked,
    and its state mount."""
    blob = payload_bytes(at, key)
    header, arrays = unpack(blob)
    state = component(at, f"{key}.state").proto
    assert state.component_name == "vae_geom.plane_state" and state.WhichOneof("data") == "json"
    return Plane(header, arrays, json.loads(state.json), len(blob))


def state(at: AppTest, key: str = "latent") -> dict:
    """The state mount's JSON alone (z, k, ...)."""
    return json.loads(component(at, f"{key}.state").proto.json)


WEIGHT_MANTISSA_BITS = 15  # of float32's 23: what vae_geom.payload sends of a decoder's weights


def sent(weights: np.ndarray, bits: int = WEIGHT_MANTISSA_BITS) -> np.ndarray:
    """A float32 array as the payload carries it: rounded to `bits` mantissa bits, nearest, ties
    away from zero. By frexp's significand in [0.5, 1) (1 + bits significant bits), not by the
    bit masks payload.py uses."""
    m, e = np.frexp(np.asarray(weights, dtype=np.float64))
    scale = 2.0 ** (bits + 1)
    return np.ldexp(np.sign(m) * np.floor(np.abs(m) * scale + 0.5) / scale, e).astype(np.float32)


def decode(arrays: dict[str, np.ndarray], z) -> np.ndarray:
    """What the browser's decode.js computes from the payload's weights: Linear layers W x + b,
    ReLU between them, the sigmoid at the end (float64 here)."""
    h = np.atleast_2d(np.asarray(z, dtype=np.float64))
    n = sum(1 for name in arrays if name.startswith("W") and name[1:].isdigit())
    for i in range(n):
        h = h @ arrays[f"W{i}"].astype(np.float64).T + arrays[f"b{i}"].astype(np.float64)
        h = np.maximum(h, 0) if i < n - 1 else 1 / (1 + np.exp(-h))
    return h


def click(at: AppTest, x, y, key: str = "latent", t: int = 1, events: list | None = None):
    """A click on plane `key` as its script sends one: the trigger value [{"event": "click",
    "value": {x, y, chart, t}}] with the page's other widget values; `events` replaces the list
    (a forged message). Runs the app. The plane stays in the browser after a fragment run that
    did not re-send it, so its id is remembered from the run that last did."""
    ids = at.__dict__.setdefault("_plane_ids", {})
    if mounted := components(at, key):
        ids[key] = mounted[0].proto.id
    if events is None:
        event = click_event(x, y, t)
        event["value"]["chart"] = key
        events = [event]
    states = at._tree.get_widget_states()  # what the browser sends with any rerun
    trigger = TRIGGER_ID.format(element_id=ids[key])
    states.widgets.append(WidgetState(id=trigger, json_trigger_value=json.dumps(events)))
    return at._run(states)


def fallback(at: AppTest, key: str = "latent"):
    """The container under the plane that a browser without the plane's script shows."""
    return at.get_by_key(f"{key}-fallback")


def fallback_or_none(at: AppTest, key: str = "latent"):
    blocks = [b for b in at.get("container") if b.key == f"{key}-fallback"]
    assert len(blocks) <= 1
    return blocks[0] if blocks else None


def page_warnings(at: AppTest) -> list:
    """The page's warnings but the fallback's own (AppTest runs no script, so it never hides)."""
    hidden = {
        id(node)
        for block in at.get("container")
        if (block.key or "").endswith("-fallback")
        for node in block
    }
    return [w for w in at.warning if id(w) not in hidden]
