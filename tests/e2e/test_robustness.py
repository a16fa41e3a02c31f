"""The real server at its doors: every malformed request gets its 4xx, a 50 MB body is refused
from its headers, and the server answers the next customer as if nothing happened."""

from __future__ import annotations

import contextlib
import http.client
import uuid

import pytest
import requests

from tests import malformed_payloads as bad
from tests import messenger_payloads as fb
from tests.e2e.conftest import (
    CONVERSION_WEBHOOK_SECRET,
    MESSENGER_APP_SECRET,
    SLACK_SIGNING_SECRET,
    TELEGRAM_SECRET_TOKEN,
    RasaServer,
    wait_for,
)

pytestmark = pytest.mark.server

CASES = [
    *bad.messenger(MESSENGER_APP_SECRET.encode()),
    *bad.telegram(TELEGRAM_SECRET_TOKEN),
    *bad.slack(SLACK_SIGNING_SECRET),
    *bad.conversions(CONVERSION_WEBHOOK_SECRET.encode()),
]
ENDPOINTS = [
    "messenger/webhook",
    "telegram/webhook",
    "slack_handoff/events",
    "slack_handoff/interactive",
    "conversions/webhook",
    "rest/webhook",
]
FIFTY_MB = 50 * 1024 * 1024


def test_every_malformed_request_gets_its_4xx_and_never_a_5xx(server: RasaServer, graph):
    answers = {}
    for case in CASES:
        response = requests.post(
            f"{server.url}/webhooks/{case.path}", data=case.body, headers=case.headers, timeout=30
        )
        answers[case.name] = response.status_code
    assert answers == {case.name: case.status for case in CASES}
    # And the server still serves customers.
    psid = str(uuid.uuid4().int)[:16]
    body, headers = fb.signed(
        fb.delivery(fb.entry(fb.text(psid, "bonjour"))), MESSENGER_APP_SECRET.encode()
    )
    assert requests.post(
        f"{server.url}/webhooks/messenger/webhook", data=body, headers=headers, timeout=10
    ).ok
    wait_for(lambda: graph.texts(psid))


def connect(server: RasaServer, path: str) -> http.client.HTTPConnection:
    """A raw HTTP connection with a POST to ``/webhooks/<path>`` started (headers to add)."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", f"/webhooks/{path}")
    return connection


def post_declaring(server: RasaServer, path: str, length: int) -> int:
    """POST headers announcing ``length`` bytes, then only the first 64 KB; the status."""
    connection = connect(server, path)
    try:
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(length))
        connection.endheaders()
        with contextlib.suppress(OSError):  # the server may have answered and closed already
            connection.send(b"x" * 65536)
        return connection.getresponse().status
    finally:
        connection.close()


def post_chunked(server: RasaServer, path: str, total: int) -> int:
    """POST a chunked body (no length announced) of up to ``total`` bytes; the status."""
    connection = connect(server, path)
    try:
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < total:
                connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            connection.send(b"0\r\n\r\n")
        except OSError:
            pass  # refused mid-way, as it should be
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_50_mb_body_is_refused_on_every_endpoint(server: RasaServer, path: str):
    assert post_declaring(server, path, FIFTY_MB) == 413
    assert post_chunked(server, path, 4 * 1024 * 1024) == 413
    assert requests.get(f"{server.url}/status", timeout=10).ok
