"""The process's heap, frozen once the app is loaded, so that Python's full collections skip it.

Python's collector walks every object it tracks on a full (generation 2) collection, and a
process that has imported torch, numpy, plotly and Streamlit holds millions of them that live as
long as it does. On the class benchmark (bench/class_load.py) such a collection took 100-430 ms,
several times a minute, at any moment, the GIL held throughout: every session of the process
stood still, a class's catch-ups with the teacher among them. After `gc.freeze()` those objects
sit in a permanent generation that no collection walks; the largest full collection during a
class then took 67 ms (BENCHMARKS.md, 2026-12-02 (4)). Objects made later (caches, sessions) are
collected as before, and nothing that was garbage at the freeze is kept: a collection runs first.
"""

from __future__ import annotations

import gc
import threading

_frozen = False
_lock = threading.Lock()


def freeze_once() -> bool:
    """Collect, then freeze what is left, the first time in this process; True that time."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        _frozen = True
    gc.collect()
    gc.freeze()
    return True
