"""`make serve` against hostile clients: slow ones cannot freeze it, and every error it answers is JSON.

The app runs as `make serve` runs it (gunicorn behind nginx) on 127.0.0.1.
A short version of `make bench-app`'s slow-client scenario: 100 connections
trickle their headers while a real client keeps asking; every real request is
answered, fast. `make bench-app` runs the full 60 s and records the figures.
"""

import json
import socket
import urllib.request

import numpy as np
import pytest

from course import drawings
from course.bench.app import request_bodies, under_slow_clients
from course.bench.servers import AppServer
from course.mnist_file import load_mnist


@pytest.fixture(scope="module")
def server(reference_model):
    with AppServer(workers=2, env={"MODEL_PATH": str(reference_model)}, startup_seconds=90) as running:
        yield running


def test_slow_clients_cannot_freeze_the_server(server):
    figures = under_slow_clients(server.port, request_bodies(10), count=100, seconds=12, gap=3.0)
    assert figures["requests"] >= 10 and figures["failed"] == 0, figures
    assert figures["p99_ms"] < 2000, figures


def raw(port: int, request: bytes) -> tuple[str, str]:
    """Send raw bytes; return (status line, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    return head.splitlines()[0], body


@pytest.mark.parametrize(
    "name, request_bytes, status",
    [
        ("garbage request line", b"GARBAGE\r\n\r\n", "400"),
        ("a 70,000-character address", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        ("40 kB of headers", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", "400"),
        ("a 5 MB body", b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n", "413"),
        ("JSON nested 10,000 deep", b"", "400"),
    ],
)
def test_every_error_is_json(server, name, request_bytes, status):
    if name.startswith("JSON"):
        body = ('{"image": ' + "[" * 10_000 + "]" * 10_000 + "}").encode()
        request_bytes = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        request_bytes += f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    line, body = raw(server.port, request_bytes)
    assert f" {status} " in line + " ", (name, line, body[:200])
    assert "error" in json.loads(body), (name, body[:200])


def test_the_server_still_answers_after_all_that(server):
    _, (x_test, y_test) = load_mnist()
    body = json.dumps(
        {"image": drawings.data_url(drawings.random_drawing(x_test[0], np.random.default_rng(3)))}
    ).encode()
    request = urllib.request.Request(f"{server.url}/predict", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["digit"] == int(y_test[0])
