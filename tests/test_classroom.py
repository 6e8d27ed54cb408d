"""The class store (vae_geom/classroom.py), one suite run against both backends: in memory, and in
a real Debian redis-server that the fixture starts as its own process (no disk, a free port) and
stops. Then what only Redis has: a restart mid-class, a server gone, keys that all expire, two
processes sharing one class."""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vae_geom import classroom, lesson

REDIS_SERVER = "/usr/bin/redis-server"
ROOT = Path(__file__).parents[1]
SID = ["s" * 16 + str(i) for i in range(5)]  # browser sessions' ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server of our own: no snapshot, no append-only file, in a temporary folder."""

    def __init__(self, folder: Path):
        self.folder, self.port, self.proc = folder, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.folder)]  # fmt: skip
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.fail("redis-server is missing: scripts/test.sh installs it (apt-get install)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def backend(request, monkeypatch) -> str:
    """The store the setting names: unset -> in memory; a URL -> that redis-server. A fresh store
    per test (short TTL where a test sets classroom.TTL_S first)."""
    monkeypatch.setattr(classroom, "_stores", {})
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        if server.proc is None:  # a test stopped it
            server.start()
        monkeypatch.setenv(classroom.ENV, server.url)
    else:
        monkeypatch.delenv(classroom.ENV, raising=False)
    return request.param


def test_the_setting_chooses_the_backend(backend):
    kind = classroom.RedisStore if backend == "redis" else classroom.MemoryStore
    assert type(classroom.store()) is kind
    assert classroom.store() is classroom.store()  # one per process and setting


def test_a_class_opens_with_a_typable_code_and_a_secret_key(backend):
    code, key = classroom.open_class()
    assert len(code) == classroom.CODE_LENGTH and set(code) <= set(classroom.CODE_ALPHABET)
    assert not set("01OIL") & set(classroom.CODE_ALPHABET)
    assert len(key) >= 32 and key != code
    assert classroom.teacher_ok(code, key)
    assert classroom.teacher_ok(f" {code.lower()[:3]} {code.lower()[3:]} ", key)  # as typed
    v = classroom.view(code)
    assert v == {"step": 1, "dataset": "mnist", "model": "ae", "rung": None, "z": None,
                 "revision": 1, "revealed": []}  # fmt: skip
    assert classroom.revision(code) == 1
    other, other_key = classroom.open_class()
    assert other != code and other_key != key
    assert not classroom.teacher_ok(code, other_key) and not classroom.teacher_ok(other, key)


def test_the_teacher_publishes_and_the_class_reads_it(backend):
    code, key = classroom.open_class()
    rev = classroom.publish(code, key, {"step": 6, "rung": "vae-kl-0.3", "z": (0.5, -1)})
    assert rev == 2 == classroom.revision(code)
    assert classroom.view(code) == {
        "step": 6, "dataset": "mnist", "model": "vae-kl-3", "rung": "vae-kl-0.3",
        "z": [0.5, -1.0], "revision": 2, "revealed": [],
    }  # fmt: skip
    assert classroom.publish(code, key, {"step": 2}) == 3
    assert classroom.view(code)["model"] is None  # the shapes step shows no model
    json.dumps(classroom.view(code))  # plain data


FORGED_VIEWS = [
    {"step": 0},
    {"step": 9},
    {"step": "3"},
    {"step": True},
    {"step": 3.0},
    {},
    {"step": 3, "model": "user:theirs"},
    {"step": 3, "dataset": "../etc"},
    {"step": 3, "rung": "vae-kl-10"},
    {"step": 3, "z": [math.nan, 0]},
    {"step": 3, "z": [0, math.inf]},
    {"step": 3, "z": [11, 0]},
    {"step": 3, "z": [0, 0, 0]},
    {"step": 3, "z": ["1", 0]},
    {"step": 3, "z": [True, 0]},
    {"step": 3, "script": "<b>x</b>"},
    [3],
    "step=3",
]


@pytest.mark.parametrize("forged", FORGED_VIEWS, ids=range(len(FORGED_VIEWS)))
def test_a_forged_view_is_refused_and_changes_nothing(backend, forged):
    code, key = classroom.open_class()
    before = classroom.view(code)
    with pytest.raises(classroom.BadInput):
        classroom.publish(code, key, forged)
    assert classroom.view(code) == before


def test_only_the_teacher_key_writes(backend):
    code, key = classroom.open_class()
    before = classroom.view(code)
    for forged in (key[:-1] + ("A" if key[-1] != "A" else "B"), "x" * 32, "", "k" * 500, None, 7):
        assert not classroom.teacher_ok(code, forged)
        with pytest.raises((classroom.NotTeacher, classroom.BadInput)):
            classroom.publish(code, forged, {"step": 4})
        with pytest.raises((classroom.NotTeacher, classroom.BadInput)):
            classroom.reveal(code, forged, "ae")
        with pytest.raises((classroom.NotTeacher, classroom.BadInput)):
            classroom.close(code, forged)
    assert classroom.view(code) == before


@pytest.mark.parametrize("code", ["", "ABC", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC-DE", "Ａ" * 6,
                                  "A" * 1000, None, 123456, ["ABCDEF"]])  # fmt: skip
def test_a_malformed_code_is_refused_before_any_lookup(backend, code):
    for call in (
        lambda: classroom.view(code),
        lambda: classroom.revision(code),
        lambda: classroom.answer(code, SID[0], "areas", "lt10"),
        lambda: classroom.answers(code, "areas"),
    ):
        with pytest.raises(classroom.BadInput):
            call()


def test_an_unknown_code_is_a_class_gone(backend):
    code, _ = classroom.open_class()
    unknown = next(c * 6 for c in classroom.CODE_ALPHABET if c * 6 != code)
    with pytest.raises(classroom.ClassGone):
        classroom.view(unknown)
    with pytest.raises(classroom.ClassGone):
        classroom.answer(unknown, SID[0], "areas", "lt10")
    with pytest.raises(classroom.ClassGone):
        classroom.teacher_ok(unknown, "k" * 32)


def test_one_answer_per_session_and_question_the_last_one_counts(backend):
    code, _ = classroom.open_class()
    assert classroom.answer(code, SID[0], "areas", "lt10") is True
    assert classroom.answer(code, SID[0], "areas", "lt10") is False  # sent twice
    assert classroom.answer(code, SID[0], "areas", "gt90") is False  # changed their mind
    assert classroom.answer(code, SID[1], "areas", "gt90") is True
    assert classroom.answer(code, SID[2], "areas", "10_50") is True
    assert classroom.answer(code, SID[0], "union", "each") is True  # another question
    t = classroom.answers(code, "areas")
    assert (t.step, t.n, t.choices, t.clicks) == (
        "areas", 3, {"lt10": 0, "10_50": 1, "50_90": 0, "gt90": 2}, [])  # fmt: skip
    assert classroom.answers(code, "union").choices == {"each": 1, "union": 0}
    assert classroom.answers(code, "blend").n == 0


def test_clicks_are_collected_one_per_session(backend):
    code, _ = classroom.open_class()
    classroom.answer(code, SID[0], "ae", (0.25, -1.5))
    classroom.answer(code, SID[1], "ae", [1, 2])
    classroom.answer(code, SID[1], "ae", [1.5, 2.5])  # moved their pin: the last one counts
    t = classroom.answers(code, "ae")
    assert t.n == 2 and sorted(t.clicks) == [[0.25, -1.5], [1.5, 2.5]] and t.choices == {}


FORGED_ANSWERS = [
    ("areas", "disc"),  # another step's choice
    ("areas", "LT10"),
    ("areas", ""),
    ("areas", ["lt10"]),
    ("areas", None),
    ("areas", "x" * 100_000),
    ("areas", (0.1, 0.2)),  # a z for a choice step
    ("ae", "hole"),  # a choice for a click step
    ("ae", [math.nan, 0]),
    ("ae", [0, -math.inf]),
    ("ae", [1e308, 0]),
    ("ae", [0, 10.5]),
    ("ae", [True, False]),
    ("ae", ["0.1", "0.2"]),
    ("ae", [0.1]),
    ("ae", [0.1, 0.2, 0.3]),
    ("ae", {"x": 0.1, "y": 0.2}),
    ("nope", "lt10"),
    ("", "lt10"),
    (None, "lt10"),
]


@pytest.mark.parametrize("step_id, value", FORGED_ANSWERS, ids=range(len(FORGED_ANSWERS)))
def test_a_forged_answer_is_refused_and_not_counted(backend, step_id, value):
    code, _ = classroom.open_class()
    with pytest.raises(classroom.BadInput):
        classroom.answer(code, SID[0], step_id, value)
    for s in lesson.IDS:
        assert classroom.answers(code, s).n == 0


@pytest.mark.parametrize("sid", ["", "short", "a" * 65, "a b" * 8, "ä" * 16, "../../" * 4, None, 5])
def test_a_forged_session_id_is_refused(backend, sid):
    code, _ = classroom.open_class()
    with pytest.raises(classroom.BadInput):
        classroom.answer(code, sid, "areas", "lt10")
    assert classroom.answers(code, "areas").n == 0


def test_a_question_holds_at_most_max_answers(backend, monkeypatch):
    monkeypatch.setattr(classroom, "MAX_ANSWERS", 3)
    code, _ = classroom.open_class()
    for sid in SID[:3]:
        classroom.answer(code, sid, "areas", "lt10")
    with pytest.raises(classroom.BadInput):
        classroom.answer(code, SID[3], "areas", "lt10")
    classroom.answer(code, SID[0], "areas", "gt90")  # one already counted may still change
    assert classroom.answers(code, "areas").choices == {"lt10": 2, "10_50": 0, "50_90": 0,
                                                        "gt90": 1}  # fmt: skip


def test_reveal_shows_in_the_view_and_closes_the_answers(backend):
    code, key = classroom.open_class()
    classroom.answer(code, SID[0], "areas", "lt10")
    rev = classroom.reveal(code, key, "areas")
    assert rev == 2 and classroom.revision(code) == 2  # followers notice a reveal
    assert classroom.view(code)["revealed"] == ["areas"]
    with pytest.raises(classroom.AnswersClosed):
        classroom.answer(code, SID[0], "areas", "gt90")
    with pytest.raises(classroom.AnswersClosed):
        classroom.answer(code, SID[1], "areas", "gt90")
    assert classroom.answers(code, "areas").choices["lt10"] == 1
    assert classroom.answers(code, "areas").n == 1
    classroom.reveal(code, key, "ae")
    classroom.reveal(code, key, "areas")  # twice: still once
    assert classroom.view(code)["revealed"] == ["ae", "areas"]  # in the lesson's order
    classroom.answer(code, SID[0], "union", "each")  # other steps stay open


def test_close_ends_the_class_for_everyone(backend):
    code, key = classroom.open_class()
    classroom.answer(code, SID[0], "areas", "lt10")
    classroom.close(code, key)
    for call in (
        lambda: classroom.view(code),
        lambda: classroom.revision(code),
        lambda: classroom.answers(code, "areas"),
        lambda: classroom.answer(code, SID[0], "areas", "gt90"),
        lambda: classroom.publish(code, key, {"step": 2}),
        lambda: classroom.close(code, key),
    ):
        with pytest.raises(classroom.ClassGone):
            call()


def test_a_class_expires_after_the_teachers_last_write(backend, monkeypatch):
    monkeypatch.setattr(classroom, "TTL_S", 0.6)
    code, key = classroom.open_class()
    time.sleep(0.4)
    classroom.publish(code, key, {"step": 2})  # the teacher is active: 0.6 s more
    classroom.answer(code, SID[0], "shapes", "disc")
    time.sleep(0.4)
    assert classroom.view(code)["step"] == 2  # 0.8 s after opening, 0.4 s after the publish
    classroom.answer(code, SID[1], "shapes", "line")  # a student never keeps a class alive
    time.sleep(0.35)
    with pytest.raises(classroom.ClassGone):
        classroom.view(code)
    with pytest.raises(classroom.ClassGone):
        classroom.answer(code, SID[2], "shapes", "disc")


def test_the_teachers_touch_keeps_the_class_and_its_answers_alive(backend, monkeypatch):
    monkeypatch.setattr(classroom, "TTL_S", 0.6)
    code, key = classroom.open_class()
    classroom.answer(code, SID[0], "shapes", "disc")
    for _ in range(3):
        time.sleep(0.35)
        assert classroom.touch(code, key) == 1  # the revision does not move: nobody reruns
    assert classroom.answers(code, "shapes").n == 1  # 1.05 s after opening, with a 0.6 s TTL
    with pytest.raises(classroom.NotTeacher):
        classroom.touch(code, "k" * 32)
    time.sleep(0.7)
    with pytest.raises(classroom.ClassGone):
        classroom.touch(code, key)


def test_memory_forgets_expired_classes_and_bounds_how_many_live():
    now = [0.0]
    s = classroom.MemoryStore(ttl_s=10, clock=lambda: now[0], max_classes=3)
    codes = [s.open_class()[0] for _ in range(3)]
    with pytest.raises(classroom.StoreUnavailable):
        s.open_class()
    now[0] = 11.0
    s.open_class()  # the three expired ones are gone: room again
    assert len(s._classes) == 1
    with pytest.raises(classroom.ClassGone):
        s.view(codes[0])


def test_z_limit_is_the_planes():
    from vae_geom import probe

    assert classroom.Z_LIMIT == probe.Z_LIMIT


# --- Redis only ---------------------------------------------------------------------------------


@pytest.fixture
def on_redis(redis_server, monkeypatch):
    monkeypatch.setattr(classroom, "_stores", {})
    if redis_server.proc is None:
        redis_server.start()
    monkeypatch.setenv(classroom.ENV, redis_server.url)
    return redis_server


def _client(server):
    import redis

    return redis.Redis.from_url(server.url, decode_responses=True)


def test_every_key_expires_and_holds_only_json(on_redis):
    code, key = classroom.open_class()
    classroom.publish(code, key, {"step": 1, "z": [0.1, 0.2]})
    classroom.answer(code, SID[0], "ae", [0.1, 0.2])
    classroom.answer(code, SID[1], "areas", "lt10")
    classroom.reveal(code, key, "areas")
    r = _client(on_redis)
    keys = sorted(r.scan_iter(f"{classroom.PREFIX}{code}*"))
    assert keys == [f"{classroom.PREFIX}{code}", f"{classroom.PREFIX}{code}:a:ae",
                    f"{classroom.PREFIX}{code}:a:areas"]  # fmt: skip
    for k in keys:
        assert 0 < r.pttl(k) <= classroom.TTL_S * 1000
    meta = r.hgetall(keys[0])
    assert meta["key"] != key and len(meta["key"]) == 64  # the key's digest, not the key
    assert json.loads(meta["view"])["z"] == [0.1, 0.2]
    for k in keys[1:]:
        for v in r.hvals(k):
            assert isinstance(json.loads(v), dict)


def test_a_redis_restart_mid_class_is_a_class_gone(on_redis):
    code, key = classroom.open_class()
    classroom.answer(code, SID[0], "areas", "lt10")
    on_redis.stop()
    t0 = time.monotonic()
    with pytest.raises(classroom.StoreUnavailable):
        classroom.revision(code)
    with pytest.raises(classroom.StoreUnavailable):
        classroom.answer(code, SID[0], "areas", "gt90")
    assert time.monotonic() - t0 < 5  # refused connections are reported at once, not hung on
    on_redis.start()  # the same address, an empty server: the class is lost
    with pytest.raises(classroom.ClassGone):
        classroom.revision(code)
    with pytest.raises(classroom.ClassGone):
        classroom.answer(code, SID[0], "areas", "gt90")
    with pytest.raises(classroom.ClassGone):
        classroom.publish(code, key, {"step": 2})
    assert list(_client(on_redis).scan_iter(f"{classroom.PREFIX}*")) == []  # nothing re-created
    code, key = classroom.open_class()  # a new class works on the restarted server
    assert classroom.publish(code, key, {"step": 2}) == 2


def test_no_server_at_all_is_store_unavailable(monkeypatch):
    monkeypatch.setattr(classroom, "_stores", {})
    monkeypatch.setenv(classroom.ENV, f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(classroom.StoreUnavailable):
        classroom.open_class()


@pytest.mark.parametrize("url", ["localhost:6379", "http://127.0.0.1:6379/0", "redis://x:y:z"])
def test_a_setting_that_is_no_redis_url_is_store_unavailable(monkeypatch, url):
    monkeypatch.setattr(classroom, "_stores", {})
    monkeypatch.setenv(classroom.ENV, url)
    with pytest.raises(classroom.StoreUnavailable, match=classroom.ENV):
        classroom.open_class()
    with pytest.raises(classroom.StoreUnavailable):
        classroom.revision("ABCDEF")


def test_two_processes_share_one_class(on_redis):
    code, key = classroom.open_class()
    other = (
        "from vae_geom import classroom as c\n"
        f"c.answer({code!r}, {SID[3]!r}, 'areas', '50_90')\n"
        f"print(c.view({code!r})['step'])\n"
    )
    classroom.publish(code, key, {"step": 3})
    env = {**os.environ, classroom.ENV: on_redis.url}
    out = subprocess.run([sys.executable, "-c", other], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "3"
    assert classroom.answers(code, "areas").choices["50_90"] == 1


def _watching(monkeypatch) -> list[tuple[str, int]]:
    """What classroom.watch reports from now on (a fresh list of watchers for the test), once it
    reports anything: a probe class publishes until it is heard (Redis: the listener subscribed)."""
    heard: list[tuple[str, int]] = []
    monkeypatch.setattr(classroom, "_watchers", [])
    classroom.watch(lambda code, rev: heard.append((code, rev)))
    code, key = classroom.open_class()
    deadline = time.monotonic() + 15
    while not heard and time.monotonic() < deadline:
        classroom.publish(code, key, {"step": 2})
        time.sleep(0.05)
    classroom.close(code, key)
    assert _until(heard, 1) and heard[0][0] == code, "the listener never heard a change"
    deadline = time.monotonic() + 10
    while heard[-1] != (code, classroom.CLOSED) and time.monotonic() < deadline:
        time.sleep(0.01)  # the probe's own publishes, then its close
    assert heard[-1] == (code, classroom.CLOSED)
    heard.clear()
    return heard


def _until(heard: list, n: int, timeout_s: float = 10.0) -> list:
    deadline = time.monotonic() + timeout_s
    while len(heard) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(heard)


def test_every_change_is_announced_with_its_revision(backend, monkeypatch):
    """Followers are pushed on this (vae_geom/ui/push.py): a publish and a reveal with the
    revision they made, a close with CLOSED; a touch, an answer or a read announce nothing."""
    heard = _watching(monkeypatch)
    code, key = classroom.open_class()
    rev = classroom.publish(code, key, {"step": 2})
    classroom.touch(code, key)
    classroom.answer(code, SID[0], "areas", "lt10")
    classroom.view(code)
    rev2 = classroom.reveal(code, key, "areas")
    classroom.close(code, key)
    assert _until(heard, 3) == [(code, rev), (code, rev2), (code, classroom.CLOSED)]
    time.sleep(0.3)
    assert len(heard) == 3  # nothing else came


def test_a_change_made_by_another_process_is_announced_here(on_redis, monkeypatch):
    """The listener hears what another app process changed (the Lua script's PUBLISH), and
    ignores anything else that reaches the channel."""
    heard = _watching(monkeypatch)
    code, key = classroom.open_class()
    r = _client(on_redis)
    for junk in ("hello", f"{code} x", "abc 3", f"{code} 4 5", ""):
        r.publish(classroom.CHANNEL, junk)
    call = f"c.publish({code!r}, {key!r}, {{'step': 4}})"
    other = f"from vae_geom import classroom as c\nprint({call})"
    env = {**os.environ, classroom.ENV: on_redis.url}
    out = subprocess.run([sys.executable, "-c", other], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert _until(heard, 1) == [(code, int(out.stdout))]
    time.sleep(0.3)
    assert len(heard) == 1


def test_the_listener_hears_again_after_a_redis_restart(on_redis, monkeypatch):
    """A push lost while the server was away is the followers' poll's to catch; after it, the
    listener subscribes again by itself."""
    heard = _watching(monkeypatch)
    on_redis.stop()
    on_redis.start()
    code, key = classroom.open_class()  # the restarted server
    deadline = time.monotonic() + 15
    while not heard and time.monotonic() < deadline:  # until the listener is back
        classroom.publish(code, key, {"step": 2})
        time.sleep(0.2)
    assert heard and heard[-1][0] == code


def test_a_watchers_fault_does_not_undo_the_change(backend, monkeypatch):
    monkeypatch.setattr(classroom, "_watchers", [])

    def broken(code, rev):
        raise RuntimeError("a watcher's bug")

    classroom.watch(broken)
    code, key = classroom.open_class()
    assert classroom.publish(code, key, {"step": 5}) == 2
    assert classroom.view(code)["step"] == 5


# --- the teacher's figures (vae_geom/figures/classroom.py) ---------------------------------------


def test_the_choices_bar_counts_each_choice_and_ticks_the_truth():
    from tests.plotly_data import array
    from vae_geom.figures import classroom as figures

    fig = figures.choices_bar(["a", "b", "c"], [3, 0, 1])
    bar = fig.data[0]
    assert list(bar.y) == ["a", "b", "c"] and array(bar.x).tolist() == [3, 0, 1]
    assert len(set(bar.marker.color)) == 1  # nothing revealed: one colour
    bar = figures.choices_bar(["a", "b", "c"], [3, 0, 1], truth=1).data[0]
    assert list(bar.y) == ["a", "✓ b", "c"]
    assert bar.marker.color[1] == figures.RIGHT and bar.marker.color[0] == figures.OTHER


def test_the_clicks_map_bins_every_click_inside_the_plane():
    from tests.plotly_data import array
    from vae_geom.figures import classroom as figures

    clicks = [[0.1, 0.1], [0.2, 0.15], [-3.9, 3.9], [2.0, -1.0]]
    fig = figures.clicks_map(clicks)
    heat = array(fig.data[0].z)
    assert heat.sum() == 4 and heat.max() == 2  # the two near clicks share a cell
    points = fig.data[-1]
    assert array(points.x).tolist() == [c[0] for c in clicks]
    assert figures.clicks_map([]).data[0].z is not None  # no clicks yet: an empty map


def test_a_browsers_id_in_a_class_is_the_same_after_a_reconnect_and_unlinkable():
    """From the link's owner token: the same id for the same browser and class (a reload, a
    reconnect to another process), another in another class or browser, never the token."""
    a, b = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    one = classroom.session_id_for(a, "ABC234")
    assert one == classroom.session_id_for(a, "ABC234") == classroom.check_session(one)
    assert one != classroom.session_id_for(a, "XYZ789") and one != classroom.session_id_for(
        b, "ABC234"
    )
    assert a not in one and len(one) == 24
    with pytest.raises(classroom.BadInput):
        classroom.session_id_for("short", "ABC234")
    with pytest.raises(classroom.BadInput):
        classroom.session_id_for(a, "not a code")
