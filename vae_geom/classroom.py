"""The class store (issue 16): a teacher leads the Lesson, the class follows and answers. No
Streamlit here (vae_geom/ui/classroom.py draws it).

A teacher opens a class and gets a short code that students type (CODE_LENGTH characters of
CODE_ALPHABET, which has no 0/O, 1/I/L to misread off a projector) and a teacher key
(`secrets.token_urlsafe`) that only the teacher's link carries. With the key the teacher publishes
the view the class follows (the lesson step, dataset, model, β rung and pinned z) and reveals a
step's truth; without it nothing in a class can be changed. Joined students send their answers
(a choice, or a clicked z), anonymously: keyed by an id per browser and class
(`session_id_for`: a hash of a random secret the browser keeps and the code), never a name.

One setting chooses where classes live: the environment variable VAE_GEOM_CLASS_REDIS, a redis
URL (redis://127.0.0.1:6379/0), puts them in that Redis server, shared by every app process that
names it; unset, they live in this process's memory (one app process, nothing to set up). Both
backends keep the same plain-JSON records (nothing is ever pickled) and behave the same
(tests/test_classroom.py runs one suite against both, with a real redis-server):

    class:CODE             the class: the teacher key's SHA-256, the view (JSON), its revision
                           (bumped by every publish and reveal), "revealed:STEP" per revealed step
    class:CODE:a:STEP      one question's answers: session id -> answer (JSON)

Rules:
- An answer counts once per browser session and question: the LAST answer sent before the reveal
  wins (a student may change their mind until the teacher reveals). Once the teacher reveals a
  step its answers are closed (AnswersClosed): the tally the class saw revealed stays as it was.
- Everything expires on its own, TTL_S after the teacher's last publish, reveal or touch (Redis
  PEXPIRE; in memory, a deadline checked on every read). A student's answer never keeps a class
  alive; a teacher's open page does (vae_geom/ui/classroom.py touches every TOUCH_S).
- Everything that comes in is checked (check_* below: codes, keys, session ids, steps, choices
  from the step's own choices, z finite and within Z_LIMIT, sizes), since it comes from browsers.
- A class that is gone (never opened, closed, expired, or lost when Redis restarted) raises
  ClassGone; a Redis server that cannot be reached raises StoreUnavailable. The ui turns both into
  one message ("ask your teacher for a new code"), never a traceback.

Use the module's functions (open_class, teacher_ok, publish, touch, view, revision, answer,
answers, reveal, close); they act on `store()`, the backend the setting names.

Changes are also pushed: `watch(callback)` has callback(code, revision) called after every
publish and reveal (and close, with revision CLOSED) of any class, in this process or, with Redis,
in any process sharing the server (a PUBLISH on CHANNEL from the same Lua script that made the
change; one listener thread per process). A follower is rerun on it at once instead of finding the
change at its next poll (vae_geom/ui/push.py). A push can be lost (the listener reconnecting after
a Redis restart), so followers still poll, slowly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field

from vae_geom import data, lesson

ENV = "VAE_GEOM_CLASS_REDIS"  # a redis URL; unset or empty: classes live in this process
TTL_S = 3 * 3600  # a class lives this long after the teacher's last publish or reveal
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6  # 31⁶ ≈ 887 million codes
Z_LIMIT = 10.0  # as vae_geom.probe.Z_LIMIT: a z beyond the plane's 2.5 widths is refused
MAX_ANSWERS = 1_000  # sessions counted per question and class (a class of 300 fits thrice)
MAX_CLASSES = 200  # classes one process holds in memory at once (Redis: the server's maxmemory)
PREFIX = "vae-geom:class:"  # every Redis key the store writes starts with this
REDIS_TIMEOUT_S = 1.0  # a Redis server that does not answer within this is unavailable
CHANNEL = PREFIX + "changed"  # Redis pub/sub: "CODE REVISION" after every publish, reveal, close
CLOSED = -1  # the revision a watcher is told when a class closes
LISTEN_RETRY_S = 1.0  # the listener's pause before it subscribes again after an error

_log = logging.getLogger(__name__)
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TEACHER_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_STEPS = {s.id: s for s in lesson.STEPS}
MODELS = frozenset(
    {s.model for s in lesson.STEPS if s.model}
    | {s.reveal_model for s in lesson.STEPS if s.reveal_model}
    | set(lesson.RUNGS)
)  # the models a lesson view can show


class ClassError(Exception):
    """Anything the class store refuses or cannot do; the message says why, in English (the ui
    shows its own words in the session's language)."""


class ClassGone(ClassError):
    """No live class has this code: never opened, closed, expired, or lost with the store."""


class StoreUnavailable(ClassError):
    """The Redis server holding the classes cannot be reached."""


class NotTeacher(ClassError):
    """The teacher key is not this class's."""


class AnswersClosed(ClassError):
    """The teacher has revealed this step: its answers are closed."""


class BadInput(ClassError, ValueError):
    """A malformed code, key, session id, step, answer or view (they come from browsers)."""


# --- checks: everything a browser sends passes one of these --------------------------------------


def check_code(code: object) -> str:
    """A class code as a student types it (" abc d2e " -> "ABCD2E"); BadInput if it is none."""
    if not isinstance(code, str) or len(code) > 4 * CODE_LENGTH:
        raise BadInput(f"a class code is {CODE_LENGTH} letters and digits")
    norm = "".join(code.split()).upper()
    if len(norm) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in norm):
        raise BadInput(f"a class code is {CODE_LENGTH} of {CODE_ALPHABET}")
    return norm


