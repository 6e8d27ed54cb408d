"""A class served from two app processes (issue 16): scripts/serve_class.sh 2, for real.

One redis-server, two `streamlit run app.py` processes and one nginx, started by the script on
free loopback ports and stopped by it (bench/class_load.py's `serve_class`), with the test-only
`X-Vaegeom-Upstream` header naming the process behind each response. Checked through the proxy:
- sticky sessions: a tab's page and websocket reach one process, and only that process can
  resume its session (the other one, asked directly, starts a new one); a browser's every
  proxied request, websocket included, is logged against one process;
- a teacher on one process and a student on the other share the class through Redis: the
  student follows the teacher's step and its answer reaches the teacher's live tally;
- killing one process (SIGKILL) sends its tabs to the other on reconnect: the student rejoins
  the class and follows on, the browser reconnects by itself; the tabs of the other process keep
  their sockets and sessions; the script keeps serving.

The protocol tabs (bench/stclient.py) live on one asyncio loop in a thread of their own, so that
they outlive each test; Chromium is driven from the test's thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from bench import class_load, stclient
from bench.stclient import Tab, choice, trigger
from tests.devserver import CHROMIUM, chromium, wait_for_app

pytestmark = [pytest.mark.proxy, pytest.mark.class_deploy]


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def run(loop, coro, timeout: float = 120):
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


async def close_all(*tabs: Tab) -> None:
    await asyncio.gather(*(t.close() for t in tabs))


@pytest.fixture(scope="module")
def dep() -> Iterator[class_load.Deployment]:
    for binary in ("/usr/sbin/nginx", "/usr/bin/redis-server"):
        if not os.access(binary, os.X_OK):
            raise FileNotFoundError(f"{binary} is missing: scripts/test.sh installs it")
    # the followers' own poll too slow to matter: a student follows by the push through Redis
    # (vae_geom/ui/push.py), which these tests then check across processes
    with class_load.serve_class(2, VAE_GEOM_FOLLOW_POLL_S="600") as d:
        yield d


@pytest.fixture(scope="module")
def homes(dep) -> dict[str, str]:
    """Which process is which: A holds the teacher and survives, B is killed in the last test."""
    a, b = sorted(dep.apps)
    return {"A": a, "B": b}


@pytest.fixture(scope="module")
def tabs(dep, homes, loop) -> dict[str, Tab]:
    """A tab on each process, on the Lesson (their first runs warm both processes at once)."""
    made = {
        name: Tab(
            dep.url, "/Lesson?step=2", cookies={stclient.ROUTE: class_load.route_to(dep, addr)}
        )  # fmt: skip
        for name, addr in homes.items()
    }

    async def open_all() -> None:
        await asyncio.gather(*(t.connect() for t in made.values()))
        await asyncio.gather(*(t.until_finished(120) for t in made.values()))

    run(loop, open_all(), 180)
    yield made
    run(loop, close_all(*made.values()))


def shown_step(tab: Tab) -> int | None:
    el = tab.latest("progress")
    return None if el is None else class_load.shown_step(el)


def wait_until(what, timeout: float, message: str, tab: Tab | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            # a tab's last lifecycle messages say whether its run never came or never finished
            said = f"; its last messages: {tab.trace[-12:]}" if tab else ""
            raise AssertionError(message + said)
        time.sleep(0.05)


def test_a_tab_stays_on_its_process_and_only_that_process_can_resume_it(dep, homes, tabs, loop):
    for name, tab in tabs.items():
        assert [up for _, up in tab.upstreams] == [homes[name]] * 2  # the page, the websocket
        assert shown_step(tab) == 2 and not tab.exceptions

    # B's tab drops its socket and comes back through the proxy: its cookie leads to B, which
    # still holds the session and resumes it (same id).
    b = tabs["B"]
    sid = b.session_id

    async def drop_and_reconnect() -> None:
        await b.ws.close()
        await asyncio.sleep(0.2)
        await b.reconnect()
        await b.until_finished(30)

    run(loop, drop_and_reconnect())
    assert b.session_id == sid and b.upstream() == homes["B"]
    assert shown_step(b) == 2

    # The same session id presented to A directly: A never had it, so it starts a new session.
    stray = Tab("http://" + homes["A"], "/Lesson?step=2")
    stray.session_id = sid

    async def present() -> None:
        await stray.connect(load_page=False)
        await stray.until_finished(60)
        await stray.close()

    run(loop, present())
    assert stray.session_id and stray.session_id != sid


@pytest.fixture(scope="module")
def browser_page(dep, homes):
    """Chromium on the Lesson, its cookie leading to B (the process the last test kills), and the
    process named in each of its websocket handshakes (read through the DevTools protocol)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian chromium")
    cookie = class_load.route_to(dep, homes["B"])
    sockets: list[str] = []

    def handshake(event: dict) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        sockets.append(stclient.last_upstream(headers.get(stclient.UPSTREAM.lower())))

    with chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.add_cookies(
            [{"name": stclient.ROUTE, "value": cookie, "domain": "127.0.0.1", "path": "/"}]
        )
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketHandshakeResponseReceived", handshake)
        page.goto(f"{dep.url}/Lesson?step=2")
        wait_for_app(page)
        page.wait_for_selector('[data-testid="stProgress"]')
        yield page, cookie, sockets


