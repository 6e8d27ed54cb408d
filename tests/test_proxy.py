"""The nginx proxy a class is served through: deploy/nginx/vae-geom.conf (SECURITY.md, issue 12).

A real `streamlit run` behind Debian's nginx, on free loopback ports, with the config that
scripts/serve_behind_nginx.sh generates. Every limit is checked by what a client gets through the
proxy; where a path is closed, the app itself is asked too, so the refusal is known to be nginx's.
Clients are told apart by address: Linux answers on all of 127.0.0.0/8, so each test that spends a
client's allowance connects from its own loopback address (127.0.0.2, .3, ...).
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit

from tests.devserver import ROOT, chromium, free_port, streamlit_server, wait_for_app
from vae_geom import zips

pytestmark = pytest.mark.proxy

NGINX = "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "vae-geom.conf"
SCRIPT = ROOT / "scripts" / "serve_behind_nginx.sh"
MB = 1024 * 1024  # nginx's "m", and Streamlit's maxUploadSize unit
BURST = 6  # limit_req burst=5 nodelay: the first request and 5 more pass at once
CONNS = 16  # limit_conn vaegeom_conns 16


def directive(name: str) -> list[str]:
    """The values of every `name value;` line of the shipped site file, comments dropped."""
    lines = (line.split("#", 1)[0].strip() for line in SITE.read_text().splitlines())
    return [line[len(name) :].strip(" ;") for line in lines if line.startswith(name + " ")]


def test_body_cap_is_the_apps_cap():
    """One cap: Streamlit refuses an upload whose Content-Length (file and multipart framing)
    exceeds server.maxUploadSize = zips.MAX_UPLOAD_MB, and nginx refuses the same bodies."""
    assert directive("client_max_body_size") == [f"{zips.MAX_UPLOAD_MB}m"]
    assert directive("limit_req") == [f"zone=vaegeom_uploads burst={BURST - 1} nodelay"]
    assert directive("limit_conn") == [f"vaegeom_conns {CONNS}"]


# -- servers -------------------------------------------------------------------------------------


class Proxy(str):
    """The proxy's base URL; `.app` is the Streamlit server's, `.dir` holds nginx's files."""

    app: str
    dir: Path

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self).port


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if request(url, "GET", "/_stcore/health")[0] == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer /_stcore/health within {timeout} s")


@contextlib.contextmanager
def nginx_in_front_of(app: str) -> Iterator[Proxy]:
    """Debian's nginx on a free loopback port with the config the serve script writes."""
    if not os.access(NGINX, os.X_OK):
        raise FileNotFoundError(f"{NGINX} is missing: scripts/test.sh installs it (apt nginx)")
    with tempfile.TemporaryDirectory(prefix="vae-geom-nginx.") as tmp:
        port, app_port = free_port(), urllib.parse.urlsplit(app).port
        env = {**os.environ, "PORT": str(port), "APP_PORT": str(app_port)}
        subprocess.run(["bash", SCRIPT, "--config-only", tmp], env=env, check=True)
        conf = Path(tmp) / "nginx.conf"
        proc = subprocess.Popen([NGINX, "-e", "stderr", "-c", str(conf)], stderr=subprocess.PIPE)
        proxy = Proxy(f"http://127.0.0.1:{port}")
        proxy.app, proxy.dir = app, Path(tmp)
        try:
            wait_until_up(proxy, proc, timeout=20)
            yield proxy
        finally:
            proc.terminate()  # nginx's fast shutdown; its workers go with it
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            errors = Path(tmp, "error.log")
            if errors.exists():  # shown by pytest when a test failed
                print("nginx error.log:\n" + errors.read_text()[-3000:])


@pytest.fixture(scope="module")
def proxy() -> Iterator[Proxy]:
    with streamlit_server() as app, nginx_in_front_of(app) as p:
        yield p


@pytest.fixture(scope="module")
def session(proxy):
    """The app opened in headless Chromium through the proxy, kept open for the module: its
    session id (from the websocket's first messages) and XSRF cookie let a test upload as it."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    frames: list[bytes] = []
    sockets: list[str] = []

    def on_websocket(ws) -> None:
        sockets.append(ws.url)
        ws.on("framereceived", lambda payload: frames.append(payload))

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("websocket", on_websocket)
        page.goto(proxy, wait_until="domcontentloaded")
        wait_for_app(page)
        page.wait_for_function(  # the plane drew: its payload came through the proxy
            "window.__vaeGeomPlane && window.__vaeGeomPlane.draws.length > 0", timeout=60_000
        )
        ids = []
        for payload in frames:
            if isinstance(payload, bytes):
                msg = ForwardMsg.FromString(payload)
                if msg.WhichOneof("type") == "new_session":
                    ids.append(msg.new_session.initialize.session_id)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        yield {"page": page, "id": ids[0], "xsrf": cookies["_streamlit_xsrf"], "ws": sockets}


# -- a small HTTP client that can pick its source address -----------------------------------------


def request(
    url: str,
    method: str,
    path: str,
    *,
    source: str = "127.0.0.1",
    headers: dict | None = None,
    body: bytes | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read()
    finally:
        conn.close()


def multipart(data: bytes, filename: str = "data.csv") -> tuple[bytes, str]:
    """One file as the browser's uploader sends it."""
    boundary = "vaegeomtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