def check_key(key: object) -> str:
    if not isinstance(key, str) or not _TEACHER_KEY.fullmatch(key):
        raise BadInput("a teacher key is 16-64 URL-safe characters")
    return key


def check_session(session_id: object) -> str:
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise BadInput("a session id is 16-64 URL-safe characters")
    return session_id


def check_step(step_id: object) -> lesson.Step:
    if not isinstance(step_id, str) or step_id not in _STEPS:
        raise BadInput(f"a step is one of {lesson.IDS}")
    return _STEPS[step_id]


def check_z(z: object) -> list[float]:
    """Two finite numbers within ±Z_LIMIT (bools, strings and NaN refused), as a JSON list."""
    if not isinstance(z, (list, tuple)) or len(z) != 2:
        raise BadInput("z is two numbers")
    if not all(type(v) in (int, float) for v in z):  # type(): True is an int, "1" converts
        raise BadInput("z is two numbers")
    x, y = float(z[0]), float(z[1])
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > Z_LIMIT:
        raise BadInput(f"z is two finite numbers within ±{Z_LIMIT:g}")
    return [x, y]


def check_answer(step: lesson.Step, value: object) -> dict:
    """A step's answer as stored: {"choice": id} of a choice step (an id of the step's own
    choices), {"z": [z1, z2]} of a click step."""
    if step.kind == "click":
        return {"z": check_z(value)}
    if not isinstance(value, str) or value not in step.choices:
        raise BadInput(f"an answer to {step.id!r} is one of {step.choices}")
    return {"choice": value}


def check_view(view: object) -> dict:
    """The view a teacher publishes: {step (1-based), dataset, model, rung, z}; rung and z may be
    None, dataset and model default to the step's preset. Unknown fields are refused."""
    fields = {"step", "dataset", "model", "rung", "z"}
    if not isinstance(view, dict) or not set(view) <= fields:
        raise BadInput(f"a view is a dict of {sorted(fields)}")
    n = view.get("step")
    if type(n) is not int or not 1 <= n <= len(lesson.STEPS):
        raise BadInput(f"a view's step is 1 to {len(lesson.STEPS)}")
    preset = lesson.step(n)
    dataset = view.get("dataset", preset.dataset)
    if dataset not in data.DATASETS:
        raise BadInput(f"a view's dataset is one of {data.DATASETS}")
    model = view.get("model", preset.model)
    if model is not None and model not in MODELS:
        raise BadInput(f"a view's model is one of {sorted(MODELS)}")
    rung = view.get("rung")
    if rung is not None and rung not in lesson.RUNGS:
        raise BadInput(f"a view's rung is one of {lesson.RUNGS}")
    z = view.get("z")
    return {
        "step": n,
        "dataset": dataset,
        "model": model,
        "rung": rung,
        "z": None if z is None else check_z(z),
    }


