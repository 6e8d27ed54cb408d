"""The plane's payload hashed once, not twice a run: Streamlit's content hash, remembered.

A run that sends a latent plane's payload whole (a session's first run with it: later ones send
its stub, ui/plane.py) hands its component ≈ 1.3 MB of bytes, and Streamlit hashed them twice
with BLAKE2b, ≈ 2.9 ms each on this project's machine (bench/big_hashes.py): once for the
component's identity (which it then ignores, since the plane has a key: `key_as_main_identity`),
once for the message's hash (the key of the browser's message cache, `populate_hash_if_needed`).
The same bytes come to every session that opens the plane: a class's students all do.

`install` wraps `streamlit.util.calc_hash` where those two call it: an input of at least
MIN_BYTES that equals one of the last KEPT such inputs (compared byte for byte, ≈ 0.1 ms)
returns that input's hash; any other input is hashed as before and remembered. So every hash is
exactly the one Streamlit computes (tests/test_big_hashes.py checks it against the original).
The inputs kept hold at most KEPT_BYTES of memory (≈ 10 MB with the shipped planes).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit.util
from streamlit.components.v2.bidi_component import main as bidi_main
from streamlit.runtime import forward_msg_cache

MIN_BYTES = 256 * 1024  # smaller inputs hash in well under 1 ms: not worth keeping
KEPT = 8  # a few planes' payloads and their messages...
KEPT_BYTES = 16 * 1024 * 1024  # ... in at most this much (Train your own's planes reach 5 MB)

_original = streamlit.util.calc_hash
_kept: OrderedDict[str, bytes | str] = OrderedDict()  # hash -> the input it came from, newest last
_lock = threading.Lock()


def calc_hash(s: bytes | str) -> str:
    """streamlit.util.calc_hash, remembering the hashes of big inputs."""
    if len(s) < MIN_BYTES:
        return _original(s)
    with _lock:
        for digest, seen in reversed(_kept.items()):
            if type(seen) is type(s) and len(seen) == len(s) and seen == s:
                _kept.move_to_end(digest)
                return digest
    digest = _original(s)
    if len(s) > KEPT_BYTES // 2:  # would push out all the others
        return digest
    with _lock:
        _kept[digest] = s
        _kept.move_to_end(digest)
        while len(_kept) > KEPT or sum(len(v) for v in _kept.values()) > KEPT_BYTES:
            _kept.popitem(last=False)
    return digest


def install() -> None:
    """Use `calc_hash` for the component identity and the message hash (once per process)."""
    if bidi_main.calc_hash is not calc_hash:
        bidi_main.calc_hash = calc_hash
    if forward_msg_cache.util.calc_hash is not calc_hash:
        forward_msg_cache.util.calc_hash = calc_hash


def uninstall() -> None:
    """Streamlit's own hashing back (bench/big_hashes.py measures a run without)."""
    bidi_main.calc_hash = _original
    forward_msg_cache.util.calc_hash = _original
