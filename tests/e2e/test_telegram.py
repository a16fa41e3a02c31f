"""End-to-end on Telegram: updates posted to the real server, answers out to a fake Bot API."""

from __future__ import annotations

import json
import random
import time

import pytest
import requests

from tests.e2e.conftest import TELEGRAM_SECRET_TOKEN, RasaServer, wait_for
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram_payloads import callback_update, text_update

pytestmark = pytest.mark.server

WEBHOOK = "/webhooks/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.fixture
def chat() -> int:
    return random.randrange(10**8, 10**9)


_updates = iter(range(random.randrange(10**6, 10**7), 10**8))


def post(server: RasaServer, update: dict, secret: str | None = TELEGRAM_SECRET_TOKEN):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    return requests.post(f"{server.url}{WEBHOOK}", data=json.dumps(update), headers=headers)


def sent(telegram: FakeTelegramApi, chat: int) -> list[dict]:
    return [c.params for c in telegram.delivered("sendMessage") if int(c.params["chat_id"]) == chat]


def replies_after(telegram: FakeTelegramApi, chat: int, count: int) -> list[dict]:
    wait_for(lambda: len(sent(telegram, chat)) > count)
    time.sleep(1.0)
    return sent(telegram, chat)[count:]


def test_start_greets_and_our_inline_button_buys(server, telegram, chat):
    response = post(server, text_update(next(_updates), "/start", chat_id=chat))
    assert response.status_code == 200
    greeting = replies_after(telegram, chat, 0)
    assert any("assistant automatique" in m["text"] for m in greeting)

    count = len(sent(telegram, chat))
    post(server, text_update(next(_updates), "Je veux acheter votre sweat à capuche", chat_id=chat))
    offer = replies_after(telegram, chat, count)
    with_buttons = [m for m in offer if m.get("reply_markup")]
    assert with_buttons, offer
    keyboard = with_buttons[-1]["reply_markup"]["inline_keyboard"]
    yes = keyboard[0][0]
    assert len(yes["callback_data"].encode()) <= 64

    count = len(sent(telegram, chat))
    post(server, callback_update(next(_updates), yes["callback_data"], chat_id=chat))
    link = replies_after(telegram, chat, count)
    assert any("ref=" in m["text"] for m in link)
    assert telegram.delivered("answerCallbackQuery")


def test_wrong_or_missing_secret_is_refused_and_nothing_sent(server, telegram, chat):
    for secret in (None, "not_the_secret_0123456789"):
        assert post(server, text_update(next(_updates), "bonjour", chat), secret).status_code == 403
    time.sleep(2)
    assert sent(telegram, chat) == []


def test_restart_typed_by_a_customer_and_a_redelivery(server, telegram, chat):
    first = text_update(next(_updates), "je cherche un t-shirt", chat_id=chat)
    post(server, first)
    count = len(replies_after(telegram, chat, 0))
    post(server, first)  # Telegram redelivers the same update_id
    post(server, text_update(next(_updates), "/restart", chat_id=chat))
    replies_after(telegram, chat, count)
    state = requests.get(f"{server.url}/conversations/telegram:{chat}/tracker", timeout=30).json()
    users = [e for e in state["events"] if e["event"] == "user"]
    assert len(users) == 2  # the redelivery was dropped
    assert users[-1]["parse_data"]["intent"]["name"] != "restart"
    assert not [e for e in state["events"] if e["event"] == "restart"]
    assert state["slots"]["product"] == "tshirt_essentiel"
