"""The customer messages in a Messenger webhook delivery, as Rasa must read them.

Every entry and every ``messaging`` event of a delivery is read, in order. Echoes of the page's
own messages, delivery and read receipts, reactions and the like are not customer messages.
Customer text is always text (:func:`as_customer_text`); quick replies and postbacks become
intents only when they carry our seal (:class:`ButtonSeal`); attachments become the
``send_attachment`` intent and the 👍 sticker is ``affirm``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from connectors.buttons import ButtonSeal
from connectors.customer_text import as_customer_text
from connectors.payloads import ID, STRING, Schema, array_of, object_of

CHANNEL = "messenger"
# The "like" stickers (small, medium, large thumbs up) Messenger sends as sticker attachments.
LIKE_STICKERS = frozenset({369239263222822, 369239343222814, 369239383222810})
GET_STARTED = "GET_STARTED"  # the Get Started button's payload (README, "Connect a page")
ATTACHMENT_INTENT = "/send_attachment"
AFFIRM_INTENT = "/affirm"
GREET_INTENT = "/greet"


def sender_id_for(page_id: str, psid: str) -> str:
    """The Rasa conversation id of a customer of a page (PSIDs are per page)."""
    return f"{CHANNEL}:{page_id}:{psid}"


def parse_sender_id(sender_id: str) -> tuple[str, str]:
    """(page id, PSID) of a Rasa conversation id built by :func:`sender_id_for`."""
    channel, _, rest = sender_id.partition(":")
    page_id, _, psid = rest.partition(":")
    if channel != CHANNEL or not page_id or not psid:
        raise ValueError(f"{sender_id!r} is not a Messenger conversation id")
    return page_id, psid


# --- inbound events --------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One customer message, ready for Rasa."""

    page_id: str
    psid: str
    delivery_id: str
    text: str
    sent_at: datetime
    metadata: dict[str, Any]

    @property
    def sender_id(self) -> str:
        return sender_id_for(self.page_id, self.psid)

    def to_payload(self) -> dict[str, Any]:
        """What the inbox keeps of it (JSON)."""
        return {**asdict(self), "sent_at": self.sent_at.isoformat()}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Incoming:
        return cls(**{**payload, "sent_at": datetime.fromisoformat(payload["sent_at"])})


_ATTACHMENT = object_of({"type": STRING, "payload": {"type": ["object", "null"]}})
DELIVERY_SCHEMA = Schema(
    "Messenger delivery",
    object_of(
        {
            "object": STRING,
            "entry": array_of(
                object_of(
                    {
                        "id": ID,
                        "messaging": array_of(
                            object_of(
                                {
                                    "sender": object_of({"id": ID}, required=("id",)),
                                    "timestamp": {"type": "number"},
                                    "message": object_of(
                                        {
                                            "mid": STRING,
                                            "text": STRING,
                                            "is_echo": {"type": "boolean"},
                                            "sticker_id": ID,
                                            "quick_reply": object_of({"payload": STRING}),
                                            "attachments": array_of(_ATTACHMENT),
                                        }
                                    ),
                                    "postback": object_of(
                                        {"payload": STRING, "title": STRING, "mid": STRING}
                                    ),
                                },
                                required=("sender",),
                            )
                        ),
                    },
                    required=("id",),
                )
            ),
        },
        required=("object",),
    ),
)


def _moment(milliseconds: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(milliseconds) / 1000, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(timezone.utc)


def _is_like(message: dict[str, Any]) -> bool:
    if message.get("sticker_id") in LIKE_STICKERS:
        return True
    return any(
        (a.get("payload") or {}).get("sticker_id") in LIKE_STICKERS
        for a in message.get("attachments") or []
        if isinstance(a, dict)
    )


def _attachments(message: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for attachment in message.get("attachments") or []:
        if isinstance(attachment, dict):
            payload = attachment.get("payload") or {}
            url = payload.get("url") if isinstance(payload, dict) else None
            found.append({"type": str(attachment.get("type", "file")), "url": str(url or "")})
    return found


def read_event(page_id: str, event: dict[str, Any], seal: ButtonSeal) -> Incoming | None:
    """The customer message in one ``messaging`` event, or None if it is not one."""
    psid = str((event.get("sender") or {}).get("id") or "")
    sent_at = _moment(event.get("timestamp"))
    message = event.get("message")
    postback = event.get("postback")
    if not psid or psid == page_id:
        return None
    base = {"page_id": page_id, "psid": psid, "sent_at": sent_at}
    if isinstance(message, dict):
        if message.get("is_echo"):
            return None
        mid = str(message.get("mid") or "")
        if not mid:
            return None
        text = message.get("text")
        quick_reply = message.get("quick_reply") or {}
        metadata: dict[str, Any] = {}
        if quick_reply.get("payload"):
            opened = seal.open(str(quick_reply["payload"]))
            if opened is not None:
                return Incoming(**base, delivery_id=mid, text=opened, metadata=metadata)
        if _is_like(message):
            return Incoming(**base, delivery_id=mid, text=AFFIRM_INTENT, metadata=metadata)
        if isinstance(text, str) and text.strip():
            return Incoming(**base, delivery_id=mid, text=as_customer_text(text), metadata=metadata)
        attachments = _attachments(message)
        if attachments:
            metadata["attachments"] = attachments
            return Incoming(**base, delivery_id=mid, text=ATTACHMENT_INTENT, metadata=metadata)
        return None
    if isinstance(postback, dict):
        payload = str(postback.get("payload") or "")
        delivery_id = str(postback.get("mid") or f"postback:{psid}:{event.get('timestamp')}")
        opened = seal.open(payload)
        if opened is None and payload == GET_STARTED:
            opened = GREET_INTENT
        title = str(postback.get("title") or "").strip()
        text = opened if opened is not None else as_customer_text(title)
        if not text:
            return None
        return Incoming(**base, delivery_id=delivery_id, text=text, metadata={})
    return None  # delivery, read, reaction, optin, referral...


def read_delivery(data: Any, seal: ButtonSeal) -> list[Incoming]:
    """Every customer message of a webhook delivery, in order (all entries, all events).

    Raises:
        PayloadError: ``data`` does not have the shape of a delivery (:data:`DELIVERY_SCHEMA`).
    """
    DELIVERY_SCHEMA.check(data)
    if data.get("object") != "page":
        return []
    found: list[Incoming] = []
    for entry in data.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        page_id = str(entry.get("id") or "")
        for event in entry.get("messaging") or []:
            if isinstance(event, dict):
                incoming = read_event(page_id, event, seal)
                if incoming is not None:
                    found.append(incoming)
    return found
