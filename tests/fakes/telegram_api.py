"""A fake Telegram Bot API on loopback that speaks the real HTTP protocol (tests only).

It serves ``POST|GET /bot<token>/<method>`` on 127.0.0.1 (a free port) from a background
thread, so python-telegram-bot itself can be pointed at it (``base_url=f"{api_url}/bot"``).
Bodies are read as the library sends them (form-urlencoded with JSON-encoded values, JSON, or
multipart), answers are ``{"ok": true, "result": ...}`` shaped like Telegram's, and errors are
Telegram's (401 for an unknown token, 400 for a text that is empty or too long or a button
whose data exceeds 64 bytes). Every call is recorded; the next calls can be made to fail
(:meth:`FakeTelegramApi.fail_next`) or to answer late (:meth:`FakeTelegramApi.stall_next`).

    with FakeTelegramApi(token) as fake:
        bot = Bot(token, base_url=f"{fake.api_url}/bot")
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
# Parameters Telegram reads as strings: the library sends them raw, not JSON-encoded.
STRING_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "url", "secret_token", "action", "photo"}
)


@dataclass(frozen=True)
class Call:
    """One request the fake received, and the HTTP status it answered."""

    method: str
    params: dict[str, Any]
    status: int


@dataclass
class _Failure:
    status: int
    retry_after: int


class TelegramApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class FakeTelegramApi:
    """The Bot API methods a channel uses, for one bot token; a context manager."""

    def __init__(self, token: str, username: str = "CausetteTestBot") -> None:
        self.token = token
        self.user = {
            "id": int(token.partition(":")[0] or 1),
            "is_bot": True,
            "first_name": "Causette",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.webhook: dict[str, Any] = {}
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._stalls: list[float] = []
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> FakeTelegramApi:
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-telegram-api",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTelegramApi:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """What ``TELEGRAM_API_URL`` would be: the library adds ``/bot<token>/<method>``."""
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # what tests look at, and how they make it misbehave

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request received (to ``method`` only, if given), in order."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def delivered(self, method: str) -> list[Call]:
        """The calls to ``method`` that succeeded."""
        return [c for c in self.calls(method) if c.status == 200]

    def fail_next(self, count: int = 1, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls with ``status`` (429 carries ``retry_after``)."""
        with self._lock:
            self._failures.extend(_Failure(status, retry_after) for _ in range(count))

    def stall_next(self, count: int = 1, seconds: float = 1.0) -> None:
        """Answer the next ``count`` calls only after ``seconds`` (they still take effect)."""
        with self._lock:
            self._stalls.extend(seconds for _ in range(count))

    # the protocol

    def handle(self, path: str, query: str, content_type: str, body: bytes) -> tuple[int, dict]:
        """Status and JSON answer of one request."""
        prefix, _, method = path.strip("/").rpartition("/")
        params = {**_decode(parse_qsl(query)), **_read_body(content_type, body)}
        with self._lock:
            stall = self._stalls.pop(0) if self._stalls else 0.0
        if stall:
            time.sleep(stall)
        try:
            if not prefix.startswith("bot") or prefix[3:] != self.token:
                raise TelegramApiError(401, "Unauthorized")
            with self._lock:
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                raise _as_error(failure)
            result = self._answer(method.lower(), params)
        except TelegramApiError as error:
            self._record(method, params, error.status)
            answer: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                answer["parameters"] = error.parameters
            return error.status, answer
        self._record(method, params, 200)
        return 200, {"ok": True, "result": result}

    def _record(self, method: str, params: dict[str, Any], status: int) -> None:
        with self._lock:
            self._calls.append(Call(method, params, status))

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return self.user
        if method == "sendmessage":
            text = str(params.get("text") or "")
            if not text.strip():
                raise TelegramApiError(400, "Bad Request: message text is empty")
            if len(text) > MAX_TEXT:
                raise TelegramApiError(400, "Bad Request: message is too long")
            _check_keyboard(params.get("reply_markup"))
            return self._message(params, text=text)
        if method == "sendphoto":
            if not params.get("photo"):
                raise TelegramApiError(400, "Bad Request: there is no photo in the request")
            photo = [
                {"file_id": "AgAC-fake", "file_unique_id": "AQAD-fake", "width": 320, "height": 240}
            ]
            return self._message(params, photo=photo)
        if method == "sendchataction":
            _chat_id(params)
            if not params.get("action"):
                raise TelegramApiError(400, "Bad Request: wrong parameter action in request")
            return True
        if method == "answercallbackquery":
            if not params.get("callback_query_id"):
                raise TelegramApiError(400, "Bad Request: query ID is invalid")
            return True
        if method == "setwebhook":
            secret = params.get("secret_token")
            if secret is not None and not _valid_secret(str(secret)):
                raise TelegramApiError(
                    400, "Bad Request: secret token contains unallowed characters"
                )
            self.webhook = {
                "url": str(params.get("url") or ""),
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "drop_pending_updates": params.get("drop_pending_updates"),
            }
            return True
        if method == "getwebhookinfo":
            return {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0,
                "allowed_updates": self.webhook.get("allowed_updates") or [],
            }
        if method == "deletewebhook":
            self.webhook = {}
            return True
        raise TelegramApiError(404, "Not Found")

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = _chat_id(params)
        message = {
            "message_id": next(self._message_ids),
            "from": self.user,
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) closed the connection: nothing to report."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeTelegramApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection ends its thread

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            status, answer = fake.handle(
                url.path, url.query, self.headers.get("Content-Type") or "", body
            )
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, *_: Any) -> None:  # quiet
            pass

    return Handler


def _as_error(failure: _Failure) -> TelegramApiError:
    if failure.status == 429:
        return TelegramApiError(
            429,
            f"Too Many Requests: retry after {failure.retry_after}",
            {"retry_after": failure.retry_after},
        )
    return TelegramApiError(failure.status, "Internal Server Error")


def _decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Form values as the library encodes them: strings raw, anything else as JSON."""
    params: dict[str, Any] = {}
    for name, value in pairs:
        if name in STRING_PARAMS:
            params[name] = value
            continue
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


def _read_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        pairs = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                payload = part.get_payload(decode=True) or b""
                pairs.append((str(name), payload.decode("utf-8", "replace")))
        return _decode(pairs)
    return _decode(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _chat_id(params: dict[str, Any]) -> int:
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise TelegramApiError(400, "Bad Request: chat not found") from None


def _check_keyboard(markup: Any) -> None:
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise TelegramApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _valid_secret(secret: str) -> bool:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return 1 <= len(secret) <= 256 and set(secret) <= allowed