def upload(proxy: Proxy, session: dict, file_id: str, data: bytes, source: str) -> tuple:
    """PUT one file into the browser's session, through the proxy, as its uploader does."""
    body, content_type = multipart(data)
    headers = {
        "Content-Type": content_type,
        "Cookie": f"_streamlit_xsrf={session['xsrf']}",
        "X-Xsrftoken": session["xsrf"],
    }
    path = f"/_stcore/upload_file/{session['id']}/{file_id}"
    return request(proxy, "PUT", path, source=source, headers=headers, body=body)


def delete(proxy: Proxy, session: dict, file_id: str, source: str) -> int:
    headers = {"Cookie": f"_streamlit_xsrf={session['xsrf']}", "X-Xsrftoken": session["xsrf"]}
    path = f"/_stcore/upload_file/{session['id']}/{file_id}"
    return request(proxy, "DELETE", path, source=source, headers=headers)[0]


def from_nginx(body: bytes, status: int) -> bool:
    """nginx's own error page (Streamlit answers errors in JSON or plain text)."""
    return f"<title>{status} ".encode() in body and b"<center>nginx</center>" in body


# -- the app through the proxy --------------------------------------------------------------------


def test_page_health_and_websocket_work_through_the_proxy(proxy, session):
    status, headers, body = request(proxy, "GET", "/")
    assert status == 200 and b'<div id="root">' in body
    status, _, body = request(proxy, "GET", "/_stcore/health")
    assert (status, body) == (200, b"ok")

    # The sticky-session cookie (for N app processes) is set once, then carried.
    route = re.match(r"vaegeom_route=(\w+);", headers["Set-Cookie"]).group(1)
    again = request(proxy, "GET", "/", headers={"Cookie": f"vaegeom_route={route}"})[1]
    assert "vaegeom_route" not in str(again.get_all("Set-Cookie"))

    # Chromium ran the Explorer over a websocket through the proxy, with no connection error.
    assert session["ws"] == [f"ws://127.0.0.1:{proxy.port}/_stcore/stream"]
    assert session["id"]
    page = session["page"]
    assert page.locator('[data-testid="stConnectionStatus"]').count() == 0
    assert page.get_by_text("Connection error").count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/_stcore/metrics",
        "/_stcore/metrics?format=text",
        "/_stcore/%6detrics",
        "//_stcore/metrics",
        "/_stcore/./metrics",
        "/_stcore/agent/openapi.json",
    ],
)
def test_metrics_and_agent_api_are_closed(proxy, path):
    assert request(proxy, "GET", path)[0] == 404
    # ... and it is the proxy that closes them: the app itself answers.
    canonical = "/_stcore/agent/openapi.json" if "agent" in path else "/_stcore/metrics"
    assert request(proxy.app, "GET", canonical)[0] == 200


def test_the_apps_cap_passes_and_a_larger_body_gets_413_from_nginx(proxy, session):
    client = "127.0.0.2"
    # The largest body the app accepts (a file plus its framing, exactly the cap) reaches the
    # session: 204 is Streamlit's "stored".
    framing = len(multipart(b"")[0])
    at_cap = b"\0" * (zips.MAX_UPLOAD_BYTES - framing)
    status, _, answer = upload(proxy, session, "at-cap", at_cap, client)
    assert status == 204, answer[:300]
    assert delete(proxy, session, "at-cap", client) == 204

    # A declared size over the proxy's cap: refused from the headers, the body never read.
    over = zips.MAX_UPLOAD_BYTES + 1
    with socket.create_connection(("127.0.0.1", proxy.port), source_address=(client, 0)) as s:
        s.sendall(
            f"PUT /_stcore/upload_file/{session['id']}/big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {over}\r\n\r\n".encode()
        )
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"<center>nginx</center>" in answer

    # No Content-Length (chunked): refused as soon as the body passes the cap.
    chunks = (b"\0" * MB for _ in range(zips.MAX_UPLOAD_MB + 3))
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Transfer-Encoding": "chunked"}
    conn = http.client.HTTPConnection(
        "127.0.0.1", proxy.port, timeout=60, source_address=(client, 0)
    )
    try:
        path = f"/_stcore/upload_file/{session['id']}/chunked"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request("PUT", path, body=chunks, headers=headers, encode_chunked=True)
        r = conn.getresponse()
        assert r.status == 413 and from_nginx(r.read(), 413)
    finally:
        conn.close()


