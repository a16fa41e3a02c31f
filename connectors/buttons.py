"""Button payloads that only our own buttons can carry.

A Rasa button payload such as ``/affirm`` or ``/purchase_intent{"product": "sweat"}`` becomes an
intent when it comes back. Before a payload leaves for Messenger or Telegram it is *sealed*: a
short HMAC of it is appended. When a click comes back, :meth:`ButtonSeal.open` returns the
payload only if the seal is ours; anything else (an old, foreign or forged payload) is treated as
the text of the button, never as an intent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

logger = logging.getLogger(__name__)

SEPARATOR = "~"
MAC_CHARS = 12  # 72 bits of base64url


class ButtonSeal:
    """Seals and opens button payloads with a key derived from a channel secret."""

    def __init__(self, channel_secret: bytes, purpose: str) -> None:
        self._key = hmac.new(
            channel_secret, f"button-seal:{purpose}".encode(), hashlib.sha256
        ).digest()

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii")[:MAC_CHARS]

    def seal(self, payload: str, max_length: int | None = None) -> str | None:
        """``payload`` with its seal; None if it cannot fit in ``max_length`` characters."""
        sealed = f"{compact(payload)}{SEPARATOR}"
        sealed += self._mac(sealed[: -len(SEPARATOR)])
        if max_length is not None and len(sealed.encode("utf-8")) > max_length:
            logger.error("button payload %r is too long for this channel once sealed", payload)
            return None
        return sealed

    def open(self, sealed: str | None) -> str | None:
        """The payload if ``sealed`` carries our seal, else None."""
        if not sealed or SEPARATOR not in sealed:
            return None
        payload, _, mac = sealed.rpartition(SEPARATOR)
        if not payload or not hmac.compare_digest(self._mac(payload), mac):
            return None
        return payload


def compact(payload: str) -> str:
    """``/intent{"a": "b"}`` → ``/intent{"a":"b"}`` (Telegram allows 64 bytes of data)."""
    name, brace, entities = payload.partition("{")
    if not brace:
        return payload
    try:
        parsed = json.loads(brace + entities)
    except ValueError:
        return payload
    return name + json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