def first_view() -> dict:
    """A new class's view: the lesson's first step, as it opens."""
    return check_view({"step": 1})


def new_session_id() -> str:
    """A browser session's anonymous id in a class (random, never derived from anything)."""
    return secrets.token_urlsafe(16)


def session_id_for(secret: str, code: str) -> str:
    """A browser's anonymous id in class `code`, from a random secret the browser keeps (its link's
    owner token, ui/owner.py): the same after a reload or a reconnect to another app process (so
    its answer still counts once), another in each class, and no way back to the secret."""
    if not isinstance(secret, str) or len(secret) < 16:
        raise BadInput("the secret must be a string of at least 16 characters")
    digest = hashlib.sha256(f"vae-geom class {check_code(code)} {secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()  # 24 URL-safe characters


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- what a read returns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A question's answers: how many sessions answered, how many chose each of the step's
    choices (0 for none), and every clicked z of a click step (one per session)."""

    step: str
    n: int
    choices: dict[str, int] = field(default_factory=dict)
    clicks: list[list[float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def tally(step: lesson.Step, answers: list[dict]) -> Tally:
    counts = {c: 0 for c in step.choices}
    clicks = []
    for a in answers:
        if "choice" in a and a["choice"] in counts:
            counts[a["choice"]] += 1
        elif "z" in a:
            clicks.append(a["z"])
    return Tally(step.id, len(answers), counts, clicks)


def _read_view(raw_view: str, rev: int, revealed: list[str]) -> dict:
    v = json.loads(raw_view)
    v.update(revision=int(rev), revealed=sorted(revealed, key=lesson.IDS.index))
    return v


# --- the two backends ---------------------------------------------------------------------------


class MemoryStore:
    """Classes in this process's memory, for one app process. `clock` (seconds) may be a test's."""

    def __init__(self, ttl_s: float | None = None, clock=time.monotonic, max_classes: int = 0):
        self.ttl_s, self.clock = TTL_S if ttl_s is None else ttl_s, clock
        self.max_classes = max_classes or MAX_CLASSES
        self._classes: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _live(self, code: str) -> dict:
        c = self._classes.get(code)
        if c is None or c["expires"] <= self.clock():
            self._classes.pop(code, None)
            raise ClassGone(f"no class {code}: it ended, expired or was never opened")
        return c

    def _teacher(self, code: str, key: str) -> dict:
        c = self._live(code)
        if not hmac.compare_digest(c["key"], _digest(key)):
            raise NotTeacher(f"not the teacher key of class {code}")
        c["expires"] = self.clock() + self.ttl_s
        return c

    def open_class(self) -> tuple[str, str]:
        key = secrets.token_urlsafe(24)
        with self._lock:
            now = self.clock()
            for code in [k for k, c in self._classes.items() if c["expires"] <= now]:
                del self._classes[code]
            if len(self._classes) >= self.max_classes:
                raise StoreUnavailable(f"this server holds {self.max_classes} classes already")
            code = _new_code()
            while code in self._classes:
                code = _new_code()
            self._classes[code] = {
                "key": _digest(key),
                "view": json.dumps(first_view()),
                "rev": 1,
                "revealed": [],
                "answers": {},
                "expires": now + self.ttl_s,
            }
        return code, key

    def teacher_ok(self, code: str, key: str) -> bool:
        with self._lock:
            c = self._live(code)
            return hmac.compare_digest(c["key"], _digest(key))

    def publish(self, code: str, key: str, view: dict) -> int:
        with self._lock:
            c = self._teacher(code, key)
            c["view"] = json.dumps(view)
            c["rev"] += 1
            rev = c["rev"]
        _notify(code, rev)
        return rev

    def touch(self, code: str, key: str) -> int:
        with self._lock:
            return self._teacher(code, key)["rev"]

    def reveal(self, code: str, key: str, step_id: str) -> int:
        with self._lock:
            c = self._teacher(code, key)
            if step_id not in c["revealed"]:
                c["revealed"].append(step_id)
            c["rev"] += 1
            rev = c["rev"]
        _notify(code, rev)
        return rev

    def close(self, code: str, key: str) -> None:
        with self._lock:
            self._teacher(code, key)
            del self._classes[code]
        _notify(code, CLOSED)

    def listen(self) -> None:
        """Nothing to start: this process's own changes are its only ones (`_notify` above)."""

    def revision(self, code: str) -> int:
        with self._lock:
            return self._live(code)["rev"]

    def view(self, code: str) -> dict:
        with self._lock:
            c = self._live(code)
            return _read_view(c["view"], c["rev"], c["revealed"])

    def answer(self, code: str, session_id: str, step_id: str, value: str) -> bool:
        with self._lock:
            c = self._live(code)
            if step_id in c["revealed"]:
                raise AnswersClosed(f"step {step_id} of class {code} is revealed")
            given = c["answers"].setdefault(step_id, {})
            if session_id not in given and len(given) >= MAX_ANSWERS:
                raise BadInput(f"step {step_id} of class {code} has {MAX_ANSWERS} answers")
            new = session_id not in given
            given[session_id] = value
            return new

    def answer_list(self, code: str, step_id: str) -> list[str]:
        with self._lock:
            return list(self._live(code)["answers"].get(step_id, {}).values())


# Redis: each change is one Lua script, so it is atomic and sees the class exist or not as a whole.
# A missing class (expired, closed, lost in a restart) returns -1; a wrong teacher key -2.
_LUA_OPEN = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'view', ARGV[2], 'rev', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
# KEYS: the class, then its answer keys; ARGV: key digest, ttl ms, what ('view'|'reveal'|'touch'|
# 'check'|'close'), its value, CHANNEL, the code. Every teacher write renews the TTL of all the
# class's keys; every change is announced on CHANNEL as "CODE REVISION" (close: CLOSED).
_LUA_TEACHER = """
local digest = redis.call('HGET', KEYS[1], 'key')
if not digest then return -1 end
if digest ~= ARGV[1] then return -2 end
if ARGV[3] == 'check' then return 0 end
if ARGV[3] == 'close' then
  redis.call('DEL', unpack(KEYS))
  redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' -1')
  return 0
end
if ARGV[3] == 'view' then redis.call('HSET', KEYS[1], 'view', ARGV[4]) end
if ARGV[3] == 'reveal' then redis.call('HSET', KEYS[1], 'revealed:' .. ARGV[4], 1) end
local rev
if ARGV[3] == 'touch' then rev = redis.call('HGET', KEYS[1], 'rev')
else
  rev = redis.call('HINCRBY', KEYS[1], 'rev', 1)
  redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. rev)
end
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return tonumber(rev)
"""
# KEYS: the class, the question's answers; ARGV: session id, answer JSON, step id, MAX_ANSWERS.
# The answers expire with the class (its remaining TTL): a student never extends a class.
_LUA_ANSWER = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'revealed:' .. ARGV[3]) == 1 then return -3 end
local known = redis.call('HEXISTS', KEYS[2], ARGV[1])
if known == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return -4 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1 - known
"""


class RedisStore:
    """Classes in a Redis server (`url`), shared by every app process that names it."""

    def __init__(self, url: str, ttl_s: float | None = None):
        import redis  # only a deployment that names a server needs the client

        self.ttl_ms = int((TTL_S if ttl_s is None else ttl_s) * 1000)
        self._errors = (redis.exceptions.RedisError,)
        self._url, self._listener = url, None
        try:
            self.r = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                # one retry on a fresh connection: after a restart the pooled one is dead
                retry=redis.retry.Retry(redis.backoff.NoBackoff(), 1),
            )
        except ValueError as e:  # a deployment's typo: every class call says so, none crashes
            raise StoreUnavailable(f"{ENV} is not a redis URL (redis://host:port/db): {e}") from e
        self._open = self.r.register_script(_LUA_OPEN)
        self._teach = self.r.register_script(_LUA_TEACHER)
        self._answer = self.r.register_script(_LUA_ANSWER)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as e:
            raise StoreUnavailable(f"the class server cannot be reached: {e}") from e

    @staticmethod
    def _key(code: str, step_id: str | None = None) -> str:
        return PREFIX + code if step_id is None else f"{PREFIX}{code}:a:{step_id}"

    def _teacher(self, code: str, key: str, what: str, value: str = "") -> int:
        keys = [self._key(code)] + [self._key(code, s) for s in lesson.IDS]
        argv = [_digest(key), self.ttl_ms, what, value, CHANNEL, code]
        out = self._call(self._teach, keys, argv)
        if out == -1:
            raise ClassGone(f"no class {code}: it ended, expired or was lost with the server")
        if out == -2:
            raise NotTeacher(f"not the teacher key of class {code}")
        return int(out)

    def open_class(self) -> tuple[str, str]:
        key, view = secrets.token_urlsafe(24), json.dumps(first_view())
        while True:
            code = _new_code()
            if self._call(self._open, [self._key(code)], [_digest(key), view, self.ttl_ms]):
                return code, key

    def teacher_ok(self, code: str, key: str) -> bool:
        try:
            self._teacher(code, key, "check")
        except NotTeacher:
            return False
        return True

    def publish(self, code: str, key: str, view: dict) -> int:
        return self._teacher(code, key, "view", json.dumps(view))

    def touch(self, code: str, key: str) -> int:
        return self._teacher(code, key, "touch")

    def reveal(self, code: str, key: str, step_id: str) -> int:
        return self._teacher(code, key, "reveal", step_id)

    def close(self, code: str, key: str) -> None:
        self._teacher(code, key, "close")

    def revision(self, code: str) -> int:
        rev = self._call(self.r.hget, self._key(code), "rev")
        if rev is None:
            raise ClassGone(f"no class {code}: it ended, expired or was lost with the server")
        return int(rev)

    def view(self, code: str) -> dict:
        c = self._call(self.r.hgetall, self._key(code))
        if "view" not in c:
            raise ClassGone(f"no class {code}: it ended, expired or was lost with the server")
        revealed = [k.removeprefix("revealed:") for k in c if k.startswith("revealed:")]
        return _read_view(c["view"], c["rev"], revealed)

    def answer(self, code: str, session_id: str, step_id: str, value: str) -> bool:
        keys = [self._key(code), self._key(code, step_id)]
        out = self._call(self._answer, keys, [session_id, value, step_id, MAX_ANSWERS])
        if out == -1:
            raise ClassGone(f"no class {code}: it ended, expired or was lost with the server")
        if out == -3:
            raise AnswersClosed(f"step {step_id} of class {code} is revealed")
        if out == -4:
            raise BadInput(f"step {step_id} of class {code} has {MAX_ANSWERS} answers")
        return bool(out)

    def listen(self) -> None:
        """Start this process's listener on CHANNEL (once): every announced change reaches
        `_notify`, whichever process made it."""
        with _stores_lock:
            if self._listener is None:
                self._listener = threading.Thread(
                    target=self._listen, name="vae-geom-class-listener", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        # Its own connection, blocking (the store's calls time out after REDIS_TIMEOUT_S; a
        # subscriber waits as long as the class is quiet). On any error it subscribes again after
        # LISTEN_RETRY_S: what was announced meanwhile is lost, which the followers' slow poll
        # covers. It ends once this store is no longer the one the setting names.
        import redis

        client = redis.Redis.from_url(
            self._url, decode_responses=True, socket_connect_timeout=REDIS_TIMEOUT_S,
            socket_keepalive=True,
        )  # fmt: skip
        while _stores.get(self._url) is self:
            try:
                with client.pubsub(ignore_subscribe_messages=True) as sub:
                    sub.subscribe(CHANNEL)
                    while _stores.get(self._url) is self:
                        message = sub.get_message(timeout=LISTEN_RETRY_S)
                        if message is not None and message.get("type") == "message":
                            _announced(message.get("data"))
            except Exception:  # the server went away, or answered nonsense: again in a moment
                time.sleep(LISTEN_RETRY_S)

    def answer_list(self, code: str, step_id: str) -> list[str]:
        pipe = self.r.pipeline(transaction=True)
        pipe.exists(self._key(code))
        pipe.hvals(self._key(code, step_id))
        live, values = self._call(pipe.execute)
        if not live:
            raise ClassGone(f"no class {code}: it ended, expired or was lost with the server")
        return values


# --- the store the setting names, and the API ---------------------------------------------------

_stores: dict[str, MemoryStore | RedisStore] = {}
_stores_lock = threading.Lock()


def store() -> MemoryStore | RedisStore:
    """The backend VAE_GEOM_CLASS_REDIS names (read on every call, made once per value): a
    RedisStore for a redis URL, else this process's MemoryStore."""
    url = os.environ.get(ENV, "").strip()
    s = _stores.get(url)
    if s is None:
        with _stores_lock:
            s = _stores.get(url)
            if s is None:
                s = _stores[url] = RedisStore(url) if url else MemoryStore()
    return s  # a URL that is none raises StoreUnavailable on every call (and is not kept)


