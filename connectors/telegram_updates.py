"""The customer message in a Telegram update, as Rasa must read it.

``/start`` (deep links included) is ``greet``, ``/help`` is ``help``; any other text is text
(:func:`as_customer_text`), so ``/restart`` typed by a customer drives nothing. A button press
becomes an intent only when it carries our seal (:class:`ButtonSeal`). Attachments become
``send_attachment``; the 👍 sticker is ``affirm``. Edited messages, channel posts and the rest are
nothing for Rasa.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Any

from telegram import CallbackQuery, Message, Update

from connectors.buttons import ButtonSeal
from connectors.customer_text import as_customer_text
from connectors.payloads import INTEGER, STRING, Schema, object_of

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
ATTACHMENT_INTENT = "/send_attachment"
AFFIRM_INTENT = "/affirm"
GREET_INTENT = "/greet"
HELP_INTENT = "/help"
COMMANDS = {"start": GREET_INTENT, "help": HELP_INTENT}
LIKE_EMOJI = "👍"
# Message fields that carry an attachment; "animation" first, as a GIF also fills "document".
ATTACHMENT_KINDS = (
    "animation",
    "photo",
    "video",
    "video_note",
    "voice",
    "audio",
    "document",
    "location",
    "contact",
    "sticker",
)
_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")


def sender_id_for(chat_id: int) -> str:
    """The Rasa conversation id of a Telegram chat."""
    return f"{CHANNEL}:{chat_id}"


def parse_sender_id(sender_id: str) -> int:
    """The chat id of a Rasa conversation id built by :func:`sender_id_for`."""
    channel, _, chat = sender_id.partition(":")
    try:
        if channel == CHANNEL:
            return int(chat)
    except ValueError:
        pass
    raise ValueError(f"{sender_id!r} is not a Telegram conversation id")


@dataclass(frozen=True)
class Incoming:
    """One update to handle: a customer message for Rasa, a button press to answer, or both.

    ``text`` is None for a button press that is not ours: it is answered, nothing else.
    """

    update_id: int
    chat_id: int
    text: str | None
    metadata: dict[str, Any]
    callback_query_id: str | None = None

    @property
    def sender_id(self) -> str:
        return sender_id_for(self.chat_id)

    @property
    def delivery_id(self) -> str:
        return str(self.update_id)

    def to_payload(self) -> dict[str, Any]:
        """What the inbox keeps of it (JSON)."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Incoming:
        return cls(**payload)


_USER = object_of(
    {"id": INTEGER, "first_name": STRING, "last_name": STRING, "username": STRING},
    required=("id", "first_name"),
)
_MESSAGE = object_of(
    {
        "message_id": INTEGER,
        "chat": object_of({"id": INTEGER}, required=("id",)),
        "from": _USER,
        "date": INTEGER,
        "text": STRING,
        "sticker": object_of({"emoji": STRING}),
    },
    required=("message_id", "chat"),
)
UPDATE_SCHEMA = Schema(
    "Telegram update",
    object_of(
        {
            "update_id": INTEGER,
            "message": _MESSAGE,
            "callback_query": object_of(
                {"id": STRING, "from": _USER, "data": STRING, "message": _MESSAGE},
                required=("id", "from"),
            ),
        },
        required=("update_id",),
    ),
)


def _command(text: str) -> tuple[str | None, str]:
    """(intent, argument) of ``/start``, ``/start@OurBot payload``, ``/help``; else (None, "")."""
    first, *rest = text.split(maxsplit=1)
    if not first.startswith("/"):
        return None, ""
    name = first[1:].partition("@")[0].lower()
    return COMMANDS.get(name), rest[0].strip() if rest else ""


def _attachment_kind(message: Message) -> str | None:
    for kind in ATTACHMENT_KINDS:
        if getattr(message, kind, None):
            return kind
    return None


def read_message(update_id: int, message: Message) -> Incoming | None:
    """The customer message of a ``message`` update, or None if it is nothing for Rasa."""
    base = {"update_id": update_id, "chat_id": message.chat.id}
    # The name the customer chose on Telegram, shown to community managers (escaped there).
    who = {"display_name": message.from_user.full_name[:64]} if message.from_user else {}
    text = message.text
    if text and text.strip():
        intent, argument = _command(text)
        if intent is None:
            return Incoming(**base, text=as_customer_text(text), metadata=who)
        metadata = {"start_payload": argument} if _DEEP_LINK.fullmatch(argument) else {}
        return Incoming(**base, text=intent, metadata={**metadata, **who})
    sticker = message.sticker
    if sticker is not None and (sticker.emoji or "").startswith(LIKE_EMOJI):
        return Incoming(**base, text=AFFIRM_INTENT, metadata=who)
    kind = _attachment_kind(message)
    if kind is not None:
        metadata = {"attachments": [{"type": kind, "url": ""}]}
        return Incoming(**base, text=ATTACHMENT_INTENT, metadata={**metadata, **who})
    logger.debug("Telegram update %s: a message without text or attachment, ignored", update_id)
    return None


def read_callback(update_id: int, query: CallbackQuery, seal: ButtonSeal) -> Incoming:
    """A button press: our payload if the seal is ours, else nothing but the answer."""
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    payload = seal.open(query.data)
    if payload is None:
        logger.warning(
            "Telegram update %s: button data without our seal (old, foreign or forged), "
            "answered and ignored",
            update_id,
        )
    return Incoming(update_id, chat_id, payload, {}, callback_query_id=query.id)


def read_update(update: Update, seal: ButtonSeal) -> Incoming | None:
    """What there is to handle in one update, or None (edits, channel posts, the rest)."""
    if update.message is not None:
        return read_message(update.update_id, update.message)
    if update.callback_query is not None:
        return read_callback(update.update_id, update.callback_query, seal)
    logger.debug("Telegram update %s is neither a message nor a button: ignored", update.update_id)
    return None
