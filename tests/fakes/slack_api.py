"""A fake Slack Web API on loopback that speaks the real HTTP protocol (tests only).

It serves ``POST|GET /api/<method>`` on 127.0.0.1 (a free port) from a background thread, so
slack_sdk's own ``AsyncWebClient(token=..., base_url=fake.url)`` can be pointed at it. Bodies are
read as the client sends them: JSON for ``chat.*`` and ``views.*``, query strings for ``auth.test``
and ``conversations.*``, form-encoded if a caller uses ``api_call(data=...)``. Answers are Slack's:
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; 429 with ``Retry-After``
and ``{"ok": false, "error": "ratelimited"}``; 5xx with an HTML page, not JSON, like Slack's edge.

    with FakeSlackApi(token, channels={"C_LYON"}) as slack:
        client = AsyncWebClient(token=token, base_url=slack.url)

Messages are kept per channel as Slack stores them (top-level posts, thread replies, metadata),
so ``conversations.history`` tells whether an earlier post went through. Every request is
recorded (:meth:`FakeSlackApi.calls`); the next calls can fail (:meth:`FakeSlackApi.fail_next`,
:meth:`FakeSlackApi.fail_next_with_error`) or answer late (:meth:`FakeSlackApi.stall_next`).
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TEAM_ID = "T1"
APP_ID = "A_CAUSETTE"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "causette"
MAX_TEXT = 40_000
MAX_BLOCKS = 50
DEFAULT_LIMIT = 100
API_PREFIX = "/api/"
BOT_PROFILE = {
    "id": BOT_ID,
    "deleted": False,
    "name": BOT_NAME,
    "updated": 1700000000,
    "app_id": APP_ID,
    "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
    "team_id": TEAM_ID,
}
_ERROR_PAGE = "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>"


@dataclass(frozen=True)
class Call:
    """One request the fake received: its method, parameters (token removed) and answer."""

    method: str
    params: dict[str, Any]
    status: int
    error: str | None = None


@dataclass(frozen=True)
class _Failure:
    status: int
    error: str
    retry_after: int = 1


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


class SlackError(Exception):
    """An ``{"ok": false, "error": ...}`` answer."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class FakeSlackApi:
    """The Web API methods a Slack channel uses, for one bot token; a context manager."""

    def __init__(
        self,
        token: str,
        channels: set[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.channels = None if channels is None else set(channels)
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._stalls: list[float] = []
        self._store: dict[str, dict[str, dict[str, Any]]] = {}
        self._updates: list[dict[str, Any]] = []
        self._views: list[dict[str, Any]] = []
        self._ephemerals: list[dict[str, Any]] = []
        self._exchanged_triggers: set[str] = set()
        self._last_micros = 0
        self._view_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # lifecycle

    def start(self) -> FakeSlackApi:
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack-api",
            daemon=True,
        )
        thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The ``base_url`` for ``AsyncWebClient`` (ends with ``/`` like ``https://slack.com/api/``)."""
        assert self._server is not None, "the fake is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"

    # what tests look at

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request received (to ``method`` only, if given), in order."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Top-level posts as they stand now (with a ``channel`` key added), oldest first."""
        with self._lock:
            return [
                {**copy.deepcopy(message), "channel": name}
                for name, stored in self._store.items()
                if channel is None or name == channel
                for message in stored.values()
                if _is_top_level(message)
            ]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The replies in one thread (not its parent), oldest first."""
        with self._lock:
            return [
                copy.deepcopy(message)
                for message in self._store.get(channel, {}).values()
                if message.get("thread_ts") == thread_ts and message["ts"] != thread_ts
            ]

    @property
    def updates(self) -> list[dict[str, Any]]:
        """The parameters of every accepted ``chat.update``, in order."""
        with self._lock:
            return copy.deepcopy(self._updates)

    @property
    def views(self) -> list[dict[str, Any]]:
        """Every view opened by ``views.open``, as answered (with its ``id``)."""
        with self._lock:
            return copy.deepcopy(self._views)

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """The parameters of every accepted ``chat.postEphemeral``, with its ``message_ts``."""
        with self._lock:
            return copy.deepcopy(self._ephemerals)

    # how tests set the scene and make it misbehave

    def seed_message(
        self, channel: str, text: str, user: str = "U_CM1", thread_ts: str | None = None
    ) -> str:
        """Store a message a person wrote (so the bot can reply in its thread); its ``ts``."""
        with self._lock:
            ts = self._next_ts()
            message = {"type": "message", "user": user, "text": text, "ts": ts, "team": TEAM_ID}
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._store.setdefault(channel, {})[ts] = message
            return ts

    def fail_next(self, count: int = 1, status: int = 500, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls with HTTP ``status`` without acting on them.

        429 carries ``Retry-After: <retry_after>`` and ``{"ok": false, "error": "ratelimited"}``;
        5xx an HTML page.
        """
        error = "ratelimited" if status == 429 else "internal_error"
        with self._lock:
            self._failures.extend(_Failure(status, error, retry_after) for _ in range(count))

    def fail_next_with_error(self, count: int, error: str) -> None:
        """Answer the next ``count`` calls with HTTP 200 ``{"ok": false, "error": error}``."""
        with self._lock:
            self._failures.extend(_Failure(200, error) for _ in range(count))

    def stall_next(self, count: int = 1, seconds: float = 1.0) -> None:
        """Act on the next ``count`` calls at once but answer only after ``seconds``."""
        with self._lock:
            self._stalls.extend(seconds for _ in range(count))

    def reset(self) -> None:
        """Forget every message, call, update, view and pending failure or stall."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._stalls.clear()
            self._store.clear()
            self._updates.clear()
            self._views.clear()
            self._ephemerals.clear()
            self._exchanged_triggers.clear()

    # the protocol

    def handle(
        self, method: str, query: str, content_type: str, body: bytes, authorization: str
    ) -> _Answer:
        """The answer to one request; a stalled call acts first and answers late."""
        with self._lock:
            stall = self._stalls.pop(0) if self._stalls else 0.0
            failure = self._failures.pop(0) if self._failures else None
        answer = self._answer(method, query, content_type, body, authorization, failure)
        if stall:
            time.sleep(stall)
        return answer

    def _answer(
        self,
        method: str,
        query: str,
        content_type: str,
        body: bytes,
        authorization: str,
        failure: _Failure | None,
    ) -> _Answer:
        try:
            params = {
                **dict(parse_qsl(query, keep_blank_values=True)),
                **_read_body(content_type, body),
            }
        except ValueError:
            return self._refuse(method, {}, "invalid_json")
        token = str(params.pop("token", "") or authorization.removeprefix("Bearer ").strip())
        if failure is not None:
            return self._fail(method, params, failure)
        if not token:
            return self._refuse(method, params, "not_authed")
        if token != self.token:
            return self._refuse(method, params, "invalid_auth")
        handler = self._methods().get(method)
        if handler is None:
            return self._refuse(method, params, "unknown_method")
        try:
            with self._lock:
                result = handler(params)
        except SlackError as error:
            return self._refuse(method, params, error.error)
        self._record(method, params, 200)
        return _json_answer(200, {"ok": True, **result})

    def _fail(self, method: str, params: dict[str, Any], failure: _Failure) -> _Answer:
        self._record(method, params, failure.status, failure.error)
        if failure.status == 200:
            return _json_answer(200, {"ok": False, "error": failure.error})
        if failure.status == 429:
            headers = (("Retry-After", str(failure.retry_after)),)
            return _json_answer(429, {"ok": False, "error": "ratelimited"}, headers)
        page = _ERROR_PAGE.format(f"{failure.status} Server Error").encode()
        return _Answer(failure.status, page, "text/html; charset=utf-8")

    def _refuse(self, method: str, params: dict[str, Any], error: str) -> _Answer:
        self._record(method, params, 200, error)
        return _json_answer(200, {"ok": False, "error": error})

    def _record(
        self, method: str, params: dict[str, Any], status: int, error: str | None = None
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, params, status, error))

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "views.open": self._open_view,
        }

    # methods (called with the lock held)

    def _auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{BOT_NAME}.slack.com/",
            "team": "Causette",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        text, blocks = _content(params)
        metadata = _metadata(params.get("metadata"))
        thread_ts = str(params.get("thread_ts") or "") or None
        stored = self._store.setdefault(channel, {})
        if thread_ts is not None:
            parent = stored.get(thread_ts)
            if parent is None:
                raise SlackError("thread_not_found")
            thread_ts = parent.get("thread_ts", thread_ts)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": text,
            "ts": ts,
            "team": TEAM_ID,
            "bot_profile": BOT_PROFILE,
        }
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        if thread_ts is not None:
            parent = stored[thread_ts]
            parent.setdefault("thread_ts", thread_ts)
            message["thread_ts"] = thread_ts
            message["parent_user_id"] = parent.get("user", BOT_USER_ID)
            if _flag(params.get("reply_broadcast")):
                message["subtype"] = "thread_broadcast"
        stored[ts] = message
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        message = self._store.get(channel, {}).get(ts)
        if message is None:
            raise SlackError("message_not_found")
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        text, blocks = _content(params)
        metadata = _metadata(params.get("metadata"))
        message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        if metadata is not None:
            message["metadata"] = metadata
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        self._updates.append(copy.deepcopy(params))
        return {"channel": channel, "ts": ts, "text": text, "message": copy.deepcopy(message)}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._channel(params)
        if not params.get("user"):
            raise SlackError("user_not_found")
        _content(params)
        message_ts = self._next_ts()
        self._ephemerals.append({**copy.deepcopy(params), "message_ts": message_ts})
        return {"message_ts": message_ts}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._store.get(self._channel(params), {})
        listed = [m for m in reversed(stored.values()) if _is_top_level(m)]
        return self._page(params, listed, stored, newest_first=True)

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._store.get(self._channel(params), {})
        ts = str(params.get("ts") or "")
        if ts not in stored:
            raise SlackError("thread_not_found")
        thread = [stored[ts]] + [
            m for m in stored.values() if m.get("thread_ts") == ts and m["ts"] != ts
        ]
        return self._page(params, thread, stored, newest_first=False)

    def _open_view(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id") or "")
        view = _json_field(params.get("view"))
        if not trigger_id or not isinstance(view, dict) or view.get("type") != "modal":
            raise SlackError("invalid_arguments")
        if not isinstance(view.get("title"), dict) or not isinstance(view.get("blocks"), list):
            raise SlackError("invalid_arguments")
        if trigger_id in self._exchanged_triggers:
            raise SlackError("exchanged_trigger_id")
        self._exchanged_triggers.add(trigger_id)
        view_id = f"V{next(self._view_ids):010d}"
        opened = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "submit": None,
            "close": None,
            "clear_on_close": False,
            "notify_on_close": False,
            **copy.deepcopy(view),
            "state": {"values": {}},
            "hash": f"{int(self._clock())}.fake{view_id}",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self._views.append(opened)
        return {"view": copy.deepcopy(opened)}

    # helpers (called with the lock held)

    def _channel(self, params: dict[str, Any]) -> str:
        channel = str(params.get("channel") or "")
        if not channel or (self.channels is not None and channel not in self.channels):
            raise SlackError("channel_not_found")
        return channel

    def _next_ts(self) -> str:
        """A unique, increasing Slack ``ts`` (seconds.microseconds) from the clock."""
        self._last_micros = max(int(self._clock() * 1_000_000), self._last_micros + 1)
        seconds, micros = divmod(self._last_micros, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def _page(
        self,
        params: dict[str, Any],
        listed: list[dict[str, Any]],
        stored: dict[str, dict[str, Any]],
        newest_first: bool,
    ) -> dict[str, Any]:
        """Filter by ``oldest``/``latest``/``cursor``, cut at ``limit``, add thread counters."""
        inclusive = _flag(params.get("inclusive"))
        oldest = _ts_value(params, "oldest")
        latest = _ts_value(params, "latest")
        after = _cursor_ts(params.get("cursor"))

        def wanted(message: dict[str, Any]) -> bool:
            ts = Decimal(message["ts"])
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                return False
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                return False
            if after is not None:
                return ts <= after if newest_first else ts >= after
            return True

        kept = [m for m in listed if wanted(m)]
        limit = int(params.get("limit") or DEFAULT_LIMIT)
        page, rest = kept[:limit], kept[limit:]
        cursor = _cursor_for(rest[0]["ts"]) if rest else ""
        return {
            "messages": [_with_thread_counters(m, stored) for m in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": cursor},
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) closed the connection: nothing to report."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection ends its thread

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            if not url.path.startswith(API_PREFIX):
                answer = _json_answer(404, {"ok": False, "error": "unknown_method"})
            else:
                answer = fake.handle(
                    url.path[len(API_PREFIX) :],
                    url.query,
                    self.headers.get("Content-Type") or "",
                    body,
                    self.headers.get("Authorization") or "",
                )
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, *_: Any) -> None:  # quiet
            pass

    return Handler


def _json_answer(
    status: int, data: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()
) -> _Answer:
    return _Answer(status, json.dumps(data).encode("utf-8"), headers=headers)


def _read_body(content_type: str, body: bytes) -> dict[str, Any]:
    """JSON or form parameters; raises ``ValueError`` for JSON that does not parse."""
    if not body:
        return {}
    if content_type.split(";")[0].strip().lower() == "application/json":
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("a JSON body must be an object")
        return data
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _json_field(value: Any) -> Any:
    """A structured parameter: as is from a JSON body, decoded from a form string."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _content(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """The text and blocks of a message, checked as Slack checks them."""
    text = str(params.get("text") or "")
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks_format") from None
    if blocks is not None:
        valid = isinstance(blocks, list) and all(
            isinstance(b, dict) and isinstance(b.get("type"), str) for b in blocks
        )
        if not valid or len(blocks) > MAX_BLOCKS:
            raise SlackError("invalid_blocks")
        blocks = [{"block_id": f"b{i}", **copy.deepcopy(b)} for i, b in enumerate(blocks)]
    if not text.strip() and not blocks and not params.get("attachments"):
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


def _metadata(value: Any) -> dict[str, Any] | None:
    """Slack message metadata: ``{"event_type": str, "event_payload": dict}``."""
    if value is None or value == "":
        return None
    metadata = _json_field(value)
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def _is_top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts in (None, message["ts"]) or message.get("subtype") == "thread_broadcast"


def _with_thread_counters(
    message: dict[str, Any], stored: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of ``message``; a thread parent gets Slack's reply counters."""
    shown = copy.deepcopy(message)
    if message.get("thread_ts") != message["ts"]:
        return shown
    replies = [
        m for m in stored.values() if m.get("thread_ts") == message["ts"] and m is not message
    ]
    users = list(dict.fromkeys(m.get("user", "") for m in replies))
    shown.update(
        {
            "reply_count": len(replies),
            "reply_users_count": len(users),
            "reply_users": users,
            "latest_reply": replies[-1]["ts"] if replies else message["ts"],
            "is_locked": False,
            "subscribed": False,
        }
    )
    return shown


def _ts_value(params: dict[str, Any], name: str) -> Decimal | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise SlackError(f"invalid_ts_{name}") from None


def _cursor_for(ts: str) -> str:
    """Slack-like opaque cursor: base64 of ``next_ts:<ts digits>``."""
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _cursor_ts(cursor: Any) -> Decimal | None:
    if not cursor:
        return None
    try:
        digits = base64.b64decode(str(cursor)).decode().removeprefix("next_ts:")
        return Decimal(f"{digits[:-6]}.{digits[-6:]}")
    except (ValueError, InvalidOperation):
        raise SlackError("invalid_cursor") from None