def logged_upstreams(dep, cookie: str) -> list[tuple[str, str]]:
    """(path, process) of every request nginx proxied for this cookie so far (static files are
    its own: no upstream)."""
    out = []
    for line in dep.access_log():
        if f"route={cookie}" in line and "upstream=-" not in line:
            path = re.search(r'"\w+ (\S+)"', line).group(1)
            up = line.split("upstream=", 1)[1].split(" route=")[0]
            out.append((path, stclient.last_upstream(up)))
    return out


def fetched_by(page, path: str) -> str:
    """The process that answered the page's own fetch of `path` (with its cookie)."""
    return stclient.last_upstream(
        page.evaluate(
            "async (p) => (await fetch(p, {cache: 'no-store'})).headers.get('X-Vaegeom-Upstream')",
            path,
        )
    )


def test_a_browsers_requests_all_reach_one_process(dep, homes, browser_page):
    page, cookie, sockets = browser_page
    assert sockets == [homes["B"]]
    assert fetched_by(page, "/_stcore/health") == homes["B"]
    time.sleep(0.3)
    logged = logged_upstreams(dep, cookie)
    assert "/Lesson" in {p for p, _ in logged}, logged
    assert {up for _, up in logged} == {homes["B"]}, logged


@pytest.fixture(scope="module")
def klass(dep, homes, loop) -> Iterator[tuple[Tab, Tab, str]]:
    """A class: its teacher on A ("Open a class"), a student on B who joined by the link."""
    cookie = class_load.route_to(dep, homes["A"])
    teacher = Tab(dep.url, "/Lesson", cookies={stclient.ROUTE: cookie})

    async def open_class() -> str:
        await teacher.connect()
        await teacher.until_finished(60)
        await teacher.rerun([trigger(teacher.widget_id("class.open", "button"))])
        await teacher.until_finished(60)
        return re.search(r"class=([A-Z0-9]+)", teacher.query).group(1)

    code = run(loop, open_class())
    cookie = class_load.route_to(dep, homes["B"])
    student = Tab(dep.url, f"/Lesson?class={code}", cookies={stclient.ROUTE: cookie})

    async def join() -> None:
        await student.connect()
        await student.until_finished(60)

    run(loop, join())
    yield teacher, student, code
    run(loop, close_all(teacher, student))


def next_step(loop, teacher: Tab) -> None:
    run(loop, teacher.rerun([trigger(teacher.widget_id("lesson.next", "button"))]))


