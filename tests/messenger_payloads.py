"""Messenger webhook payloads in the official format (developers.facebook.com, Webhook Events)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from connectors.messenger import sign

PAGE_ID = "104857600000001"
_mids = itertools.count(1)


def now_ms() -> int:
    return int(time.time() * 1000)


def delivery(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": list(entries)}


def entry(*events: dict[str, Any], page_id: str = PAGE_ID) -> dict[str, Any]:
    return {"id": page_id, "time": now_ms(), "messaging": list(events)}


def _event(psid: str, page_id: str = PAGE_ID, **body: Any) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": page_id},
        "timestamp": now_ms(),
        **body,
    }


def text(psid: str, words: str, mid: str | None = None, page_id: str = PAGE_ID) -> dict:
    mid = mid or f"m_test_{next(_mids)}"
    return _event(psid, page_id, message={"mid": mid, "text": words})


def quick_reply(psid: str, title: str, payload: str) -> dict:
    mid = f"m_test_{next(_mids)}"
    return _event(psid, message={"mid": mid, "text": title, "quick_reply": {"payload": payload}})


def postback(psid: str, title: str, payload: str) -> dict:
    mid = f"m_test_{next(_mids)}"
    return _event(psid, postback={"mid": mid, "title": title, "payload": payload})


def image(psid: str) -> dict:
    mid = f"m_test_{next(_mids)}"
    attachment = {"type": "image", "payload": {"url": "https://scontent.example/photo.jpg"}}
    return _event(psid, message={"mid": mid, "attachments": [attachment]})


def like_sticker(psid: str) -> dict:
    mid = f"m_test_{next(_mids)}"
    attachment = {
        "type": "image",
        "payload": {"url": "https://scontent.example/like.png", "sticker_id": 369239263222822},
    }
    return _event(
        psid, message={"mid": mid, "sticker_id": 369239263222822, "attachments": [attachment]}
    )


def echo(psid: str, words: str) -> dict:
    """The page's own message, echoed back (sender is the page)."""
    mid = f"m_test_{next(_mids)}"
    event = _event(PAGE_ID, message={"mid": mid, "is_echo": True, "app_id": 1517, "text": words})
    event["recipient"] = {"id": psid}
    return event


def echo_attachment(psid: str) -> dict:
    mid = f"m_test_{next(_mids)}"
    attachment = {"type": "image", "payload": {"url": "https://scontent.example/sent.jpg"}}
    event = _event(
        PAGE_ID, message={"mid": mid, "is_echo": True, "app_id": 1517, "attachments": [attachment]}
    )
    event["recipient"] = {"id": psid}
    return event


def read_receipt(psid: str) -> dict:
    return _event(psid, read={"watermark": now_ms()})


def delivery_receipt(psid: str) -> dict:
    return _event(psid, delivery={"mids": ["m_test_x"], "watermark": now_ms()})


def signed(payload: dict[str, Any], app_secret: bytes) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return body, {"X-Hub-Signature-256": sign(app_secret, body), "Content-Type": "application/json"}