_watchers: list = []


def watch(callback) -> None:
    """callback(code, revision) after every change of any class (module docstring), from the
    thread that made it (in memory) or the listener's (Redis): it must be quick and not block.
    Registering the same callback twice is one registration."""
    with _stores_lock:
        if callback not in _watchers:
            _watchers.append(callback)
    store().listen()


def _notify(code: str, rev: int) -> None:
    for callback in list(_watchers):
        try:
            callback(code, rev)
        except Exception:  # a watcher's fault must not undo the change made: logged, not raised
            _log.exception("a class watcher failed on %s %s", code, rev)


def _announced(data: object) -> None:
    """A CHANNEL message, "CODE REVISION": to the watchers, if it is one (anything else that
    reached the channel is ignored)."""
    try:
        raw_code, raw_rev = str(data).split(" ")
        code, rev = check_code(raw_code), int(raw_rev)
    except (ValueError, BadInput):
        return
    _notify(code, rev)


def open_class() -> tuple[str, str]:
    """A new class: (its code, for the students; the teacher key, for the teacher's link only)."""
    return store().open_class()


def teacher_ok(code: str, key: str) -> bool:
    """Whether `key` is the teacher key of the live class `code` (ClassGone if none is live);
    False, never an error, for a malformed key."""
    code = check_code(code)
    try:
        key = check_key(key)
    except BadInput:
        return False
    return store().teacher_ok(code, key)


