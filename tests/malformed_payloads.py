"""Malformed requests for every inbound endpoint, each with the answer it must get (tests only).

Every body is signed as the platform signs (a forger cannot; a buggy or compromised sender can),
except the cases named ``unsigned …``, which must be refused before the body is even decoded.
Signatures with a timestamp (Slack, the shop) are made when :attr:`Case.headers` is read, so a
table built long before it is sent is not refused as stale.
Used by the door-level tests and against the real server (tests/e2e/test_robustness.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.conversions import SIGNATURE_HEADER as CONVERSION_SIGNATURE
from connectors.conversions import TIMESTAMP_HEADER as CONVERSION_TIMESTAMP
from connectors.conversions import sign as sign_conversion
from tests import messenger_payloads as fb
from tests import slack_payloads as sp
from tests.telegram_payloads import callback_update, message_update, text_update

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
DEEP_OBJECT = ('{"a":' * 5_000 + "1" + "}" * 5_000).encode()
NOT_UTF8 = b'{"object": "page", "entry": [\xff\xfe]}'


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # under /webhooks/
    body: bytes
    sign: Callable[[bytes], dict[str, str]]
    status: int

    @property
    def headers(self) -> dict[str, str]:
        return self.sign(self.body)


def fixed(values: dict[str, str]) -> Callable[[bytes], dict[str, str]]:
    """The same headers whatever the body."""
    return lambda _: dict(values)


def _json(data: Any) -> bytes:
    return json.dumps(data).encode()


def messenger(app_secret: bytes) -> list[Case]:
    path = "messenger/webhook"

    def signed(name: str, body: bytes, status: int = 400) -> Case:
        return Case(
            name, path, body, lambda b: {"X-Hub-Signature-256": fb.sign(app_secret, b)}, status
        )

    good = fb.delivery(fb.entry(fb.text("2400000000000009", "bonjour")))
    event = good["entry"][0]["messaging"][0]
    return [
        signed("messenger: nested 10,000 deep", DEEP),
        signed("messenger: object nested 5,000 deep", DEEP_OBJECT),
        signed("messenger: not UTF-8", NOT_UTF8),
        signed("messenger: not JSON", b"{nope"),
        signed("messenger: a JSON array", b"[]"),
        signed("messenger: a JSON string", b'"page"'),
        signed("messenger: null", b"null"),
        signed("messenger: no object", _json({"entry": []})),
        signed("messenger: entry is a number", _json({"object": "page", "entry": 42})),
        signed("messenger: an entry is a number", _json({"object": "page", "entry": [42]})),
        signed(
            "messenger: messaging is a string",
            _json({"object": "page", "entry": [{"id": "1", "messaging": "x"}]}),
        ),
        signed(
            "messenger: quick-reply payload is a number",
            _json(
                fb.delivery(
                    fb.entry({**event, "message": {"mid": "m_q", "quick_reply": {"payload": 7}}})
                )
            ),
        ),
        signed(
            "messenger: sender is a list",
            _json(fb.delivery(fb.entry({**event, "sender": ["x"]}))),
        ),
        signed(
            "messenger: text is an object",
            _json(fb.delivery(fb.entry({**event, "message": {"mid": "m_t", "text": {}}}))),
        ),
        signed(
            "messenger: attachments is a number",
            _json(fb.delivery(fb.entry({**event, "message": {"mid": "m_a", "attachments": 1}}))),
        ),
        Case("messenger: unsigned, not UTF-8", path, NOT_UTF8, fixed({}), 403),
        Case(
            "messenger: forged signature",
            path,
            DEEP,
            fixed({"X-Hub-Signature-256": "sha256=00"}),
            403,
        ),
    ]


def telegram(secret_token: str) -> list[Case]:
    path = "telegram/webhook"
    header = fixed({"X-Telegram-Bot-Api-Secret-Token": secret_token})

    def case(name: str, body: bytes, status: int = 400) -> Case:
        return Case(name, path, body, header, status)

    names = text_update(90, "salut")
    names["message"]["from"]["first_name"] = 12345
    chat = text_update(91, "salut")
    chat["message"]["chat"]["id"] = "douze"
    button = callback_update(92, "x")
    button["callback_query"]["data"] = 3.5
    return [
        case("telegram: nested 10,000 deep", DEEP),
        case("telegram: object nested 5,000 deep", DEEP_OBJECT),
        case("telegram: not UTF-8", NOT_UTF8),
        case("telegram: a JSON array", b"[1, 2]"),
        case("telegram: no update_id", _json({"message": {"text": "x"}})),
        case("telegram: update_id is a string", _json({**text_update(93, "x"), "update_id": "a"})),
        case("telegram: a name is a number", _json(names)),
        case("telegram: chat id is a string", _json(chat)),
        case("telegram: button data is a number", _json(button)),
        case("telegram: text is a list", _json(message_update(94, text=["x"]))),
        Case("telegram: no secret, not UTF-8", path, NOT_UTF8, fixed({}), 403),
    ]


def slack(signing_secret: str) -> list[Case]:
    events, interactive = "slack_handoff/events", "slack_handoff/interactive"

    def event(name: str, body: bytes, status: int = 400) -> Case:
        return Case(name, events, body, lambda b: sp.sign(signing_secret, b), status)

    def click(name: str, body: bytes, status: int = 400) -> Case:
        return Case(
            name,
            interactive,
            body,
            lambda b: sp.sign(signing_secret, b, content_type=sp.FORM),
            status,
        )

    def form(payload: Any) -> bytes:
        from urllib.parse import urlencode

        return urlencode({"payload": json.dumps(payload)}).encode()

    def stale(body: bytes) -> dict[str, str]:
        return sp.sign(signing_secret, body, int(time.time()) - 3600)

    return [
        event("slack events: nested 10,000 deep", DEEP),
        event("slack events: a JSON array", b"[]"),
        event("slack events: not UTF-8", NOT_UTF8),
        event("slack events: no type", _json({"event": {}})),
        event("slack events: event is a number", _json({"type": "event_callback", "event": 5})),
        event(
            "slack events: text is a number",
            _json({"type": "event_callback", "event": {"type": "message", "text": 5}}),
        ),
        event(
            "slack events: event_id is a list", _json({"type": "event_callback", "event_id": []})
        ),
        Case("slack events: unsigned, not UTF-8", events, NOT_UTF8, fixed({}), 401),
        Case("slack events: stale signature", events, b"{}", stale, 401),
        click("slack interactive: no payload field", b"other=1"),
        click("slack interactive: not UTF-8", b"payload=\xff\xfe"),
        click("slack interactive: payload not JSON", b"payload=%7Bnope"),
        click("slack interactive: payload nested 10,000 deep", b"payload=" + DEEP),
        click("slack interactive: payload is an array", form([1])),
        click(
            "slack interactive: actions is a number", form({"type": "block_actions", "actions": 3})
        ),
        click(
            "slack interactive: an action is a string",
            form({"type": "block_actions", "actions": ["handoff_claim"]}),
        ),
        click(
            "slack interactive: user is a string",
            form({"type": "block_actions", "user": "U1", "actions": []}),
        ),
        click(
            "slack interactive: form values are numbers",
            form({"type": "view_submission", "view": {"state": {"values": {"amount": 5}}}}),
        ),
        Case(
            "slack interactive: unsigned, not UTF-8", interactive, b"payload=\xff", fixed({}), 401
        ),
    ]


def conversions(secret: bytes) -> list[Case]:
    path = "conversions/webhook"

    def signed(body: bytes) -> dict[str, str]:
        stamp = str(int(time.time()))
        return {
            CONVERSION_TIMESTAMP: stamp,
            CONVERSION_SIGNATURE: sign_conversion(secret, stamp, body),
        }

    def case(name: str, body: bytes, status: int = 400) -> Case:
        return Case(name, path, body, signed, status)

    sale = {"ref": "A" * 32, "order_id": "MB-1", "amount": "59.90", "currency": "EUR"}
    return [
        case("conversions: nested 10,000 deep", DEEP),
        case("conversions: a JSON array", b"[]"),
        case("conversions: not UTF-8", NOT_UTF8),
        case("conversions: ordered_at is a number", _json({**sale, "ordered_at": 1700000000})),
        case("conversions: amount 1e999999 in a string", _json({**sale, "amount": "1e999999"})),
        case(
            "conversions: amount 1e999999 as a number",
            b'{"ref": "' + b"A" * 32 + b'", '
            b'"order_id": "MB-1", "amount": 1e999999, "currency": "EUR"}',
        ),  # fmt: skip
        case("conversions: currency is a number", _json({**sale, "currency": 978})),
        Case("conversions: unsigned, not UTF-8", path, NOT_UTF8, fixed({}), 401),
    ]
