"""What remembering the plane payload's hashes saves a run (vae_geom/ui/big_hashes.py).

Each variant runs in a process of its own, the two taking turns `--rounds` times: AppTest draws
a page `--runs` times after 4 warm-up runs, and the CPU time of each run (the process's, so the
script's thread and AppTest's own) is taken with time.process_time. "off" is Streamlit as it
comes: it hashes the ≈ 1.3 MB payload twice a run; "on" is the app (ui/plane.py installs
big_hashes). Pages: the
Lesson at step 3 (a plane, as a class's follower draws it) and the Explorer (app.py).

    PYTHONPATH=. .venv/bin/python -m bench.big_hashes --rounds 5

Also: how long one hash of 1.3 MB takes here, and one byte-for-byte comparison. Prints a table
and one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"lesson step 3": ("pages/0_Lesson.py", {"step": "3"}), "explorer": ("app.py", {})}


def one(variant: str, page: str, runs: int) -> float:
    """In this process: the median CPU ms of a run of `page`."""
    from streamlit.testing.v1 import AppTest

    from vae_geom.ui import big_hashes  # the package imports ui/plane.py, which installs it

    if variant == "off":
        big_hashes.uninstall()
    path, query = PAGES[page]
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.query_params.update(query)
    for _ in range(4):
        at.run()
    cpu = []
    for _ in range(runs):
        t0 = time.process_time()
        at.run()
        cpu.append(1e3 * (time.process_time() - t0))
    assert not at.exception, at.exception
    return statistics.median(cpu)


def primitives() -> dict:
    from streamlit.util import calc_hash

    blob, twin = os.urandom(1_300_000), None
    twin = bytes(bytearray(blob))
    n = 50
    return {
        "hash_1_3_mb_ms": round(1e3 * timeit.timeit(lambda: calc_hash(blob), number=n) / n, 2),
        "compare_1_3_mb_ms": round(1e3 * timeit.timeit(lambda: blob == twin, number=n) / n, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # variant, page: a child process
    args = p.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.runs)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    got: dict[str, dict[str, list[float]]] = {page: {"off": [], "on": []} for page in PAGES}
    for _ in range(args.rounds):
        for page in PAGES:
            for variant in ("off", "on"):
                out = subprocess.run(
                    [sys.executable, "-m", "bench.big_hashes", "--runs", str(args.runs),
                     "--one", variant, page],
                    cwd=ROOT, env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                got[page][variant].append(float(out.stdout.strip().splitlines()[-1]))
    report = {"primitives": primitives(), "rounds": args.rounds, "runs": args.runs, "pages": {}}
    print(f"median CPU ms per run ({args.rounds} rounds of {args.runs} runs, off/on in turn)")
    for page, v in got.items():
        off, on = statistics.median(v["off"]), statistics.median(v["on"])
        saved = [a - b for a, b in zip(v["off"], v["on"], strict=True)]
        report["pages"][page] = {"off": v["off"], "on": v["on"], "saved_ms_per_round": saved}
        lo, hi, mid = min(saved), max(saved), statistics.median(saved)
        print(f"  {page:14s} off {off:5.1f}  on {on:5.1f}  saved per round "
              f"{lo:.1f}-{hi:.1f} ms (median {mid:.1f})")  # fmt: skip
    print(f"  one hash of 1.3 MB {report['primitives']['hash_1_3_mb_ms']} ms, one comparison "
          f"{report['primitives']['compare_1_3_mb_ms']} ms")  # fmt: skip
    print(json.dumps(report))


if __name__ == "__main__":
    main()
