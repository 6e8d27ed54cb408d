"""Load (issue 16): a teacher and a class following the Lesson through nginx and N app processes.

`scripts/serve_class.sh N` (one redis-server, N `streamlit run` processes, one nginx with sticky
sessions) on free loopback ports, with the test-only `X-Vaegeom-Upstream` header that names the
process behind every response. Then:
- the teacher (a protocol client, bench/stclient.py) opens the Lesson and a class ("Open a class");
- `--students` simulated students speak Streamlit's websocket protocol (bench/stclient.py: no
  browser, the server cannot tell) and `--browsers` real Chromium tabs open the class's link
  `/Lesson?class=CODE`; every one follows the teacher (the Lesson's polling fragment);
- the teacher presses Next `--steps` times; at each step every student, once the step shows, waits
  a moment (a seeded 0.3-1.5 s) and answers (a choice, then Check), as a student would;
- the app process that does NOT hold the teacher is SIGKILLed at the middle step: its students'
  sockets close, they reconnect through nginx (which sends them to the survivor) and rejoin the
  class from the link. `--kill-at next` (the full run's default): 0.1 s after the teacher's Next,
  so they answer that step there; `--kill-at answered` (--short, CI): once the step's answers are
  counted, so they find their answer gone from the page and answer again, which the class must
  still count once per student.

Measured: from the teacher's Next to each student's rerun showing the new step (p50/p95; the
killed students' rejoin apart), answers counted by the class store (exactly one per student and
step, and the same choices the students sent), every error (exceptions in any tab, sockets
closed that were not killed, timeouts, console errors in the browsers), sessions that crossed
processes (each tab's page, media and websocket answered by one process, a failed-over tab by
the survivor only after the kill; a survivor's tab never reconnected and kept its session), and
the VmRSS of each app process.

    PYTHONPATH=. .venv/bin/python -m bench.class_load                  # the full run
    PYTHONPATH=. .venv/bin/python -m bench.class_load --short          # CI: fails on any error

Prints a summary and one JSON object; exits 1 on any error, lost or doubled answer, or crossing
(and, in --short, on nothing else: the latency target is reported, not enforced).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench import stclient
from bench.stclient import Tab, choice
from tests.devserver import CHROMIUM, CHROMIUM_ARGS, free_port
from tests.forge import cpu_s
from vae_geom import classroom, lesson

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "serve_class.sh"
STEP_TIMEOUT_S = 20  # every student shows a new step within this, or it is an error
ANSWER_TIMEOUT_S = 45  # a student's answer (two reruns) is in within this, or it is an error
THINK_S = (0.3, 1.5)  # a student's pause between seeing a step and answering it
KILL_AFTER_S = 0.1  # < THINK_S[0]: a killed student has not answered the step before the kill
PROGRESS = re.compile(r"(\d+)\D+(\d+)")  # "Step 3 of 8" / "第 3 步，共 8 步"


# -- the deployment ------------------------------------------------------------------------------


@dataclass
class Deployment:
    """A running `scripts/serve_class.sh N`: the proxy's URL, each app process (address -> pid),
    the Redis URL, nginx's folder (its access log) and everything the script printed."""

    url: str
    apps: dict[str, int]
    redis: str
    dir: Path
    proc: subprocess.Popen
    out: list[str] = field(default_factory=list)

    def access_log(self) -> list[str]:
        return (self.dir / "access.log").read_text().splitlines()

    def rss_mb(self) -> dict[str, float]:
        """VmRSS of each live app process, MB."""
        out = {}
        for addr, pid in self.apps.items():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                if m := re.search(r"VmRSS:\s+(\d+)", status):  # none once killed (a zombie)
                    out[addr] = int(m.group(1)) / 1024
        return out


