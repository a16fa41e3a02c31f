"""The Telegram channel against a fake Bot API on loopback, with the real python-telegram-bot.

Updates are built as Telegram sends them (https://core.telegram.org/bots/api#update) and go
through the channel's own ``accept()`` and ``process()``, or through a real Sanic server mounted
the way Rasa mounts channels.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rasa.core.channels.channel import UserMessage, register
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from sanic import Sanic

from bot.channels.state import ChannelState, default_url
from bot.channels.telegram_setup import set_webhook, set_webhook_from_env
from bot.exit_codes import ExitCode
from bot.settings import get_settings
from connectors.telegram import MAX_CALLBACK_DATA, MAX_TEXT, SECRET_HEADER, TelegramInput
from connectors.telegram_api import TelegramApi
from connectors.telegram_updates import parse_sender_id, sender_id_for
from connectors.webhook_blueprint import Webhook
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram_payloads import (
    ATTACHMENTS,
    BOT_USER,
    CHAT,
    DATE,
    SECRET,
    TOKEN,
    callback_update,
    chat,
    message,
    message_update,
    sticker,
    text_update,
    user,
)

# --- fixtures --------------------------------------------------------------------------------


class RasaRecorder:
    """Stands in for Rasa: records each message, optionally answers through its channel."""

    def __init__(self, reply: str | None = None) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply is not None:
            await message.output_channel.send_text_message(message.sender_id, self.reply)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


@pytest.fixture
def fake() -> Iterator[FakeTelegramApi]:
    with FakeTelegramApi(TOKEN, username="CausetteBot") as api:
        yield api


@pytest.fixture
def channel(fake: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch) -> TelegramInput:
    monkeypatch.setenv("TELEGRAM_API_URL", fake.api_url)
    telegram = TelegramInput.from_credentials({"bot_token": TOKEN, "secret_token": SECRET})
    telegram.api.backoff_s = 0.01
    return telegram


@pytest.fixture
def rasa() -> RasaRecorder:
    return RasaRecorder()


async def deliver(
    channel: TelegramInput,
    update: dict[str, Any],
    rasa: RasaRecorder,
    secret: str | None = SECRET,
) -> int:
    """POST ``update`` as Telegram would; process what was accepted; the HTTP status."""
    body = json.dumps(update).encode("utf-8")
    if channel.webhook is None:
        channel.webhook = Webhook(channel, rasa)
    channel.webhook.on_new_message = rasa
    status, _ = await channel.webhook.receive({SECRET_HEADER: secret}, body)
    await channel.webhook.worker.drain()
    return status


def is_intent(text: str) -> bool:
    """Whether Rasa itself reads ``text`` as an ``/intent`` command."""
    parsed = YAMLStoryReader.unpack_regex_message(Message(data={TEXT: text}))
    return parsed.get(INTENT) is not None


# --- the webhook -----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret-token_0123456789", SECRET + "x"])
async def test_a_missing_or_wrong_secret_token_is_refused_and_nothing_is_processed(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder, secret: str | None
) -> None:
    update = text_update(1, "Bonjour")

    assert await deliver(channel, update, rasa, secret=secret) == 403
    assert rasa.messages == []
    assert fake.calls() == []
    # Not even remembered as seen: the genuine delivery is still processed.
    assert await deliver(channel, update, rasa) == 200
    assert rasa.texts == ["Bonjour"]


async def test_an_oversized_or_malformed_body_is_refused(channel: TelegramInput) -> None:
    headers = {SECRET_HEADER: SECRET}
    huge = json.dumps(text_update(2, "a" * (1024 * 1024))).encode()

    assert channel.accept(headers, huge)[0] == 413
    assert channel.accept(headers, b"<html>not json</html>")[0] == 400
    assert channel.accept(headers, b"[1, 2]")[0] == 400
    assert channel.accept(headers, json.dumps({"message": {"text": "x"}}).encode())[0] == 400


async def test_a_text_reaches_rasa_and_the_reply_reaches_the_chat(
    channel: TelegramInput, fake: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    rasa = RasaRecorder(reply="Bonjour Camille, que cherchez-vous ?")

    assert await deliver(channel, text_update(3, "Bonjour, vous avez des sweats ?"), rasa) == 200

    [message] = rasa.messages
    assert message.text == "Bonjour, vous avez des sweats ?"
    assert message.sender_id == f"telegram:{CHAT}"
    assert message.input_channel == "telegram"
    assert message.metadata["brand"] == get_settings().default_brand
    [sent] = fake.delivered("sendMessage")
    assert sent.params["chat_id"] == CHAT
    assert sent.params["text"] == "Bonjour Camille, que cherchez-vous ?"
    # The customer saw "typing…" before the answer.
    methods = [c.method for c in fake.calls()]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake.delivered("sendChatAction")[0].params["action"] == "typing"


async def test_the_brand_is_the_configured_default(
    fake: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch, rasa: RasaRecorder
) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", fake.api_url)
    monkeypatch.setenv("CAUSETTE_DEFAULT_BRAND", "maison-lune")
    channel = TelegramInput.from_credentials({"bot_token": TOKEN, "secret_token": SECRET})

    await deliver(channel, text_update(4, "Bonjour"), rasa)

    assert rasa.messages[0].metadata["brand"] == "maison-lune"


@pytest.mark.parametrize(
    "text", ["/start", "/start@CausetteBot", "/start promo_ete24", "/START@CausetteBot promo"]
)
async def test_start_greets(channel: TelegramInput, rasa: RasaRecorder, text: str) -> None:
    await deliver(channel, text_update(5, text), rasa)

    assert rasa.texts == ["/greet"]


async def test_a_deep_link_payload_is_kept_in_the_metadata(
    channel: TelegramInput, rasa: RasaRecorder
) -> None:
    await deliver(channel, text_update(6, "/start promo_ete24"), rasa)

    assert rasa.messages[0].metadata["start_payload"] == "promo_ete24"


async def test_help_asks_for_help(channel: TelegramInput, rasa: RasaRecorder) -> None:
    await deliver(channel, text_update(7, "/help"), rasa)

    assert rasa.texts == ["/help"]


@pytest.mark.parametrize("typed", ["/restart", '/confirm{"amount": 1}', "  /affirm"])
async def test_commands_typed_by_a_customer_stay_text(
    channel: TelegramInput, rasa: RasaRecorder, typed: str
) -> None:
    assert is_intent(typed)  # what Rasa would do with the raw text

    await deliver(channel, text_update(8, typed), rasa)

    [text] = rasa.texts
    assert not is_intent(text)
    assert text.strip("\u2060 ") == typed.strip()  # the transcript shows what was typed


async def test_a_redelivered_update_is_processed_once_even_after_a_restart(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder
) -> None:
    update = text_update(9, "Je voudrais un sweat")

    await deliver(channel, update, rasa)
    await deliver(channel, update, rasa)
    restarted = TelegramInput(
        channel.config, state=ChannelState(default_url(get_settings().var_dir))
    )
    await deliver(restarted, update, rasa)

    assert rasa.texts == ["Je voudrais un sweat"]
    await deliver(restarted, text_update(10, "Je voudrais un sweat"), rasa)
    assert len(rasa.messages) == 2  # a new update_id is a new message


async def test_when_the_state_database_is_down_nothing_is_acknowledged(
    channel: TelegramInput, rasa: RasaRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    down = TelegramInput(
        channel.config,
        state=ChannelState("postgresql://causette:x@127.0.0.1:9/causette", timeout_s=1),
        api=channel.api,
    )

    assert await deliver(down, text_update(11, "Bonjour"), rasa) == 503  # Telegram retries

    assert rasa.texts == []
    assert "STATE UNAVAILABLE" in caplog.text
    assert await deliver(channel, text_update(11, "Bonjour"), rasa) == 200  # the retry
    assert rasa.texts == ["Bonjour"]


@pytest.mark.parametrize(
    "update",
    [
        {
            "update_id": 12,
            "edited_message": {**message(12, CHAT, text="Bonjour !"), "edit_date": DATE + 5},
        },
        {
            "update_id": 13,
            "channel_post": {
                "message_id": 3,
                "chat": {"id": -1001234567890, "title": "Causette", "type": "channel"},
                "date": DATE,
                "text": "Nouvelle collection",
            },
        },
        {
            "update_id": 14,
            "my_chat_member": {
                "chat": chat(CHAT),
                "from": user(CHAT),
                "date": DATE,
                "old_chat_member": {"status": "member", "user": BOT_USER},
                "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
            },
        },
        message_update(15, dice={"emoji": "🎲", "value": 4}),
    ],
    ids=["edited_message", "channel_post", "my_chat_member", "dice"],
)
async def test_updates_that_are_not_customer_messages_are_ignored(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder, update: dict[str, Any]
) -> None:
    assert await deliver(channel, update, rasa) == 200

    assert rasa.messages == []
    assert fake.calls() == []


@pytest.mark.parametrize("kind", sorted(ATTACHMENTS))
async def test_an_attachment_is_sent_attachment(
    channel: TelegramInput, rasa: RasaRecorder, kind: str
) -> None:
    await deliver(channel, message_update(16, **ATTACHMENTS[kind]), rasa)

    [message] = rasa.messages
    assert message.text == "/send_attachment"
    assert message.metadata["attachments"] == [{"type": kind, "url": ""}]


async def test_a_thumbs_up_sticker_is_a_yes(channel: TelegramInput, rasa: RasaRecorder) -> None:
    await deliver(channel, message_update(17, sticker=sticker("👍")), rasa)
    await deliver(channel, message_update(18, sticker=sticker("😂")), rasa)

    assert rasa.texts == ["/affirm", "/send_attachment"]


# --- buttons ---------------------------------------------------------------------------------


async def test_a_press_on_our_button_is_its_payload_and_is_answered(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder
) -> None:
    output = channel.get_output_channel()
    buttons = [{"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]
    await output.send_text_with_buttons(sender_id_for(CHAT), "On confirme ?", buttons)
    keyboard = fake.delivered("sendMessage")[0].params["reply_markup"]["inline_keyboard"]
    pressed = keyboard[0][0]["callback_data"]  # what Telegram will send back

    await deliver(channel, callback_update(19, pressed), rasa)

    assert rasa.texts == ["/affirm"]
    assert rasa.messages[0].sender_id == f"telegram:{CHAT}"
    [answer] = fake.delivered("answerCallbackQuery")
    assert answer.params["callback_query_id"] == f"4382bfdwdsb323b2d9{19}"


@pytest.mark.parametrize("data", ["/affirm", '/confirm{"amount":1}', "/affirm~AAAAAAAAAAAA"])
async def test_a_forged_button_press_is_answered_and_nothing_else(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder, data: str
) -> None:
    await deliver(channel, callback_update(20, data), rasa)

    assert rasa.messages == []
    assert len(fake.delivered("answerCallbackQuery")) == 1
    assert fake.calls("sendMessage") == []


async def test_buttons_carry_sealed_data_that_fits_telegrams_64_bytes(
    channel: TelegramInput, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    buttons = [
        {"title": "Le sweat", "payload": '/purchase_intent{"product": "sweat"}'},
        {"title": "Trop long", "payload": '/purchase_intent{"product": "' + "x" * 60 + '"}'},
        {"title": "Le guide des tailles", "url": "https://example.com/tailles"},
    ]

    await channel.get_output_channel().send_quick_replies(sender_id_for(CHAT), "Lequel ?", buttons)

    [sent] = fake.delivered("sendMessage")
    rows = sent.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["Le sweat", "Le guide des tailles"]
    data = rows[0][0]["callback_data"]
    assert len(data.encode("utf-8")) <= MAX_CALLBACK_DATA
    assert channel.seal.open(data) == '/purchase_intent{"product":"sweat"}'
    assert rows[1][0]["url"] == "https://example.com/tailles"
    assert "too long" in caplog.text


# --- replies ---------------------------------------------------------------------------------


async def test_a_long_reply_arrives_in_two_messages(
    channel: TelegramInput, fake: FakeTelegramApi
) -> None:
    sentence = "Nos sweats sont en coton bio et tricotés au Portugal. "
    reply = (sentence * 100)[:5000]

    await channel.get_output_channel().send_text_message(sender_id_for(CHAT), reply)

    sent = fake.delivered("sendMessage")
    assert len(sent) == 2
    assert all(len(call.params["text"]) <= MAX_TEXT for call in sent)
    assert " ".join(call.params["text"] for call in sent).split() == reply.split()


async def test_an_image_is_sent_as_a_photo(channel: TelegramInput, fake: FakeTelegramApi) -> None:
    url = "https://cdn.example.com/sweat-bleu.jpg"

    await channel.get_output_channel().send_image_url(sender_id_for(CHAT), url)

    [sent] = fake.delivered("sendPhoto")
    assert sent.params == {"chat_id": CHAT, "photo": url}


async def test_a_custom_payload_is_sent_only_if_it_has_text(
    channel: TelegramInput, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    output = channel.get_output_channel()

    await output.send_custom_json(sender_id_for(CHAT), {"attachment": {"type": "template"}})
    assert fake.calls() == []
    assert "nothing sent" in caplog.text

    await output.send_custom_json(sender_id_for(CHAT), {"text": "Merci !"})
    assert [c.params["text"] for c in fake.delivered("sendMessage")] == ["Merci !"]


async def test_flood_control_is_waited_out_and_the_reply_delivered_once(
    channel: TelegramInput, fake: FakeTelegramApi
) -> None:
    fake.fail_next(1, status=429, retry_after=1)

    await channel.get_output_channel().send_text_message(sender_id_for(CHAT), "Bien reçu !")

    assert [c.status for c in fake.calls("sendMessage")] == [429, 200]
    assert len(fake.delivered("sendMessage")) == 1


async def test_a_flood_wait_beyond_the_cap_gives_up_at_once(
    channel: TelegramInput, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(1, status=429, retry_after=3600)

    await channel.get_output_channel().send_text_message(sender_id_for(CHAT), "Bien reçu !")

    assert [c.status for c in fake.calls("sendMessage")] == [429]
    assert "giving up" in caplog.text


async def test_server_errors_are_retried_then_logged_without_raising(
    channel: TelegramInput, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next(5, status=500)

    await channel.get_output_channel().send_text_message(sender_id_for(CHAT), "Bien reçu !")

    assert [c.status for c in fake.calls("sendMessage")] == [500, 500, 500]
    assert "giving up" in caplog.text


async def test_a_silent_api_times_out_instead_of_hanging(
    fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    api = TelegramApi(TOKEN, fake.api_url, timeout_s=0.2, attempts=2, backoff_s=0.01)
    fake.stall_next(2, seconds=1.0)

    sent = await api.call("getMe", lambda bot: bot.get_me())

    assert sent is None
    assert "TimedOut" in caplog.text
    await api.close()


async def test_a_failed_typing_indicator_does_not_stop_the_message(
    channel: TelegramInput, fake: FakeTelegramApi, rasa: RasaRecorder
) -> None:
    fake.fail_next(1, status=500)  # the sendChatAction

    await deliver(channel, text_update(21, "Bonjour"), rasa)

    assert rasa.texts == ["Bonjour"]


async def test_the_bot_token_never_reaches_the_logs(
    channel: TelegramInput, fake: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next(1, status=500)

    await channel.get_output_channel().send_text_message(sender_id_for(CHAT), "Bonjour")

    assert fake.delivered("sendMessage")
    assert "HTTP Request" in caplog.text  # httpx did log the URL...
    assert TOKEN not in caplog.text  # ...without the token


# --- ids and configuration -------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", [CHAT, -1001234567890])
def test_conversation_ids_round_trip(chat_id: int) -> None:
    assert parse_sender_id(sender_id_for(chat_id)) == chat_id


@pytest.mark.parametrize("sender_id", ["messenger:123:456", "telegram:", "telegram:abc", "184"])
def test_other_conversation_ids_are_refused(sender_id: str) -> None:
    with pytest.raises(ValueError):
        parse_sender_id(sender_id)


@pytest.mark.parametrize(
    ("credentials", "variable"),
    [
        ({"bot_token": "", "secret_token": SECRET}, "TELEGRAM_BOT_TOKEN"),
        ({"bot_token": "changeme", "secret_token": SECRET}, "TELEGRAM_BOT_TOKEN"),
        ({"bot_token": TOKEN, "secret_token": ""}, "TELEGRAM_SECRET_TOKEN"),
        ({"bot_token": TOKEN, "secret_token": "changeme"}, "TELEGRAM_SECRET_TOKEN"),
        ({"bot_token": TOKEN, "secret_token": "short_secret"}, "TELEGRAM_SECRET_TOKEN"),
        (
            {"bot_token": TOKEN, "secret_token": "un secret avec des espaces"},
            "TELEGRAM_SECRET_TOKEN",
        ),
        ({"bot_token": TOKEN, "secret_token": "s" * 257}, "TELEGRAM_SECRET_TOKEN"),
        (None, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_variable(
    credentials: dict[str, str] | None, variable: str
) -> None:
    with pytest.raises(ValueError, match=variable):
        TelegramInput.from_credentials(credentials)


def test_the_api_url_must_be_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "http://telegram-proxy.example.com")

    with pytest.raises(ValueError, match="TELEGRAM_API_URL"):
        TelegramInput.from_credentials({"bot_token": TOKEN, "secret_token": SECRET})


# --- the webhook registration ----------------------------------------------------------------


async def test_set_webhook_registers_the_url_and_the_secret(fake: FakeTelegramApi) -> None:
    url = "https://causette.example.com/webhooks/telegram/webhook"

    assert await set_webhook(url, TOKEN, SECRET, fake.api_url) is True

    assert fake.webhook["url"] == url
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
    assert fake.webhook["drop_pending_updates"] is False


async def test_set_webhook_refuses_plain_http(fake: FakeTelegramApi) -> None:
    with pytest.raises(ValueError, match="https"):
        await set_webhook("http://causette.example.com/hook", TOKEN, SECRET, fake.api_url)

    assert fake.calls() == []


def test_set_webhook_from_env_exit_codes(
    fake: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = "https://causette.example.com/webhooks/telegram/webhook"
    monkeypatch.setenv("TELEGRAM_API_URL", fake.api_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)

    assert set_webhook_from_env(url) == ExitCode.OK
    assert fake.webhook["url"] == url

    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "changeme")
    assert set_webhook_from_env(url) == ExitCode.BAD_CONFIG

    other_token = "7000000001:AAFakeTokenTelegramDoesNotKnow0123"
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", other_token)
    assert set_webhook_from_env(url) == ExitCode.BAD_CONFIG  # Telegram: 401 Unauthorized
    assert other_token not in caplog.text


# --- through a real server, mounted as Rasa mounts channels ----------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_the_webhook_answers_before_rasa_has_finished(channel: TelegramInput) -> None:
    release = asyncio.Event()
    handled: list[UserMessage] = []

    class SlowAgent:
        async def handle_message(self, message: UserMessage) -> None:
            await release.wait()
            handled.append(message)

    app = Sanic(f"telegram_test_{_free_port()}")
    app.ctx.agent = SlowAgent()
    register([channel], app, route="/webhooks/")
    port = _free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    base = f"http://127.0.0.1:{port}/webhooks/telegram"
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            health = await client.get(f"{base}/")
            refused = await client.post(
                f"{base}/webhook", json=text_update(22, "Bonjour"), headers={SECRET_HEADER: "x"}
            )
            accepted = await client.post(
                f"{base}/webhook", json=text_update(23, "Bonjour"), headers={SECRET_HEADER: SECRET}
            )
        assert health.status_code == 200
        assert refused.status_code == 403
        assert accepted.status_code == 200
        assert handled == []  # answered while Rasa is still busy
        release.set()
        await server.before_stop()  # drains the queues
        assert [m.text for m in handled] == ["Bonjour"]
    finally:
        await server.close()
