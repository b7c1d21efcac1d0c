"""The real server: the Dockerfile's CMD (gunicorn with gunicorn.conf.py) on a free loopback port.

The smoke test proper: start it, wait for /readyz, one estimate of each kind (training, inference,
compare), stop it with SIGTERM. The other tests use the same server for what only a real HTTP
server shows (chunked bodies, headers on the wire).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
BODY = {"model": "llama-3.1-8b", "tokens": 1e12, "hardware": "h100-sxm", "gpus": 64}
LIMIT = 4000  # ESTIMATOR_MAX_CONTENT_LENGTH for this server, so the chunked test stays small
UPLOAD_LIMIT = 20_000  # ESTIMATOR_MAX_UPLOAD_BYTES for this server
TOKEN = "gunicorn-test-token-of-32-characters"
CSV_HEADER = "provider,region,gpu,pricing_model,usd_per_gpu_hour,product,effective_date,source,notes\r\n"
CSV_ROW = "Acme,r{i},h100-sxm,spot,{price},,2025-06-01,quote,\r\n"


def image_command() -> list[str]:
    """The exec-form CMD of the Dockerfile: the command this test runs is the one the image runs."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    commands = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert len(commands) == 1, "one exec-form CMD"
    command = json.loads(commands[0])
    assert command[:3] == ["gunicorn", "-c", "gunicorn.conf.py"], command
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serving(folder: Path, settings: dict[str, str]) -> Iterator[int]:
    """The image's CMD on a free loopback port with ``settings`` over the environment and a SQLite store
    in ``folder``, up (``/readyz`` 200) for the block; then SIGTERM, and a clean exit within 30 s."""
    if not GUNICORN.exists():
        pytest.skip(f"gunicorn not installed next to {sys.executable}")
    port = free_port()
    env = {**os.environ, "ESTIMATOR_BIND": f"127.0.0.1:{port}",
           "ESTIMATOR_DATABASE_URL": f"sqlite:///{folder / 'pricing.sqlite3'}", **settings}
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), *image_command()[1:]],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not come up:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)  # graceful_timeout is 25 s
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            pytest.fail("gunicorn did not stop within 30 s of SIGTERM")
    assert code == 0, f"gunicorn exited with {code}:\n{log_path.read_text(errors='replace')}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("gunicorn"), {
        "WEB_CONCURRENCY": "1",
        "ESTIMATOR_MAX_CONTENT_LENGTH": str(LIMIT),
        "ESTIMATOR_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
        "ESTIMATOR_ADMIN_TOKEN": TOKEN,
        "GUNICORN_READ_TIMEOUT": "2",  # a stalled body is dropped after 2 s here (15 s by default)
    }) as port:
        yield port


