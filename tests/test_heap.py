"""vae_geom/ui/heap.py: the first page run freezes the heap once, after collecting its garbage.

In a fresh interpreter (the test process's own heap is shared by every test): garbage made before
the freeze is collected, not frozen; the objects alive then are frozen; a second call does
nothing; and a real page run (AppTest) is what calls it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import gc, weakref
from vae_geom.ui import heap

class Node: pass

def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)

gc.disable()  # only the freeze's own collection may collect the cycle
garbage = cycle()
kept = Node()
assert garbage() is not None and gc.get_freeze_count() == 0
assert heap.freeze_once() is True
assert garbage() is None, "the garbage was frozen, not collected"
frozen = gc.get_freeze_count()
assert frozen > 1000, frozen  # the app's imports: streamlit, numpy...
assert gc.is_tracked(kept) and heap.freeze_once() is False and gc.get_freeze_count() == frozen
print("ok", frozen)
"""

PAGE = r"""
import gc
from streamlit.testing.v1 import AppTest
assert gc.get_freeze_count() == 0
at = AppTest.from_file("app.py", default_timeout=120).run()
assert not at.exception, at.exception
print("ok", gc.get_freeze_count())
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_the_freeze_collects_first_then_freezes_once():
    assert _run(PROBE).startswith("ok")


def test_a_page_run_freezes_the_heap():
    said = _run(PAGE).split()
    assert said[0] == "ok" and int(said[1]) > 100_000  # torch and plotly among them
