"""Telegram: the ``telegram`` channel at ``/webhooks/telegram/webhook``.

Inbound (``TelegramInput``):

* ``POST``: 403 unless ``X-Telegram-Bot-Api-Secret-Token`` is our secret token (constant-time
  compare; Telegram sends it because :func:`bot.channels.telegram_setup.set_webhook` registered it).
  Then the update is stored in the inbox (:mod:`bot.channels.inbox`) and only then answered
  200 (503 if it cannot be stored): it is processed in the background, in order per chat, and
  after a crash. A redelivered ``update_id`` is stored once; a body that is not an update: 400.
* What an update means to Rasa (commands, sealed buttons, attachments, the 👍 sticker) is read
  in :mod:`connectors.telegram_updates`. Every button press is answered so the customer's spinner
  stops.

Outbound (``TelegramOutput``): the Bot API through python-telegram-bot
(:class:`connectors.telegram_api.TelegramApi`: timeouts, bounded retries): texts cut at 4096
characters, buttons as an inline keyboard.

One bot per deployment: ``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_SECRET_TOKEN``, and
``TELEGRAM_API_URL`` (tests point it at a fake). Its conversations use the default brand.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction

from bot.channels.state import ChannelState
from bot.channels.telegram_setup import (
    DEFAULT_API_URL,
    TELEGRAM_API_URL,
    api_url_from_env,
    check_credentials,
    check_url,
)
from bot.settings import get_settings
from connectors.buttons import ButtonSeal
from connectors.customer_text import split_text
from connectors.payloads import PayloadError, decode_json
from connectors.telegram_api import TelegramApi
from connectors.telegram_updates import (
    CHANNEL,
    UPDATE_SCHEMA,
    Incoming,
    parse_sender_id,
    read_update,
)
from connectors.webhook_blueprint import Webhook, webhook_blueprint

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64  # bytes


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TelegramConfig:
    """The bot we answer for, and the brand whose catalogue and voice it uses."""

    bot_token: str = field(repr=False)
    secret_token: str = field(repr=False)
    api_url: str
    brand: str

    @classmethod
    def from_values(
        cls, bot_token: str, secret_token: str, api_url: str | None = None
    ) -> TelegramConfig:
        """Validate the values of the environment; raise ValueError with what is wrong."""
        bot_token, secret_token = check_credentials(bot_token, secret_token)
        return cls(
            bot_token=bot_token,
            secret_token=secret_token,
            api_url=check_url(api_url or DEFAULT_API_URL, TELEGRAM_API_URL),
            brand=get_settings().default_brand,
        )


# --- the secret token --------------------------------------------------------------------------


def secret_is_valid(secret_token: str, header: str | None) -> bool:
    """Whether ``header`` is our webhook secret token (constant-time compare)."""
    if not header:
        return False
    return hmac.compare_digest(header.encode("utf-8"), secret_token.encode("utf-8"))


# --- outbound --------------------------------------------------------------------------------


class TelegramOutput(OutputChannel):
    """Sends to Telegram chats through the Bot API."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, api: TelegramApi, seal: ButtonSeal) -> None:
        self.api = api
        self.seal = seal

    async def _send_text(
        self,
        recipient_id: str,
        text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """``text`` in parts of at most 4096 characters; the keyboard goes with the last part."""
        chat_id = parse_sender_id(recipient_id)
        parts = split_text(text, MAX_TEXT)
        if not parts:
            logger.error("Telegram cannot send an empty text (chat %s): nothing sent", chat_id)
            return
        for number, part in enumerate(parts, start=1):
            markup = reply_markup if number == len(parts) else None
            sent = await self.api.call(
                "sendMessage",
                lambda bot, part=part, markup=markup: bot.send_message(
                    chat_id, part, reply_markup=markup
                ),
            )
            if sent is None:
                if number < len(parts):
                    logger.error(
                        "Telegram text cut short: %s of %s parts not sent",
                        len(parts) - number,
                        len(parts),
                    )
                return

    # Rasa's OutputChannel interface

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_text(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_text(recipient_id, text, self._keyboard(buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_text(recipient_id, text, self._keyboard(quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat_id = parse_sender_id(recipient_id)
        await self.api.call("sendPhoto", lambda bot: bot.send_photo(chat_id, image))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        text = json_message.get("text")
        if not isinstance(text, str) or not text.strip():
            logger.warning(
                "Telegram has no use for a custom payload without text (keys %s): nothing sent",
                sorted(json_message),
            )
            return
        await self._send_text(recipient_id, text)

    # beyond Rasa's interface

    async def send_typing(self, recipient_id: str) -> None:
        """The "typing…" indicator; a failure only logs a warning (it is a courtesy)."""
        chat_id = parse_sender_id(recipient_id)
        await self.api.call(
            "sendChatAction",
            lambda bot: bot.send_chat_action(chat_id, ChatAction.TYPING),
            attempts=1,
            failure_level=logging.WARNING,
        )

    async def answer_button(self, callback_query_id: str) -> None:
        """Tell Telegram a button press was received (the customer's spinner stops)."""
        await self.api.call(
            "answerCallbackQuery",
            lambda bot: bot.answer_callback_query(callback_query_id),
            failure_level=logging.WARNING,
        )

    def _keyboard(self, buttons: list[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """One button per row: a link, or our sealed payload (dropped if it does not fit)."""
        rows = []
        for button in buttons:
            title = " ".join(str(button.get("title") or "").split())
            if button.get("url"):
                rows.append([InlineKeyboardButton(title, url=str(button["url"]))])
                continue
            payload = str(button.get("payload") or "")
            sealed = self.seal.seal(payload, MAX_CALLBACK_DATA) if payload else None
            if sealed is not None:
                rows.append([InlineKeyboardButton(title, callback_data=sealed)])
        return InlineKeyboardMarkup(rows) if rows else None


# --- the channel -----------------------------------------------------------------------------


class TelegramInput(InputChannel):
    """Custom channel ``telegram`` (credentials.yml: ``connectors.telegram.TelegramInput``)."""

    MAX_BODY_BYTES = MAX_BODY_BYTES

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        credentials = credentials or {}
        try:
            config = TelegramConfig.from_values(
                str(credentials.get("bot_token") or ""),
                str(credentials.get("secret_token") or ""),
                api_url_from_env(),
            )
        except ValueError as error:
            raise ValueError(f"Telegram channel not configured: {error} (see README)") from error
        return cls(config)

    def __init__(
        self,
        config: TelegramConfig,
        state: ChannelState | None = None,
        api: TelegramApi | None = None,
    ) -> None:
        self.config = config
        self.api = api or TelegramApi(config.bot_token, config.api_url)
        self.state = state or ChannelState.from_env(get_settings().var_dir)
        self.seal = ButtonSeal(config.secret_token.encode("utf-8"), CHANNEL)
        self.output = TelegramOutput(self.api, self.seal)
        self.webhook: Webhook | None = None

    def get_output_channel(self) -> OutputChannel | None:
        return self.output

    def accept(
        self, headers: dict[str, str | None], body: bytes
    ) -> tuple[int, str, list[Incoming]]:
        """Status, answer text and what to handle of one POST (no side effect)."""
        if not secret_is_valid(self.config.secret_token, headers.get(SECRET_HEADER)):
            logger.warning("Telegram webhook: missing or wrong secret token, request refused")
            return 403, "invalid secret token", []
        if len(body) > MAX_BODY_BYTES:
            return 413, "body too large", []
        try:
            data = UPDATE_SCHEMA.check(decode_json(body))
        except PayloadError as error:
            logger.warning("Telegram webhook: refused, %s", error)
            return 400, str(error), []
        try:
            update = Update.de_json(data, self.api.bot())
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            logger.warning("Telegram webhook: not an update (%s)", type(error).__name__)
            return 400, "body is not a Telegram update", []
        incoming = read_update(update, self.seal)
        return 200, "ok", [incoming] if incoming is not None else []

    def incoming_from(self, payload: dict[str, Any]) -> Incoming:
        return Incoming.from_payload(payload)

    async def process(
        self, incoming: Incoming, run_turn: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Answer a button press, then hand the stored message to Rasa."""
        if incoming.callback_query_id is not None:
            await self.output.answer_button(incoming.callback_query_id)
        if incoming.text is None:
            return
        await self.output.send_typing(incoming.sender_id)
        metadata = {**incoming.metadata, "brand": self.config.brand}
        await run_turn(
            UserMessage(
                incoming.text,
                self.output,
                incoming.sender_id,
                input_channel=CHANNEL,
                metadata=metadata,
            )
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self.webhook = Webhook(self, on_new_message)
        return webhook_blueprint(
            "telegram_webhook",
            self.webhook,
            SECRET_HEADER,
            open_client=self.api.bot,
            close_client=self.api.close,
        )
