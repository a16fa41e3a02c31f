"""Telegram updates as the Bot API sends them (core.telegram.org/bots/api#update)."""

from __future__ import annotations

from typing import Any

TOKEN = "7123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "causette_test-webhook-secret_0123456789"
CHAT = 184622713
DATE = 1718000000
BOT_USER = {"id": 7123456789, "is_bot": True, "first_name": "Causette", "username": "CausetteBot"}


# --- Telegram updates, as the Bot API sends them ---------------------------------------------


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Camille", "language_code": "fr"}


def chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Camille", "type": "private"}


def message(update_id: int, chat_id: int, **content: Any) -> dict[str, Any]:
    return {
        "message_id": 1000 + update_id,
        "from": user(chat_id),
        "chat": chat(chat_id),
        "date": DATE,
        **content,
    }


def message_update(update_id: int, chat_id: int = CHAT, **content: Any) -> dict[str, Any]:
    return {"update_id": update_id, "message": message(update_id, chat_id, **content)}


def text_update(update_id: int, text: str, chat_id: int = CHAT) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(" ")[0]
        content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return message_update(update_id, chat_id, **content)


def callback_update(update_id: int, data: str, chat_id: int = CHAT) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"4382bfdwdsb323b2d9{update_id}",
            "from": user(chat_id),
            "message": {
                "message_id": 77,
                "from": BOT_USER,
                "chat": chat(chat_id),
                "date": DATE,
                "text": "Voulez-vous confirmer ?",
            },
            "chat_instance": "-7485037128379234311",
            "data": data,
        },
    }


PHOTO = [
    {"file_id": "AgACAgQAAxkBAAIBmWZ", "file_unique_id": "AQADxbwxG1", "width": 90, "height": 67},
    {
        "file_id": "AgACAgQAAxkBAAIBmWa",
        "file_unique_id": "AQADxbwxG2",
        "width": 1280,
        "height": 960,
    },
]


def sticker(emoji: str) -> dict[str, Any]:
    return {
        "file_id": "CAACAgIAAxkBAAIBnGZ",
        "file_unique_id": "AgADYQADwDZPEw",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
        "set_name": "HotCherry",
    }


ATTACHMENTS = {
    "photo": {"photo": PHOTO, "caption": "la tache sur le pull"},
    "voice": {
        "voice": {"file_id": "AwACAgQ", "file_unique_id": "AgADvB", "duration": 4},
    },
    "document": {
        "document": {"file_id": "BQACAgQ", "file_unique_id": "AgADwB", "file_name": "facture.pdf"},
    },
    "location": {"location": {"latitude": 48.8566, "longitude": 2.3522}},
    "contact": {"contact": {"phone_number": "+33612345678", "first_name": "Camille"}},
    "animation": {
        "animation": {
            "file_id": "CgACAgQ",
            "file_unique_id": "AgADxB",
            "width": 320,
            "height": 240,
            "duration": 3,
        },
        "document": {"file_id": "CgACAgQ", "file_unique_id": "AgADxB"},
    },
}