def publish(code: str, key: str, view: dict) -> int:
    """The teacher's view becomes the class's (see check_view); returns the new revision. Renews
    the class's TTL."""
    return store().publish(check_code(code), check_key(key), check_view(view))


def touch(code: str, key: str) -> int:
    """The teacher is still there: the class lives TTL_S from now (its revision is unchanged and
    returned)."""
    return store().touch(check_code(code), check_key(key))


def view(code: str) -> dict:
    """The class's view: {step, dataset, model, rung, z, revision, revealed: [step ids]}."""
    return store().view(check_code(code))


def revision(code: str) -> int:
    """The view's revision alone (one small read): a follower polls this, and reads `view` only
    when it changed."""
    return store().revision(check_code(code))


def answer(code: str, session_id: str, step_id: str, value) -> bool:
    """A student's answer to a step (a choice id, or a clicked z for a click step); True if this
    session had not answered the step before (its earlier answer is replaced: the last one
    counts). AnswersClosed once the step is revealed."""
    step = check_step(step_id)
    record = json.dumps(check_answer(step, value))
    return store().answer(check_code(code), check_session(session_id), step.id, record)


def answers(code: str, step_id: str) -> Tally:
    """The class's answers to a step, counted (one per session)."""
    step = check_step(step_id)
    return tally(step, [json.loads(a) for a in store().answer_list(check_code(code), step.id)])


def reveal(code: str, key: str, step_id: str) -> int:
    """The teacher reveals a step's truth to the class (and closes its answers); returns the new
    revision."""
    step = check_step(step_id)
    return store().reveal(check_code(code), check_key(key), step.id)


def close(code: str, key: str) -> None:
    """The teacher ends the class: everything it held is deleted at once."""
    store().close(check_code(code), check_key(key))
