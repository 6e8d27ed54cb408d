"""What a Lesson rerun costs the browser: Chromium's CPU seconds per interaction, one tab.

The class benchmark (bench/class_load.py) runs its real Chromium tabs on the same two cores as
the app processes, so what the browser spends on a rerun is taken from the server. This opens
the Lesson at a step (`--step`, 1500 × 1000, a `streamlit run` server of its own), waits for it
to settle, then does each interaction in turn and reads the CPU time of every Chromium process
(/proc) over the WAIT_S after it: idle, picking two choices, Check, the presentation toggle on
and off, Next, Prev.

    PYTHONPATH=. .venv/bin/python -m bench.browser_cpu --step 3
"""

from __future__ import annotations

import argparse
import os
import time

from tests.devserver import chromium, streamlit_server, wait_for_app
from vae_geom import lesson

WAIT_S = 4.0
_TICK = os.sysconf("SC_CLK_TCK")


def chromium_cpu_s() -> float:
    """User + system CPU seconds of every Chromium process so far."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if "(chromium)" not in stat and "(chrome)" not in stat:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def measure(label: str, act) -> dict:
    c0 = chromium_cpu_s()
    act()
    time.sleep(WAIT_S)
    return {"what": label, "chromium_cpu_s": round(chromium_cpu_s() - c0, 2)}


def run(step: int) -> list[dict]:
    sid = lesson.step(step).id
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{url}/Lesson?step={step}")
        wait_for_app(page)
        time.sleep(3)
        out = [measure("idle", lambda: None)]
        radios = page.locator(f".st-key-lesson-{sid}-choice [role='radiogroup'] label")
        if radios.count():
            out.append(measure("pick a choice", lambda: radios.nth(0).click()))
            out.append(measure("pick another", lambda: radios.nth(1).click()))
            check = page.locator(f".st-key-lesson-{sid}-check button")
            out.append(measure("Check", lambda: check.click()))
        toggle = page.locator(".st-key-lesson-big label").first
        out.append(measure("presentation on", lambda: toggle.click()))
        out.append(measure("presentation off", lambda: toggle.click()))
        out.append(measure("Next", lambda: page.locator(".st-key-lesson-next button").click()))
        out.append(measure("Prev", lambda: page.locator(".st-key-lesson-prev button").click()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--step", type=int, default=3)
    for row in run(ap.parse_args().step):
        print(f"{row['what']:20s} {row['chromium_cpu_s']:5.2f} s of Chromium CPU in {WAIT_S} s")


if __name__ == "__main__":
    main()
