"""Load (issue 16): a class of 40 through nginx and two app processes, one of them killed.

Marked `class_load`: the default run skips it and CI runs it in its own step
(`pytest -m class_load`): `bench/class_load.py --short`, the teacher, 40 protocol students and 2
Chromium tabs following three steps and answering each, the process without the teacher killed
at the middle step. It fails on any error, any answer lost or counted twice, any session that
crossed processes, and if the killed process's students did not all rejoin on the other. The
latency target (p95 <= 1 s) is printed, and in BENCHMARKS.md for a full run, not enforced here:
CI machines are shared.
"""

from __future__ import annotations

import pytest

from bench import class_load


@pytest.mark.class_load
def test_a_class_follows_answers_and_survives_losing_a_process():
    args = class_load.parse(["--short"])
    r = class_load.run(args)
    print("\n" + class_load.summary(r))
    assert r["errors_total"] == 0, r["error_samples"]
    assert r["http_errors"] == {}
    assert r["crossed"] == 0, r["crossed_samples"]
    # every student and browser answered every step, counted once, with the choice it sent
    for step, a in r["answers"].items():
        assert a["counted"] == a["expected"] == args.students + args.browsers, (step, a)
        assert a["same_choices"], (step, a)
    # the killed process's students (and only they) reconnected, to the survivor, and rejoined
    assert r["failed_over"] > 0 and r["reconnected"] == r["failed_over"]
    assert r["rejoin_ms"]["n"] >= r["failed_over"]
    assert r["script_alive_after_kill"]
    # every student's every step is timed once: from the Next, or (the killed process's students
    # at the kill step, when the kill comes 0.1 s after the Next) as a rejoin instead
    rejoined_instead = r["failed_over"] if args.kill_at == "next" else 0
    assert (
        r["latency_ms"]["n"]
        == sum(r["students_per_process"].values()) * len(r["steps"]) - rejoined_instead
    )
    assert all(v["max"] > v["start"] for v in r["rss_mb"].values())  # sampled, both processes
