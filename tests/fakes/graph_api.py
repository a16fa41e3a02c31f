"""A fake Facebook Graph API Send endpoint on loopback, for the real HTTP client to talk to.

``POST /<version>/me/messages?access_token=…`` with the Send API's JSON. It checks what Facebook
checks and answers like Facebook (error objects with ``message``, ``type``, ``code``):

* an unknown access token → 400, ``OAuthException`` code 190;
* a message without ``messaging_type`` (or a ``MESSAGE_TAG`` without ``tag``), a text over 2,000
  characters, more than 13 quick replies or a quick-reply title over 20 characters → 400, code 100;
* ``fail_next(n, status)`` makes the next ``n`` calls fail with 429 (``Retry-After``) or 5xx.

Every accepted call is recorded in ``sent`` (token, body) in arrival order.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

VERSION = "v21.0"


class FakeGraphApi:
    def __init__(self, tokens: set[str]) -> None:
        self.tokens = set(tokens)
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.refused: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._counter = 0

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{VERSION}"

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures += [status] * count

    def messages(self, psid: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the messages (not sender actions) accepted, optionally for one PSID."""
        with self._lock:
            return [
                body
                for _, body in self.sent
                if "message" in body and (psid is None or body["recipient"]["id"] == psid)
            ]

    def texts(self, psid: str | None = None) -> list[str]:
        return [body["message"].get("text", "") for body in self.messages(psid)]

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()
            self.refused.clear()
            self._failures.clear()

    # the protocol

    def handle(self, path: str, token: str, body: Any) -> tuple[int, dict[str, Any], dict]:
        with self._lock:
            if self._failures:
                status = self._failures.pop(0)
                headers = {"Retry-After": "0"} if status == 429 else {}
                return status, _error("Temporary failure", "OAuthException", 2), headers
        if path != f"/{VERSION}/me/messages":
            return 404, _error("Unknown path", "GraphMethodException", 100), {}
        if token not in self.tokens:
            return 400, _error("Invalid OAuth access token.", "OAuthException", 190), {}
        problem = _problem(body)
        if problem:
            with self._lock:
                self.refused.append(body if isinstance(body, dict) else {})
            return 400, _error(problem, "OAuthException", 100), {}
        with self._lock:
            self.sent.append((token, body))
            self._counter += 1
            answer = {"recipient_id": body["recipient"]["id"]}
            if "message" in body:
                answer["message_id"] = f"m_fake_{self._counter}"
        return 200, answer, {}

    @contextmanager
    def running(self) -> Iterator[FakeGraphApi]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                parsed = urlparse(self.path)
                token = (parse_qs(parsed.query).get("access_token") or [""])[0]
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                except ValueError:
                    body = None
                status, answer, headers = fake.handle(parsed.path, token, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                # Not part of the Graph API: lets another process (the benchmark) read counts.
                if urlparse(self.path).path != "/_fake/count":
                    self.send_error(404)
                    return
                data = json.dumps({"messages": len(fake.messages())}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def _error(message: str, kind: str, code: int) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "fake"}}


def _problem(body: Any) -> str | None:
    """What Facebook would refuse in this Send API body, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("recipient"), dict):
        return "(#100) param recipient must be non-empty"
    if "sender_action" in body:
        ok = body["sender_action"] in ("typing_on", "typing_off", "mark_seen")
        return None if ok else "(#100) param sender_action is invalid"
    message = body.get("message")
    if not isinstance(message, dict):
        return "(#100) param message must be non-empty"
    kind = body.get("messaging_type")
    if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        return "(#100) param messaging_type is required"
    if kind == "MESSAGE_TAG" and body.get("tag") not in ("HUMAN_AGENT", "ACCOUNT_UPDATE"):
        return "(#100) param tag is required for MESSAGE_TAG"
    if len(message.get("text") or "") > 2000:
        return "(#100) Length of param message[text] must be less than or equal to 2000"
    replies = message.get("quick_replies") or []
    if len(replies) > 13:
        return "(#100) param message[quick_replies] must have at most 13 elements"
    if any(len(r.get("title", "")) > 20 for r in replies):
        return "(#100) Title of a quick reply must be 20 characters or fewer"
    if not message.get("text") and not message.get("attachment"):
        return "(#100) Must send either message text or an attachment"
    return None
