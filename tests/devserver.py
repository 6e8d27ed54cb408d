"""Run the real app for browser tests, benchmarks and screenshots: `streamlit run` + Chromium.

Development tooling only (Playwright is a test dependency, imported lazily). Flags are the ones
docs/design.md describes: a headless server on loopback with no file watcher, and Debian's chromium
with background networking off (this machine has no network to reach).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The server's base URL (a plain str to callers) that also carries its process, so a benchmark
    can read the server's memory (`/proc/PID/status`), and `log`: the lines of its stderr so far."""

    proc: subprocess.Popen
    log: list[str]

    @property
    def pid(self) -> int:
        return self.proc.pid


@contextlib.contextmanager
def streamlit_server(
    script: str = "app.py", timeout: float = 60, port: int | None = None
) -> Iterator[ServerURL]:
    """Start `streamlit run script` on a loopback port (a free one unless given); yields its base
    URL (`.pid` too)."""
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = ServerURL(f"http://127.0.0.1:{port}")
    url.proc, url.log = proc, []
    _drain(proc.stderr, url.log)
    try:
        wait_healthy(url, proc, timeout)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _drain(stream, lines: list[str]) -> threading.Thread:
    """Read the server's stderr as it comes, else a server that logs more than the pipe holds
    (64 KB) would block on its next write."""

    def run() -> None:
        for raw in iter(stream.readline, b""):
            lines.append(raw.decode(errors="replace").rstrip())

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def wait_healthy(url: ServerURL, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            proc.wait()
            time.sleep(0.2)  # the drain thread reads what the server wrote before exiting
            raise RuntimeError("streamlit exited: " + "\n".join(url.log)[-2000:])
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit at {url} was not healthy within {timeout} s")


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app(page, timeout_ms: float = 60_000) -> None:
    """Until the script has finished running and the page holds no spinner."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms
    )


def screenshot_dirs(name: str) -> list[Path]:
    """Where a browser test saves its screenshots: $TMPDIR/vae-geom-<name>-shots, and also
    $VAE_GEOM_SCREENSHOTS if set (to keep them); each made if missing."""
    out = [Path(os.environ.get("TMPDIR", "/tmp")) / f"vae-geom-{name}-shots"]
    if extra := os.environ.get("VAE_GEOM_SCREENSHOTS"):
        out.append(Path(extra))
    for d in out:
        d.mkdir(parents=True, exist_ok=True)
    return out


def screenshot(page, dirs: list[Path], filename: str) -> Path:
    """The page as it shows now, saved as `filename` in each of `dirs`; the first copy's path."""
    shot = dirs[0] / filename
    page.screenshot(path=str(shot))
    for d in dirs[1:]:
        shutil.copy(shot, d / filename)
    return shot
