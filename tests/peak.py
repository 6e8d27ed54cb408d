"""Peak memory of one call, measured in a fresh interpreter: what a server pays for one input.

`peak_mb(build, call)` runs `build` (an expression giving the input bytes, as `data`) and then
`call`, and returns how far the process's peak resident size rose during `call`, in MB. A fresh
process, so nothing an earlier test allocated hides (or inflates) the peak. The peak is VmHWM of
/proc/self/status, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child of
a large pytest process would start with its parent's peak and show no rise at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """
import gc, sys
{imports}
def hwm():
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0])  # kB
data = {build}
gc.collect()
before = hwm()
try:
    {call}
except Exception as e:  # the refusal is the expected outcome; its words go to stderr
    print(type(e).__name__, e, file=sys.stderr)
print((hwm() - before) / 1024)
"""


def peak_mb(imports: str, build: str, call: str) -> float:
    """MB by which the peak resident size rose while `call` ran on `data` = `build`."""
    script = _SCRIPT.format(imports=imports, build=build, call=call)
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])