def test_a_burst_of_uploads_gets_429_after_a_students_share(proxy, session):
    """20 PUTs back to back from one client: a student's share (data, labels, a model zip, and a
    few retries) is stored, the rest refused by nginx before it reads them."""
    client, other = "127.0.0.3", "127.0.0.4"
    t0 = time.monotonic()
    answers = [upload(proxy, session, f"burst-{i}", b"1,2\n" * 256, client) for i in range(20)]
    assert time.monotonic() - t0 < 25  # all inside one refill interval (rate=2r/m: 30 s)
    statuses = [status for status, _, _ in answers]
    assert statuses == [204] * BURST + [429] * (20 - BURST), statuses
    assert all(from_nginx(body, 429) for status, _, body in answers if status == 429)

    # Per client: another address still uploads; deleting (freeing memory) is never limited.
    assert upload(proxy, session, "other", b"1\n", other)[0] == 204
    for i in range(BURST):
        assert delete(proxy, session, f"burst-{i}", client) == 204
    assert delete(proxy, session, "other", other) == 204


def open_websocket(proxy: Proxy, source: str) -> tuple[socket.socket, bytes]:
    """A raw websocket handshake on /_stcore/stream; the socket stays open (a Streamlit session)."""
    s = socket.create_connection(("127.0.0.1", proxy.port), timeout=30, source_address=(source, 0))
    s.sendall(
        b"GET /_stcore/stream HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{proxy.port}\r\n".encode()
        + b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: streamlit\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def test_open_connections_per_client_are_limited(proxy):
    client, other = "127.0.0.5", "127.0.0.6"
    sockets = []
    try:
        for _ in range(CONNS):
            s, head = open_websocket(proxy, client)
            sockets.append(s)
            assert head.startswith(b"HTTP/1.1 101 "), head[:200]
        s, head = open_websocket(proxy, client)
        sockets.append(s)
        assert head.startswith(b"HTTP/1.1 429 "), head[:200]
        s, head = open_websocket(proxy, other)  # another client is not affected
        sockets.append(s)
        assert head.startswith(b"HTTP/1.1 101 "), head[:200]
        sockets.pop(0).close()  # a closed connection frees its place
        time.sleep(0.3)
        s, head = open_websocket(proxy, client)
        sockets.append(s)
        assert head.startswith(b"HTTP/1.1 101 "), head[:200]
    finally:
        for s in sockets:
            s.close()


def access_log(proxy: Proxy) -> list[str]:
    """nginx's access log so far (a line is written when its request ends)."""
    return (proxy.dir / "access.log").read_text().splitlines()


def test_streamlit_bundle_is_served_by_nginx_gzipped_and_cached_for_a_year(proxy):
    """A first load's JavaScript comes from disk through nginx (never the app's event loop),
    precompressed, with the bundle's own immutable caching; the bytes are the app's."""
    _, _, index = request(proxy, "GET", "/")
    bundle = re.search(rb'src="\./(static/js/index\.[\w-]+\.js)"', index).group(1).decode()
    status, headers, body = request(proxy, "GET", "/" + bundle, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, immutable, max-age=31536000"
    own = Path(streamlit.__file__).parent / "static" / bundle
    assert gzip.decompress(body) == own.read_bytes()
    status, app_headers, app_body = request(proxy.app, "GET", "/" + bundle)
    assert status == 200 and app_body == own.read_bytes()
    assert "Content-Encoding" not in app_headers  # the app sends it whole
    assert len(body) < len(app_body) / 3
    # ... and nginx answered it from disk: no upstream in its log line
    time.sleep(0.2)
    line = next(x for x in access_log(proxy) if f'"GET /{bundle}"' in x)
    assert "upstream=- " in line, line

    # A file the copy does not have (another streamlit version) is asked of the app.
    status, _, body = request(proxy, "GET", "/static/js/not-in-the-copy.js")
    time.sleep(0.2)
    line = next(x for x in access_log(proxy) if "not-in-the-copy" in x)
    assert f"upstream={urllib.parse.urlsplit(proxy.app).netloc} " in line, line


def test_access_log_keeps_no_query_string(proxy):
    """A student's key travels in ?me=, a teacher's in ?teacher=: neither reaches the log."""
    secret = "Kq3vS7fJz0LmWp2RtY8uXa"
    assert request(proxy, "GET", f"/Lesson?me={secret}&teacher={secret}x")[0] == 200
    time.sleep(0.2)
    log = access_log(proxy)
    assert any('"GET /Lesson" 200' in line for line in log), log[-3:]
    assert not any(secret in line for line in log)


# -- the serve script -----------------------------------------------------------------------------


def refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_serve_script_starts_both_and_stops_both():
    port, app_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "APP_PORT": str(app_port)}
    proc = subprocess.Popen(
        ["bash", SCRIPT], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    nginx_dir = None
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc)
        lines = (proc.stdout.readline() for _ in range(50))
        said = next(m for line in lines if (m := re.search(r"nginx files in (\S+)\)", line)))
        nginx_dir = Path(said.group(1))
        assert (nginx_dir / "nginx.pid").exists()
        assert request(f"http://127.0.0.1:{port}", "GET", "/_stcore/metrics")[0] == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 143
        assert refused(port) and refused(app_port)
        assert not nginx_dir.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the group this test started
            proc.wait()
        if nginx_dir is not None:
            shutil.rmtree(nginx_dir, ignore_errors=True)  # the script's own cleanup never ran