def test_a_teacher_and_a_student_on_two_processes_share_the_class(dep, homes, klass, loop):
    teacher, student, code = klass
    assert "teacher=" in teacher.query and teacher.upstream() == homes["A"]
    assert student.upstream() == homes["B"] and f"class={code}" in student.query
    assert shown_step(teacher) == shown_step(student) == 1

    # The teacher (on A) moves on; the student (on B) follows, pushed through Redis's channel.
    next_step(loop, teacher)
    wait_until(lambda: shown_step(student) == 2, 10, "the student did not follow", student)

    # The student answers (once the question is on its page: the run that drew the step's
    # progress bar may still be drawing); the class store counts it once, and the teacher's live
    # tally on A shows it within its poll.
    def question_shown() -> bool:
        try:
            return bool(student.element("lesson.shapes.choice", "radio"))
        except LookupError:
            return False

    wait_until(question_shown, 10, "the student's page did not show the question", student)

    # As the browser answers: each rerun scoped to the question's fragment, which reruns alone
    # (ui/lesson.py, _class_question): nothing else of the page, the plane above all, is drawn
    # again.
    radio = student.element("lesson.shapes.choice", "radio")
    question, body = (
        student.fragment_of(radio.radio.id),
        student.fragment_of(student.widget_id("lesson.next", "button")),
    )
    assert question and body and question != body
    before = len(student.runs)

    async def answer() -> None:
        student.set_widget(choice(radio, 3))
        await student.rerun(fragment=question)
        await student.until_finished(30)
        await student.click(student.widget_id("lesson.shapes.check", "button"))
        await student.until_finished(30)

    run(loop, answer())
    answers = student.runs[before:]
    assert [r.fragment for r in answers] == [question, question], answers
    redrawn = {
        el.WhichOneof("type")
        for path, el in student.elements.items()
        if student._drawn_in[path] >= before
    }
    assert "radio" in redrawn and not redrawn & {"progress", "plotly_chart", "bidi_component"}
    tally = class_load.tally(dep, code, "shapes")
    assert (tally.n, tally.choices["disc"]) == (1, 1)
    wait_until(
        lambda: any("answers: 1" in text for text in teacher.texts()),
        10,
        "the teacher's tally did not show the answer",
        teacher,
    )
    assert not teacher.exceptions and not student.exceptions


def test_killing_a_process_sends_its_tabs_to_the_other(dep, homes, tabs, browser_page, klass, loop):
    teacher, student, code = klass
    step = shown_step(teacher)
    on_a = tabs["A"]
    sessions = {"A": on_a.session_id, "teacher": teacher.session_id, "student": student.session_id}
    page, _, sockets = browser_page
    os.kill(dep.apps[homes["B"]], signal.SIGKILL)

    # The student's socket closed; reconnecting through the proxy lands on A, in a new session
    # that rejoins the class from the link and shows the teacher's step.
    wait_until(lambda: not student.connected, 10, "the student's socket did not close")

    async def come_back() -> None:
        await student.reconnect()
        await student.until_finished(60)

    run(loop, come_back())
    assert student.upstream() == homes["A"] and student.session_id != sessions["student"]
    assert f"class={code}" in student.query and shown_step(student) == step
    # ... and follows on
    next_step(loop, teacher)
    wait_until(lambda: shown_step(student) == step + 1, 10, "the rejoined student stayed", student)

    # The browser reconnects by itself, to A, and its requests follow. (Its socket's close may
    # not have reached it yet: the student above can be back within a second.)
    for _ in range(300):
        if len(sockets) >= 2:
            break
        page.wait_for_timeout(100)  # Playwright delivers the handshake events while it waits
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stConnectionStatus\"]')"
        " && document.querySelector('[data-testid=\"stProgress\"]')",
        timeout=30_000,
    )
    wait_for_app(page)
    assert sockets[0] == homes["B"] and sockets[-1] == homes["A"], sockets
    assert fetched_by(page, "/_stcore/health") == homes["A"]
    assert page.get_by_text("Connection error").count() == 0

    # A's tabs noticed nothing: same sockets, same sessions, and they still run.
    assert on_a.connected and not on_a.reconnects and on_a.session_id == sessions["A"]
    assert teacher.connected and not teacher.reconnects
    assert teacher.session_id == sessions["teacher"]
    run(loop, on_a.rerun())
    assert run(loop, on_a.until_finished(30)) is not None and not on_a.exceptions

    # The script serves on with one process, and said so.
    assert dep.proc.poll() is None
    assert any(re.search(r"app on .* stopped \(137\)", line) for line in dep.out), dep.out[-5:]