def _health(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serve_class(n: int = 2, timeout: float = 90, **env: str) -> Iterator[Deployment]:
    """Run scripts/serve_class.sh `n` on free loopback ports (with the upstream header), until
    every app answers through the proxy; SIGTERM on exit (the script stops all it started)."""
    ports = [free_port() for _ in range(n)]
    port, redis_port = free_port(), free_port()
    models = tempfile.mkdtemp(prefix="vae-geom-class-models.")
    full_env = {
        **os.environ,
        "PORT": str(port),
        "APP_PORTS": " ".join(map(str, ports)),
        "REDIS_PORT": str(redis_port),
        "UPSTREAM_HEADER": "1",
        "VAE_GEOM_USER_MODELS": models,
        **env,
    }
    full_env.pop("VAE_GEOM_CLASS_REDIS", None)  # the script starts its own
    proc = subprocess.Popen(
        ["bash", str(SCRIPT), str(n)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: a failed test can stop all it started
    )
    out: list[str] = []
    said = threading.Event()

    def drain() -> None:
        for line in iter(proc.stdout.readline, ""):
            out.append(line.rstrip())
            if "nginx files in" in line:
                said.set()

    threading.Thread(target=drain, daemon=True).start()
    dep = None
    try:
        deadline = time.monotonic() + timeout
        while not said.wait(0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve_class.sh did not start:\n" + "\n".join(out[-40:]))
        apps = {}
        for line in out:
            if m := re.match(r"app (\d+) on (127\.0\.0\.1:\d+)$", line):
                apps[m.group(2)] = int(m.group(1))
        folder = re.search(r"nginx files in (\S+)\)", "\n".join(out)).group(1)
        dep = Deployment(
            f"http://127.0.0.1:{port}", apps, f"redis://127.0.0.1:{redis_port}/0",
            Path(folder), proc, out,
        )  # fmt: skip
        while not all(_health("http://" + a) for a in apps) or not _health(dep.url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("serve_class.sh: not healthy:\n" + "\n".join(out[-40:]))
            time.sleep(0.3)
        yield dep
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this harness started
                proc.wait()
        import shutil

        shutil.rmtree(models, ignore_errors=True)


def route_to(dep: Deployment, addr: str, tries: int = 200) -> str:
    """A sticky cookie value that nginx routes to the app process at `addr` (found by asking)."""
    for _ in range(tries):
        t = Tab(dep.url, "/_stcore/health")
        t.get("/_stcore/health")
        if t.upstream() == addr:
            return t.cookies[stclient.ROUTE]
    errors = (dep.dir / "error.log").read_text()[-2000:]
    raise LookupError(f"no cookie routed to {addr} in {tries} tries; nginx said:\n{errors}")


def tally(dep: Deployment, code: str, step_id: str) -> classroom.Tally:
    """A step's answers as the class store the deployment's processes share counts them."""
    step = classroom.check_step(step_id)
    given = classroom.RedisStore(dep.redis).answer_list(code, step_id)
    return classroom.tally(step, [json.loads(a) for a in given])


def client_address(i: int) -> str:
    """Student i's own loopback address (127.0.1.1, ...): nginx limits open connections per
    client address (16), as a class's students each come from their own."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


# -- a student in the protocol ------------------------------------------------------------------


def shown_step(el) -> int | None:
    """The Lesson step a progress element says ("Step 3 of 8")."""
    if el.WhichOneof("type") != "progress":
        return None
    m = PROGRESS.search(el.progress.text)
    return int(m.group(1)) if m and int(m.group(2)) == len(lesson.STEPS) else None


class Student:
    """One simulated student: a protocol tab on the class's link, its seeded choices, and when it
    first showed each step (in a full run: the page the student sees)."""

    def __init__(self, i: int, dep: Deployment, code: str, rng: np.random.Generator):
        self.i, self.rng = i, rng
        self.tab = Tab(
            dep.url, f"/Lesson?class={code}", on_delta=self._delta, source=client_address(i)
        )
        self.shown: dict[int, float] = {}  # step -> when first shown (time.time())
        self.last_shown: tuple[int, float] = (0, 0.0)  # the step shown last, and when
        self.answered: dict[str, str] = {}  # step id -> the choice sent
        self.errors: list[tuple[str, str]] = []
        self.first_upstream: str | None = None
        self.killed = False  # its process was killed under it

    def _delta(self, tab: Tab, msg, el) -> None:
        n = shown_step(el)
        if n is not None:
            self.last_shown = (n, time.time())
            self.shown.setdefault(n, self.last_shown[1])

    async def join(self) -> None:
        await self.tab.connect()
        await self.tab.until_finished(120)
        self.first_upstream = self.tab.upstream()
        self.session = self.tab.session_id

    async def answer(self, n: int) -> None:
        """Think, pick one of the step's choices, then Check, as the page offers them."""
        step = lesson.step(n)
        await asyncio.sleep(float(self.rng.uniform(*THINK_S)))
        pick = int(self.rng.integers(len(step.choices)))
        for attempt in range(3):
            try:
                await self._wait_connected()
                # the question as the page shows it now (a run in progress may not have drawn it)
                radio = await self._when_shown(f"lesson.{step.id}.choice", "radio")
                self.tab.set_widget(choice(radio, pick))
                await self.tab.rerun(fragment=self.tab.fragment_of(radio.radio.id))
                await self.tab.until_finished(ANSWER_TIMEOUT_S)
                await self._wait_connected()
                await self.tab.click(self.tab.widget_id(f"lesson.{step.id}.check", "button"))
                await self.tab.until_finished(ANSWER_TIMEOUT_S)
                if self.tab.connected:
                    self.answered[step.id] = step.choices[pick]
                    return
            except (LookupError, TimeoutError, OSError) as e:
                if attempt == 2:
                    self.errors.append(("answer", f"step {n}: {type(e).__name__}: {e}"))
            await asyncio.sleep(0.3)

    async def _when_shown(self, key: str, kind: str, timeout: float = 10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.tab.element(key, kind)
            except LookupError:
                if time.monotonic() > deadline:
                    raise LookupError(f"{key} not shown; trace {self.tab.trace[-12:]}") from None
                await asyncio.sleep(0.05)

    async def _wait_connected(self, timeout: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not self.tab.connected:
            if time.monotonic() > deadline:
                raise TimeoutError("not reconnected")
            await asyncio.sleep(0.05)

    async def watch(self) -> None:
        """Reconnect (as the browser does) whenever the socket closes under it."""
        while True:
            await asyncio.sleep(0.05)
            if self.tab.ws is not None and not self.tab.connected:
                self.killed = True
                try:
                    await self.tab.reconnect()
                except Exception as e:  # recorded, not raised: the run goes on
                    self.errors.append(("reconnect", f"{type(e).__name__}: {e}"))
                    return


# -- browsers ------------------------------------------------------------------------------------

STEPS_JS = r"""() => {
  window.__steps = {};
  const seen = () => {
    const p = document.querySelector('[data-testid="stProgress"]');
    const m = p && p.innerText.match(/(\d+)\D+(\d+)/);
    if (m && !(m[1] in window.__steps)) window.__steps[m[1]] = Date.now();
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true,
                                                characterData: true});
  // for a tab that misses a step: when it last sent (a rerun asked) and received
  window.__ws = {sent: [], received: []};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.__ws.sent.push(Date.now());
    if (!this.__logged) {
      this.__logged = true;
      this.addEventListener("message", () => window.__ws.received.push(Date.now()));
    }
    return send.call(this, data);
  };
}"""

DIAGNOSE_JS = r"""() => {
  const now = Date.now(), ws = window.__ws || {sent: [], received: []};
  const p = document.querySelector('[data-testid="stProgress"]');
  const app = document.querySelector('[data-testid="stApp"]');
  const ago = (a) => a.length ? (now - a[a.length - 1]) / 1000 : null;
  return {progress: p && p.innerText, state: app && app.dataset.testScriptState,
          sent_10s: ws.sent.filter((t) => now - t < 10000).length, last_sent_s: ago(ws.sent),
          received_10s: ws.received.filter((t) => now - t < 10000).length,
          last_received_s: ago(ws.received), url: location.pathname + location.search,
          text: (document.querySelector('[data-testid="stMain"]') || document.body)
            .innerText.slice(0, 300)};
}"""


def _frame(raw) -> str:
    """One ForwardMsg a tab received, in a few words (the trace of a tab that missed a step)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(raw, str):
        return "text"
    msg = ForwardMsg()
    msg.ParseFromString(raw)
    kind = msg.WhichOneof("type")
    md = msg.metadata
    run = f"{md.run.script_run_id[:4]}/{','.join(f[:4] for f in md.run.fragment_ids)}"
    if kind == "delta":
        d = msg.delta
        what = d.WhichOneof("type")
        el = (d.new_element.WhichOneof("type") if what == "new_element"
              else d.add_block.WhichOneof("type") if what == "add_block" else what)  # fmt: skip
        return f"{time.time():.2f} {run} {list(md.delta_path)} {el} frag={d.fragment_id[:4]}"
    if kind == "script_finished":
        kind = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
    return f"{time.time():.2f} {run} {kind}"


class Browsers:
    """`n` Chromium tabs (own contexts: own cookies, own websocket) on the class's link, each
    routed to the given app process; Playwright's sync API in a thread of its own."""

    def __init__(self, dep: Deployment, code: str, homes: list[str], seed: int):
        self.dep, self.code, self.homes = dep, code, homes
        self.rng = np.random.default_rng(seed)
        self.cookies = [route_to(dep, a) for a in homes]
        self.errors: list[tuple[str, str]] = []
        self.reconnect_noise = 0  # console errors of a reconnecting tab (see _console)
        self.answer_s: list[float] = []  # how long each browser answer's clicks took
        self.answered: list[dict[str, str]] = [{} for _ in homes]
        self._jobs: list = []
        self.frames: list = []  # per tab: its last messages received, summarised (_frame)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def ready(self, timeout: float = 120) -> bool:
        return self._ready.wait(timeout)

    def call(self, fn) -> None:
        """Run fn(pages) in the browsers' thread (Playwright's sync API lives there)."""
        done = threading.Event()
        box = {}

        def job(pages):
            try:
                box["value"] = fn(pages)
            except Exception as e:
                box["error"] = e
            finally:
                done.set()

        with self._lock:
            self._jobs.append(job)
        if not done.wait(120):
            raise TimeoutError("browser job")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def stop(self) -> None:
        self._done.set()
        self._thread.join(60)

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            pages = []
            try:
                host = self.dep.url.split("//", 1)[1].split(":")[0]
                for i, cookie in enumerate(self.cookies):
                    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                    ctx.add_cookies([{"name": stclient.ROUTE, "value": cookie,
                                      "domain": host, "path": "/"}])  # fmt: skip
                    page = ctx.new_page()
                    page.add_init_script(f"({STEPS_JS})()")
                    self.frames.append(collections.deque(maxlen=3000))
                    page.on(
                        "websocket",
                        lambda ws, i=i: ws.on(
                            "framereceived", lambda f, i=i: self.frames[i].append(_frame(f))
                        ),
                    )
                    page.on("console", lambda m, i=i: self._console(i, m))
                    page.on("pageerror", lambda e, i=i: self.errors.append((f"b{i}", str(e))))
                    # one after another: the browsers share one client address, and a first
                    # load's 6 parallel requests count against its 16 open connections
                    page.goto(f"{self.dep.url}/Lesson?class={self.code}")
                    page.wait_for_selector('[data-testid="stProgress"]', timeout=90_000)
                    pages.append(page)
                self._ready.set()
                while not self._done.is_set():
                    with self._lock:
                        jobs, self._jobs = self._jobs, []
                    for job in jobs:
                        job(pages)
                    pages[0].wait_for_timeout(100)  # lets Playwright dispatch its events
            except Exception as e:
                self.errors.append(("browser", f"{type(e).__name__}: {e}"))
                self._ready.set()
            finally:
                browser.close()

    def _console(self, i: int, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        # A tab whose socket closed logs it, its polling timer's reruns are refused while it is
        # disconnected, and while reconnecting it asks every base URL the page's path could
        # have: /Lesson/_stcore/health is Streamlit's own 404 (no proxy needed)
        if (
            "WebSocket" in msg.text
            or "when disconnected from server" in msg.text
            or re.search(r"/\w+/_stcore/(health|host-config)$", where)
        ):
            self.reconnect_noise += 1
            return
        self.errors.append((f"b{i} console", f"{msg.text[:200]} ({where})"))

    def shown(self) -> list[dict[int, float]]:
        def read(pages):
            return [
                {int(k): v / 1000 for k, v in p.evaluate("window.__steps || {}").items()}
                for p in pages
            ]

        return self.call(read)

    def diagnose(self) -> list[dict]:
        """Each tab now: its step, script state, and its socket's last 10 s (a missed step)."""

        def read(pages):
            for i, p in enumerate(pages):
                p.screenshot(path=f"{tempfile.gettempdir()}/class-load-b{i}.png")
            return [p.evaluate(DIAGNOSE_JS) for p in pages]

        return self.call(read)

    def answer(self, n: int, picks: list[int]) -> None:
        step = lesson.step(n)

        def click(pages):
            for i, (page, pick) in enumerate(zip(pages, picks, strict=True)):
                t0 = time.monotonic()
                radio = page.locator(f".st-key-lesson-{step.id}-choice [role='radiogroup'] label")
                radio.nth(pick).click(timeout=30_000)
                page.wait_for_timeout(300)
                page.locator(f".st-key-lesson-{step.id}-check button").click(timeout=30_000)
                self.answered[i][step.id] = step.choices[pick]
                self.answer_s.append(round(time.monotonic() - t0, 2))

        self.call(click)

    def states(self) -> list[dict]:
        def read(pages):
            return [
                {
                    "connection_error": p.get_by_text("Connection error").count(),
                    "exceptions": p.locator('[data-testid="stException"]').count(),
                }
                for p in pages
            ]

        return self.call(read)


# -- the run -------------------------------------------------------------------------------------


def percentile(values, q) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def _stats_ms(values: list[float]) -> dict:
    ms = [1000 * v for v in values]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "max": max(ms) if ms else None,
    }


async def _open_class(dep: Deployment, home: str) -> tuple[Tab, str, str]:
    """The teacher: the Lesson on the process `home`, then "Open a class"."""
    teacher = Tab(
        dep.url, "/Lesson", cookies={stclient.ROUTE: route_to(dep, home)}, source="127.0.0.2"
    )
    await teacher.connect()
    await teacher.until_finished(120)
    await teacher.click(teacher.widget_id("class.open", "button"))
    await teacher.until_finished(60)
    q = dict(p.split("=", 1) for p in teacher.query.split("&") if "=" in p)
    if "class" not in q or "teacher" not in q:
        raise RuntimeError(f"the teacher's page did not open a class: ?{teacher.query}")
    return teacher, q["class"], q["teacher"]


async def _warm(dep: Deployment, steps: list[int]) -> dict[str, dict[int, float]]:
    """Each process draws each step once before the class: its first run imports torch and loads
    the models (~6 s), and a step's first visit in a process computes what it caches (its
    sample, its truth: seconds). Returns those first runs' times, s."""

    async def one(addr: str) -> dict[int, float]:
        times = {}
        for n in steps:
            t = Tab("http://" + addr, f"/Lesson?step={n}")
            t0 = time.monotonic()
            await t.connect()
            await t.until_finished(180)
            times[n] = round(time.monotonic() - t0, 2)
            await t.close()
        return times

    got = await asyncio.gather(*(one(a) for a in dep.apps))
    return dict(zip(dep.apps, got, strict=True))


async def _class(dep: Deployment, args, report: dict) -> None:
    addrs = sorted(dep.apps)
    rss: dict[str, list[float]] = {a: [] for a in addrs}
    stop_rss = asyncio.Event()

    async def sample_rss() -> None:
        while not stop_rss.is_set():
            for a, mb in dep.rss_mb().items():
                rss[a].append(mb)
            await asyncio.sleep(1)

    rss_task = asyncio.create_task(sample_rss())
    cpu0 = {a: cpu_s(pid) for a, pid in dep.apps.items()}
    own0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    t0 = time.monotonic()
    steps = list(range(2, 2 + args.steps))
    report["first_visit_s"] = await _warm(dep, [1, *steps]) if args.warm else {}
    report["warm_s"] = round(time.monotonic() - t0, 1)

    teacher_home = addrs[0]
    victim = addrs[-1] if args.kill else None
    teacher, code, key = await _open_class(dep, teacher_home)
    report["class"] = code

    # the class arrives: a few at a time, as students typing a link
    rng = np.random.default_rng(args.seed)
    students = [Student(i, dep, code, np.random.default_rng([args.seed, i]))
                for i in range(args.students)]  # fmt: skip
    t0 = time.monotonic()
    gate = asyncio.Semaphore(8)

    async def join(s: Student) -> None:
        async with gate:
            try:
                await s.join()
            except Exception as e:
                s.errors.append(("join", f"{type(e).__name__}: {e}"))

    await asyncio.gather(*(join(s) for s in students))
    report["join_s"] = round(time.monotonic() - t0, 1)
    watchers = [asyncio.create_task(s.watch()) for s in students]

    browsers = None
    if args.browsers:
        homes = [addrs[i % len(addrs)] for i in range(args.browsers)]
        browsers = Browsers(dep, code, homes, args.seed)
        browsers.start()
        await asyncio.to_thread(browsers.ready)
        report["browser_homes"] = homes

    split = Counter(s.first_upstream for s in students)
    report["students_per_process"] = {a: split.get(a, 0) for a in addrs}
    teacher_session = teacher.session_id

    kill_step = steps[len(steps) // 2] if args.kill else None
    latencies: list[float] = []  # students on a process that lived
    latencies_by_step: dict[int, list[float]] = {}
    rejoin: list[float] = []  # the killed process's students, at the kill step
    browser_lat: list[float] = []
    answers_by_step: dict[int, dict] = {}
    killed_pid = None
    phases: dict[str, float] = {}
    errors_seen: list[tuple[str, str]] = []
    waits: dict[int, list[float]] = {}  # step -> each student's wait for its catch-up run to start
    teacher_ms: dict[int, int] = {}  # step -> the teacher's Next run (it publishes at its end)

    for n in steps:
        await asyncio.sleep(0.5)
        nxt = teacher.widget_id("lesson.next", "button")
        t_change, t_change_mono = time.time(), time.monotonic()
        await teacher.click(nxt)
        if n == kill_step and args.kill_at == "next":
            await asyncio.sleep(KILL_AFTER_S)
            killed_pid = dep.apps[victim]
            os.kill(killed_pid, signal.SIGKILL)
            report["killed"] = {"addr": victim, "pid": killed_pid, "step": n}
        run = await teacher.until_finished(30)
        teacher_ms[n] = (  # (the wait for its run to start, the run), ms
            (round(1e3 * (run.started - t_change_mono)), round(1e3 * (run.finished - run.started)))
            if run
            else None
        )
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while time.monotonic() < deadline and not all(n in s.shown for s in students):
            await asyncio.sleep(0.05)
        for s in students:
            if n not in s.shown:
                alerts = [x[:90] for x in s.tab.texts() if "class" in x.lower()][:2]
                s.errors.append((
                    "step_timeout",
                    f"step {n} not shown in {STEP_TIMEOUT_S} s (in the class: "
                    f"{'class=' in s.tab.query}, connected {s.tab.connected}, {alerts}) "
                    f"change at {t_change_mono:.2f}: {s.tab.trace[-16:]}",
                ))  # fmt: skip
                continue
            lat = s.shown[n] - t_change
            # where the time went: the wait for the run that drew the step (pushed: a rerun of
            # the Lesson's body), then that run
            drew = t_change_mono + lat
            run = next((r for r in reversed(s.tab.runs) if r.started <= drew), None)
            if run is not None and run.started >= t_change_mono:
                waits.setdefault(n, []).append(run.started - t_change_mono)
            if n == kill_step and args.kill_at == "next" and s.first_upstream == victim:
                rejoin.append(lat)
            else:
                latencies.append(lat)
                latencies_by_step.setdefault(n, []).append(lat)
        # everyone answers (protocol students at once, each after their own pause)
        picks = [int(rng.integers(len(lesson.step(n).choices))) for _ in range(args.browsers)]
        tasks = [asyncio.create_task(s.answer(n)) for s in students if n in s.shown]
        if browsers:
            while True:
                shown = await asyncio.to_thread(browsers.shown)
                if all(n in seen for seen in shown) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            diagnosis = None
            for i, seen in enumerate(shown):
                if n not in seen:
                    diagnosis = diagnosis or await asyncio.to_thread(browsers.diagnose)
                    browsers.errors.append((f"b{i}", f"step {n} not shown: {diagnosis[i]}"))
                    Path(tempfile.gettempdir(), f"class-load-b{i}-step{n}.trace").write_text(
                        "\n".join(browsers.frames[i])
                    )
                elif n == kill_step and args.kill_at == "next" and browsers.homes[i] == victim:
                    rejoin.append(seen[n] - t_change)
                else:
                    browser_lat.append(seen[n] - t_change)
            tasks.append(asyncio.create_task(asyncio.to_thread(browsers.answer, n, picks)))
        phases[f"step {n}: all shown"] = round(time.monotonic() - t_change_mono, 1)
        for got in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(got, BaseException):
                errors_seen.append(("answering", f"step {n}: {type(got).__name__}: {got}"))
        phases[f"step {n}: all answered"] = round(time.monotonic() - t_change_mono, 1)
        # the store counts each student once
        step_id = lesson.step(n).id
        expected = Counter(s.answered[step_id] for s in students if step_id in s.answered)
        if browsers:
            expected += Counter(a[step_id] for a in browsers.answered if step_id in a)
        want = len(students) + args.browsers
        sent = sum(expected.values())  # the answers that were sent (a failed one is an error)
        deadline = time.monotonic() + ANSWER_TIMEOUT_S
        while True:
            counted = tally(dep, code, step_id)
            if counted.n >= sent or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        if n == kill_step and args.kill_at == "answered":
            # the step's answers are in; the process without the teacher dies; its students come
            # back on the other, find their answer gone from the page and answer again: the class
            # must still count each of them once (the last answer)
            t_kill = time.time()
            killed_pid = dep.apps[victim]
            os.kill(killed_pid, signal.SIGKILL)
            report["killed"] = {"addr": victim, "pid": killed_pid, "step": n, "at": "answered"}
            victims = [s for s in students if s.first_upstream == victim]
            deadline = time.monotonic() + STEP_TIMEOUT_S
            while time.monotonic() < deadline and not all(
                v.tab.reconnects and v.last_shown[0] == n and v.last_shown[1] > t_kill
                for v in victims
            ):
                await asyncio.sleep(0.05)
            for v in victims:
                if v.tab.reconnects and v.last_shown[0] == n and v.last_shown[1] > t_kill:
                    rejoin.append(v.last_shown[1] - t_kill)
                else:
                    v.errors.append(("rejoin", f"not back on step {n} {STEP_TIMEOUT_S} s after"))
            await asyncio.gather(*(v.answer(n) for v in victims if v.tab.reconnects))
            expected = Counter(s.answered[step_id] for s in students if step_id in s.answered)
            if browsers:
                expected += Counter(a[step_id] for a in browsers.answered if step_id in a)
            await asyncio.sleep(1)
            counted = tally(dep, code, step_id)
        got = {c: k for c, k in counted.choices.items() if k}
        phases[f"step {n}: all counted"] = round(time.monotonic() - t_change_mono, 1)
        answers_by_step[n] = {
            "expected": want,
            "counted": counted.n,
            "same_choices": got == dict(expected),
        }

    stop_rss.set()
    await rss_task
    wall = time.monotonic() - wall0
    own = resource.getrusage(resource.RUSAGE_SELF)
    report["cpu_share"] = {  # CPU seconds per second of the class (1.0 = one core all along)
        **{
            a: round((cpu_s(dep.apps[a]) - cpu0[a]) / wall, 2) for a in addrs if a != victim
        },  # fmt: skip
        "bench": round((own.ru_utime + own.ru_stime - own0.ru_utime - own0.ru_stime) / wall, 2),
        "load_average": os.getloadavg(),
    }
    report["rss_mb"] = {
        a: {"start": round(v[0], 1), "max": round(max(v), 1), "end": round(v[-1], 1)}
        for a, v in rss.items()
        if v
    }
    for w in watchers:
        w.cancel()

    # errors, crossings
    errors: list[tuple[str, str]] = list(errors_seen)
    crossed: list[str] = []
    for s in students:
        errors += [(f"s{s.i} {k}", v) for k, v in s.errors]
        errors += [(f"s{s.i} exception", e) for e in s.tab.exceptions]
        ups = [u for _, u in s.tab.upstreams]
        on_victim = s.first_upstream == victim
        if not on_victim:
            if len(set(ups)) != 1:
                crossed.append(f"s{s.i}: {ups}")
            if s.tab.reconnects or s.tab.session_id != s.session:
                errors.append((f"s{s.i}", "a survivor's tab reconnected or changed session"))
        else:
            after = ups[ups.index(victim) :]
            first_other = next((i for i, u in enumerate(after) if u != victim), len(after))
            if set(after[first_other:]) - {addrs[0]} or not s.tab.reconnects:
                crossed.append(f"s{s.i} (failed over): {ups}")
    if {u for _, u in teacher.upstreams} != {teacher_home}:
        crossed.append(f"teacher: {teacher.upstreams}")
    if teacher.reconnects or teacher.session_id != teacher_session or teacher.exceptions:
        errors.append(("teacher", f"reconnected or exceptions: {teacher.exceptions}"))
    if browsers:
        for i, st in enumerate(await asyncio.to_thread(browsers.states)):
            if st["exceptions"] or st["connection_error"]:
                errors.append((f"b{i}", f"at the end: {st}"))
        browsers.stop()
        errors += browsers.errors
        report["browser_reconnect_noise"] = browsers.reconnect_noise
        report["browser_answer_s"] = browsers.answer_s
        crossed += _browser_crossings(dep, browsers, victim, addrs[0])
    t_close = time.monotonic()
    await asyncio.gather(*(s.tab.close() for s in students), teacher.close())
    phases["closing the tabs"] = round(time.monotonic() - t_close, 1)
    report["phases_s"] = phases

    report.update(
        students=args.students,
        browsers=args.browsers,
        steps=steps,
        latency_ms=_stats_ms(latencies),
        latency_by_step_ms={n: _stats_ms(v) for n, v in latencies_by_step.items()},
        rejoin_ms=_stats_ms(rejoin),
        teacher_run_ms=teacher_ms,
        rerun_start_ms={n: _stats_ms(v) for n, v in waits.items()},
        http_errors=_http_errors(dep),
        browser_latency_ms=_stats_ms(browser_lat),
        answers=answers_by_step,
        lost_or_doubled=sum(
            a["counted"] != a["expected"] or not a["same_choices"] for a in answers_by_step.values()
        ),
        errors_total=len(errors),
        error_samples=[f"{k}: {v}" for k, v in errors[:15]],
        crossed=len(crossed),
        crossed_samples=crossed[:10],
        failed_over=sum(s.first_upstream == victim for s in students) if victim else 0,
        reconnected=sum(bool(s.tab.reconnects) for s in students),
        bytes_per_student_kb=round(np.mean([s.tab.bytes_in for s in students]) / 1024, 1),
    )


def _browser_crossings(dep: Deployment, browsers: Browsers, victim, survivor) -> list[str]:
    """From nginx's log: every proxied request of a browser's cookie reached its home process
    (static files are nginx's own); after the kill, a failed-over browser's reach the survivor."""
    time.sleep(0.5)  # the websockets' lines are written when they close
    out = []
    for i, (cookie, home) in enumerate(zip(browsers.cookies, browsers.homes, strict=True)):
        ups = []
        for line in dep.access_log():
            if f"route={cookie}" in line and "upstream=-" not in line:
                ups.append(stclient.last_upstream(line.split("upstream=", 1)[1].split(" route")[0]))
        if not ups:
            out.append(f"b{i}: no requests logged")
        elif home == victim:
            first_other = next((k for k, u in enumerate(ups) if u != home), len(ups))
            if set(ups[first_other:]) - {survivor}:
                out.append(f"b{i} (failed over): {ups}")
        elif set(ups) != {home}:
            out.append(f"b{i}: {ups}")
    return out


def _http_errors(dep: Deployment) -> dict[str, int]:
    """Requests nginx answered with an error (4xx, 5xx), by status and path, but the reconnecting
    frontend's probes of /PAGE/_stcore/health (Streamlit's own 404, see Browsers._console)."""
    out: Counter = Counter()
    for line in dep.access_log():
        m = re.search(r'"(\w+) (\S+)" (\d{3}) ', line)
        if m and re.fullmatch(r"/\w+/_stcore/(health|host-config)", m.group(2)):
            continue
        if m and int(m.group(3)) >= 400:
            out[f"{m.group(3)} {m.group(1)} {m.group(2)}"] += 1
    return dict(out)


def run(args) -> dict:
    report: dict = {"processes": args.processes}
    t0 = time.monotonic()
    with serve_class(args.processes) as dep:
        report["start_s"] = round(time.monotonic() - t0, 1)
        asyncio.run(_class(dep, args, report))
        report["script_alive_after_kill"] = dep.proc.poll() is None
    report["wall_s"] = round(time.monotonic() - t0, 1)
    return report


def summary(r: dict) -> str:
    lat, rej, br = r["latency_ms"], r["rejoin_ms"], r["browser_latency_ms"]

    def f(v):
        return "-" if v is None else f"{v:.0f}"

    lines = [
        f"{r['students']} protocol students + {r['browsers']} browsers + the teacher, "
        f"{r['processes']} processes {r.get('students_per_process')}, steps {r['steps']}",
        f"  teacher's Next -> student shows it: p50 {f(lat['p50'])} ms, p95 {f(lat['p95'])} ms, "
        f"max {f(lat['max'])} ms (n={lat['n']}); browsers p50 {f(br['p50'])} p95 {f(br['p95'])}",
        f"  killed {r.get('killed')}: {r['failed_over']} students failed over, rejoined the step "
        "(from the Next, or from the kill) "
        f"p50 {f(rej['p50'])} ms, p95 {f(rej['p95'])} ms; tabs that reconnected: "
        f"{r['reconnected']}",
        f"  answers: {r['answers']}",
        f"  errors {r['errors_total']}, lost or doubled answers {r['lost_or_doubled']}, "
        f"sessions crossing processes {r['crossed']}, HTTP errors {r['http_errors']}",
        f"  RSS MB per process: {r['rss_mb']}; received per student {r['bytes_per_student_kb']} KB",
        f"  CPU share (cores) during the class: {r['cpu_share']}",
        f"  the teacher's Next run (it publishes at its end) {r['teacher_run_ms']} ms; "
        f"first visits of a step per process {r['first_visit_s']} s",
        f"  start {r['start_s']} s, warm {r['warm_s']} s, join {r['join_s']} s, "
        f"wall {r['wall_s']} s",
    ]
    for e in r["error_samples"] + r["crossed_samples"]:
        lines.append("  ! " + e)
    return "\n".join(lines)


def failed(r: dict) -> bool:
    return bool(
        r["errors_total"]
        or r["http_errors"]
        or r["lost_or_doubled"]
        or r["crossed"]
        or not r["script_alive_after_kill"]
        or r["latency_ms"]["n"] == 0
    )


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--students", type=int, default=60)
    p.add_argument("--browsers", type=int, default=3)
    p.add_argument("--steps", type=int, default=4, help="the teacher's Next presses (max 7)")
    p.add_argument("--no-kill", dest="kill", action="store_false")
    p.add_argument(
        "--kill-at", choices=("next", "answered"), default="next",
        help="kill 0.1 s after the middle step's Next (its students rejoin it), or once its "
        "answers are in (its students rejoin and answer again: still counted once each)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--cold", dest="warm", action="store_false",
        help="no warm-up: the class meets each step's first visit in each process",
    )  # fmt: skip
    p.add_argument("--short", action="store_true", help="CI: 40 students, 2 browsers, 3 steps")
    args = p.parse_args(argv)
    if args.processes < 2:  # one process keeps the class in memory, out of this script's reach
        p.error("--processes must be 2 or more: the answers are read back from the class's Redis")
    if args.short:
        args.students, args.browsers, args.steps, args.kill_at = 40, 2, 3, "answered"
    if not os.path.exists(CHROMIUM):
        args.browsers = 0
    return args


def main(argv=None) -> int:
    args = parse(argv)
    r = run(args)
    print(summary(r))
    print(json.dumps(r))
    return 1 if failed(r) else 0


if __name__ == "__main__":
    sys.exit(main())