def request(port, method, path, body=None, headers=None, chunked=False):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        if chunked:
            connection.request(method, path, body=iter([body]), headers=headers or {}, encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_training_over_real_http(server, core):
    status, headers, data = request(
        server, "POST", "/api/v1/estimates/training", json.dumps(BODY).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert json.loads(data) == core(BODY)


def test_readyz_over_real_http(server):
    status, _, data = request(server, "GET", "/readyz")
    assert status == 200
    assert json.loads(data)["status"] == "ok"


def test_chunked_body_is_read_whole(server, core):
    status, _, data = request(
        server,
        "POST",
        "/api/v1/estimates/training",
        json.dumps(BODY).encode(),
        {"Content-Type": "application/json"},
        chunked=True,
    )
    assert status == 200
    assert json.loads(data) == core(BODY)


def test_chunked_body_over_the_limit_is_413_not_truncated(server):
    body = json.dumps({**BODY, "padding": "x" * LIMIT}).encode()
    status, headers, data = request(
        server, "POST", "/api/v1/estimates/training", body, {"Content-Type": "application/json"}, chunked=True
    )
    assert status == 413
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(data)["status"] == 413


def test_landing_page_over_real_http(server):
    status, headers, data = request(server, "GET", "/", headers={"Accept": "text/html"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert b"<h1>What does AI compute cost?</h1>" in data


def test_inference_over_real_http(server, core_inference):
    body = {
        "model": "llama-2-70b",
        "hardware": "h100-sxm",
        "precision": "fp8",
        "input_tokens": 300,
        "output_tokens": 294,
    }
    status, headers, data = request(
        server, "POST", "/api/v1/estimates/inference", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data) == core_inference(body)


def test_compare_over_real_http(server, core_compare):
    body = {"workload": "inference", "preset": "article", "hardware": "h200-sxm", "precision": "fp8"}
    status, headers, data = request(
        server, "POST", "/api/v1/compare", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(data) == core_compare(body)


def multipart(rows: int, boundary: str = "B0undary") -> tuple[bytes, dict[str, str]]:
    text = CSV_HEADER + "".join(CSV_ROW.format(i=i, price=1 + i / 1000) for i in range(rows))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"sheet\"\r\n\r\ngpu_prices\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"gpu.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {TOKEN}"}
    return body, headers


def pricing_tables(port: int) -> list[str]:
    return [t["name"] for t in json.loads(request(port, "GET", "/api/v1/pricing-tables")[2])]


def test_chunked_upload_is_imported_whole(server):
    body, headers = multipart(100)
    assert len(body) < UPLOAD_LIMIT
    status, _, data = request(server, "POST", "/api/v1/pricing-tables/chunked/versions", body, headers, chunked=True)
    assert status == 201, data
    assert json.loads(data)["row_counts"] == {"gpu_prices": 100}


def test_chunked_upload_over_the_limit_is_413_and_imports_nothing(server):
    body, headers = multipart(1000)
    assert len(body) > UPLOAD_LIMIT
    status, headers_out, data = request(server, "POST", "/api/v1/pricing-tables/toolarge/versions", body, headers,
                                        chunked=True)
    assert status == 413
    assert headers_out["Content-Type"] == "application/problem+json"
    assert "toolarge" not in pricing_tables(server)


def test_upload_cut_short_is_never_imported(server):
    body, headers = multipart(100)
    cut = body[: len(body) // 2]
    status, _, data = request(server, "POST", "/api/v1/pricing-tables/cut/versions", cut, headers, chunked=True)
    assert status == 400
    assert json.loads(data)["detail"].startswith("The upload ended before its closing multipart boundary")
    assert "cut" not in pricing_tables(server)


# --- Slow and idle clients (issue 13): with gthread (2 threads a worker), four connections trickling a
# request stopped the service and forty idle ones took it down for 30 s.
def _trickling(port: int) -> socket.socket:
    """A connection whose request headers arrived and whose body comes a byte at a time."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /api/v1/estimates/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n{")
    return sock


def test_the_service_answers_while_50_connections_sit_idle_and_10_trickle(server):
    idle = [socket.create_connection(("127.0.0.1", server), timeout=10) for _ in range(50)]
    trickling = [_trickling(server) for _ in range(10)]
    try:
        for _ in range(5):
            for sock in trickling:
                sock.sendall(b" ")
            status, _, body = request(server, "GET", "/healthz")  # the client gives up after 10 s
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            time.sleep(0.2)
    finally:
        for sock in idle + trickling:
            sock.close()


def _closed_by_the_server(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection (b'' if nothing)."""
    sock.settimeout(40)  # far beyond the server's read timeouts: a recv that times out here means never
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_stalled_request_line_or_body_is_dropped_by_the_server(server):
    """Headers must arrive within keepalive (5 s), and a body may not stall for READ_TIMEOUT_S (2 s here)."""
    header = socket.create_connection(("127.0.0.1", server), timeout=10)
    header.sendall(b"GET /healthz HT")
    body = _trickling(server)
    try:
        assert _closed_by_the_server(header) == b""
        answer = _closed_by_the_server(body)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4")
    finally:
        header.close()
        body.close()
