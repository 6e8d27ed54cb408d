"""vae_geom/ui/big_hashes.py: a remembered hash is always the hash Streamlit computes.

The oracle is Streamlit's own `calc_hash`, kept by the module as `_original` before it wraps it.
"""

from __future__ import annotations

import os

import pytest
from streamlit.components.v2.bidi_component import main as bidi_main
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import forward_msg_cache

from vae_geom.ui import big_hashes

BIG = big_hashes.MIN_BYTES


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(big_hashes, "_kept", type(big_hashes._kept)())


def test_a_big_input_hashes_as_streamlit_hashes_it_first_time_and_after():
    blob = os.urandom(BIG + 10)
    first = big_hashes.calc_hash(blob)
    again = big_hashes.calc_hash(bytes(bytearray(blob)))  # equal content, another object
    assert first == again == big_hashes._original(blob)
    assert len(big_hashes._kept) == 1


def test_a_changed_byte_is_another_hash():
    blob = bytearray(os.urandom(BIG))
    first = big_hashes.calc_hash(bytes(blob))
    blob[BIG // 2] ^= 1
    second = big_hashes.calc_hash(bytes(blob))
    assert second != first and second == big_hashes._original(bytes(blob))


def test_text_and_its_bytes_are_hashed_alike_and_kept_apart():
    text = "é" * BIG
    assert big_hashes.calc_hash(text) == big_hashes._original(text)
    raw = text.encode()
    assert big_hashes.calc_hash(raw) == big_hashes._original(raw)  # Streamlit: the same digest
    assert big_hashes.calc_hash(text) == big_hashes._original(text)


def test_small_inputs_are_not_kept():
    small = os.urandom(100)
    assert big_hashes.calc_hash(small) == big_hashes._original(small)
    assert not big_hashes._kept


def test_at_most_kept_inputs_are_held():
    blobs = [os.urandom(BIG) for _ in range(big_hashes.KEPT + 3)]
    for b in blobs:
        big_hashes.calc_hash(b)
    assert len(big_hashes._kept) == big_hashes.KEPT
    for b in blobs:  # the forgotten ones are hashed again, still right
        assert big_hashes.calc_hash(b) == big_hashes._original(b)


def test_install_serves_the_component_identity_and_the_message_hash(monkeypatch):
    monkeypatch.setattr(bidi_main, "calc_hash", big_hashes._original)
    monkeypatch.setattr(forward_msg_cache.util, "calc_hash", big_hashes._original)
    big_hashes.install()
    big_hashes.install()  # twice is once
    assert bidi_main.calc_hash is big_hashes.calc_hash
    assert forward_msg_cache.util.calc_hash is big_hashes.calc_hash
    msg = ForwardMsg()
    msg.delta.new_element.bidi_component.bytes = os.urandom(BIG * 2)
    twin = ForwardMsg()
    twin.CopyFrom(msg)
    forward_msg_cache.populate_hash_if_needed(msg)  # remembered, then found again
    forward_msg_cache.populate_hash_if_needed(twin)
    assert msg.hash == twin.hash and len(big_hashes._kept) == 1
    plain = ForwardMsg()  # the oracle: Streamlit's hash of the message, as it computes it
    plain.CopyFrom(msg)
    plain.hash = ""
    plain.ClearField("metadata")
    assert msg.hash == big_hashes._original(plain.SerializeToString(deterministic=True))


def test_the_inputs_kept_fit_in_kept_bytes(monkeypatch):
    monkeypatch.setattr(big_hashes, "KEPT_BYTES", 4 * BIG)
    blobs = [os.urandom(BIG + i) for i in range(6)]
    for b in blobs:
        big_hashes.calc_hash(b)
    assert sum(len(v) for v in big_hashes._kept.values()) <= 4 * BIG
    assert list(big_hashes._kept.values())[-1] == blobs[-1]  # the newest stays
    huge = os.urandom(3 * BIG)  # over half the budget: hashed, not kept
    assert big_hashes.calc_hash(huge) == big_hashes._original(huge)
    assert huge not in big_hashes._kept.values()
